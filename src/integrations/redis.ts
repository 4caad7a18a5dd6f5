/**
 * A coordinator on Redis (`tickguard/redis`), through ioredis, an optional peer dependency.
 *
 * Keys, all under one hash tag per job so that a job's keys share a Redis Cluster slot:
 *
 * | key | holds | lives |
 * |---|---|---|
 * | `<prefix>{<job>}:tick:<slot>` | the replica that claimed the tick | the claim's `ttlMs` plus the skew bound: it outlives the run, so a late replica cannot win the tick again |
 * | `<prefix>{<job>}:lease` | the owner id of the exclusive lease | `ttlMs`, extended by `renew()`; deleted by `release()` of its owner only |
 * | `<prefix>{<job>}:fence` | the job's last fencing token | forever |
 *
 * Every claim is one Lua script: the tick record (`SET NX` semantics), the lease and the fencing
 * token are taken together or not at all, and time comes from Redis `TIME`, not the client.
 * Fencing tokens are `max(last + 1, TIME in ms × 1000)`: they increase per job across the
 * cluster, and keep increasing after a Redis restart that lost the data (the clock does not go
 * back), as long as a job is claimed fewer than 1000 times per millisecond.
 *
 * The coordinator fails closed: when the client is not connected, or a command fails, the claim
 * throws a {@link CoordinatorUnavailableError} (the tick is skipped with reason
 * `coordinator-unavailable` unless the scheduler says `onCoordinatorError: 'run'`). ioredis
 * reconnects by itself; nothing needs a restart.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { ClaimOptions, ClaimRequest, Coordinator, CoordinatorContext, CoordinatorStatus, Lease } from '../coordination/contract.js';
import { SkewMonitor } from '../coordination/skew.js';
import { CoordinatorUnavailableError, InvalidOptionError, toError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import { parseDuration } from '../duration.js';
import { optionsObject, requireMethods } from '../options/validate.js';

/** Options of {@link redisCoordinator}. */
export interface RedisCoordinatorOptions {
  /** A connected (or connecting) ioredis client or cluster, shared with the rest of the app if you like. */
  readonly client: Redis | Cluster;
  /** Prepended to every key. @default 'tickguard:' */
  readonly prefix?: string;
  /**
   * The clock skew between replicas (and between a replica and Redis) the coordinator tolerates:
   * tick records live this much longer, and a larger measured skew is reported. @default '1s'
   */
  readonly skewBound?: string | number;
}

/** A coordinator on Redis, with what it measured. */
export interface RedisCoordinator extends Coordinator {
  claim(tick: ClaimRequest, options: ClaimOptions): Promise<Lease | null>;
  status(): CoordinatorStatus;
}

const OPTION_KEYS = ['client', 'prefix', 'skewBound'] as const;

/**
 * KEYS: tick (or '' without a slot), lease, fence. ARGV: mode, owner, ttlMs, retentionMs.
 * Returns nil when another replica holds the tick or the lease, else { token, TIME in ms }.
 */
const CLAIM = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ticked = KEYS[1] ~= ''
if ticked and redis.call('EXISTS', KEYS[1]) == 1 then return nil end
if ARGV[1] == 'exclusive' then
  if redis.call('EXISTS', KEYS[2]) == 1 then return nil end
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
end
if ticked then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[4]) end
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
local token = math.max(last + 1, now * 1000)
redis.call('SET', KEYS[3], string.format('%.0f', token))
return { string.format('%.0f', token), string.format('%.0f', now) }
`;

/** KEYS: lease. ARGV: owner, ttlMs. Returns TIME in ms when the owner still holds it and it was extended, else 0. */
const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local t = redis.call('TIME')
return string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
`;

/** KEYS: lease. ARGV: owner. Deletes the lease if the owner still holds it. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

const SCRIPTS = { claim: script(CLAIM), renew: script(RENEW), release: script(RELEASE) };

/**
 * Creates a coordinator on Redis.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * import { redisCoordinator } from 'tickguard/redis';
 *
 * const scheduler = createScheduler({ coordinator: redisCoordinator({ client: new Redis(process.env.REDIS_URL) }) });
 * ```
 */
export function redisCoordinator(options: RedisCoordinatorOptions): RedisCoordinator {
  const raw = optionsObject(options, OPTION_KEYS, 'redisCoordinator()');
  requireMethods(raw.client, ['eval', 'evalsha'], 'client', 'an ioredis client (Redis or Cluster)');
  const client = raw.client as Redis;
  const prefix = raw.prefix ?? 'tickguard:';
  if (typeof prefix !== 'string') throw new InvalidOptionError('prefix', prefix, `Expected \`prefix\` to be a string, got ${describeValue(prefix)}`);
  const skewBoundMs = raw.skewBound === undefined ? 1_000 : parseDuration(raw.skewBound, 'skewBound', 'non-negative');
  const skew = new SkewMonitor('redis', skewBoundMs);
  const keys = (job: string) => ({ base: `${prefix}{${job}}`, lease: `${prefix}{${job}}:lease`, fence: `${prefix}{${job}}:fence` });

  const run = async (which: Script, keyList: readonly string[], args: readonly (string | number)[]): Promise<unknown> => {
    if (client.status !== 'ready') {
      // Fail at once rather than wait in ioredis's offline queue: the claim has a deadline.
      const error = new CoordinatorUnavailableError(`Redis is not connected (${client.status})`);
      skew.failed(error);
      throw error;
    }
    try {
      try {
        return await client.evalsha(which.sha, keyList.length, ...keyList, ...args);
      } catch (error) {
        if (!toError(error).message.includes('NOSCRIPT')) throw error;
        return await client.eval(which.source, keyList.length, ...keyList, ...args);
      }
    } catch (error) {
      skew.failed(error);
      throw new CoordinatorUnavailableError(`Redis command failed: ${toError(error).message}`, { cause: error });
    }
  };

  return {
    attach(context: CoordinatorContext): void {
      skew.attach(context);
    },
    status(): CoordinatorStatus {
      return skew.status();
    },
    async claim(request: ClaimRequest, { signal, ttlMs }: ClaimOptions): Promise<Lease | null> {
      if (signal.aborted) return null;
      const { base, lease: leaseKey, fence } = keys(request.jobName);
      const owner = randomUUID();
      const sentAt = Date.now();
      const tickKey = request.slot === null ? '' : `${base}:tick:${request.slot}`;
      const answer = await run(SCRIPTS.claim, [tickKey, leaseKey, fence], [request.mode, owner, Math.ceil(ttlMs), Math.ceil(ttlMs + skewBoundMs)]);
      const receivedAt = Date.now();
      if (answer === null) return null;
      const [token, storeNow] = (answer as [string, string]).map(Number) as [number, number];
      skew.observe(storeNow, sentAt, receivedAt);
      return redisLease(run, leaseKey, owner, request.mode === 'exclusive', token, sentAt + ttlMs, ttlMs, skew);
    },
  };
}

function redisLease(
  run: (which: Script, keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>,
  leaseKey: string,
  owner: string,
  exclusive: boolean,
  token: number,
  expiresAtMs: number,
  ttlMs: number,
  skew: SkewMonitor,
): Lease {
  const lost = new AbortController();
  let expiresAt = new Date(expiresAtMs);
  let released = false;
  return {
    token,
    get expiresAt() {
      return expiresAt;
    },
    lost: lost.signal,
    async renew(): Promise<boolean> {
      if (!exclusive) return !released;
      if (released || lost.signal.aborted) return false;
      const sentAt = Date.now();
      const answer = Number(await run(SCRIPTS.renew, [leaseKey], [owner, Math.ceil(ttlMs)]));
      if (answer === 0) {
        lost.abort(new Error('the lease expired or was taken over'));
        return false;
      }
      skew.observe(answer, sentAt, Date.now());
      expiresAt = new Date(sentAt + ttlMs);
      return true;
    },
    async release(): Promise<void> {
      if (released) return;
      released = true;
      // A tick record stays: it must outlive the run. Only the exclusive lease is given back.
      if (exclusive) await run(SCRIPTS.release, [leaseKey], [owner]);
    },
  };
}
