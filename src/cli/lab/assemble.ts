/**
 * Turns the runner's raw outcomes into the lab report: per strategy its figures, what they
 * show in a few words ("findings"), and its violations; for the run, whether the self-check
 * passed. Pure: everything printed or rendered comes from here.
 */
import type { GroupFigures, LabReport, LabSettings, ReplicasReport, Sample, StrategyReport, Violation, WorkerResult } from './protocol.js';
import type { StrategyOutcome } from './runner.js';
import { STRATEGIES } from './strategies.js';
import { formatBytes, formatMs, plural } from './format.js';
import { countGroup, formatSpread } from './replicas-count.js';
import { KILLED_REPLICA, REPLICAS_PER_GROUP, type ReplicasOutcome } from './replicas.js';
import { maskUrl, type StoreCandidate } from './stores.js';

/** What the report says about the run beyond the outcomes. */
export interface RunFacts {
  readonly version: string;
  readonly startedAt: Date;
  readonly wallTimeMs: number;
  /** Where the HTML report goes, or `null`. */
  readonly reportPath: string | null;
  /** What became of the replicas scene. @default not asked for */
  readonly replicas?: ReplicasInput;
}

/** The replicas scene as the lab saw it: not asked for, skipped for want of a store, or run. */
export type ReplicasInput =
  | { readonly kind: 'off'; readonly flag: string }
  | { readonly kind: 'skipped'; readonly tried: readonly StoreCandidate[]; readonly failures: readonly { readonly url: string; readonly error: string }[] }
  | { readonly kind: 'ran'; readonly outcome: ReplicasOutcome };

const EMPTY_RESULT: WorkerResult = {
  peakInFlight: 0, startedRuns: 0, completedRuns: 0, failedRuns: 0, skippedTicks: 0, peakQueue: 0,
  peakHeapBytes: 0, peakExternalBytes: 0, peakMemoryBytes: 0, peakHandles: 0, peakTimeouts: 0,
  peakAbortListeners: null, eventLoopDelayP99Ms: 0, stoppedAtMs: 0, startedAfterStop: 0,
  inFlightAfterStop: 0, handlesAfterStop: {}, memoryCapped: false, endedEarly: false, engine: null,
  violations: [], warnings: [],
};

/** Builds the report of a lab run. */
export function assembleReport(settings: LabSettings, outcomes: readonly StrategyOutcome[], facts: RunFacts): LabReport {
  const strategies = outcomes.map((outcome) => strategyReport(settings, outcome));
  const replicas = replicasReport(facts.replicas ?? { kind: 'off', flag: '--replicas=off' });
  const violations = [...strategies.flatMap((strategy) => strategy.violations), ...replicas.violations];
  return {
    tool: 'tickguard lab',
    version: facts.version,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    startedAt: facts.startedAt.toISOString(),
    wallTimeMs: Math.round(facts.wallTimeMs),
    config: settings,
    strategies,
    violations,
    ok: violations.length === 0,
    report: facts.reportPath,
    replicas,
  };
}

const STORE_NAMES = { redis: 'Redis', postgres: 'PostgreSQL' } as const;
/** Skip reasons that mean the store did not answer a claim: they explain missed ticks. */
const STORE_FAILURES = ['coordinator-unavailable', 'claim-failed', 'claim-timeout'];

/** The replicas scene's figures, findings and violations. */
export function replicasReport(input: ReplicasInput): ReplicasReport {
  const empty = {
    store: null, replicasPerGroup: REPLICAS_PER_GROUP, intervalMs: 0, runMs: 0, durationMs: 0, killAtMs: null,
    killedReplica: null, groups: [], replicaEnds: [], findings: [], violations: [], cleanedUp: null,
  } as const;
  if (input.kind === 'off') return { ...empty, status: 'off', note: `Replicas scene not run (${input.flag}).` };
  if (input.kind === 'skipped') return { ...empty, status: 'skipped', note: skippedNote(input.tried, input.failures) };

  const { outcome } = input;
  const { settings, window } = outcome;
  const store = { ...settings.store, url: maskUrl(settings.store.url) };
  const storeName = STORE_NAMES[store.kind];
  const violations: Violation[] = [];
  const fail = (kind: Violation['kind'], message: string): void => {
    violations.push({ strategy: 'replicas', kind, message });
  };
  if (outcome.error !== null) fail('scene-failed', outcome.error);
  for (const end of outcome.ends) {
    if (end.error !== null) fail('worker-failed', `${end.group} replica ${end.replica}: ${end.error}`);
  }
  const groups = window === null ? [] : (['naive', 'coordinated'] as const).map((group) => countGroup(group, REPLICAS_PER_GROUP, outcome.runs, window));
  const [naive, coordinated] = groups;
  const findings: string[] = [];
  if (naive !== undefined && coordinated !== undefined) {
    for (const group of groups) {
      if (group.runs === 0) fail('scene-failed', `the ${group.group} replicas ran none of the ${group.ticks} ticks`);
    }
    if (coordinated.duplicateTicks > 0) {
      const first = coordinated.perTick.find((tick) => tick.replicas.length > 1)!;
      fail('tick-run-twice', `${plural(coordinated.duplicateTicks, 'tick')} ran more than once across the coordinated replicas (the first, due at +${formatMs(first.t)}, by replicas ${first.replicas.join(', ')})`);
    }
    const tokens = coordinated.tokens!;
    if (!tokens.increasing) fail('fencing-order', `a fencing token was not above the one before, at the tick due at +${formatMs(tokens.firstDecreaseAtMs!)}`);
    if (tokens.missing > 0) fail('fencing-order', `${plural(tokens.missing, 'coordinated run')} had no fencing token`);
    findings.push(naiveFinding(naive), coordinatedFinding(coordinated, storeName));
    const storeSkips = outcome.ends
      .filter((end) => end.group === 'coordinated')
      .flatMap((end) => Object.entries(end.skipped).filter(([reason]) => STORE_FAILURES.includes(reason)));
    if (storeSkips.length > 0) {
      const byReason = new Map<string, number>();
      for (const [reason, n] of storeSkips) byReason.set(reason, (byReason.get(reason) ?? 0) + n);
      findings.push(`${storeName} did not answer every claim: ${[...byReason].map(([reason, n]) => `${plural(n, 'tick')} skipped as ${reason}`).join(', ')} (coordination fails closed).`);
    }
    findings.push(whatItShows(naive, coordinated, storeName));
  }
  return {
    status: violations.length === 0 ? 'ok' : 'failed',
    note: violations.length === 0
      ? `Replicas scene: ${REPLICAS_PER_GROUP} replicas without a coordinator vs ${REPLICAS_PER_GROUP} through ${storeName} (${store.url}).`
      : `Replicas scene FAILED through ${storeName} (${store.url}): ${violations[0]!.message}`,
    store,
    replicasPerGroup: REPLICAS_PER_GROUP,
    intervalMs: settings.intervalMs,
    runMs: settings.runMs,
    durationMs: window === null ? settings.durationMs : window.endMs - window.startMs,
    killAtMs: window === null ? null : window.killAtMs - window.startMs,
    killedReplica: KILLED_REPLICA,
    groups,
    replicaEnds: outcome.ends,
    findings,
    violations,
    cleanedUp: outcome.cleanedUp,
  };
}

function skippedNote(tried: readonly StoreCandidate[], failures: readonly { url: string; error: string }[]): string {
  const why = failures.map((failure) => `${failure.url}: ${failure.error}`).join('; ');
  const kinds = [...new Set(tried.map((candidate) => STORE_NAMES[candidate.kind]))].join(' or ');
  // tickguard's own install does not bring ioredis or pg (optional peers): then the client is what is missing.
  const clients = [...new Set(tried.map((candidate) => (candidate.kind === 'redis' ? 'ioredis' : 'pg')))];
  const missing = failures.length > 0 && failures.every((failure) => failure.error.includes('is not installed'));
  const how = missing
    ? `install ${clients.join(' or ')} next to tickguard (npm install ${clients[0] ?? 'ioredis'})`
    : `start ${kinds} there, or give --redis <url> or --postgres <url>`;
  return `Replicas scene skipped: no store answered (${why}). To see 3 replicas run each tick once, ${how}.`;
}

function naiveFinding(naive: GroupFigures): string {
  const twice = naive.duplicateTicks === naive.ticks ? `all ${naive.ticks} ticks` : `${naive.duplicateTicks} of ${naive.ticks} ticks`;
  const missed = naive.missedTicks > 0 ? `; ${plural(naive.missedTicks, 'tick')} ran nowhere` : '';
  return `No coordinator: every replica ran every tick, ${formatSpread(naive.beforeKill)} runs per tick, ${formatSpread(naive.afterKill)} after replica ${KILLED_REPLICA} was killed; ${twice} ran more than once (${naive.runs} runs for ${naive.ticks} ticks, ${naive.extraRuns} too many)${missed}.`;
}

function coordinatedFinding(coordinated: GroupFigures, storeName: string): string {
  const once = coordinated.duplicateTicks === 0 ? 'each tick ran once across the replicas' : `${plural(coordinated.duplicateTicks, 'tick')} ran more than once`;
  const missed = coordinated.missedTicks === 0 ? 'none was missed' : `${plural(coordinated.missedTicks, 'tick')} ran nowhere`;
  const shares = coordinated.runsByReplica.map((n, i) => `replica ${i + 1} ran ${n}${i + 1 === KILLED_REPLICA ? ' (until it was killed)' : ''}`).join(', ');
  const tokens = coordinated.tokens!;
  const fencing = tokens.increasing && tokens.missing === 0
    ? `their ${plural(tokens.count, 'fencing token')} rose strictly from run to run, whichever replica ran it`
    : `their fencing tokens did NOT rise strictly from run to run`;
  return `Through ${storeName}: ${once}, ${formatSpread(coordinated.beforeKill)} per tick before the kill and ${formatSpread(coordinated.afterKill)} after; ${missed}; ${shares}; ${fencing}.`;
}

function whatItShows(naive: GroupFigures, coordinated: GroupFigures, storeName: string): string {
  const plain = `A plain scheduler in every replica multiplies the work by the number of replicas (${formatSpread(naive.beforeKill)} runs per tick here), and losing a replica only lowers the count (${formatSpread(naive.afterKill)}), it never brings it to one.`;
  if (coordinated.duplicateTicks > 0) return `${plain} The coordinated replicas broke their promise: ticks ran twice through ${storeName}.`;
  const lost = coordinated.missedTicks === 0 ? 'no tick ran twice and none was lost' : `no tick ran twice, though ${plural(coordinated.missedTicks, 'tick')} ran nowhere`;
  return `${plain} With a coordinator, the replicas claim each tick in ${storeName} just before running it: one claim wins, the others skip the tick (claimed-elsewhere); when a replica died, the survivors simply won its ticks: ${lost}. Each run carries a fencing token above the last one, for a downstream to refuse writes from a stale holder.`;
}

function strategyReport(settings: LabSettings, outcome: StrategyOutcome): StrategyReport {
  const definition = STRATEGIES[outcome.name];
  const maxConcurrency = definition.maxConcurrency(settings.capacity);
  const base = {
    name: outcome.name,
    kind: definition.kind,
    scheme: definition.scheme,
    maxConcurrency,
    samples: outcome.samples,
    doctor: outcome.doctor === null ? null : {
      findings: outcome.doctor.findings,
      watchedMs: outcome.doctor.watchedMs,
      sitesWatched: outcome.doctor.sites.filter((site) => !site.guarded).length,
    },
  };
  if (outcome.result === null) {
    const error = outcome.error ?? 'the worker reported nothing';
    const violation: Violation = { strategy: outcome.name, kind: 'worker-failed', message: error.split('\n')[0] ?? error };
    return { ...base, ...EMPTY_RESULT, status: 'error', error, findings: [], violations: [violation] };
  }
  const { violations, ...result } = outcome.result;
  return {
    ...base,
    ...result,
    status: 'ok',
    error: null,
    findings: findings(settings, outcome.result, outcome.samples, definition.kind === 'tickguard', maxConcurrency),
    violations,
  };
}

/** What the figures of one strategy show, most telling first. */
function findings(
  settings: LabSettings,
  result: WorkerResult,
  samples: readonly Sample[],
  isTickguard: boolean,
  limit: number | null,
): string[] {
  const notes: string[] = [];
  const growing = (pick: (sample: Sample) => number): boolean => stillGrowing(samples, result.stoppedAtMs, pick);
  if (limit !== null) {
    notes.push(`at most ${plural(result.peakInFlight, 'run')} in flight (limit ${limit})`);
  } else if (result.peakInFlight > settings.capacity + 1) {
    notes.push(`runs in flight grew to ${result.peakInFlight}${growing((s) => s.inFlight) ? ', still growing at stop' : ''}`);
  }
  if (result.peakQueue > Math.max(2, limit ?? 0)) {
    notes.push(`downstream queue grew to ${result.peakQueue}${growing((s) => s.queue) ? ', still growing at stop' : ''}`);
  }
  if (result.memoryCapped) {
    notes.push(`held memory reached the ${formatBytes(settings.memoryCapBytes)} cap: it would have kept growing`);
  }
  if (result.endedEarly) notes.push('ended early: the process grew too large');
  const baselineTimeouts = settings.capacity + 3;
  if (result.peakTimeouts > baselineTimeouts) {
    notes.push(`Timeout handles grew to ${result.peakTimeouts}${growing((s) => s.handlesByType.Timeout ?? 0) ? ', still growing at stop' : ''}`);
  }
  if (result.peakAbortListeners !== null && result.peakAbortListeners > 1) {
    notes.push(`'abort' listeners grew to ${result.peakAbortListeners}`);
  }
  const afterStop = `${formatMs(graceOf(samples, result.stoppedAtMs))} after stop`;
  if (result.startedAfterStop > 0) notes.push(`${plural(result.startedAfterStop, 'run')} started after stop`);
  if (result.inFlightAfterStop > 0) notes.push(`${plural(result.inFlightAfterStop, 'run')} still running ${afterStop}`);
  const timersLeft = result.handlesAfterStop.Timeout ?? 0;
  if (timersLeft > 0) notes.push(`${plural(timersLeft, 'Timeout')} still active ${afterStop}`);
  if (isTickguard) {
    if (result.skippedTicks > 0) notes.push(`${plural(result.skippedTicks, 'busy tick')} skipped`);
    if (result.engine !== null && result.engine.stopClean && timersLeft === 0 && result.inFlightAfterStop === 0) {
      notes.push(`clean stop in ${formatMs(result.engine.stopDurationMs)}, no timer left`);
    }
  } else if (result.skippedTicks > 0) {
    notes.push(`${plural(result.skippedTicks, 'tick')} skipped by its busy flag`);
  }
  return notes;
}

/** Whether a series rose over the second half of the run (before stop): the trend a bounded strategy does not have. */
function stillGrowing(samples: readonly Sample[], stoppedAtMs: number, pick: (sample: Sample) => number): boolean {
  const running = samples.filter((sample) => !sample.stopping && sample.t <= stoppedAtMs);
  const last = running.at(-1);
  const middle = running[Math.floor(running.length / 2)];
  if (last === undefined || middle === undefined || running.length < 6) return false;
  return pick(last) > pick(middle) * 1.2 && pick(last) - pick(middle) >= 2;
}

/** How long after stop the last sample was taken, to the nearest 100 ms. */
function graceOf(samples: readonly Sample[], stoppedAtMs: number): number {
  const last = samples.at(-1);
  return last === undefined ? 0 : Math.max(0, Math.round((last.t - stoppedAtMs) / 100) * 100);
}
