/* eslint-disable @typescript-eslint/no-require-imports */
// `fakeTimers: { enableGlobally: true }`: the fake timers are installed before the package loads.
const pkg = require(process.env.TICKGUARD_BUNDLE);
const scenarios = require(process.env.TICKGUARD_SCENARIOS);

test('a TestClock advances while fake timers are on', async () => {
  expect(await scenarios.testClockRuns(pkg)).toEqual(scenarios.EXPECTED_TEST_CLOCK_RUNS);
});

test('one period gives one run; 1000 ms of a 100 ms job gives 10, on the fake Date', async () => {
  expect(await scenarios.fixedRate(pkg.createScheduler, (ms) => jest.advanceTimersByTimeAsync(ms))).toEqual(scenarios.EXPECTED_FIXED_RATE);
});
