/**
 * The replicas scene, parent side: starts three naive replicas and three coordinated ones (one
 * child process each, see replica-worker.ts), opens a window of ticks once all six are ready,
 * SIGKILLs one replica of each group halfway through, asks the others to stop at the end, and
 * collects every run they reported. Then it removes this run's keys or schema from the store.
 *
 * Every child is ended, whatever happens: the survivors exit once stopped, and any child still
 * there at a hard deadline, on an interrupt, on a failure or when this process exits is killed.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { ReplicaConfig, ReplicaEnd, ReplicaGroup, ReplicaMessage, ReplicaRun, StoreTarget } from './protocol.js';
import { planWindow, type SceneWindow } from './replicas-count.js';
import { workerLaunch, type WorkerLaunch } from './runner.js';
import { cleanUpStore, prepareStore } from './stores.js';

/** Replicas per group. */
export const REPLICAS_PER_GROUP = 3;
/** The replica of each group killed midway. */
export const KILLED_REPLICA = 3;
/** The job every replica runs. */
export const REPLICA_JOB = 'lab-replicas';
/** Time the children may take to load (tsx compiles on first use) and connect. */
const STARTUP_ALLOWANCE_MS = 20_000;
/** After the stop: time for the survivors to stop their scheduler and report. */
const STOP_ALLOWANCE_MS = 5_000;
const GROUPS: readonly ReplicaGroup[] = ['naive', 'coordinated'];

/** What the scene is asked to do. */
export interface ReplicasSettings {
  readonly store: StoreTarget;
  readonly intervalMs: number;
  readonly runMs: number;
  readonly durationMs: number;
}

/** What the scene saw. */
export interface ReplicasOutcome {
  readonly settings: ReplicasSettings;
  /** `null` when the replicas never all became ready. */
  readonly window: SceneWindow | null;
  readonly runs: readonly ReplicaRun[];
  readonly ends: readonly ReplicaEnd[];
  /** Why the scene could not run to the end, or `null`. */
  readonly error: string | null;
  readonly cleanedUp: boolean;
}

/** Hears about the scene as it goes. */
export interface ReplicasListener {
  onReplicasStart?(window: SceneWindow): void;
  onReplicaRun?(run: ReplicaRun): void;
  onReplicasKill?(): void;
  onReplicasEnd?(outcome: ReplicasOutcome): void;
}

interface Child {
  readonly group: ReplicaGroup;
  readonly replica: number;
  readonly process: ChildProcess;
  readonly closed: Promise<void>;
  ready: boolean;
  killed: boolean;
  done: Extract<ReplicaMessage, { type: 'done' }> | null;
  error: string | null;
  output: string;
}

/** Runs the scene and resolves with what it saw; `signal` ends it at once (every child killed). */
export async function runReplicasScene(
  settings: ReplicasSettings,
  listener: ReplicasListener = {},
  signal?: AbortSignal,
  launch: WorkerLaunch = { ...workerLaunch(), args: ['__lab-replica'] },
): Promise<ReplicasOutcome> {
  const children: Child[] = [];
  const runs: ReplicaRun[] = [];
  const killAll = (): void => {
    for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  };
  process.on('exit', killAll);
  let window: SceneWindow | null = null;
  let error: string | null = null;
  const timers: ReturnType<typeof setTimeout>[] = [];
  try {
    await prepareStore(settings.store);
    for (const group of GROUPS) {
      for (let replica = 1; replica <= REPLICAS_PER_GROUP; replica += 1) {
        const config: ReplicaConfig = {
          group,
          replica,
          jobName: REPLICA_JOB,
          intervalMs: settings.intervalMs,
          runMs: settings.runMs,
          store: group === 'coordinated' ? settings.store : null,
        };
        children.push(startChild(config, launch, (run) => {
          runs.push(run);
          listener.onReplicaRun?.(run);
        }));
      }
    }

    const interrupted = new Promise<'interrupted'>((resolve) => {
      if (signal?.aborted === true) resolve('interrupted');
      signal?.addEventListener('abort', () => resolve('interrupted'), { once: true });
    });
    const ready = await Promise.race([allReady(children), interrupted, sleep(STARTUP_ALLOWANCE_MS, timers).then(() => 'timeout' as const)]);
    if (ready !== 'ready') {
      error = ready === 'interrupted'
        ? 'the lab was interrupted'
        : ready === 'timeout'
          ? `the replicas were not all ready ${STARTUP_ALLOWANCE_MS / 1_000}s after they were started`
          : ready;
      return await finish();
    }

    const plan = planWindow(Date.now(), settings.intervalMs, settings.durationMs, settings.runMs, Math.max(300, 2 * settings.intervalMs));
    window = plan;
    listener.onReplicasStart?.(plan);
    timers.push(setTimeout(() => {
      for (const child of children) {
        if (child.replica !== KILLED_REPLICA) continue;
        child.killed = true;
        child.process.kill('SIGKILL');
      }
      listener.onReplicasKill?.();
    }, plan.killAtMs - Date.now()));
    timers.push(setTimeout(() => {
      for (const child of children) {
        if (!child.killed && child.process.connected) child.process.send({ type: 'stop' });
      }
    }, plan.stopAtMs - Date.now()));

    const deadline = sleep(plan.stopAtMs - Date.now() + STOP_ALLOWANCE_MS, timers).then(() => 'timeout' as const);
    const ended = await Promise.race([Promise.all(children.map((child) => child.closed)).then(() => 'ended' as const), interrupted, deadline]);
    if (ended === 'interrupted') error = 'the lab was interrupted';
    else if (ended === 'timeout') {
      for (const child of children) {
        if (child.done === null && !child.killed) child.error ??= `killed: had not stopped ${STOP_ALLOWANCE_MS / 1_000}s after it was asked to`;
      }
    }
    return await finish();
  } catch (caught) {
    error = caught instanceof Error ? caught.message : String(caught);
    return await finish();
  } finally {
    process.off('exit', killAll);
  }

  async function finish(): Promise<ReplicasOutcome> {
    for (const timer of timers) clearTimeout(timer);
    killAll();
    await Promise.all(children.map((child) => child.closed));
    let cleanedUp = false;
    try {
      await cleanUpStore(settings.store);
      cleanedUp = true;
    } catch (caught) {
      error ??= `could not clean up ${settings.store.namespace}: ${caught instanceof Error ? caught.message : String(caught)}`;
    }
    const ends: ReplicaEnd[] = children.map((child) => ({
      group: child.group,
      replica: child.replica,
      killed: child.killed,
      // Killed on purpose is no failure; any other end without a last report is.
      error: child.killed ? null : child.error,
      skipped: child.done?.skipped ?? {},
    }));
    const outcome: ReplicasOutcome = { settings, window, runs, ends, error, cleanedUp };
    listener.onReplicasEnd?.(outcome);
    return outcome;
  }
}

function startChild(config: ReplicaConfig, launch: WorkerLaunch, onRun: (run: ReplicaRun) => void): Child {
  const proc = fork(launch.modulePath, [...launch.args, JSON.stringify(config)], {
    execArgv: [...launch.execArgv],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
  });
  let onClose: () => void = () => undefined;
  const child: Child = {
    group: config.group,
    replica: config.replica,
    process: proc,
    closed: new Promise<void>((resolve) => {
      onClose = resolve;
    }),
    ready: false,
    killed: false,
    done: null,
    error: null,
    output: '',
  };
  const keepTail = (chunk: Buffer): void => {
    child.output = (child.output + chunk.toString('utf8')).slice(-2_000);
  };
  proc.stdout?.on('data', keepTail);
  proc.stderr?.on('data', keepTail);
  proc.on('message', (message: ReplicaMessage) => {
    if (message.type === 'ready') child.ready = true;
    else if (message.type === 'run') onRun(message.run);
    else if (message.type === 'done') child.done = message;
  });
  proc.on('error', (error) => {
    child.error ??= `cannot run the replica: ${error.message}`;
  });
  proc.on('close', (code, signal) => {
    if (!child.killed && child.done === null && child.error === null) {
      const how = signal === null ? `exited with code ${String(code)}` : `was ended by ${signal}`;
      const tail = child.output.trim().split('\n').slice(-3).join(' | ');
      child.error = `the replica ${how}${tail === '' ? '' : `: ${tail}`}`;
    }
    onClose();
  });
  return child;
}

/** Resolves `'ready'` once every child said so, or with the first child's failure. */
function allReady(children: readonly Child[]): Promise<string> {
  return new Promise((resolve) => {
    const check = (): void => {
      const failed = children.find((child) => child.error !== null || (!child.ready && (child.process.exitCode !== null || child.process.signalCode !== null)));
      if (failed !== undefined) {
        resolve(`${failed.group} replica ${failed.replica} did not start: ${failed.error ?? 'it exited'}`);
        return;
      }
      if (children.every((child) => child.ready)) resolve('ready');
    };
    for (const child of children) {
      child.process.on('message', check);
      void child.closed.then(check);
    }
    check();
  });
}

function sleep(ms: number, timers: ReturnType<typeof setTimeout>[]): Promise<void> {
  return new Promise((resolve) => {
    timers.push(setTimeout(resolve, Math.max(0, ms)));
  });
}
