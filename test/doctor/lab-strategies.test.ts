/**
 * The lab's six strategies as real child processes under the doctor (`--import`, through the
 * lab's own runner): each naive one is found at the right line of strategies.ts with the right
 * kind of finding, and nothing else is reported; tickguard's three give no finding at all.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runStrategies, type StrategyOutcome } from '../../src/cli/lab/runner.js';
import { STRATEGY_NAMES, type StrategyName } from '../../src/cli/lab/strategies.js';
import { siteOf } from './run-app.js';

const STRATEGIES_FILE = 'src/cli/lab/strategies.ts';
const at = (code: string, after: string): string => siteOf('', code, STRATEGIES_FILE, after);

let outcomes: Map<StrategyName, StrategyOutcome>;

beforeAll(async () => {
  const list = await runStrategies({
    strategies: [...STRATEGY_NAMES],
    doctor: [...STRATEGY_NAMES],
    parallel: STRATEGY_NAMES.length,
    // 20 ticks/s against a downstream that serves 13/s: the avalanche shows within seconds.
    durationMs: 3_000, intervalMs: 50, serviceTimeMs: 75, capacity: 1,
    sampleMs: 200, bytesPerRequest: 1_000, memoryCapBytes: 10_000_000, graceMs: 500,
  });
  outcomes = new Map(list.map((outcome) => [outcome.name, outcome]));
}, 60_000);

const findingsOf = (name: StrategyName) => {
  const outcome = outcomes.get(name)!;
  expect(outcome.error).toBeNull();
  expect(outcome.doctor).not.toBeNull();
  expect(outcome.doctor!.doctorErrors).toEqual([]);
  return outcome.doctor!.findings;
};

describe('the doctor on the lab\'s naive strategies', () => {
  it('naive-setInterval: an overlap at its setInterval, runs piling up', () => {
    const findings = findingsOf('naive-setInterval');
    expect(findings.map((f) => [f.kind, f.site])).toEqual([['overlap', at('setInterval(() => {', 'start({ intervalMs, task }) {')]]);
    const [overlap] = findings;
    // 20 ticks/s, 13 served/s for 3s: runs pile up far past the downstream's one slot.
    expect(overlap!.figures.peakInFlight).toBeGreaterThanOrEqual(5);
    expect(overlap!.figures.overlappedTicks).toBeGreaterThanOrEqual(20);
    expect(overlap!.severity).toBe('high');
    expect(overlap!.fix).toBe("scheduler.add({ name: 'job', fixedRate: 50, overlap: 'skip', run })");
  });

  it('naive-timer-leak: a timer leak at the setTimeout of its timeout race, and no overlap (its busy flag works)', () => {
    const findings = findingsOf('naive-timer-leak');
    expect(findings.map((f) => [f.kind, f.site])).toEqual([['timer-leak', at('setTimeout(() => reject(', 'const naiveTimerLeak')]]);
    const [leak] = findings;
    expect(leak!.call).toBe('setTimeout(() => …, 300000)');
    expect(leak!.figures.armed).toBeGreaterThanOrEqual(10);
    expect(leak!.figures.cleared).toBe(0);
  });

  it('naive-rearm-listener-leak: re-armed after SIGTERM at its setTimeout, and abort listeners growing at its addEventListener', () => {
    const findings = findingsOf('naive-rearm-listener-leak');
    expect(findings.map((f) => [f.kind, f.site])).toEqual([
      ['rearmed-after-stop', at('setTimeout(() => {', 'const arm = (): void => {')],
      ['listener-growth', at("controller.signal.addEventListener('abort'", 'const arm = (): void => {')],
    ]);
    const [rearm, listeners] = findings;
    expect(rearm!.figures.rearmedAfterStop).toBeGreaterThanOrEqual(2);
    expect(listeners!.call).toBe("signal.addEventListener('abort', …)");
    expect(listeners!.figures.liveFromSite).toBeGreaterThanOrEqual(5);
    // Every listener added after stop lands on an aborted signal: it will never run.
    expect(listeners!.figures.addedAfterAbort).toBeGreaterThanOrEqual(1);
  });
});

describe('the doctor on tickguard\'s strategies', () => {
  it.each(['tickguard-serial', 'tickguard-pool-skip', 'tickguard-fixed-delay'] as const)('%s: no finding, its engine timers seen and not judged', (name) => {
    expect(findingsOf(name)).toEqual([]);
    const sites = outcomes.get(name)!.doctor!.sites;
    expect(sites.some((site) => site.guarded && site.site.startsWith('src/clock.ts:'))).toBe(true);
    expect(sites.filter((site) => !site.guarded && site.site.startsWith('src/') && !site.site.startsWith('src/cli/'))).toEqual([]);
  });
});
