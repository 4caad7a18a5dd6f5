/** The orchestrator's handle on one replica process: spawn it, talk to it over IPC, wait for its answers. */
import { spawn, type ChildProcess } from 'node:child_process';
import type { ChildMessage, ParentMessage, ReplicaSpec } from './types.js';

const TAIL_CHARS = 4_000;

/** How the child harness is run: a bundle on plain Node, or child.ts through tsx's loader (the parent's execArgv). */
export interface ChildEntry {
  readonly args: readonly string[];
}

export class ReplicaProcess {
  readonly #child: ChildProcess;
  readonly #inbox: ChildMessage[] = [];
  #waiter: ((message: ChildMessage | undefined) => void) | undefined;
  #tail = '';
  #exited = false;
  /** Notes the child sent with `ready` (e.g. pre-fill time). */
  readonly notes: string[] = [];

  private constructor(entry: ChildEntry, spec: ReplicaSpec) {
    this.#child = spawn(process.execPath, [...entry.args, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const keep = (chunk: Buffer): void => {
      this.#tail = (this.#tail + chunk.toString('utf8')).slice(-TAIL_CHARS);
    };
    this.#child.stdout?.on('data', keep);
    this.#child.stderr?.on('data', keep);
    this.#child.on('message', (message: ChildMessage) => {
      if (message.kind === 'ready' && message.note !== undefined) this.notes.push(message.note);
      const waiter = this.#waiter;
      if (waiter !== undefined) {
        this.#waiter = undefined;
        waiter(message);
      } else {
        this.#inbox.push(message);
      }
    });
    this.#child.on('exit', () => {
      this.#exited = true;
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter?.(undefined);
    });
  }

  /** Spawns a replica process and waits until it is connected to its store. */
  static async start(entry: ChildEntry, spec: ReplicaSpec, timeoutMs = 20_000): Promise<ReplicaProcess> {
    const replica = new ReplicaProcess(entry, spec);
    await replica.expect('ready', timeoutMs);
    return replica;
  }

  send(message: ParentMessage): void {
    if (!this.#exited) this.#child.send(message);
  }

  /** The next message, which must be of `kind`. */
  async expect<K extends ChildMessage['kind']>(kind: K, timeoutMs: number): Promise<Extract<ChildMessage, { kind: K }>> {
    const message = await this.#next(timeoutMs);
    if (message === undefined) throw new Error(`replica process ended or did not answer within ${timeoutMs / 1000} s (waiting for ${kind}): ${this.#tail.trim().split('\n').slice(-5).join(' | ')}`);
    if (message.kind === 'error') throw new Error(`replica process failed: ${message.message}`);
    if (message.kind !== kind) throw new Error(`replica process sent ${message.kind}, expected ${kind}`);
    return message as Extract<ChildMessage, { kind: K }>;
  }

  #next(timeoutMs: number): Promise<ChildMessage | undefined> {
    const queued = this.#inbox.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#exited) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.#waiter = (message) => {
        clearTimeout(timer);
        resolve(message);
      };
    });
  }

  /** Asks the child to close its connections and exit; kills it if it does not. */
  async close(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.send({ kind: 'exit' });
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}
