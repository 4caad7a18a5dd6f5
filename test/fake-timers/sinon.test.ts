// @sinonjs/fake-timers used directly: its default install, a toFake list without `performance`,
// and the TestClock loaded through `require` (sinon then also replaces the `timers` module's functions).
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import FakeTimers from '@sinonjs/fake-timers';
import { createScheduler } from '../../src/index.js';
import { buildCommonJsBundle } from './bundle.js';
import { cronAndFixedDelay, EXPECTED_CRON_AND_FIXED_DELAY, EXPECTED_FIXED_RATE, EXPECTED_TEST_CLOCK_RUNS, fixedRate, T0, testClockRuns } from './scenarios.js';

type Package = typeof import('../../src/index.js');
type InstalledClock = ReturnType<typeof FakeTimers.install>;

let clock: InstalledClock | undefined;
const advance = (ms: number) => clock!.tickAsync(ms).then(() => undefined);

afterEach(() => {
  clock?.uninstall();
  clock = undefined;
});

const ALL_BUT_PERFORMANCE = ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'Date', 'hrtime'] as const;

describe.each([
  ['default install', {}],
  ['toFake without performance', { toFake: [...ALL_BUT_PERFORMANCE] }],
])('FakeTimers.install(): %s', (_label, config) => {
  it('advancing one period gives one run; 1000 ms of a 100 ms job gives 10, on the fake Date', async () => {
    clock = FakeTimers.install({ now: T0, ...config });
    expect(await fixedRate(createScheduler, advance)).toEqual(EXPECTED_FIXED_RATE);
  });

  it('cron follows the fake Date; fixedDelay waits on the fake clock', async () => {
    clock = FakeTimers.install({ now: T0, ...config });
    expect(await cronAndFixedDelay(createScheduler, advance)).toEqual(EXPECTED_CRON_AND_FIXED_DELAY);
  });
});

describe('a TestClock while sinon fakes timers, loaded through require', () => {
  let bundle: string;
  beforeAll(() => {
    bundle = buildCommonJsBundle();
  });

  it('advance() resolves when the fake timers were installed after the package was loaded', { timeout: 5_000 }, async () => {
    const pkg = createRequire(import.meta.url)(bundle) as Package;
    clock = FakeTimers.install({ now: T0 });
    expect(await testClockRuns(pkg)).toEqual(EXPECTED_TEST_CLOCK_RUNS);
  });

  it('advance() resolves when the package is loaded while fake timers are installed', { timeout: 5_000 }, async () => {
    clock = FakeTimers.install({ now: T0 });
    const require = createRequire(import.meta.url);
    delete require.cache[bundle];
    const pkg = require(bundle) as Package;
    expect(await testClockRuns(pkg)).toEqual(EXPECTED_TEST_CLOCK_RUNS);
  });
});
