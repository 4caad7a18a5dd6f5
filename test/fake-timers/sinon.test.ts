// @sinonjs/fake-timers used directly: its default install, a toFake list without `performance`,
// and the TestClock loaded through `require` (sinon then also replaces the `timers` module's functions).
// Its default install also fakes `process.nextTick` and `queueMicrotask`, which vitest's worker runs
// on: in this file they stay real, and the default install itself runs in a plain Node process.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
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

/** The default install, but for the queues vitest's worker needs to finish the file. */
const VITEST_SAFE = { toNotFake: ['nextTick', 'queueMicrotask'] } satisfies Parameters<typeof FakeTimers.install>[0];

const ALL_BUT_PERFORMANCE = ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'Date', 'hrtime'] as const;

describe.each([
  ['default install (nextTick and queueMicrotask real)', VITEST_SAFE],
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
    clock = FakeTimers.install({ now: T0, ...VITEST_SAFE });
    expect(await testClockRuns(pkg)).toEqual(EXPECTED_TEST_CLOCK_RUNS);
  });

  it('advance() resolves when the package is loaded while fake timers are installed', { timeout: 5_000 }, async () => {
    clock = FakeTimers.install({ now: T0, ...VITEST_SAFE });
    const require = createRequire(import.meta.url);
    delete require.cache[bundle];
    const pkg = require(bundle) as Package;
    expect(await testClockRuns(pkg)).toEqual(EXPECTED_TEST_CLOCK_RUNS);
  });
});

describe('FakeTimers.install() with its defaults, in a plain Node process', () => {
  it('gives the expected runs, and a TestClock advances under it', () => {
    const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
    const env = { ...process.env, TICKGUARD_BUNDLE: buildCommonJsBundle(), TICKGUARD_SCENARIOS: buildCommonJsBundle('test/fake-timers/scenarios.ts') };
    const run = spawnSync(process.execPath, [here('sinon-default.cjs')], { env, encoding: 'utf8', timeout: 30_000 });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ fixedRate: EXPECTED_FIXED_RATE, 'cron and fixedDelay': EXPECTED_CRON_AND_FIXED_DELAY, TestClock: EXPECTED_TEST_CLOCK_RUNS });
  });
});

describe('a scheduler made on the real timers, re-armed on sinon\'s (which leaves native timers to their own clearTimeout)', () => {
  it('clears its real timer: none is left to hold the process once it stops', async () => {
    const timeouts = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timeouts();
    const scheduler = createScheduler();
    scheduler.add({ name: 'hourly', fixedRate: '1h', run: () => {} });
    expect(timeouts()).toBe(before + 1);
    clock = FakeTimers.install({ ...VITEST_SAFE });
    scheduler.add({ name: 'poll', fixedRate: 100, run: () => {} }); // due first: re-armed on the fake clock
    await advance(100);
    await scheduler.stop();
    clock.uninstall();
    clock = undefined;
    expect(timeouts()).toBe(before);
  });
});
