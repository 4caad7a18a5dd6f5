/**
 * The data the lab passes around: a worker's configuration, the messages it sends its parent
 * over IPC, and the report the parent assembles. Everything here is plain JSON, because it
 * crosses a process boundary and ends up in `--json` output and in the HTML report.
 */

import type { DoctorFinding } from '../../doctor/report.js';

/** Whether a strategy is a pattern that causes trouble, or one of tickguard's schemes. */
export type StrategyKind = 'naive' | 'tickguard';

/** What one strategy worker is told to do. */
export interface WorkerConfig {
  /** The strategy's name, one of `STRATEGY_NAMES`. */
  readonly strategy: string;
  /** How long ticks are produced before the strategy is stopped. */
  readonly durationMs: number;
  /** The tick interval. */
  readonly intervalMs: number;
  /** How long the downstream takes per request. */
  readonly serviceTimeMs: number;
  /** Requests the downstream serves at once. */
  readonly capacity: number;
  /** Period of the samples sent to the parent. */
  readonly sampleMs: number;
  /** Memory the downstream holds per request it has accepted and not finished. */
  readonly bytesPerRequest: number;
  /** The downstream stops allocating past this much held memory (the queue still grows). */
  readonly memoryCapBytes: number;
  /** After stopping, how long the worker watches for late runs before checking handles. */
  readonly graceMs: number;
}

/** One observation of a strategy, taken every `sampleMs`. */
export interface Sample {
  /** Milliseconds since the strategy started. */
  readonly t: number;
  /** Whether the strategy had been told to stop when the sample was taken. */
  readonly stopping: boolean;
  /** Runs started and not yet settled, counted around the task itself (not by the engine). */
  readonly inFlight: number;
  readonly started: number;
  readonly completed: number;
  readonly skipped: number;
  /** Requests waiting in the downstream, not yet being served. */
  readonly queue: number;
  /** Active resources (`process.getActiveResourcesInfo()`), all types. */
  readonly handles: number;
  /** Active resources by type, e.g. `{ Timeout: 3, PipeWrap: 1 }`. */
  readonly handlesByType: Readonly<Record<string, number>>;
  readonly heapBytes: number;
  readonly externalBytes: number;
  /** p99 of the event-loop delay over the last sample period, in ms. */
  readonly eventLoopDelayP99Ms: number;
  /** `abort` listeners on the strategy's own signal, where it has one. */
  readonly abortListeners: number | null;
}

/** What a tickguard strategy broke, or a worker that could not finish. Naive strategies have none. */
export type ViolationKind =
  | 'max-concurrency'
  | 'run-after-stop'
  | 'handle-left'
  | 'stop-unclean'
  | 'engine-counters'
  | 'worker-failed'
  | 'tick-run-twice'
  | 'fencing-order'
  | 'scene-failed';

/** A failed self-check. The replicas scene reports as strategy `'replicas'`. */
export interface Violation {
  readonly strategy: string;
  readonly kind: ViolationKind;
  readonly message: string;
}

/** The engine's own view of a tickguard job after stop, for the cross-check. */
export interface EngineView {
  readonly ticks: number;
  readonly started: number;
  readonly skipped: number;
  readonly buffered: number;
  readonly dropped: number;
  readonly missed: number;
  readonly succeeded: number;
  readonly aborted: number;
  readonly failed: number;
  readonly stopClean: boolean;
  readonly stopDurationMs: number;
}

/** What a worker reports when it is done. */
export interface WorkerResult {
  readonly peakInFlight: number;
  readonly startedRuns: number;
  readonly completedRuns: number;
  readonly failedRuns: number;
  readonly skippedTicks: number;
  readonly peakQueue: number;
  readonly peakHeapBytes: number;
  readonly peakExternalBytes: number;
  /** Peak of heap + external at one sample. */
  readonly peakMemoryBytes: number;
  readonly peakHandles: number;
  readonly peakTimeouts: number;
  readonly peakAbortListeners: number | null;
  /** p99 of the event-loop delay over the whole run, in ms. */
  readonly eventLoopDelayP99Ms: number;
  /** When stop was called, in ms since the start. */
  readonly stoppedAtMs: number;
  readonly startedAfterStop: number;
  /** Runs still in flight at the end of the grace period after stop. */
  readonly inFlightAfterStop: number;
  /** Active resources by type at the end, after stop and the grace period. */
  readonly handlesAfterStop: Readonly<Record<string, number>>;
  /** The downstream hit its memory cap: the strategy would have kept growing. */
  readonly memoryCapped: boolean;
  /** The worker ended the run early because the process grew too large. */
  readonly endedEarly: boolean;
  readonly engine: EngineView | null;
  readonly violations: readonly Violation[];
  /** Process warnings the strategy triggered, such as `MaxListenersExceededWarning`. */
  readonly warnings: readonly string[];
}

/** Messages from a worker to its parent. */
export type WorkerMessage =
  | { readonly type: 'sample'; readonly sample: Sample }
  | { readonly type: 'result'; readonly result: WorkerResult };

/** The outcome of one strategy, as the parent reports it. */
export interface StrategyReport extends Omit<WorkerResult, 'violations'> {
  readonly name: string;
  readonly kind: StrategyKind;
  /** Which of the article's schemes (or traps) it is. */
  readonly scheme: string;
  /** The bound the strategy promises, `null` for naive ones that promise none. */
  readonly maxConcurrency: number | null;
  /** `error` when the worker failed; the figures are then zero. */
  readonly status: 'ok' | 'error';
  readonly error: string | null;
  /** What the figures show, in a few words each. */
  readonly findings: readonly string[];
  readonly violations: readonly Violation[];
  readonly samples: readonly Sample[];
  /** What the doctor saw, for a strategy run under it (the naive ones); `null` otherwise. */
  readonly doctor: DoctorView | null;
}

/** What the doctor reported about one strategy's worker. */
export interface DoctorView {
  /** Its findings, most severe first, sites relative to the lab's working directory. */
  readonly findings: readonly DoctorFinding[];
  /** How long it watched. */
  readonly watchedMs: number;
  /** Timer sites it watched (tickguard's own engine not counted). */
  readonly sitesWatched: number;
}

/** The lab's settings, as reported. */
export interface LabSettings {
  readonly durationMs: number;
  readonly intervalMs: number;
  readonly serviceTimeMs: number;
  readonly capacity: number;
  readonly strategies: readonly string[];
  readonly parallel: number;
  readonly sampleMs: number;
  readonly bytesPerRequest: number;
  readonly memoryCapBytes: number;
}

/** Everything a lab run found: what `--json` prints and the HTML report shows. */
export interface LabReport {
  readonly tool: 'tickguard lab';
  readonly version: string;
  readonly node: string;
  readonly platform: string;
  readonly startedAt: string;
  readonly wallTimeMs: number;
  readonly config: LabSettings;
  readonly strategies: readonly StrategyReport[];
  /** Every violation of every strategy; empty when the self-check passed. */
  readonly violations: readonly Violation[];
  readonly ok: boolean;
  /** Where the HTML report was written, or `null`. */
  readonly report: string | null;
  /** The replicas scene: what it found, or why it did not run. */
  readonly replicas: ReplicasReport;
}

// ---------------------------------------------------------------------------------------------
// The replicas scene: three replicas without a coordinator next to three through a store.

/** The two groups of replicas: no coordinator (every replica runs every tick), or one through a store. */
export type ReplicaGroup = 'naive' | 'coordinated';

/** A store a coordinator can run on. */
export type StoreKind = 'redis' | 'postgres';

/** The store of one scene, and the namespace (Redis key prefix or PostgreSQL schema) of this lab run alone. */
export interface StoreTarget {
  readonly kind: StoreKind;
  readonly url: string;
  /** Redis: the key prefix; PostgreSQL: the schema. Dropped when the scene ends. */
  readonly namespace: string;
}

/** What one replica process is told to do. */
export interface ReplicaConfig {
  readonly group: ReplicaGroup;
  /** 1, 2 or 3. */
  readonly replica: number;
  /** The job's name: the same in every replica, so that they claim the same ticks. */
  readonly jobName: string;
  readonly intervalMs: number;
  /** How long each run takes. */
  readonly runMs: number;
  /** The coordinated group's store; `null` for the naive group. */
  readonly store: StoreTarget | null;
}

/** One run, as its replica reports it the moment it starts. */
export interface ReplicaRun {
  readonly group: ReplicaGroup;
  readonly replica: number;
  /** The tick's slot: its due time in epoch ms, the same in every replica. */
  readonly slot: number;
  /** The run's fencing token (`ctx.lease.token`), `null` without a coordinator. */
  readonly token: number | null;
}

/** Messages from a replica to its parent. */
export type ReplicaMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'run'; readonly run: ReplicaRun }
  | {
      readonly type: 'done';
      /** Ticks the replica did not run, by reason (`claimed-elsewhere`, `busy`, ...). */
      readonly skipped: Readonly<Record<string, number>>;
      readonly stopClean: boolean;
    };

/** Messages from the parent to a replica. */
export type ReplicaCommand = { readonly type: 'stop' };

/** Runs per tick over part of the scene. */
export interface PerTickSpread {
  /** Ticks in that part. */
  readonly ticks: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
}

/** One tick of the scene's window. */
export interface TickRuns {
  /** The tick's due time, ms since the window started. */
  readonly t: number;
  /** Replicas that ran it (1-based; one entry per run). */
  readonly replicas: readonly number[];
}

/** A fencing token handed out in the scene, in tick order. */
export interface TokenPoint {
  readonly t: number;
  readonly token: number;
  readonly replica: number;
}

/** Whether the fencing tokens of a group's runs increased from tick to tick. */
export interface TokenCheck {
  /** Runs with a token. */
  readonly count: number;
  /** Runs with no token (a coordinated run always has one). */
  readonly missing: number;
  readonly increasing: boolean;
  /** The first tick whose token was not above the one before, in ms since the window started. */
  readonly firstDecreaseAtMs: number | null;
  readonly first: number | null;
  readonly last: number | null;
}

/** What one group did over the scene's window. */
export interface GroupFigures {
  readonly group: ReplicaGroup;
  readonly replicas: number;
  /** Ticks due in the window. */
  readonly ticks: number;
  /** Runs of those ticks, all replicas together. */
  readonly runs: number;
  /** Ticks run more than once. */
  readonly duplicateTicks: number;
  /** Runs beyond one per tick. */
  readonly extraRuns: number;
  /** Ticks nobody ran. */
  readonly missedTicks: number;
  readonly beforeKill: PerTickSpread;
  readonly afterKill: PerTickSpread;
  /** Runs per replica, index 0 for replica 1. */
  readonly runsByReplica: readonly number[];
  /** `null` for a group without a coordinator. */
  readonly tokens: TokenCheck | null;
  readonly perTick: readonly TickRuns[];
  readonly tokenPoints: readonly TokenPoint[];
}

/** What became of one replica process. */
export interface ReplicaEnd {
  readonly group: ReplicaGroup;
  readonly replica: number;
  /** Killed with SIGKILL midway, on purpose. */
  readonly killed: boolean;
  /** `null` when the replica ended as planned; else how it failed. */
  readonly error: string | null;
  readonly skipped: Readonly<Record<string, number>>;
}

/** The replicas scene in the report. */
export interface ReplicasReport {
  /** `ok` ran and kept its promise; `failed` ran and broke it (or could not finish); `skipped` no store answered; `off` not asked for. */
  readonly status: 'ok' | 'failed' | 'skipped' | 'off';
  /** One line: what the scene did, or why it did not run and how to make it run. */
  readonly note: string;
  /** The store, with any password masked; `null` when the scene did not run. */
  readonly store: StoreTarget | null;
  readonly replicasPerGroup: number;
  readonly intervalMs: number;
  readonly runMs: number;
  /** The window in which ticks were counted. */
  readonly durationMs: number;
  /** When one replica of each group was killed, in ms since the window started. */
  readonly killAtMs: number | null;
  /** Which replica of each group was killed. */
  readonly killedReplica: number | null;
  /** `naive` then `coordinated`; empty when the scene did not run. */
  readonly groups: readonly GroupFigures[];
  readonly replicaEnds: readonly ReplicaEnd[];
  /** What the figures show, in plain words. */
  readonly findings: readonly string[];
  readonly violations: readonly Violation[];
  /** Whether this run's keys or schema were removed from the store afterwards. */
  readonly cleanedUp: boolean | null;
}
