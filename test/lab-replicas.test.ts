/** The replicas scene's pure parts: its window, its counting, its report, table and HTML. */
import { describe, expect, it } from 'vitest';
import { assembleReport, replicasReport } from '../src/cli/lab/assemble.js';
import { checkTokens, countGroup, formatSpread, planWindow, type SceneWindow } from '../src/cli/lab/replicas-count.js';
import type { ReplicasOutcome } from '../src/cli/lab/replicas.js';
import { renderHtmlReport } from '../src/cli/lab/report-html.js';
import { renderReplicasSummary, renderSummary } from '../src/cli/lab/report-table.js';
import { maskUrl, newNamespace, storeCandidates } from '../src/cli/lab/stores.js';
import type { LabSettings, ReplicaGroup, ReplicaRun } from '../src/cli/lab/protocol.js';

const INTERVAL = 100;
/** Ten ticks from 10_000 (epoch ms); a replica of each group was killed after the fifth. */
const window: SceneWindow = { startMs: 10_000, endMs: 11_000, intervalMs: INTERVAL, killAtMs: 10_465 };

const run = (group: ReplicaGroup, replica: number, k: number, token: number | null = null): ReplicaRun => ({
  group, replica, slot: window.startMs + k * INTERVAL, token,
});

/** What a healthy scene records: naive 3 runs per tick then 2, coordinated 1 per tick with rising tokens. */
function healthyRuns(): ReplicaRun[] {
  const runs: ReplicaRun[] = [];
  for (let k = 0; k < 10; k += 1) {
    for (let replica = 1; replica <= (k < 5 ? 3 : 2); replica += 1) runs.push(run('naive', replica, k));
    runs.push(run('coordinated', k < 5 ? (k % 3) + 1 : (k % 2) + 1, k, 1_000 + k));
  }
  return runs;
}

describe('replicas scene: window', () => {
  it('opens on a tick after the lead, and kills and stops between two ticks once the run before has ended', () => {
    const plan = planWindow(10_050, 100, 1_000, 30, 300);
    expect(plan.startMs).toBe(10_400);
    expect(plan.endMs).toBe(11_400);
    // After the run of the fifth tick (10_800 + 30ms) and before the sixth (10_900).
    expect(plan.killAtMs).toBe(10_865);
    expect(plan.stopAtMs).toBe(11_365);
    expect(countGroup('naive', 3, [], plan).ticks).toBe(10);
  });
});

describe('replicas scene: counting', () => {
  it('counts runs per tick, duplicates and misses, before and after the kill', () => {
    const naive = countGroup('naive', 3, healthyRuns(), window);
    expect(naive).toMatchObject({
      ticks: 10, runs: 25, duplicateTicks: 10, extraRuns: 15, missedTicks: 0,
      beforeKill: { ticks: 5, min: 3, max: 3, mean: 3 },
      afterKill: { ticks: 5, min: 2, max: 2, mean: 2 },
      runsByReplica: [10, 10, 5],
      tokens: null,
      tokenPoints: [],
    });
    expect(naive.perTick[0]).toEqual({ t: 0, replicas: [1, 2, 3] });
    expect(naive.perTick[9]).toEqual({ t: 900, replicas: [1, 2] });

    const coordinated = countGroup('coordinated', 3, healthyRuns(), window);
    expect(coordinated).toMatchObject({
      ticks: 10, runs: 10, duplicateTicks: 0, extraRuns: 0, missedTicks: 0,
      beforeKill: { min: 1, max: 1 }, afterKill: { min: 1, max: 1 },
      tokens: { count: 10, missing: 0, increasing: true, firstDecreaseAtMs: null, first: 1_000, last: 1_009 },
    });
    expect(coordinated.tokenPoints[0]).toEqual({ t: 0, token: 1_000, replica: 1 });
  });

  it('ignores runs outside the window, off the tick grid, and of the other group', () => {
    const figures = countGroup('coordinated', 3, [
      run('coordinated', 1, -1, 1), // before the window opened
      run('coordinated', 2, 10, 2), // at its end: not counted
      { group: 'coordinated', replica: 1, slot: window.startMs + 50, token: 3 }, // not a slot of this interval
      run('naive', 1, 0),
      run('coordinated', 3, 4, 4),
    ], window);
    expect(figures).toMatchObject({ runs: 1, missedTicks: 9, duplicateTicks: 0, runsByReplica: [0, 0, 1] });
    expect(figures.beforeKill).toEqual({ ticks: 5, min: 0, max: 1, mean: 0.2 });
  });

  it('sees a tick run twice, and a fencing token that did not rise', () => {
    const runs = [run('coordinated', 1, 0, 10), run('coordinated', 2, 1, 11), run('coordinated', 3, 1, 12), run('coordinated', 1, 2, 12)];
    const figures = countGroup('coordinated', 3, runs, window);
    expect(figures.duplicateTicks).toBe(1);
    expect(figures.perTick[1]).toEqual({ t: 100, replicas: [2, 3] });
    expect(figures.tokens).toMatchObject({ increasing: false, firstDecreaseAtMs: 200 });
    expect(checkTokens([run('coordinated', 1, 0, null), run('coordinated', 1, 1, 5)], window.startMs)).toEqual({
      count: 1, missing: 1, increasing: true, firstDecreaseAtMs: null, first: 5, last: 5,
    });
  });

  it('writes runs per tick as one number, or a range with its mean', () => {
    expect(formatSpread({ ticks: 4, min: 3, max: 3, mean: 3 })).toBe('3');
    expect(formatSpread({ ticks: 4, min: 2, max: 3, mean: 2.75 })).toBe('2–3 (avg 2.8)');
    expect(formatSpread({ ticks: 0, min: 0, max: 0, mean: 0 })).toBe('-');
  });
});

describe('replicas scene: stores', () => {
  it('tries the stores given, Redis first, or else the local Redis then the local PostgreSQL', () => {
    expect(storeCandidates(null, null)).toEqual([
      { kind: 'redis', url: 'redis://127.0.0.1:6379' },
      { kind: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/test' },
    ]);
    expect(storeCandidates(null, 'postgres://db/x')).toEqual([{ kind: 'postgres', url: 'postgres://db/x' }]);
    expect(storeCandidates('redis://r', 'postgres://db/x').map((c) => c.kind)).toEqual(['redis', 'postgres']);
  });

  it('gives each run its own namespace, a valid schema name for PostgreSQL, and masks passwords', () => {
    expect(newNamespace('redis')).toMatch(/^tickguard-lab:\d+_[0-9a-f]{8}:$/);
    expect(newNamespace('postgres')).toMatch(/^tickguard_lab_\d+_[0-9a-f]{8}$/);
    expect(newNamespace('redis')).not.toBe(newNamespace('redis'));
    expect(maskUrl('redis://:hunter2@cache:6379/0')).toBe('redis://:***@cache:6379/0');
    expect(maskUrl('postgres://postgres@127.0.0.1:5432/test')).toBe('postgres://postgres@127.0.0.1:5432/test');
  });
});

const store = { kind: 'redis', url: 'redis://:secret@127.0.0.1:6379', namespace: 'tickguard-lab:1_abcd:' } as const;

function outcome(runs: readonly ReplicaRun[], overrides: Partial<ReplicasOutcome> = {}): ReplicasOutcome {
  const ends = (['naive', 'coordinated'] as const).flatMap((group) =>
    [1, 2, 3].map((replica) => ({ group, replica, killed: replica === 3, error: null, skipped: {} })),
  );
  return {
    settings: { store, intervalMs: INTERVAL, runMs: 30, durationMs: 1_000 },
    window, runs, ends, error: null, cleanedUp: true,
    ...overrides,
  };
}

const settings: LabSettings = {
  durationMs: 2_000, intervalMs: 100, serviceTimeMs: 150, capacity: 1, strategies: [], parallel: 1,
  sampleMs: 100, bytesPerRequest: 1, memoryCapBytes: 1,
};
const facts = { version: '0.0.0-test', startedAt: new Date('2024-05-01T12:00:00Z'), wallTimeMs: 1, reportPath: null };

describe('replicas scene: report', () => {
  it('passes when the coordinated group ran each tick once, and says so in plain words', () => {
    const scene = replicasReport({ kind: 'ran', outcome: outcome(healthyRuns()) });
    expect(scene.status).toBe('ok');
    expect(scene.violations).toEqual([]);
    expect(scene.store?.url).toBe('redis://:***@127.0.0.1:6379');
    expect(scene).toMatchObject({ durationMs: 1_000, killAtMs: 465, killedReplica: 3, cleanedUp: true });
    expect(scene.findings[0]).toBe('No coordinator: every replica ran every tick, 3 runs per tick, 2 after replica 3 was killed; all 10 ticks ran more than once (25 runs for 10 ticks, 15 too many).');
    expect(scene.findings[1]).toContain('Through Redis: each tick ran once across the replicas, 1 per tick before the kill and 1 after; none was missed;');
    expect(scene.findings[1]).toContain('their 10 fencing tokens rose strictly from run to run');
    expect(scene.findings.at(-1)).toContain('no tick ran twice and none was lost');

    const summary = renderReplicasSummary(scene)!;
    expect(summary).toMatch(/^naive\s+none\s+10\s+25\s+3\s+2\s+10\s+0\s+-\s+n\/a$/m);
    expect(summary).toMatch(/^coordinated\s+redis\s+10\s+10\s+1\s+1\s+0\s+0\s+10, strictly increasing\s+ok$/m);
    expect(summary).not.toContain('secret');
    const report = assembleReport(settings, [], { ...facts, replicas: { kind: 'ran', outcome: outcome(healthyRuns()) } });
    expect(report.ok).toBe(true);
    expect(renderSummary(report)).toContain('and no coordinated replica ran a tick twice.');
  });

  it('fails the lab when a coordinated tick ran twice, or a token did not rise: the exit code becomes 1', () => {
    const runs = [...healthyRuns(), run('coordinated', 2, 3, 1_003)];
    const report = assembleReport(settings, [], { ...facts, replicas: { kind: 'ran', outcome: outcome(runs) } });
    expect(report.ok).toBe(false);
    expect(report.replicas.status).toBe('failed');
    expect(report.violations.map((v) => [v.strategy, v.kind])).toEqual([['replicas', 'tick-run-twice'], ['replicas', 'fencing-order']]);
    expect(report.violations[0]!.message).toBe('1 tick ran more than once across the coordinated replicas (the first, due at +300ms, by replicas 1, 2)');
    expect(renderSummary(report)).toContain('Self-check FAILED (2 violations):');
    expect(renderReplicasSummary(report.replicas)).toMatch(/^coordinated\s.*\sFAIL$/m);
  });

  it('fails on a replica that died unasked or a scene that could not start, but not on the replicas it killed', () => {
    const ends = outcome(healthyRuns()).ends.map((end) => (end.group === 'naive' && end.replica === 1 ? { ...end, error: 'the replica exited with code 1' } : end));
    const crashed = replicasReport({ kind: 'ran', outcome: outcome(healthyRuns(), { ends }) });
    expect(crashed.violations).toEqual([{ strategy: 'replicas', kind: 'worker-failed', message: 'naive replica 1: the replica exited with code 1' }]);
    const unstarted = replicasReport({ kind: 'ran', outcome: outcome([], { window: null, error: 'coordinated replica 2 did not start: boom' }) });
    expect(unstarted.status).toBe('failed');
    expect(unstarted.groups).toEqual([]);
    expect(unstarted.violations.map((v) => v.kind)).toEqual(['scene-failed']);
    expect(renderReplicasSummary(unstarted)).toContain('Replicas scene FAILED through Redis');
  });

  it('counts missed coordinated ticks without failing, and names the store failures behind them', () => {
    const runs = healthyRuns().filter((r) => !(r.group === 'coordinated' && r.slot === window.startMs + 700));
    const ends = outcome(runs).ends.map((end) => (end.group === 'coordinated' ? { ...end, skipped: { 'claimed-elsewhere': 6, 'claim-timeout': 1 } } : end));
    const scene = replicasReport({ kind: 'ran', outcome: outcome(runs, { ends }) });
    expect(scene.status).toBe('ok');
    expect(scene.groups[1]!.missedTicks).toBe(1);
    expect(scene.findings).toContain('Redis did not answer every claim: 3 ticks skipped as claim-timeout (coordination fails closed).');
    expect(scene.findings.at(-1)).toContain('no tick ran twice, though 1 tick ran nowhere');
  });

  it('says in one line how to enable the scene when no store answered, and nothing when it was turned off', () => {
    const skipped = replicasReport({
      kind: 'skipped',
      tried: storeCandidates(null, null),
      failures: [
        { url: 'redis://127.0.0.1:6379', error: 'connect ECONNREFUSED 127.0.0.1:6379' },
        { url: 'postgres://postgres@127.0.0.1:5432/test', error: 'connect ECONNREFUSED 127.0.0.1:5432' },
      ],
    });
    expect(skipped.status).toBe('skipped');
    expect(skipped.violations).toEqual([]);
    expect(skipped.note).not.toContain('\n');
    expect(skipped.note).toBe('Replicas scene skipped: no store answered (redis://127.0.0.1:6379: connect ECONNREFUSED 127.0.0.1:6379; postgres://postgres@127.0.0.1:5432/test: connect ECONNREFUSED 127.0.0.1:5432). To see 3 replicas run each tick once, start Redis or PostgreSQL there, or give --redis <url> or --postgres <url>.');
    expect(renderReplicasSummary(skipped)).toBe(skipped.note);
    const uninstalled = replicasReport({
      kind: 'skipped',
      tried: storeCandidates(null, null),
      failures: [
        { url: 'redis://127.0.0.1:6379', error: 'ioredis is not installed (npm install ioredis)' },
        { url: 'postgres://postgres@127.0.0.1:5432/test', error: 'pg is not installed (npm install pg)' },
      ],
    });
    expect(uninstalled.note).toMatch(/To see 3 replicas run each tick once, install ioredis or pg next to tickguard \(npm install ioredis\)\.$/);
    const off = replicasReport({ kind: 'off', flag: '--no-replicas' });
    expect(renderReplicasSummary(off)).toBeNull();
    expect(assembleReport(settings, [], facts).replicas.status).toBe('off');
  });
});

describe('replicas scene: HTML', () => {
  it('draws runs per tick, who ran each tick and the fencing tokens, next to the table and what they show', () => {
    const html = renderHtmlReport(assembleReport(settings, [], { ...facts, replicas: { kind: 'ran', outcome: outcome(healthyRuns()) } }));
    const section = html.slice(html.indexOf('<section id="replicas">'));
    expect(section.match(/<svg /g)).toHaveLength(3);
    expect(section.match(/<polyline /g)).toHaveLength(3); // naive and coordinated runs per tick, then the tokens
    expect(section.match(/<g class="runs naive"[^>]*>(.*?)<\/g>/)![1]!.match(/<circle /g)).toHaveLength(25);
    expect(section.match(/<g class="runs coordinated"[^>]*>(.*?)<\/g>/)![1]!.match(/<circle /g)).toHaveLength(10);
    expect(section).toContain('replica 3 killed');
    expect(section).toContain('<table class="replicas">');
    expect(section).toContain('The coordinated replicas kept their promise');
    expect(section).toContain('redisCoordinator({ client: new Redis(url) })');
    expect(section).not.toContain('secret');
    expect(html).toContain('--redis redis://:***@127.0.0.1:6379');
  });

  it('shows the one line of a skipped scene instead', () => {
    const html = renderHtmlReport(assembleReport(settings, [], {
      ...facts,
      replicas: { kind: 'skipped', tried: storeCandidates(null, null), failures: [{ url: 'redis://127.0.0.1:6379', error: 'refused' }] },
    }));
    const section = html.slice(html.indexOf('<section id="replicas">'));
    expect(section).toContain('Replicas scene skipped: no store answered');
    expect(section).not.toContain('<svg');
  });
});
