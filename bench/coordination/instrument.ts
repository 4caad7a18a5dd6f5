/**
 * Counting and timing wrappers for the coordination benchmark. Nothing here changes what the
 * coordinators send: the ioredis client and the pg pool are wrapped in proxies that count and
 * time each command on its way to the store, and the coordinator is wrapped to time its claims.
 *
 *  - ioredis: every `evalsha`/`eval` is one round trip (auto-pipelining is off by default). The
 *    script is told by its shape: 3+ keys = claim, 1 key + 2 args = renew, 1 key + 1 arg = release.
 *    A NOSCRIPT answer followed by `eval` counts as two round trips.
 *  - pg: every `client.query()` on a client from `pool.connect()` is one round trip (a
 *    parameterised query goes out as Parse/Bind/Execute/Sync in one flight). Told apart by its
 *    SQL. `pool.connect()` itself is timed (waiting for a free connection), and connections the
 *    pool opens are counted apart: each costs several round trips of its own.
 */
import type { Redis } from 'ioredis';
import type { Pool, PoolClient } from 'pg';
import type { ClaimOptions, ClaimRequest, ClaimResult, Coordinator } from '../../src/coordination/contract.js';

export const wallNow = (): number => performance.timeOrigin + performance.now();

export type CommandKind = 'claim' | 'renew' | 'release' | 'other';

/** Round trips to the store by kind, plus connections opened. */
export interface RoundTrips {
  claim: number;
  renew: number;
  release: number;
  other: number;
  connections: number;
}

export const noRoundTrips = (): RoundTrips => ({ claim: 0, renew: 0, release: 0, other: 0, connections: 0 });

export function diffRoundTrips(after: RoundTrips, before: RoundTrips): RoundTrips {
  return {
    claim: after.claim - before.claim,
    renew: after.renew - before.renew,
    release: after.release - before.release,
    other: after.other - before.other,
    connections: after.connections - before.connections,
  };
}

/** What a probe collects while its window is open. */
export class Recorder {
  readonly counts: RoundTrips = noRoundTrips();
  /** Store round-trip time of claim commands (client-side: sent → answered), ms. */
  readonly claimCommandMs: number[] = [];
  /** Store round-trip time of renew commands, ms. */
  readonly renewCommandMs: number[] = [];
  /** pg only: time `pool.connect()` waited for a connection, ms. */
  readonly poolWaitMs: number[] = [];
  recording = false;

  count(kind: CommandKind): void {
    this.counts[kind] += 1;
  }

  command(kind: CommandKind, ms: number): void {
    if (!this.recording) return;
    if (kind === 'claim') this.claimCommandMs.push(ms);
    else if (kind === 'renew') this.renewCommandMs.push(ms);
  }
}

/** The recorder commands are counted into; swapped for a fresh one per measurement. */
export interface RecorderRef {
  current: Recorder;
}

function timed<T>(promise: Promise<T>, done: (ms: number) => void): Promise<T> {
  const started = performance.now();
  promise.then(
    () => done(performance.now() - started),
    () => done(performance.now() - started),
  );
  return promise;
}

function redisKind(numKeys: unknown, rest: readonly unknown[]): CommandKind {
  const keys = Number(numKeys);
  // The claim script takes the tick, lease and fence keys (and, since the epoch check, the epoch key).
  if (keys >= 3) return 'claim';
  if (keys === 1) return rest.length - 1 >= 2 ? 'renew' : 'release';
  return 'other';
}

/** An ioredis client whose `evalsha`/`eval` calls are counted and timed; everything else passes through. */
export function countingRedis(client: Redis, ref: RecorderRef): Redis {
  const wrap = (method: 'evalsha' | 'eval') => {
    const original = client[method].bind(client) as (...args: unknown[]) => Promise<unknown>;
    return (...args: unknown[]): Promise<unknown> => {
      const kind = redisKind(args[1], args.slice(2));
      const recorder = ref.current;
      recorder.count(kind);
      return timed(original(...args), (ms) => recorder.command(kind, ms));
    };
  };
  const evalsha = wrap('evalsha');
  const evalScript = wrap('eval');
  return new Proxy(client, {
    get(target, property) {
      if (property === 'evalsha') return evalsha;
      if (property === 'eval') return evalScript;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function pgKind(text: string): CommandKind {
  if (text.includes('tickguard_claim(')) return 'claim';
  if (text.includes('SET lease_expires')) return 'renew';
  if (text.includes('lease_owner = NULL')) return 'release';
  return 'other';
}

const WRAPPED = new WeakSet<object>();

/** A pg pool whose `connect()` is timed and whose clients' queries are counted and timed. */
export function countingPool(pool: Pool, ref: RecorderRef): Pool {
  pool.on('connect', () => {
    ref.current.counts.connections += 1;
  });
  const wrapClient = (client: PoolClient): void => {
    if (WRAPPED.has(client)) return;
    WRAPPED.add(client);
    const original = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]): unknown => {
      const config = args[0];
      const text = typeof config === 'string' ? config : ((config as { text?: string } | undefined)?.text ?? '');
      const kind = pgKind(text);
      const recorder = ref.current;
      recorder.count(kind);
      const result = original(...args);
      if (result instanceof Promise) return timed(result, (ms) => recorder.command(kind, ms));
      return result;
    };
  };
  const connect = async (): Promise<PoolClient> => {
    const started = performance.now();
    const recorder = ref.current;
    const client = await pool.connect();
    if (recorder.recording) recorder.poolWaitMs.push(performance.now() - started);
    wrapClient(client);
    return client;
  };
  return new Proxy(pool, {
    get(target, property) {
      if (property === 'connect') return connect;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Claims timed from the call of `claim()` to its verdict, kept for ticks due inside the window. */
export class ClaimTimer {
  readonly latencyMs: number[] = [];
  won = 0;
  refused = 0;
  failed = 0;
  /** Window on the wall clock: claims of ticks due in [from, to) are kept. */
  from = Infinity;
  to = -Infinity;

  #keep(request: ClaimRequest): boolean {
    const due = request.scheduledAt.getTime();
    return due >= this.from && due < this.to;
  }

  #settled(request: ClaimRequest, started: number, value: ClaimResult | undefined, failed: boolean): void {
    if (!this.#keep(request)) return;
    this.latencyMs.push(performance.now() - started);
    if (failed) this.failed += 1;
    else if (value === null || value === false) this.refused += 1;
    else this.won += 1;
  }

  wrap(inner: Coordinator): Coordinator {
    const wrapped: Coordinator = {
      claim: (request: ClaimRequest, options: ClaimOptions) => {
        const started = performance.now();
        const answer = inner.claim(request, options);
        if (answer !== null && typeof answer === 'object' && typeof (answer as PromiseLike<ClaimResult>).then === 'function') {
          return Promise.resolve(answer as PromiseLike<ClaimResult>).then(
            (value) => {
              this.#settled(request, started, value, false);
              return value;
            },
            (error: unknown) => {
              this.#settled(request, started, undefined, true);
              throw error;
            },
          );
        }
        // A synchronous coordinator (memory) stays synchronous: the engine takes a faster path for it.
        this.#settled(request, started, answer as ClaimResult, false);
        return answer;
      },
    };
    if (inner.attach !== undefined) wrapped.attach = inner.attach.bind(inner);
    if (inner.status !== undefined) wrapped.status = inner.status.bind(inner);
    return wrapped;
  }
}
