/**
 * The rules: from what the doctor counted to what it reports. Pure, so that every rule is
 * tested on plain figures; false positives are defects, so each rule asks for evidence a
 * healthy pattern does not produce (a sync callback never has a run in flight, an awaited loop
 * never overlaps, a cleared timer is not armed, a chain that checks its signal re-arms nothing).
 */
import type { DoctorFinding, DoctorListenerReport, DoctorSeverity, DoctorSiteReport } from './report.js';

/** Below this many live timers a site is not called a leak, however it grows. */
export const LEAK_MIN_ARMED = 10;
/** Listeners a site added past the limit that must still be attached for it to be blamed for the growth. */
export const LISTENERS_MIN_FROM_SITE = 5;
/** A chain re-armed this many times after a stale clear during shutdown has outlived its stop. */
export const REARM_MIN = 2;

const SEVERITY_RANK: Readonly<Record<DoctorSeverity, number>> = { high: 0, medium: 1, low: 2 };

/** What the rules are judged against. */
export interface DiagnosisInput {
  readonly sites: readonly DoctorSiteReport[];
  readonly listeners: readonly DoctorListenerReport[];
  readonly shutdown: { readonly signal: string; readonly atMs: number; readonly handledByApp: boolean } | null;
  /** Milliseconds since the doctor started. */
  readonly nowMs: number;
}

/** The findings, most severe first (then the largest figure first). */
export function diagnose(input: DiagnosisInput): DoctorFinding[] {
  const ranked: { finding: DoctorFinding; weight: number }[] = [];
  for (const site of input.sites) {
    // tickguard's engine bounds its runs; a library's own timers are the library's to fix.
    if (site.guarded || site.library) continue;
    const overlap = overlapFinding(site, input.shutdown);
    if (overlap !== null) ranked.push(overlap);
    const leak = leakFinding(site);
    if (leak !== null) ranked.push(leak);
    const rearm = rearmFinding(site, input.shutdown);
    if (rearm !== null) ranked.push(rearm);
    const armed = armedAtShutdownFinding(site, input.shutdown, input.nowMs);
    if (armed !== null) ranked.push(armed);
  }
  for (const listener of input.listeners) {
    if (listener.library) continue;
    const growth = listenerFinding(listener);
    if (growth !== null) ranked.push(growth);
  }
  ranked.sort((a, b) => SEVERITY_RANK[a.finding.severity] - SEVERITY_RANK[b.finding.severity] || b.weight - a.weight);
  return ranked.map((entry) => entry.finding);
}

/** A name for the job in the fix, from the callback's name when it has one. */
function jobName(site: DoctorSiteReport): string {
  const match = /^[\w/.]+\(([\w$]+),/.exec(site.call);
  return match?.[1] ?? 'job';
}

/** Whether a series rose over the second half of its points. */
export function stillGrowing(points: readonly (readonly [number, number, number])[], pick: (point: readonly [number, number, number]) => number): boolean {
  if (points.length < 3) return false;
  const last = points.at(-1)!;
  const lastT = last[0];
  const firstT = points[0]![0];
  const middleT = firstT + (lastT - firstT) / 2;
  const middle = [...points].reverse().find((point) => point[0] <= middleT) ?? points[0]!;
  return pick(last) > pick(middle) * 1.2 && pick(last) - pick(middle) >= 2;
}

function overlapFinding(site: DoctorSiteReport, shutdown: DiagnosisInput['shutdown']): { finding: DoctorFinding; weight: number } | null {
  const periodic = site.kind === 'setInterval' || (site.kind === 'setTimeout' && site.chain);
  if (!periodic || site.overlappedTicks === 0) return null;
  // Growth is judged while the app ran, not while it drained after a shutdown.
  const running = shutdown === null ? site.points : site.points.filter((point) => point[0] <= shutdown.atMs);
  const growing = stillGrowing(running, (point) => point[2]);
  const name = jobName(site);
  const fix = site.kind === 'setInterval'
    ? `scheduler.add({ name: '${name}', fixedRate: ${site.delayMs}, overlap: 'skip', run })`
    : `scheduler.add({ name: '${name}', fixedDelay: ${site.delayMs}, run })`;
  const what = site.kind === 'setInterval' ? 'ticks' : 'links of the chain';
  return {
    weight: site.peakInFlight,
    finding: {
      kind: 'overlap',
      severity: site.peakInFlight >= 3 || growing ? 'high' : 'medium',
      site: site.site,
      call: site.call,
      summary: `${site.peakInFlight} runs in flight at peak${growing ? ', still growing' : ''}; ${site.overlappedTicks} of ${site.ticks} ${what} started a run while one was still in flight (${site.inFlight} in flight now)`,
      fix,
      figures: { peakInFlight: site.peakInFlight, inFlight: site.inFlight, overlappedTicks: site.overlappedTicks, ticks: site.ticks, stillGrowing: growing },
    },
  };
}

function leakFinding(site: DoctorSiteReport): { finding: DoctorFinding; weight: number } | null {
  if (site.kind === 'timers/promises.setInterval' || site.armed < LEAK_MIN_ARMED) return null;
  if (!stillGrowing(site.points, (point) => point[1])) return null;
  const fix = site.kind === 'setTimeout'
    ? `clear it when the work it guards settles (clearTimeout in a finally), or let tickguard time the run: scheduler.add({ name: '${jobName(site)}', timeout: ${site.delayMs}, run: ({ signal }) => work(signal) })`
    : `arm it once, not once per call: scheduler.add({ name: '${jobName(site)}', fixedRate: ${site.delayMs}, run }) and scheduler.remove() when done`;
  return {
    weight: site.armed,
    finding: {
      kind: 'timer-leak',
      severity: site.armed >= 100 ? 'high' : 'medium',
      site: site.site,
      call: site.call,
      summary: `${site.armed} timers created here are still armed and their number keeps growing (${site.created} created, ${site.cleared} cleared, ${site.fired} fired)`,
      fix,
      figures: { armed: site.armed, peakArmed: site.peakArmed, created: site.created, cleared: site.cleared, fired: site.fired },
    },
  };
}

function rearmFinding(site: DoctorSiteReport, shutdown: DiagnosisInput['shutdown']): { finding: DoctorFinding; weight: number } | null {
  if (shutdown === null || site.rearmedAfterStop < REARM_MIN) return null;
  return {
    weight: site.rearmedAfterStop,
    finding: {
      kind: 'rearmed-after-stop',
      severity: 'high',
      site: site.site,
      call: site.call,
      summary: `re-armed ${site.rearmedAfterStop} times after ${shutdown.signal}: the clear at shutdown hit a timer that had already fired, and the chain went on (${site.createdAfterShutdown} timers armed after ${shutdown.signal})`,
      fix: `scheduler.add({ name: '${jobName(site)}', fixedDelay: ${site.delayMs}, run: ({ signal }) => work(signal) }) and await scheduler.stop() on ${shutdown.signal}: nothing is re-armed once stop() has been called`,
      figures: { rearmedAfterStop: site.rearmedAfterStop, createdAfterShutdown: site.createdAfterShutdown, staleClears: site.staleClears },
    },
  };
}

function armedAtShutdownFinding(site: DoctorSiteReport, shutdown: DiagnosisInput['shutdown'], nowMs: number): { finding: DoctorFinding; weight: number } | null {
  // Without a handler of its own the app died by the signal: nothing was left running.
  if (shutdown === null || !shutdown.handledByApp || site.armedFromBeforeShutdown === 0) return null;
  const afterMs = Math.max(0, Math.round(nowMs - shutdown.atMs));
  return {
    weight: site.armedFromBeforeShutdown,
    finding: {
      kind: 'armed-at-shutdown',
      severity: 'medium',
      site: site.site,
      call: site.call,
      summary: `${site.armedFromBeforeShutdown} interval${site.armedFromBeforeShutdown === 1 ? '' : 's'} still armed ${afterMs}ms after ${shutdown.signal}`,
      fix: `scheduler.add({ name: '${jobName(site)}', fixedRate: ${site.delayMs}, run }) and await scheduler.stop() in the ${shutdown.signal} handler`,
      figures: { armed: site.armedFromBeforeShutdown, afterShutdownMs: afterMs },
    },
  };
}

function listenerFinding(listener: DoctorListenerReport): { finding: DoctorFinding; weight: number } | null {
  if (listener.peak <= listener.limit || listener.live <= listener.limit || listener.liveFromSite < LISTENERS_MIN_FROM_SITE) return null;
  const signal = listener.target === 'AbortSignal';
  const call = signal ? `signal.addEventListener('${listener.event}', …)` : `emitter.on('${listener.event}', …)`;
  const never = listener.addedAfterAbort > 0 ? `; ${listener.addedAfterAbort} added after the signal had aborted, which will never run` : '';
  const fix = signal
    ? `remove it when the run ends (or add it with { once: true, signal: runSignal }); a tickguard job gets a fresh signal per run and adds nothing per period: scheduler.add({ name: 'job', fixedDelay, run: ({ signal }) => work(signal) })`
    : `add it once, or remove it when its work ends (emitter.off in a finally)`;
  return {
    weight: listener.liveFromSite,
    finding: {
      kind: 'listener-growth',
      severity: listener.live >= 10 * Math.max(1, listener.limit) ? 'high' : 'medium',
      site: listener.site,
      call,
      summary: `${listener.live} '${listener.event}' listeners on one ${listener.target} (limit ${listener.limit}, peak ${listener.peak}); ${listener.liveFromSite} of those added here past the limit are still attached${never}`,
      fix,
      figures: { live: listener.live, liveFromSite: listener.liveFromSite, peak: listener.peak, limit: listener.limit, addsPastLimit: listener.addsPastLimit, addedAfterAbort: listener.addedAfterAbort },
    },
  };
}
