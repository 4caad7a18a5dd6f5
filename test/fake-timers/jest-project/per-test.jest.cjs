/* eslint-disable @typescript-eslint/no-require-imports */
// jest's modern fake timers, installed per test: its defaults, and without `performance`.
// The package and the scenarios are CommonJS bundles of the sources (paths in the environment).
const pkg = require(process.env.TICKGUARD_BUNDLE);
const scenarios = require(process.env.TICKGUARD_SCENARIOS);

const advance = (ms) => jest.advanceTimersByTimeAsync(ms);

afterEach(() => {
  jest.useRealTimers();
});

describe.each([
  ['default', {}],
  ['performance not faked', { doNotFake: ['performance'] }],
])('jest.useFakeTimers(): %s', (_label, config) => {
  test('one period gives one run; 1000 ms of a 100 ms job gives 10, on the fake Date', async () => {
    jest.useFakeTimers({ now: scenarios.T0, ...config });
    expect(await scenarios.fixedRate(pkg.createScheduler, advance)).toEqual(scenarios.EXPECTED_FIXED_RATE);
  });

  test('cron follows the fake Date; fixedDelay waits on the fake clock', async () => {
    jest.useFakeTimers({ now: scenarios.T0, ...config });
    expect(await scenarios.cronAndFixedDelay(pkg.createScheduler, advance)).toEqual(scenarios.EXPECTED_CRON_AND_FIXED_DELAY);
  });
});

test('legacy fake timers: schedules cannot follow them (warned, on stderr)', async () => {
  jest.useFakeTimers({ legacyFakeTimers: true });
  for (const round of [1, 2]) {
    const scheduler = pkg.createScheduler();
    scheduler.add({ name: `poll-${round}`, fixedRate: 100, run: () => {} });
    await scheduler.stop();
  }
});
