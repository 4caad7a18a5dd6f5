/* eslint-disable @typescript-eslint/no-require-imports */
// `@sinonjs/fake-timers` with its default install, in a plain Node process: that install fakes
// `process.nextTick` and `queueMicrotask` too, which a test runner's own worker runs on (a vitest
// worker so faked may never finish its file). Prints the results as one JSON object.
const FakeTimers = require('@sinonjs/fake-timers');
const scenarios = require(process.env.TICKGUARD_SCENARIOS);

async function main() {
  const results = {};
  let clock;
  const advance = (ms) => clock.tickAsync(ms);
  const pkg = require(process.env.TICKGUARD_BUNDLE);
  clock = FakeTimers.install({ now: scenarios.T0 });
  results.fixedRate = await scenarios.fixedRate(pkg.createScheduler, advance);
  clock.uninstall();
  clock = FakeTimers.install({ now: scenarios.T0 });
  results['cron and fixedDelay'] = await scenarios.cronAndFixedDelay(pkg.createScheduler, advance);
  results.TestClock = await scenarios.testClockRuns(pkg);
  clock.uninstall();
  process.stdout.write(JSON.stringify(results));
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(String(error && error.stack));
    process.exit(1);
  },
);
