/**
 * The shapes that travel between the orchestrator (bench/run.ts), the child processes
 * (bench/child.ts) and the report (bench/report.ts). A result file is one {@link RunFile}.
 */

/** The four scenarios of the suite, in report order. */
export const SCENARIOS = ['scale', 'throughput', 'churn', 'avalanche'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** Every system the suite knows, in report order. */
export const SYSTEMS = ['tickguard', 'tickguard-phased', 'setInterval', 'setTimeout', 'croner', 'cron', 'node-cron', 'toad-scheduler'] as const;
export type SystemName = (typeof SYSTEMS)[number];

/** tickguard's overlap policies plus its fixedDelay schedule, and raw setInterval, under a slow downstream. */
export const AVALANCHE_POLICIES = ['skip', 'buffer-one', 'buffer-all', 'cancel-other', 'fixedDelay', 'none'] as const;
export type AvalanchePolicy = (typeof AVALANCHE_POLICIES)[number];

/** Whether the benchmark task returns at once or through a resolved promise. */
export type TaskKind = 'sync' | 'async';

interface CaseBase {
  /** Stable identity of the row: `scenario/variant/system`. */
  readonly id: string;
  readonly system: SystemName;
  /** The row label inside its table, e.g. `N=10k` or `10k×10Hz sync`. */
  readonly variant: string;
  /** The module tickguard is imported from: a tsup bundle of src/ (or of a scratch copy), or a .ts entry run through tsx. */
  readonly tickguardEntry?: string;
  /** Write a CPU profile of the measured window into this directory. */
  readonly profileDir?: string;
  /** Set on the `--baseline` twin of a tickguard case: the baseline's {@link BaselineInfo.name}. */
  readonly baseline?: string;
}

export interface ScaleCase extends CaseBase {
  readonly scenario: 'scale';
  readonly jobs: number;
  readonly periodMs: number;
  readonly windowMs: number;
  readonly setupLimitMs: number;
}

export interface ThroughputCase extends CaseBase {
  readonly scenario: 'throughput';
  readonly jobs: number;
  readonly periodMs: number;
  readonly task: TaskKind;
  /** Runs before the window are not measured: first ticks, JIT warm-up. */
  readonly warmupMs: number;
  readonly windowMs: number;
  readonly setupLimitMs: number;
}

export interface ChurnCase extends CaseBase {
  readonly scenario: 'churn';
  readonly jobs: number;
  /** Each phase (add, update, remove) gives up after this long. */
  readonly phaseLimitMs: number;
}

export interface AvalancheCase extends CaseBase {
  readonly scenario: 'avalanche';
  readonly system: 'tickguard' | 'setInterval';
  readonly policy: AvalanchePolicy;
  readonly jobs: number;
  readonly intervalMs: number;
  /** Service time of one downstream call; the downstream serves one call at a time per job. */
  readonly serviceMs: number;
  readonly durationMs: number;
}

export type CaseSpec = ScaleCase | ThroughputCase | ChurnCase | AvalancheCase;

/** A measured value, or why there is none. */
export type Metric = number | { readonly na: string };

/** How a case ended: measured, not applicable, or failed in a way the table names. */
export type CaseStatus = 'ok' | 'n/a' | 'timeout' | 'oom' | 'error';

export interface CaseResult {
  readonly id: string;
  readonly scenario: ScenarioName;
  readonly system: SystemName;
  readonly variant: string;
  /** Set on rows measured against the `--baseline` build, as on their spec. */
  readonly baseline?: string;
  readonly status: CaseStatus;
  /** Why the status is not `ok`, in words for the table. */
  readonly reason?: string;
  /** Every metric of the scenario when `status` is `ok`; empty otherwise. */
  readonly metrics: Readonly<Record<string, Metric>>;
  /** How the case was measured when that differs by system (e.g. how a peer "updates" a schedule). */
  readonly notes?: readonly string[];
  readonly spec: CaseSpec | null;
  /** Wall time of the child process, ms. */
  readonly wallMs: number;
  /** The machine's 1-minute load average when the case started. */
  readonly load1?: number;
}

/** How a row names its system: `tickguard@<name>` for a baseline row, else the system itself. */
export function systemLabel(row: { readonly system: SystemName; readonly baseline?: string | undefined }): string {
  return row.baseline === undefined ? row.system : `${row.system}@${row.baseline}`;
}

/** The git commit `--baseline` compared against: its tickguard cases ran twice, once from it. */
export interface BaselineInfo {
  /** The ref as given on the command line, e.g. `main` or `HEAD~3`. */
  readonly ref: string;
  /** Short label of the rows: a branch or tag name as given, else the short commit hash. */
  readonly name: string;
  /** Full hash of the commit the baseline was bundled from. */
  readonly commit: string;
}

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly node: string;
  readonly platform: string;
  /** 1/5/15-minute load averages when the run started and ended. */
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
}

export interface RunFile {
  readonly schema: 1;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly mode: 'full' | 'quick' | 'smoke';
  /** The command line that reproduces the run. */
  readonly command: string;
  readonly machine: MachineInfo;
  readonly versions: Readonly<Record<string, string>>;
  /** Child heap cap (--max-old-space-size), MB. */
  readonly heapCapMb: number;
  /** The sources tickguard was built from, and how children ran: tsup bundles like dist/, or TypeScript through tsx. */
  readonly tickguardSrc: string;
  readonly build: 'tsup' | 'tsx';
  /** Present when the run compared tickguard against `--baseline <ref>`. */
  readonly baseline?: BaselineInfo;
  readonly results: readonly CaseResult[];
}

/** Sent by a child over IPC: progress for timeouts, then the result. */
export type ChildMessage =
  | { readonly kind: 'progress'; readonly note: string }
  | {
      readonly kind: 'result';
      readonly status: CaseStatus;
      readonly reason?: string;
      readonly metrics: Readonly<Record<string, Metric>>;
      readonly notes?: readonly string[];
    };
