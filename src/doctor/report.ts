/**
 * The doctor's report: what it writes as JSON (`TICKGUARD_DOCTOR_REPORT`), renders as a table
 * on stderr and as HTML. Plain JSON all through, so that it can be read by another process
 * (the lab reads its workers' reports) and kept.
 */
import type { ContextSample } from './context.js';
import type { TimerKind } from './timer-stats.js';

export type { ContextSample } from './context.js';
export type { TimerKind } from './timer-stats.js';

/**
 * What a finding is about.
 * - `overlap`: an interval (or a re-armed timeout chain) fired while its previous run was still in flight.
 * - `timer-leak`: timers created at one site and never cleared, their live count growing.
 * - `rearmed-after-stop`: a timer chain re-armed after shutdown, although the app cleared it (the clear hit a timer that had already fired).
 * - `armed-at-shutdown`: intervals still armed after the app said it was shutting down (SIGTERM/SIGINT).
 * - `listener-growth`: listeners added at one site past the target's limit, and still there.
 */
export type DoctorFindingKind = 'overlap' | 'timer-leak' | 'rearmed-after-stop' | 'armed-at-shutdown' | 'listener-growth';

/** How urgent a finding is; findings are ranked by it. */
export type DoctorSeverity = 'high' | 'medium' | 'low';

/** One thing the doctor found, at one site. */
export interface DoctorFinding {
  readonly kind: DoctorFindingKind;
  readonly severity: DoctorSeverity;
  /** Where: `file:line:column`, the file relative to the working directory when inside it. */
  readonly site: string;
  /** The call as written there, e.g. `setInterval(refresh, 100)` or `signal.addEventListener('abort', …)`. */
  readonly call: string;
  /** What was seen, in a few words with the figures. */
  readonly summary: string;
  /** The fix in tickguard terms. */
  readonly fix: string;
  /** The figures behind the summary; the keys depend on `kind` (see the README). */
  readonly figures: Readonly<Record<string, number | boolean>>;
}

/** What the doctor saw at one timer site. */
export interface DoctorSiteReport {
  readonly site: string;
  readonly kind: TimerKind;
  readonly call: string;
  readonly delayMs: number;
  /** Created by tickguard's own engine: not judged (the engine bounds its runs). */
  readonly guarded: boolean;
  /** Created by a library from its own callbacks, with no frame of the app's on the stack: not judged (the fix is the library's). */
  readonly library: boolean;
  readonly created: number;
  readonly cleared: number;
  readonly fired: number;
  readonly staleClears: number;
  readonly armed: number;
  readonly peakArmed: number;
  readonly ticks: number;
  readonly asyncRuns: number;
  readonly inFlight: number;
  readonly peakInFlight: number;
  readonly overlappedTicks: number;
  /** Re-armed timeouts one at a time, judged like an interval. */
  readonly chain: boolean;
  readonly createdAfterShutdown: number;
  readonly rearmedAfterStop: number;
  /** Ref'd intervals of this site created before shutdown and still armed. */
  readonly armedFromBeforeShutdown: number;
  /** `[ms since start, armed, runs in flight]`, when they changed. */
  readonly points: readonly (readonly [number, number, number])[];
}

/** What the doctor saw at one site adding listeners past a target's limit. */
export interface DoctorListenerReport {
  readonly site: string;
  /** Added by a library from its own callbacks, with no frame of the app's on the stack: not judged. */
  readonly library: boolean;
  readonly target: string;
  readonly event: string;
  readonly limit: number;
  readonly peak: number;
  /** Listeners on that target when the report was made. */
  readonly live: number;
  /** Of the listeners this site added past the limit, those still attached. */
  readonly liveFromSite: number;
  readonly addsPastLimit: number;
  readonly addedAfterAbort: number;
  readonly firstAtMs: number;
  readonly lastAtMs: number;
}

/** Why a report was made. */
export type DoctorReportReason = 'exit' | 'signal' | 'SIGUSR2' | 'request';

/** The doctor's report. */
export interface DoctorReport {
  readonly tool: 'tickguard doctor';
  readonly version: string;
  readonly node: string;
  readonly pid: number;
  /** The process's command line. */
  readonly argv: readonly string[];
  readonly startedAt: string;
  /** Milliseconds the doctor had watched when the report was made. */
  readonly watchedMs: number;
  readonly reason: DoctorReportReason;
  /**
   * When the app said it was shutting down, or `null`. `handledByApp` is false when the app had
   * no handler of its own for the signal (the process then died by it, as Node does by default).
   */
  readonly shutdown: { readonly signal: string; readonly atMs: number; readonly handledByApp: boolean } | null;
  /** Ranked: most severe first. */
  readonly findings: readonly DoctorFinding[];
  readonly sites: readonly DoctorSiteReport[];
  readonly listeners: readonly DoctorListenerReport[];
  /** The process over time. */
  readonly samples: readonly ContextSample[];
  /** The process when the report was made, event-loop delay over the whole run. */
  readonly context: ContextSample;
  /** The doctor's own failures, caught so that none reaches the app (at most the first ten). */
  readonly doctorErrors: readonly string[];
}
