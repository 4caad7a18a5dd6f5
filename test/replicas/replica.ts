/**
 * One replica of the multi-process fault tests, run as a real child process by the tests in this
 * folder: `node --import tsx test/replicas/replica.ts`, configured by the JSON in the environment
 * variable `TICKGUARD_REPLICA` (see {@link ReplicaConfig}).
 *
 * It creates a scheduler on the system clock (shifted by `offsetMs` when asked: wall and monotonic
 * time alike) with a Redis or PostgreSQL coordinator, adds one `fixedRate: '100ms'` job and writes
 * what its runs do to a sink *outside* the store under test — a JSONL file, with
 * `appendFileSync`, so a line is on disk before the next thing happens and a SIGKILL loses
 * nothing already written:
 *
 *  - `{ kind: 'start', tickId, slot, replica, token, claimSentAt, start }` when a run starts,
 *  - `{ kind: 'end', …, end, outcome, cause }` when it ends (absent for a run that was killed),
 *  - `{ kind: 'renew', replica, token, sentAt, ok }` for each renewal of a lease (ok: true, false or 'error').
 *
 * All times are the real wall clock (`Date.now()`), never the offset one, so the parent can order
 * the lines of all replicas on one time line. The coordinator is wrapped only to record when each
 * claim and renewal was *sent*: a store's lease expiry is at least `sent + ttl`, which is what the
 * parent's oracle checks takeovers against.
 *
 * Protocol with the parent: stdout carries JSON lines (`ready` once the store answered and the job
 * is added, `conn` events of the store client, `log` lines at warn/error, `summary` at exit); IPC
 * carries `run-started` notices to the parent and commands from it (`{ cmd: 'stall', ms }`:
 * busy-wait the event loop). SIGTERM stops the scheduler (aborting runs in flight) and exits; so
 * does the loss of the IPC channel (the parent died).
 */
import { appendFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createScheduler, systemClock, type ClaimResult, type Clock, type Coordinator, type Lease, type Logger } from '../../src/index.js';
import { toError } from '../../src/errors.js';
import { redisCoordinator } from '../../src/integrations/redis.js';
import { postgresCoordinator } from '../../src/integrations/postgres.js';

/** What the parent tells a replica. */
export interface ReplicaConfig {
  readonly replica: string;
  readonly store: 'redis' | 'postgres';
  /** Where the store is (possibly through a proxy of the parent's). */
  readonly url: string;
  /** Redis key prefix, or PostgreSQL schema: fresh per scenario. */
  readonly namespace: string;
  /** The connection name the parent can find this replica's connections by (CLIENT SETNAME / application_name). */
  readonly connectionName: string;
  readonly job: string;
  readonly mode: 'per-tick' | 'exclusive';
  readonly runMs: number;
  readonly leaseTtlMs?: number;
  readonly offsetMs: number;
  readonly sink: string;
  /**
   * Blocks the event loop this long right after the first claim this replica wins, before the
   * engine sees the answer: a process starved (GC, a CPU-bound callback) between the store's
   * grant and the run's start.
   */
  readonly stallAfterFirstGrantMs?: number;
}

const config = JSON.parse(process.env.TICKGUARD_REPLICA ?? 'null') as ReplicaConfig | null;
if (config === null) throw new Error('replica.ts: TICKGUARD_REPLICA is not set');
const { replica, sink } = config;

const out = (line: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ ...line, replica, at: Date.now() })}\n`);
};
const record = (line: Record<string, unknown>): void => {
  appendFileSync(sink, `${JSON.stringify({ ...line, replica })}\n`);
};
const errorText = (value: unknown): string => toError(value).message;

// The system clock, shifted: both time lines move together, as on a host whose clock is off.
const offset = config.offsetMs;
const clock: Clock = {
  now: () => systemClock.now() + offset,
  wallNow: () => Date.now() + offset,
  setTimer: (callback, delayMs) => systemClock.setTimer(callback, delayMs),
  clearTimer: (handle) => systemClock.clearTimer(handle),
  random: () => Math.random(),
};

const logger = (bindings: Record<string, unknown> = {}): Logger => {
  const at = (level: string) => (fields: Record<string, unknown>, msg?: string): void => {
    const flat: Record<string, unknown> = { ...bindings };
    for (const [key, value] of Object.entries(fields)) flat[key] = value instanceof Error ? value.message : value;
    out({ kind: 'log', level, msg, fields: flat });
  };
  return { child: (more) => logger({ ...bindings, ...more }), debug: () => {}, info: () => {}, warn: at('warn'), error: at('error'), isLevelEnabled: (level) => level === 'warn' || level === 'error' };
};

let closeStore: () => Promise<void>;
let inner: Coordinator;
if (config.store === 'redis') {
  const client = new Redis(config.url, { connectionName: config.connectionName });
  for (const event of ['ready', 'close', 'reconnecting', 'end'] as const) client.on(event, () => out({ kind: 'conn', event }));
  client.on('error', (error: unknown) => out({ kind: 'conn', event: 'error', error: errorText(error) }));
  await new Promise<void>((resolve) => (client.status === 'ready' ? resolve() : client.once('ready', () => resolve())));
  inner = redisCoordinator({ client, prefix: config.namespace });
  closeStore = async () => {
    await client.quit();
  };
} else {
  const pool = new pg.Pool({ connectionString: config.url, application_name: config.connectionName, max: 4 });
  pool.on('connect', () => out({ kind: 'conn', event: 'connect' }));
  pool.on('error', (error) => out({ kind: 'conn', event: 'error', error: errorText(error) }));
  const coordinator = postgresCoordinator({ pool, schema: config.namespace });
  await coordinator.migrate();
  out({ kind: 'conn', event: 'ready' });
  inner = coordinator;
  closeStore = () => pool.end();
}

/** An event-loop stall: nothing else of this process runs meanwhile, lease renewals included. */
function busyWait(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy-wait
  }
}
let stallAfterGrant = config.stallAfterFirstGrantMs ?? 0;

/** When the claim of each won tick was sent: the lease cannot expire at the store before `sent + ttl`. */
const claimSent = new Map<string, number>();

function recordedLease(lease: Lease): Lease {
  return {
    token: lease.token,
    get expiresAt() {
      return lease.expiresAt;
    },
    ...(lease.lost === undefined ? {} : { lost: lease.lost }),
    async renew(): Promise<boolean> {
      const sentAt = Date.now();
      try {
        const held = await lease.renew();
        record({ kind: 'renew', token: lease.token, sentAt, ok: held });
        return held;
      } catch (error) {
        record({ kind: 'renew', token: lease.token, sentAt, ok: 'error', error: errorText(error) });
        throw error;
      }
    },
    release: (outcome) => lease.release(outcome),
  };
}

const coordinator: Coordinator = {
  attach: (context) => inner.attach?.(context),
  status: () => inner.status!(),
  async claim(request, options): Promise<ClaimResult> {
    const sentAt = Date.now();
    let result: ClaimResult;
    try {
      result = await inner.claim(request, options);
    } catch (error) {
      out({ kind: 'claim-error', tickId: request.tickId, sentAt, error: errorText(error) });
      throw error;
    }
    if (process.env.TICKGUARD_REPLICA_DEBUG === '1') out({ kind: 'claim', tickId: request.tickId, sentAt, won: result !== null && result !== false });
    if (result === null || typeof result !== 'object') return result;
    claimSent.set(request.tickId, sentAt);
    if (stallAfterGrant > 0) {
      out({ kind: 'stall', phase: 'begin', tickId: request.tickId, token: result.token });
      busyWait(stallAfterGrant);
      stallAfterGrant = 0;
      out({ kind: 'stall', phase: 'end', tickId: request.tickId });
    }
    return recordedLease(result);
  },
};

const scheduler = createScheduler({ clock, coordinator, logger: logger({ replica }) });
const ticks: Record<string, number> = {};
scheduler.on('tick', (event) => {
  const key = event.reason === undefined ? event.result : `${event.result}:${event.reason}`;
  ticks[key] = (ticks[key] ?? 0) + event.count;
});

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

scheduler.add({
  name: config.job,
  fixedRate: '100ms',
  coordination: config.mode,
  ...(config.leaseTtlMs === undefined ? {} : { leaseTtl: config.leaseTtlMs }),
  run: async (ctx) => {
    const token = ctx.lease?.token ?? null;
    const run = { tickId: ctx.tickId, slot: ctx.scheduledAt.getTime(), token, claimSentAt: claimSent.get(ctx.tickId) ?? null };
    claimSent.delete(ctx.tickId);
    const start = Date.now();
    record({ kind: 'start', ...run, start });
    process.send?.({ kind: 'run-started', replica, tickId: ctx.tickId, token });
    let outcome = 'success';
    let cause: string | null = null;
    try {
      await sleep(config.runMs, ctx.signal);
    } catch (error) {
      outcome = 'aborted';
      cause = (error as { abortCause?: string }).abortCause ?? errorText(error);
      throw error;
    } finally {
      record({ kind: 'end', ...run, start, end: Date.now(), outcome, cause });
    }
  },
});

process.on('message', (message: { cmd?: string; ms?: number }) => {
  if (message.cmd === 'stall') {
    out({ kind: 'stall', phase: 'begin' });
    busyWait(message.ms ?? 0);
    out({ kind: 'stall', phase: 'end' });
  }
});

let stopping = false;
const shutdown = (): void => {
  if (stopping) return;
  stopping = true;
  // Bounded whatever happens: a store behind a blackholed proxy never answers a quit.
  setTimeout(() => process.exit(0), 3_000).unref();
  void (async () => {
    const report = await scheduler.stop({ timeout: '1s', abort: true });
    out({ kind: 'summary', ticks, stop: { clean: report.clean, settled: report.settled, droppedTicks: report.droppedTicks } });
    await Promise.race([closeStore().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 500))]);
    process.exit(0);
  })();
};
process.on('SIGTERM', shutdown);
// The parent went away (its test worker crashed): do not outlive it.
process.on('disconnect', shutdown);

out({ kind: 'ready', pid: process.pid });
