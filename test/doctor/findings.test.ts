/** The doctor's rules on plain figures: what each finding needs, and what a healthy pattern never shows. */
import { describe, expect, it } from 'vitest';
import { diagnose, stillGrowing } from '../../src/doctor/findings.js';
import type { DoctorListenerReport, DoctorSiteReport } from '../../src/doctor/index.js';

function site(overrides: Partial<DoctorSiteReport>): DoctorSiteReport {
  return {
    site: 'src/app.js:10:3', kind: 'setInterval', call: 'setInterval(refresh, 100)', delayMs: 100, guarded: false, library: false,
    created: 1, cleared: 0, fired: 0, staleClears: 0, armed: 1, peakArmed: 1, ticks: 50, asyncRuns: 50,
    inFlight: 0, peakInFlight: 1, overlappedTicks: 0, chain: false, createdAfterShutdown: 0, rearmedAfterStop: 0,
    armedFromBeforeShutdown: 0, points: [], ...overrides,
  };
}

function listener(overrides: Partial<DoctorListenerReport>): DoctorListenerReport {
  return {
    site: 'src/app.js:20:5', library: false, target: 'AbortSignal', event: 'abort', limit: 10, peak: 30, live: 30, liveFromSite: 20,
    addsPastLimit: 20, addedAfterAbort: 0, firstAtMs: 0, lastAtMs: 1_000, ...overrides,
  };
}

const input = (sites: DoctorSiteReport[], listeners: DoctorListenerReport[] = [], shutdown: { signal: string; atMs: number; handledByApp: boolean } | null = null) =>
  ({ sites, listeners, shutdown, nowMs: 5_000 });

const growingInFlight = [[0, 1, 1], [1_000, 1, 5], [2_000, 1, 10], [3_000, 1, 20]] as const;

describe('doctor rules', () => {
  it('overlap: a run started while another was in flight, with the fix in tickguard terms', () => {
    const [finding, ...rest] = diagnose(input([site({ overlappedTicks: 40, peakInFlight: 20, inFlight: 20, points: [...growingInFlight] })]));
    expect(rest).toEqual([]);
    expect(finding).toEqual({
      kind: 'overlap', severity: 'high', site: 'src/app.js:10:3', call: 'setInterval(refresh, 100)',
      summary: '20 runs in flight at peak, still growing; 40 of 50 ticks started a run while one was still in flight (20 in flight now)',
      fix: "scheduler.add({ name: 'refresh', fixedRate: 100, overlap: 'skip', run })",
      figures: { peakInFlight: 20, inFlight: 20, overlappedTicks: 40, ticks: 50, stillGrowing: true },
    });
  });

  it('overlap of a re-armed chain gets fixedDelay; independent one-shot timers at one site are no chain and no overlap', () => {
    const chain = site({ kind: 'setTimeout', call: 'setTimeout(tick, 100)', chain: true, overlappedTicks: 3, peakInFlight: 2 });
    expect(diagnose(input([chain])).map((f) => [f.kind, f.severity, f.fix])).toEqual([['overlap', 'medium', "scheduler.add({ name: 'tick', fixedDelay: 100, run })"]]);
    expect(diagnose(input([{ ...chain, chain: false }]))).toEqual([]);
  });

  it('judges growth while the app ran, not while it drained after shutdown', () => {
    const draining = site({ overlappedTicks: 5, peakInFlight: 2, points: [[0, 1, 1], [1_000, 1, 1], [2_000, 1, 1], [3_000, 0, 2], [4_000, 0, 9]] });
    expect(diagnose(input([draining], [], { signal: 'SIGTERM', atMs: 2_500, handledByApp: true }))[0]?.figures.stillGrowing).toBe(false);
    expect(diagnose(input([draining]))[0]?.figures.stillGrowing).toBe(true);
  });

  it('timer leak: many armed and still growing; many armed but flat is no leak', () => {
    const points = [[0, 1, 0], [1_000, 10, 0], [2_000, 20, 0], [3_000, 40, 0]] as const;
    const leaking = site({ kind: 'setTimeout', call: 'setTimeout(() => …, 300000)', delayMs: 300_000, armed: 40, created: 40, points: [...points] });
    expect(diagnose(input([leaking])).map((f) => [f.kind, f.summary])).toEqual([
      ['timer-leak', '40 timers created here are still armed and their number keeps growing (40 created, 0 cleared, 0 fired)'],
    ]);
    expect(diagnose(input([{ ...leaking, points: [[0, 40, 0], [1_000, 40, 0], [2_000, 40, 0], [3_000, 40, 0]] }]))).toEqual([]);
    expect(diagnose(input([{ ...leaking, armed: 9 }]))).toEqual([]);
  });

  it('re-armed after stop needs a shutdown and two re-arms; armed at shutdown needs the app to handle the signal', () => {
    const rearmed = site({ kind: 'setTimeout', rearmedAfterStop: 5, createdAfterShutdown: 5 });
    const sigterm = { signal: 'SIGTERM', atMs: 1_000, handledByApp: true };
    expect(diagnose(input([rearmed], [], sigterm)).map((f) => f.kind)).toEqual(['rearmed-after-stop']);
    expect(diagnose(input([rearmed]))).toEqual([]);
    expect(diagnose(input([{ ...rearmed, rearmedAfterStop: 1 }], [], sigterm))).toEqual([]);
    const left = site({ armedFromBeforeShutdown: 1 });
    expect(diagnose(input([left], [], sigterm)).map((f) => [f.kind, f.summary])).toEqual([['armed-at-shutdown', '1 interval still armed 4000ms after SIGTERM']]);
    expect(diagnose(input([left], [], { ...sigterm, handledByApp: false }))).toEqual([]);
  });

  it('listener growth: past the limit, still attached, and mostly this site\'s own', () => {
    expect(diagnose(input([], [listener({})])).map((f) => f.kind)).toEqual(['listener-growth']);
    expect(diagnose(input([], [listener({ live: 10 })]))).toEqual([]);
    expect(diagnose(input([], [listener({ liveFromSite: 1 })]))).toEqual([]);
  });

  it('never judges the timers of tickguard\'s own engine, and ranks by severity then size', () => {
    const avalanche = site({ overlappedTicks: 40, peakInFlight: 20 });
    expect(diagnose(input([{ ...avalanche, guarded: true }]))).toEqual([]);
    const small = site({ site: 'src/b.js:1:1', overlappedTicks: 2, peakInFlight: 2 });
    const findings = diagnose(input([small, avalanche], [listener({})]));
    expect(findings.map((f) => [f.severity, f.site])).toEqual([['high', 'src/app.js:10:3'], ['medium', 'src/app.js:20:5'], ['medium', 'src/b.js:1:1']]);
  });

  it('never judges a site a library armed from its own callbacks: the fix is the library\'s', () => {
    const avalanche = site({ site: 'node_modules/pool/index.js:9:21', overlappedTicks: 40, peakInFlight: 20 });
    const growth = listener({ site: 'node_modules/pool/index.js:30:7' });
    expect(diagnose(input([{ ...avalanche, library: true }], [{ ...growth, library: true }]))).toEqual([]);
    expect(diagnose(input([avalanche], [growth])).map((f) => f.kind)).toEqual(['overlap', 'listener-growth']);
  });

  it('stillGrowing wants three points and a real rise', () => {
    expect(stillGrowing([[0, 1, 0], [1, 50, 0]], (p) => p[1])).toBe(false);
    expect(stillGrowing([[0, 1, 0], [1, 2, 0], [2, 3, 0]], (p) => p[1])).toBe(false);
    expect(stillGrowing([[0, 1, 0], [1, 2, 0], [2, 6, 0]], (p) => p[1])).toBe(true);
  });
});
