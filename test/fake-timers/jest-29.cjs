/* eslint-disable @typescript-eslint/no-require-imports */
// jest 29's modern fake timers (`@jest/fake-timers` 29, on `@sinonjs/fake-timers` 10) with jest's
// default configuration, in a plain Node process: each case prints its result as one JSON line.
const { ModernFakeTimers } = require('jest-fake-timers-29');
const scenarios = require(process.env.TICKGUARD_SCENARIOS);

const timers = new ModernFakeTimers({ global: globalThis, config: { fakeTimers: {}, rootDir: __dirname } });
const advance = (ms) => timers.advanceTimersByTimeAsync(ms);

async function main() {
  const results = {};
  for (const [label, config] of [['default', {}], ['performance not faked', { doNotFake: ['performance'] }]]) {
    const pkg = require(process.env.TICKGUARD_BUNDLE);
    timers.useFakeTimers({ now: scenarios.T0, ...config });
    results[`${label}: fixedRate`] = await scenarios.fixedRate(pkg.createScheduler, advance);
    timers.useRealTimers();
    timers.useFakeTimers({ now: scenarios.T0, ...config });
    results[`${label}: cron and fixedDelay`] = await scenarios.cronAndFixedDelay(pkg.createScheduler, advance);
    timers.useRealTimers();
  }
  // As with `fakeTimers.enableGlobally`: the package loads while the fake timers are installed.
  timers.useFakeTimers({ now: scenarios.T0 });
  delete require.cache[require.resolve(process.env.TICKGUARD_BUNDLE)];
  const pkg = require(process.env.TICKGUARD_BUNDLE);
  results['loaded while installed: TestClock'] = await scenarios.testClockRuns(pkg);
  results['loaded while installed: fixedRate'] = await scenarios.fixedRate(pkg.createScheduler, advance);
  timers.useRealTimers();
  process.stdout.write(JSON.stringify(results));
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(String(error && error.stack));
    process.exit(1);
  },
);
