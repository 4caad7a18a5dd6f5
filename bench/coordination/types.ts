/** Messages and results shared by the coordination benchmark's orchestrator and its children. */
import type { RoundTrips } from './instrument.js';

export type Store = 'memory' | 'redis' | 'postgres';
export type StoreOrNone = Store | 'none';

/** Where the child finds tickguard: bundles of src/ (default) or src/ itself under tsx. */
export interface Entries {
  readonly tickguard: string;
  readonly redis: string;
  readonly postgres: string;
}

export interface Connections {
  readonly redisUrl: string;
  readonly postgresUrl: string;
  /** pg `application_name` of every pool the benchmark opens. */
  readonly applicationName: string;
}

/**
 * A replica process: `replicas` schedulers (3 for memory in part 2, whose store lives in one
 * process; else 1), each with its own client or pool. Part 1 is one step of one job on one of them;
 * `store: 'none'` is the baseline without a coordinator.
 */
export interface ReplicaSpec {
  readonly store: StoreOrNone;
  readonly replicas: number;
  readonly entries: Entries;
  readonly connections: Connections;
}

/** One measurement, sent to every replica process: `jobs` jobs every `periodMs`, phases spread over the period. */
export interface StepSpec {
  /** Prefix of the job names (`<step>-j<i>`), unique per step. */
  readonly step: string;
  readonly jobs: number;
  readonly periodMs: number;
  readonly mode: 'local' | 'per-tick' | 'exclusive';
  /** 0: a sync no-op task; otherwise an async task that waits this long. */
  readonly taskMs: number;
  /** The job's `leaseTtl` in ms, when not the default. */
  readonly leaseTtlMs?: number;
  readonly claimTimeoutMs?: number;
  /** Redis key prefix of this step. */
  readonly prefix: string;
  /** PostgreSQL schema of this step (the orchestrator creates and pre-fills it). */
  readonly schema: string;
  /** Pre-fill the in-process memory store with the tick records of the last retention period. */
  readonly prefillMemory: boolean;
}

/** Back-to-back timings of the store operations a claim is made of (no scheduler), per store. */
export interface AnatomySpec {
  readonly samples: number;
  readonly prefix: string;
  /** Schema pre-filled with `rowsPerJob` tick rows for job `<job>-full` and none for `<job>-empty`. */
  readonly schema: string;
  readonly job: string;
  readonly rowsPerJob: number;
  /** Memory store sizes to time a claim at. */
  readonly memoryRecords: readonly number[];
}

export interface Anatomy {
  /** name → summary of one operation, ms. */
  readonly redis: Record<string, Summary>;
  readonly postgres: Record<string, Summary>;
  readonly memory: Record<string, Summary>;
}

export type ParentMessage =
  | { readonly kind: 'step'; readonly spec: StepSpec }
  | { readonly kind: 'anatomy'; readonly spec: AnatomySpec }
  | { readonly kind: 'window'; readonly from: number; readonly to: number }
  | { readonly kind: 'collect' }
  | { readonly kind: 'exit' };

/** What one scheduler measured over a window. */
export interface ReplicaMeasure {
  /** tickId of every run due inside the window. */
  readonly tickIds: string[];
  /** Run start minus due time, of runs due inside the window, ms. */
  readonly latenessMs: number[];
  readonly early: number;
  /** claim() call → verdict, of claims of ticks due inside the window, ms. */
  readonly claimMs: number[];
  readonly claimsWon: number;
  readonly claimsRefused: number;
  readonly claimsFailed: number;
  /** Store round trip of claim commands sent inside the window, ms. */
  readonly claimCommandMs: number[];
  readonly renewCommandMs: number[];
  readonly poolWaitMs: number[];
  /** Commands sent inside the window. */
  readonly roundTrips: RoundTrips;
  /** Ticks due inside the window that did not start, by reason. */
  readonly skipped: Record<string, number>;
  /** Largest `pool.waitingCount` / `pool.totalCount` seen (pg). */
  readonly poolMaxWaiting: number;
  readonly poolMaxTotal: number;
}

export type ChildMessage =
  | { readonly kind: 'ready'; readonly note?: string }
  | { readonly kind: 'measured'; readonly replicas: ReplicaMeasure[]; readonly cpuUs: number; readonly windowMs: number }
  | { readonly kind: 'anatomy'; readonly anatomy: Anatomy }
  | { readonly kind: 'error'; readonly message: string };

/** A percentile summary, ms. */
export interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}
