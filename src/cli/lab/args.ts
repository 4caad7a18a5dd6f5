/**
 * The flags of `tickguard lab`: parsed whole and checked before anything runs, with errors
 * that name the flag, what was expected and what was given.
 */
import { parseDuration } from '../../index.js';
import { STRATEGY_NAMES, isStrategyName, type StrategyName } from './strategies.js';
import { closest } from '../../closest.js';
import { DEFAULT_STORE_URLS } from './stores.js';

/** A command line that cannot be run; the CLI prints it with the usage and exits with 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The lab's options after parsing. */
export interface LabOptions {
  /** How long each strategy produces ticks. @default 20s */
  readonly durationMs: number;
  /** The tick interval. @default 100ms */
  readonly intervalMs: number;
  /** Downstream time per request. @default 1.5 × interval */
  readonly serviceTimeMs: number;
  /** Requests the downstream serves at once. @default 1 */
  readonly capacity: number;
  /** Strategies to run, in report order. @default all */
  readonly strategies: readonly StrategyName[];
  /** Strategies running at once, one child process each. @default all of them */
  readonly parallel: number;
  /** Print only the JSON result on stdout. @default false */
  readonly json: boolean;
  /** Where to write the HTML report, or `null` for none. @default 'tickguard-lab-report.html' */
  readonly out: string | null;
  /** `--help` was given: print the usage and run nothing. */
  readonly help: boolean;
  /**
   * The replicas scene: `auto` runs it when a store answers (else says how to enable it), `on`
   * requires it (no store is a failure), `off` skips it. @default 'auto'
   */
  readonly replicas: ReplicasMode;
  /** `--redis`, or `null` to try the default Redis (then the default PostgreSQL). */
  readonly redisUrl: string | null;
  /** `--postgres`, or `null` to try the default PostgreSQL after the default Redis. */
  readonly postgresUrl: string | null;
  /** How long the replicas scene counts ticks. @default the duration, at most 8s (and at least 6 intervals) */
  readonly replicasDurationMs: number;
}

/** Whether the replicas scene runs. */
export type ReplicasMode = 'auto' | 'on' | 'off';
const REPLICAS_MODES: readonly ReplicasMode[] = ['auto', 'on', 'off'];

/** Defaults of the lab's flags. */
export const LAB_DEFAULTS = {
  duration: '20s',
  interval: '100ms',
  serviceTimeFactor: 1.5,
  capacity: 1,
  out: 'tickguard-lab-report.html',
  replicasDuration: '8s',
  redis: DEFAULT_STORE_URLS.redis,
  postgres: DEFAULT_STORE_URLS.postgres,
} as const;

/** The replicas scene needs a few ticks before its kill and a few after. */
const MIN_REPLICA_TICKS = 6;

const VALUE_FLAGS = [
  '--duration', '--interval', '--service-time', '--capacity', '--strategies', '--parallel', '--out',
  '--redis', '--postgres', '--replicas-duration',
] as const;
const SWITCHES = ['--json', '--no-report', '--help', '-h'] as const;
/** `--replicas` (alone: on; or `--replicas=on|off|auto`, `--replicas off`) and `--no-replicas`. */
const REPLICAS_FLAGS = ['--replicas', '--no-replicas'] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];

/** Bounds that keep a run meaningful and the machine standing. */
const LIMITS = {
  durationMs: { min: 100, max: 60 * 60_000 },
  intervalMs: { min: 5, max: 60_000 },
  serviceTimeMs: { min: 1, max: 60_000 },
  capacity: { min: 1, max: 1_000 },
  parallel: { min: 1, max: 16 },
} as const;

/** The usage of `tickguard lab`. */
export const LAB_USAGE = `Usage: tickguard lab [options]

Reproduces the tick avalanche against a slow downstream, next to tickguard's three fixes.
Each strategy runs in its own child process; the result is a table, an HTML report and an
exit code (1 if a tickguard strategy broke its promise: a self-check of the engine).

Options:
  --duration <d>       how long each strategy runs                      (default ${LAB_DEFAULTS.duration})
  --interval <d>       tick interval                                    (default ${LAB_DEFAULTS.interval})
  --service-time <d>   downstream time per request          (default ${LAB_DEFAULTS.serviceTimeFactor} × interval, 150ms)
  --capacity <n>       requests the downstream serves at once           (default ${LAB_DEFAULTS.capacity})
  --strategies <list>  comma-separated, or "all"                        (default all)
  --parallel <n>       strategies run side by side                      (default all)
  --json               print only a JSON object on stdout
  --out <file>         HTML report                    (default ${LAB_DEFAULTS.out})
  --no-report          write no HTML report
  -h, --help           show this help

The replicas scene: 3 replicas of one fixedRate job with no coordinator (every replica runs
every tick) next to 3 through a Redis or PostgreSQL coordinator (each tick once); one replica
of each group is killed (SIGKILL) halfway.
  --replicas[=on|off|auto]  auto: run it if a store answers; on: a store is required
                       (exit 1 without one); off: skip it                (default auto)
  --no-replicas        same as --replicas=off
  --redis <url>        Redis to coordinate through          (default ${LAB_DEFAULTS.redis})
  --postgres <url>     PostgreSQL to coordinate through, if Redis does not answer
                                             (default ${LAB_DEFAULTS.postgres})
  --replicas-duration <d>  how long the scene runs   (default the duration, at most ${LAB_DEFAULTS.replicasDuration})

Durations: milliseconds, or a number and a unit: 250ms, 1.5s, 2m, 1m30s.
Strategies: ${STRATEGY_NAMES.join(', ')}.`;

/** Parses the arguments that follow `lab`. Throws a {@link UsageError} for anything it cannot run. */
export function parseLabArgs(argv: readonly string[]): LabOptions {
  const values = new Map<ValueFlag, string>();
  let json = false;
  let noReport = false;
  let help = false;
  let replicas: { mode: ReplicasMode; flag: string } | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    if ((REPLICAS_FLAGS as readonly string[]).includes(flag)) {
      if (replicas !== undefined) throw new UsageError(`${replicas.flag} and ${arg} were both given; give one`);
      if (flag === '--no-replicas') {
        if (eq !== -1) throw new UsageError(`Option --no-replicas takes no value, got ${JSON.stringify(arg)}`);
        replicas = { mode: 'off', flag };
        continue;
      }
      const next = argv[i + 1];
      let mode: string = 'on';
      if (eq !== -1) mode = arg.slice(eq + 1);
      else if (next !== undefined && (REPLICAS_MODES as readonly string[]).includes(next)) {
        mode = next;
        i += 1;
      }
      if (!(REPLICAS_MODES as readonly string[]).includes(mode)) {
        throw new UsageError(`Expected --replicas to be ${REPLICAS_MODES.join(', ')} (or given alone: on), got ${JSON.stringify(mode)}`);
      }
      replicas = { mode: mode as ReplicasMode, flag: eq === -1 && mode !== 'on' ? `--replicas ${mode}` : arg };
      continue;
    }
    if (isValueFlag(flag)) {
      let value: string | undefined;
      if (eq !== -1) value = arg.slice(eq + 1);
      else {
        value = argv[i + 1];
        i += 1;
      }
      if (value === undefined || (eq === -1 && value.startsWith('--'))) {
        throw new UsageError(`Option ${flag} needs a value`);
      }
      if (values.has(flag)) throw new UsageError(`Option ${flag} was given twice`);
      values.set(flag, value);
      continue;
    }
    if ((SWITCHES as readonly string[]).includes(flag)) {
      if (eq !== -1) throw new UsageError(`Option ${flag} takes no value, got ${JSON.stringify(arg)}`);
      if (flag === '--json') json = true;
      else if (flag === '--no-report') noReport = true;
      else help = true;
      continue;
    }
    if (arg.startsWith('-')) {
      const hint = closest(flag, [...VALUE_FLAGS, ...SWITCHES, ...REPLICAS_FLAGS]);
      throw new UsageError(`Unknown option ${flag}${hint === undefined ? '' : `; did you mean ${hint}?`}`);
    }
    throw new UsageError(`Unexpected argument ${JSON.stringify(arg)}: tickguard lab takes options only`);
  }

  const intervalMs = durationFlag(values, '--interval', LAB_DEFAULTS.interval, LIMITS.intervalMs);
  const serviceTimeMs = values.has('--service-time')
    ? durationFlag(values, '--service-time', undefined, LIMITS.serviceTimeMs)
    : Math.round(intervalMs * LAB_DEFAULTS.serviceTimeFactor);
  const durationMs = durationFlag(values, '--duration', LAB_DEFAULTS.duration, LIMITS.durationMs);
  if (durationMs < 5 * intervalMs) {
    throw new UsageError(`Expected --duration to be at least 5 intervals (${5 * intervalMs}ms) so that ticks can pile up, got ${durationMs}ms`);
  }
  const strategies = parseStrategies(values.get('--strategies'));
  const out = values.get('--out');
  if (out !== undefined && out.trim() === '') throw new UsageError('Expected --out to be a file path, got an empty string');
  if (out !== undefined && noReport) throw new UsageError('--out and --no-report contradict each other; give one');
  const replicasMode = replicas?.mode ?? 'auto';
  if (replicasMode === 'off') {
    for (const flag of ['--redis', '--postgres', '--replicas-duration'] as const) {
      if (values.has(flag)) throw new UsageError(`${replicas!.flag} and ${flag} contradict each other; give one`);
    }
  }
  const minReplicasMs = MIN_REPLICA_TICKS * intervalMs;
  let replicasDurationMs = Math.max(minReplicasMs, Math.min(durationMs, parseDuration(LAB_DEFAULTS.replicasDuration, '--replicas-duration')));
  if (values.has('--replicas-duration')) {
    replicasDurationMs = durationFlag(values, '--replicas-duration', undefined, LIMITS.durationMs);
    if (replicasDurationMs < minReplicasMs) {
      throw new UsageError(`Expected --replicas-duration to be at least ${MIN_REPLICA_TICKS} intervals (${minReplicasMs}ms) so that ticks run before and after the kill, got ${replicasDurationMs}ms`);
    }
  }
  return {
    durationMs,
    intervalMs,
    serviceTimeMs,
    capacity: integerFlag(values, '--capacity', LAB_DEFAULTS.capacity, LIMITS.capacity),
    strategies,
    parallel: Math.min(strategies.length, integerFlag(values, '--parallel', strategies.length, LIMITS.parallel)),
    json,
    out: noReport ? null : (out ?? LAB_DEFAULTS.out),
    help,
    replicas: replicasMode,
    redisUrl: storeUrl(values, '--redis', ['redis:', 'rediss:']),
    postgresUrl: storeUrl(values, '--postgres', ['postgres:', 'postgresql:']),
    replicasDurationMs,
  };
}

function storeUrl(values: ReadonlyMap<ValueFlag, string>, flag: '--redis' | '--postgres', protocols: readonly string[]): string | null {
  const text = values.get(flag);
  if (text === undefined) return null;
  let protocol: string | undefined;
  try {
    protocol = new URL(text).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol === undefined || !protocols.includes(protocol)) {
    const example = flag === '--redis' ? LAB_DEFAULTS.redis : LAB_DEFAULTS.postgres;
    throw new UsageError(`Expected ${flag} to be a ${protocols.map((p) => `${p}//`).join(' or ')} URL such as ${example}, got ${JSON.stringify(text)}`);
  }
  return text;
}

function isValueFlag(flag: string): flag is ValueFlag {
  return (VALUE_FLAGS as readonly string[]).includes(flag);
}

function durationFlag(
  values: ReadonlyMap<ValueFlag, string>,
  flag: ValueFlag,
  fallback: string | undefined,
  bounds: { readonly min: number; readonly max: number },
): number {
  const text = values.get(flag) ?? fallback;
  let ms: number;
  try {
    ms = parseDuration(text, flag);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (ms < bounds.min || ms > bounds.max) {
    throw new UsageError(`Expected ${flag} to be between ${bounds.min}ms and ${bounds.max}ms, got ${JSON.stringify(text)} (${ms}ms)`);
  }
  return ms;
}

function integerFlag(
  values: ReadonlyMap<ValueFlag, string>,
  flag: ValueFlag,
  fallback: number,
  bounds: { readonly min: number; readonly max: number },
): number {
  const text = values.get(flag);
  if (text === undefined) return fallback;
  const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < bounds.min || n > bounds.max) {
    throw new UsageError(`Expected ${flag} to be an integer from ${bounds.min} to ${bounds.max}, got ${JSON.stringify(text)}`);
  }
  return n;
}

function parseStrategies(text: string | undefined): StrategyName[] {
  if (text === undefined || text.trim() === 'all') return [...STRATEGY_NAMES];
  const names = text.split(',').map((name) => name.trim()).filter((name) => name !== '');
  if (names.length === 0) throw new UsageError('Expected --strategies to name at least one strategy');
  const chosen = new Set<StrategyName>();
  for (const name of names) {
    if (!isStrategyName(name)) {
      const hint = closest(name, STRATEGY_NAMES);
      throw new UsageError(
        `Unknown strategy ${JSON.stringify(name)}${hint === undefined ? '' : `; did you mean ${hint}?`} Known: ${STRATEGY_NAMES.join(', ')}`,
      );
    }
    chosen.add(name);
  }
  // Report order is the canonical order, whatever order the flag listed them in.
  return STRATEGY_NAMES.filter((name) => chosen.has(name));
}
