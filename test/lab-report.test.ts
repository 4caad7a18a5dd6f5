import { describe, expect, it } from 'vitest';
import { assembleReport } from '../src/cli/lab/assemble.js';
import { escapeHtml, niceStep, renderHtmlReport } from '../src/cli/lab/report-html.js';
import { TABLE_COLUMNS, renderSummary, renderTextTable } from '../src/cli/lab/report-table.js';
import type { LabSettings, Sample, WorkerResult } from '../src/cli/lab/protocol.js';
import type { StrategyOutcome } from '../src/cli/lab/runner.js';
import type { StrategyName } from '../src/cli/lab/strategies.js';
import type { DoctorFinding, DoctorReport } from '../src/doctor/index.js';

const settings: LabSettings = {
  durationMs: 2_000,
  intervalMs: 100,
  serviceTimeMs: 150,
  capacity: 1,
  strategies: ['naive-setInterval', 'naive-timer-leak', 'tickguard-serial'],
  parallel: 3,
  sampleMs: 100,
  bytesPerRequest: 512 * 1024,
  memoryCapBytes: 64 * 1024 * 1024,
};

/** Samples of a run whose in-flight count follows `inFlight(i)`, stopped after 20 samples. */
function samples(inFlight: (i: number) => number, timeouts: (i: number) => number = () => 1): Sample[] {
  return Array.from({ length: 25 }, (_, i) => ({
    t: (i + 1) * 100,
    stopping: i >= 20,
    inFlight: inFlight(i),
    started: i * 2,
    completed: i,
    skipped: 0,
    queue: Math.max(0, inFlight(i) - 1),
    handles: 3 + timeouts(i),
    handlesByType: { PipeWrap: 3, Timeout: timeouts(i) },
    heapBytes: 8_000_000 + i * 100_000,
    externalBytes: 1_000_000 + inFlight(i) * 524_288,
    eventLoopDelayP99Ms: 1.5,
    abortListeners: null,
  }));
}

function result(overrides: Partial<WorkerResult>): WorkerResult {
  return {
    peakInFlight: 1, startedRuns: 10, completedRuns: 10, failedRuns: 0, skippedTicks: 0, peakQueue: 0,
    peakHeapBytes: 9_000_000, peakExternalBytes: 2_000_000, peakMemoryBytes: 11_000_000, peakHandles: 5,
    peakTimeouts: 2, peakAbortListeners: null, eventLoopDelayP99Ms: 1.5, stoppedAtMs: 2_000, startedAfterStop: 0,
    inFlightAfterStop: 0, handlesAfterStop: { PipeWrap: 3 }, memoryCapped: false, endedEarly: false, engine: null,
    violations: [], warnings: [],
    ...overrides,
  };
}

const engine = {
  ticks: 20, started: 12, skipped: 7, buffered: 12, dropped: 1, missed: 0, succeeded: 11, aborted: 1, failed: 0,
  stopClean: true, stopDurationMs: 0.4,
};

function outcome(name: StrategyName, fields: Partial<StrategyOutcome>): StrategyOutcome {
  return { name, samples: [], result: null, error: null, doctor: null, ...fields };
}

/** A doctor's report on a worker, as the runner reads it back: only the findings and the sites matter here. */
function doctorReport(findings: DoctorFinding[]): DoctorReport {
  const context = { t: 2_500, eventLoopDelayP50Ms: 0, eventLoopDelayP99Ms: 1, heapUsedBytes: 1, handlesByType: {}, armedTimers: 0 };
  return {
    tool: 'tickguard doctor', version: '0.0.0-test', node: 'v20.0.0', pid: 1, argv: [], startedAt: '2024-05-01T12:00:00.000Z',
    watchedMs: 2_500, reason: 'exit', shutdown: { signal: 'SIGTERM', atMs: 2_000, handledByApp: true }, findings, sites: [], listeners: [],
    samples: [], context, doctorErrors: [],
  };
}

const overlapFinding: DoctorFinding = {
  kind: 'overlap', severity: 'high', site: 'src/cli/lab/strategies.ts:85:16', call: 'setInterval(() => …, 100)',
  summary: '20 runs in flight at peak, still growing', fix: "scheduler.add({ name: 'job', fixedRate: 100, overlap: 'skip', run })",
  figures: { peakInFlight: 20 },
};

const healthy: StrategyOutcome[] = [
  outcome('naive-setInterval', {
    doctor: doctorReport([overlapFinding]),
    samples: samples((i) => (i < 20 ? i + 1 : 20)),
    result: result({ peakInFlight: 20, peakQueue: 19, inFlightAfterStop: 18, handlesAfterStop: { PipeWrap: 3, Timeout: 1 } }),
  }),
  outcome('naive-timer-leak', {
    samples: samples(() => 1, (i) => i + 1),
    result: result({ peakTimeouts: 25, peakHandles: 28, skippedTicks: 9, handlesAfterStop: { PipeWrap: 3, Timeout: 20 } }),
  }),
  outcome('tickguard-serial', {
    samples: samples((i) => i % 2),
    result: result({ skippedTicks: 7, engine }),
  }),
];

const facts = { version: '0.0.0-test', startedAt: new Date('2024-05-01T12:00:00Z'), wallTimeMs: 4321, reportPath: '/tmp/r.html' };

describe('lab report assembly', () => {
  it('passes the self-check when no tickguard strategy reported a violation, and says what each strategy showed', () => {
    const report = assembleReport(settings, healthy, facts);
    expect(report.ok).toBe(true);
    expect(report.violations).toEqual([]);
    const [naive, leak, serial] = report.strategies;
    expect(naive?.maxConcurrency).toBeNull();
    expect(naive?.findings).toContain('runs in flight grew to 20, still growing at stop');
    expect(naive?.findings).toContain('18 runs still running 500ms after stop');
    expect(leak?.findings).toContain('Timeout handles grew to 25, still growing at stop');
    expect(leak?.findings).toContain('20 Timeouts still active 500ms after stop');
    expect(serial?.maxConcurrency).toBe(1);
    expect(serial?.findings).toEqual(['at most 1 run in flight (limit 1)', '7 busy ticks skipped', 'clean stop in 0.4ms, no timer left']);
  });

  it('fails the run when a worker failed, or when a tickguard strategy reported a violation', () => {
    const violation = { strategy: 'tickguard-serial', kind: 'max-concurrency', message: '2 runs in flight at 300ms, above maxConcurrency 1' } as const;
    const report = assembleReport(settings, [
      healthy[0]!,
      outcome('naive-timer-leak', { error: 'the worker exited with code 1 before reporting a result\nError: boom' }),
      outcome('tickguard-serial', { samples: samples(() => 1), result: result({ violations: [violation], engine }) }),
    ], facts);
    expect(report.ok).toBe(false);
    expect(report.violations).toEqual([
      { strategy: 'naive-timer-leak', kind: 'worker-failed', message: 'the worker exited with code 1 before reporting a result' },
      violation,
    ]);
    expect(report.strategies[1]?.status).toBe('error');
    expect(renderSummary(report)).toContain('Self-check FAILED (2 violations):');
  });
});

describe('lab comparison table', () => {
  it('aligns every column and marks tickguard rows ok, naive rows n/a', () => {
    const text = renderTextTable(assembleReport(settings, healthy, facts).strategies);
    const lines = text.split('\n');
    expect(lines).toHaveLength(2 + healthy.length);
    expect(lines[0]).toMatch(/^strategy\s+limit\s+peak in-flight/);
    // Right-aligned columns end where their header ends.
    const header = lines[0]!;
    const end = header.indexOf('peak in-flight') + 'peak in-flight'.length;
    for (const line of lines.slice(2)) expect(line[end - 1]).toMatch(/\d/);
    expect(lines[2]).toMatch(/^naive-setInterval\s+-\s+20\s/);
    expect(lines[2]).toContain('18 running, 1 timer');
    expect(lines[4]).toMatch(/\sclean\s+-\s+ok$/);
    expect(lines[3]).toMatch(/\sn\/a$/);
    // What the doctor saw: its findings' kinds, or '-' for a strategy it did not watch.
    expect(lines[2]).toMatch(/\soverlap\s+n\/a$/);
    expect(TABLE_COLUMNS.map((c) => c.header)).toContain('self-check');
  });
});

describe('lab HTML report', () => {
  const html = renderHtmlReport(assembleReport(settings, healthy, facts));

  it('draws three charts with one polyline per strategy', () => {
    expect(html.match(/<svg /g)).toHaveLength(3);
    const polylines = [...html.matchAll(/<polyline [^>]*points="([^"]*)"/g)].map((m) => m[1]!);
    expect(polylines).toHaveLength(3 * healthy.length);
    for (const points of polylines) {
      const pairs = points.split(' ');
      expect(pairs).toHaveLength(25);
      for (const pair of pairs) expect(pair).toMatch(/^\d+(\.\d)?,\d+(\.\d)?$/);
    }
  });

  it("shows what the doctor saw beside the strategy it watched, with the site and the fix", () => {
    expect(html).toContain('What the doctor saw');
    expect(html).toContain('<code>src/cli/lab/strategies.ts:85:16</code>');
    expect(html).toContain(escapeHtml("scheduler.add({ name: 'job', fixedRate: 100, overlap: 'skip', run })"));
    expect(html.match(/What the doctor saw/g)).toHaveLength(1);
    const summary = renderSummary(assembleReport(settings, healthy, facts));
    expect(summary).toContain('  doctor: overlap at src/cli/lab/strategies.ts:85:16 setInterval(() => …, 100): 20 runs in flight at peak, still growing');
  });

  it('is self-contained: no script, no stylesheet link, no remote address', () => {
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/https?:/i);
    expect(html.startsWith('<!doctype html>')).toBe(true);
  });

  it('explains every strategy and shows the table and the verdict', () => {
    for (const name of settings.strategies) expect(html).toContain(`>${name} <small>`);
    expect(html).toContain('Self-check passed');
    expect(html).toContain('<th class="right">peak in-flight</th>');
    expect(html).toContain('tickguard lab --duration 2s --interval 100ms --service-time 150ms --capacity 1');
  });

  it('escapes what it did not write itself, such as a worker error', () => {
    const report = assembleReport(settings, [outcome('tickguard-serial', { error: 'failed: <script>alert(1)</script> & "more"' })], facts);
    const page = renderHtmlReport(report);
    expect(page).not.toContain('<script>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;more&quot;');
    expect(escapeHtml(`<a href='x'>`)).toBe('&lt;a href=&#39;x&#39;&gt;');
  });

  it.each([
    [1, 4, 0.5],
    [10, 4, 5],
    [67, 4, 20],
    [3.5, 8, 0.5],
    [20, 8, 5],
    [0.3, 4, 0.1],
  ])('niceStep(%d, %d) = %d', (max, count, step) => {
    expect(niceStep(max, count)).toBeCloseTo(step, 10);
  });
});
