/**
 * The parent side of the multi-process tests: starts replicas (`replica.ts`) as real child
 * processes, talks to them (stdout lines, IPC), stops them, and makes sure none outlives its test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ReplicaConfig } from './replica.js';

const REPLICA_SCRIPT = fileURLToPath(new URL('./replica.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A JSON line a replica printed, with the replica's name and its wall time. */
export interface ReplicaLine {
  readonly kind: string;
  readonly replica: string;
  readonly at: number;
  readonly [key: string]: unknown;
}

/** What a replica sends over IPC. */
export interface ReplicaMessage {
  readonly kind: 'run-started';
  readonly replica: string;
  readonly tickId: string;
  readonly token: number | null;
}

/** Every child started and not yet seen to exit: `killLeftovers()` ends them. */
const live = new Set<ChildProcess>();

export class ReplicaProcess {
  readonly name: string;
  readonly config: ReplicaConfig;
  readonly child: ChildProcess;
  readonly lines: ReplicaLine[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly #watchers = new Set<(line: ReplicaLine) => void>();
  readonly #messageWatchers = new Set<(message: ReplicaMessage) => void>();

  constructor(config: ReplicaConfig) {
    this.name = config.replica;
    this.config = config;
    const child = spawn(process.execPath, ['--import', 'tsx', REPLICA_SCRIPT], {
      cwd: ROOT,
      env: { ...process.env, TICKGUARD_REPLICA: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    live.add(child);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
    });
    let pending = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      pending += chunk;
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const text = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
        let line: ReplicaLine;
        try {
          line = JSON.parse(text) as ReplicaLine;
        } catch {
          line = { kind: 'text', replica: this.name, at: Date.now(), text };
        }
        this.lines.push(line);
        for (const watch of this.#watchers) watch(line);
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      // Keep the head (a crash at start) and the tail; the middle is noise.
      this.stderr = (this.stderr + chunk).slice(-20_000);
    });
    child.on('message', (message: ReplicaMessage) => {
      for (const watch of this.#messageWatchers) watch(message);
    });
    // An IPC send to a child that just died is not this test's failure.
    child.on('error', () => {});
  }

  get alive(): boolean {
    return this.#exit === undefined;
  }

  get exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.#exit;
  }

  /** The first line (already printed or to come) that `match` accepts. */
  line(match: (line: ReplicaLine) => boolean, timeoutMs: number, what: string): Promise<ReplicaLine> {
    const seen = this.lines.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const watcher = (line: ReplicaLine): void => {
        if (!match(line)) return;
        cleanup();
        resolve(line);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`replica ${this.name}: no ${what} within ${timeoutMs} ms (exit: ${JSON.stringify(this.#exit)}; stderr: ${this.stderr.slice(-2_000)})`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#watchers.delete(watcher);
      };
      this.#watchers.add(watcher);
    });
  }

  onMessage(watch: (message: ReplicaMessage) => void): () => void {
    this.#messageWatchers.add(watch);
    return () => this.#messageWatchers.delete(watch);
  }

  send(message: Record<string, unknown>): void {
    if (this.alive && this.child.connected) this.child.send(message, () => {});
  }

  kill(signal: NodeJS.Signals): void {
    if (this.alive) this.child.kill(signal);
  }

  /** Lines of one kind. */
  linesOf(kind: string): ReplicaLine[] {
    return this.lines.filter((line) => line.kind === kind);
  }
}

/** Starts one process per config. */
export function startReplicas(configs: readonly ReplicaConfig[]): ReplicaProcess[] {
  return configs.map((config) => new ReplicaProcess(config));
}

/** Resolves when every replica printed `ready`; with the time the last one did. */
export async function allReady(replicas: readonly ReplicaProcess[], timeoutMs = 20_000): Promise<number> {
  const lines = await Promise.all(replicas.map((replica) => replica.line((line) => line.kind === 'ready', timeoutMs, 'ready line')));
  return Math.max(...lines.map((line) => line.at));
}

/** The next `run-started` (from now on) of any of `replicas` that `match` accepts. */
export function nextRunStart(replicas: readonly ReplicaProcess[], timeoutMs: number, match: (message: ReplicaMessage) => boolean = () => true): Promise<ReplicaMessage & { at: number }> {
  return new Promise((resolve, reject) => {
    const stops: (() => void)[] = [];
    const cleanup = (): void => {
      clearTimeout(timer);
      for (const stop of stops) stop();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no run started on any replica within ${timeoutMs} ms`));
    }, timeoutMs);
    for (const replica of replicas) {
      stops.push(replica.onMessage((message) => {
        if (message.kind !== 'run-started' || !match(message)) return;
        cleanup();
        resolve({ ...message, at: Date.now() });
      }));
    }
  });
}

/**
 * SIGTERM to every replica still running (they stop their schedulers and exit), SIGKILL to any
 * that has not exited within `graceMs`. Resolves with the time the SIGTERMs were sent.
 */
export async function stopReplicas(replicas: readonly ReplicaProcess[], graceMs = 6_000): Promise<number> {
  const at = Date.now();
  for (const replica of replicas) replica.kill('SIGTERM');
  await Promise.all(replicas.map(async (replica) => {
    const timer = setTimeout(() => replica.kill('SIGKILL'), graceMs);
    await replica.exited;
    clearTimeout(timer);
  }));
  return at;
}

/** SIGKILLs every child process still running; resolves once they are gone. How many there were. */
export async function killLeftovers(): Promise<number> {
  const children = [...live];
  await Promise.all(children.map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      live.delete(child);
      resolve();
      return;
    }
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  })));
  return children.length;
}

/** How many child processes are still running. */
export function liveChildren(): number {
  return live.size;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` every 20 ms until it returns something other than `undefined`. */
export async function until<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}
