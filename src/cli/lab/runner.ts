/**
 * Runs the strategies, each in a child process, at most `parallel` at a time, and collects
 * their samples and results. A child is always ended: it exits by itself once it has sent its
 * result, and is killed if it has not finished by a hard deadline, when the caller aborts, or
 * when this process exits.
 *
 * The child runs the CLI's hidden `__lab-worker` command. From the source that is
 * src/cli/main.ts, loaded through tsx, whose loader the parent passes on in `execArgv` (or adds
 * when it is missing, e.g. under a test runner). From the bundle it is dist/cli/main.js, the very
 * file this code was bundled into: tsup builds the CLI as one file, so there is no separate
 * worker file to point at.
 *
 * The naive strategies run under the doctor (`--import` of src/doctor/index.ts, or dist/doctor.js
 * beside the bundle), as an app would: it writes its JSON report when the worker exits, and the
 * runner reads it back as "what the doctor saw".
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DoctorReport } from '../../doctor/report.js';
import type { Sample, WorkerConfig, WorkerMessage, WorkerResult } from './protocol.js';
import type { StrategyName } from './strategies.js';

/** What the runner needs to know: which strategies, how many at once, and what each worker is told. */
export interface RunnerSettings extends Omit<WorkerConfig, 'strategy'> {
  readonly strategies: readonly StrategyName[];
  readonly parallel: number;
  /** Strategies to run under the doctor. @default none */
  readonly doctor?: readonly StrategyName[];
}

/** What became of one strategy's child. */
export interface StrategyOutcome {
  readonly name: StrategyName;
  readonly samples: readonly Sample[];
  /** `null` when the child failed; `error` then says how. */
  readonly result: WorkerResult | null;
  readonly error: string | null;
  /** The doctor's report, for a strategy run under it; `null` otherwise or when it wrote none. */
  readonly doctor: DoctorReport | null;
}

/** Hears about children as they go. */
export interface RunnerListener {
  onStart?(name: StrategyName): void;
  onSample?(name: StrategyName, sample: Sample): void;
  onEnd?(outcome: StrategyOutcome): void;
}

/** How to start a worker process. */
export interface WorkerLaunch {
  readonly modulePath: string;
  readonly args: readonly string[];
  readonly execArgv: readonly string[];
  /** What to `--import` to run a worker under the doctor, or `null` when it cannot be found. */
  readonly doctorImport: string | null;
}

/** Heap limit of a child: a naive strategy that escapes its caps dies alone, not the machine. */
const CHILD_MAX_OLD_SPACE_MB = 512;
/** Time a child may take to load (tsx compiles on first use) on top of its run. */
const STARTUP_ALLOWANCE_MS = 20_000;
/** tickguard's stop timeout in the worker, plus margin. */
const STOP_ALLOWANCE_MS = 5_000;
/** A child that sent its result but has not exited after this long is killed. */
const EXIT_ALLOWANCE_MS = 2_000;
/** How often the doctor samples a worker: a lab run lasts seconds, not hours. */
const DOCTOR_SAMPLE = '250ms';
/** Flags of this process not to pass on to children. */
const DROPPED_EXEC_ARGS = ['--inspect', '--debug', '--max-old-space-size', '--cpu-prof', '--heap-prof', '--heapsnapshot'];

/** Finds the worker entry for the way this code is running: from source, or bundled. */
export function workerLaunch(): WorkerLaunch {
  const self = fileURLToPath(import.meta.url);
  const fromSource = self.endsWith('.ts');
  const modulePath = fromSource ? fileURLToPath(new URL('../main.ts', import.meta.url)) : self;
  const inherited = process.execArgv.filter((arg) => !DROPPED_EXEC_ARGS.some((prefix) => arg.startsWith(prefix)));
  const hasTsx = inherited.some((arg) => /[\\/]tsx[\\/]|^tsx$/.test(arg));
  const loader = fromSource && !hasTsx ? ['--import', tsxLoaderUrl()] : [];
  const doctor = fromSource ? new URL('../../doctor/index.ts', import.meta.url) : new URL('../doctor.js', import.meta.url);
  return {
    modulePath,
    args: ['__lab-worker'],
    execArgv: [...inherited, ...loader, `--max-old-space-size=${CHILD_MAX_OLD_SPACE_MB}`],
    doctorImport: existsSync(doctor) ? doctor.href : null,
  };
}

function tsxLoaderUrl(): string {
  // tsx's package entry is its ESM loader, registered with --import.
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
}

/**
 * Runs every strategy in `settings` and resolves with their outcomes, in the order given.
 * `signal` kills the children still running; their outcomes then carry an error.
 */
export async function runStrategies(
  settings: RunnerSettings,
  listener: RunnerListener = {},
  signal?: AbortSignal,
  launch: WorkerLaunch = workerLaunch(),
): Promise<StrategyOutcome[]> {
  const children = new Set<ChildProcess>();
  const killAll = (): void => {
    for (const child of children) child.kill('SIGKILL');
  };
  process.on('exit', killAll);
  const pending = [...settings.strategies];
  const outcomes = new Map<StrategyName, StrategyOutcome>();
  const lane = async (): Promise<void> => {
    for (let name = pending.shift(); name !== undefined; name = pending.shift()) {
      if (signal?.aborted === true) {
        outcomes.set(name, { name, samples: [], result: null, error: 'not run: the lab was interrupted', doctor: null });
        continue;
      }
      listener.onStart?.(name);
      const outcome = await runChild(name, settings, launch, listener, children, signal);
      outcomes.set(name, outcome);
      listener.onEnd?.(outcome);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, settings.parallel) }, lane));
  } finally {
    process.off('exit', killAll);
    killAll();
  }
  return settings.strategies.map((name) => outcomes.get(name)!);
}

function runChild(
  name: StrategyName,
  settings: RunnerSettings,
  launch: WorkerLaunch,
  listener: RunnerListener,
  children: Set<ChildProcess>,
  signal: AbortSignal | undefined,
): Promise<StrategyOutcome> {
  const { strategies: _strategies, parallel: _parallel, doctor: underDoctor = [], ...shared } = settings;
  const config: WorkerConfig = { ...shared, strategy: name };
  const doctorReport = underDoctor.includes(name) && launch.doctorImport !== null
    ? join(tmpdir(), `tickguard-lab-doctor-${process.pid}-${randomUUID()}.json`)
    : null;
  return new Promise<StrategyOutcome>((resolve) => {
    const samples: Sample[] = [];
    let result: WorkerResult | null = null;
    let failure: string | null = null;
    let output = '';
    const keepTail = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-4_000);
    };
    const child = fork(launch.modulePath, [...launch.args, JSON.stringify(config)], {
      // Source maps on, so that the doctor names lines of strategies.ts, not of the bundle.
      execArgv: doctorReport === null ? [...launch.execArgv] : [...launch.execArgv, '--enable-source-maps', '--import', launch.doctorImport!],
      env: doctorReport === null
        ? process.env
        : { ...process.env, TICKGUARD_DOCTOR: 'quiet', TICKGUARD_DOCTOR_REPORT: doctorReport, TICKGUARD_DOCTOR_HTML: 'off', TICKGUARD_DOCTOR_SAMPLE: DOCTOR_SAMPLE },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    children.add(child);
    child.stdout?.on('data', keepTail);
    child.stderr?.on('data', keepTail);

    const hardLimitMs = STARTUP_ALLOWANCE_MS + settings.durationMs + settings.graceMs + STOP_ALLOWANCE_MS;
    const deadline = setTimeout(() => {
      failure = `killed: the worker had not finished ${Math.round(hardLimitMs / 1000)}s after it was started`;
      child.kill('SIGKILL');
    }, hardLimitMs);
    let exitTimer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = (): void => {
      failure ??= 'killed: the lab was interrupted';
      child.kill('SIGKILL');
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    child.on('message', (message: unknown) => {
      if (!isWorkerMessage(message)) {
        failure ??= `the worker sent an unexpected message: ${JSON.stringify(message).slice(0, 200)}`;
        return;
      }
      if (message.type === 'sample') {
        samples.push(message.sample);
        listener.onSample?.(name, message.sample);
      } else {
        result = message.result;
        exitTimer = setTimeout(() => child.kill('SIGKILL'), EXIT_ALLOWANCE_MS);
      }
    });
    child.on('error', (error) => {
      failure ??= `cannot run the worker: ${error.message}`;
    });
    child.on('close', (code, killedBy) => {
      clearTimeout(deadline);
      clearTimeout(exitTimer);
      signal?.removeEventListener('abort', onAbort);
      children.delete(child);
      const doctor = doctorReport === null ? null : readDoctorReport(doctorReport);
      if (result !== null && failure === null) {
        resolve({ name, samples, result, error: null, doctor });
        return;
      }
      const how = killedBy === null ? `exited with code ${String(code)}` : `was ended by ${killedBy}`;
      const reason = failure ?? `the worker ${how} before reporting a result`;
      const tail = output.trim();
      resolve({ name, samples, result: null, error: tail === '' ? reason : `${reason}\n${tail}`, doctor });
    });
  });
}

/** The doctor's report a worker left on exit (then removed), or `null` when it left none. */
function readDoctorReport(path: string): DoctorReport | null {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DoctorReport;
  } catch {
    // Half a file (the worker was killed while writing): no report to show.
    return null;
  } finally {
    rmSync(path, { force: true });
  }
}

function isWorkerMessage(value: unknown): value is WorkerMessage {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as { type?: unknown; sample?: unknown; result?: unknown };
  return (message.type === 'sample' && typeof message.sample === 'object' && message.sample !== null) ||
    (message.type === 'result' && typeof message.result === 'object' && message.result !== null);
}
