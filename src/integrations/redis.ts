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
 * | `<prefix>{<job>}:epoch` | an id written when the job's records are first seen missing | forever |
 *
 * Every claim is one Lua script: the tick record (`SET NX` semantics), the lease and the fencing
 * token are taken together or not at all, and time comes from Redis `TIME`, not the client.
 * Fencing tokens are `max(last + 1, TIME in µs)`: they increase per job across the cluster, and
 * keep increasing after a Redis restart or flush that lost the data (the clock does not go back,
 * and no two claims of a job share a microsecond of Redis time).
 *
 * ioredis re-sends a command whose reply a dropped connection lost. A claim re-sent to the same
 * data gets the answer it had (the tick record names its owner and token), so the tick is not
 * lost; a claim re-sent after Redis lost its data (a restart without persistence) must not win a
 * tick that already ran: every claim carries the job's epoch as its replica last saw it, and one
 * whose epoch is gone is refused (`not-claimed`, logged). After such a loss each replica's first
 * claim of each job is refused that way, once.
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
import { storeLease } from '../coordination/store-lease.js';
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
  claim(tick: ClaimRequest, options: ClaimOptions): Promise<Lease | false | null>;
  status(): CoordinatorStatus;
}

const OPTION_KEYS = ['client', 'prefix', 'skewBound'] as const;

/**
 * KEYS: tick (or '' without a slot), lease, fence, epoch. ARGV: mode, owner, ttlMs, retentionMs,
 * the job's epoch as this replica last saw it ('' when it has not yet).
 * Returns { verdict, token, TIME in ms, epoch }: verdict 'won' (token set), 'held' (another
 * replica holds the tick or the lease) or 'epoch' (the store lost the job's records since this
 * replica last saw them: refused, since the claim may have been sent before the loss).
 */
const CLAIM = `
local t = redis.call('TIME')
local now = string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
local epoch = redis.call('GET', KEYS[4])
if not epoch then
  epoch = ARGV[2]
  redis.call('SET', KEYS[4], epoch)
end
if ARGV[5] ~= '' and ARGV[5] ~= epoch then return { 'epoch', '', now, epoch } end
local ticked = KEYS[1] ~= ''
local exclusive = ARGV[1] == 'exclusive'
local tick = ticked and redis.call('GET', KEYS[1])
local lease = exclusive and redis.call('GET', KEYS[2])
-- The same claim again (ioredis re-sends a command whose reply a dropped connection lost): the same answer.
if ticked and tick then
  local owner, token = string.match(tick, '^(%S+) (%S+)$')
  if owner == ARGV[2] and (not exclusive or lease == ARGV[2]) then return { 'won', token, now, epoch } end
  return { 'held', '', now, epoch }
end
if lease then
  if lease == ARGV[2] and not ticked then return { 'won', redis.call('GET', KEYS[3]), now, epoch } end
  return { 'held', '', now, epoch }
end
if exclusive then redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3]) end
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
local token = string.format('%.0f', math.max(last + 1, tonumber(t[1]) * 1000000 + tonumber(t[2])))
if ticked then redis.call('SET', KEYS[1], ARGV[2] .. ' ' .. token, 'PX', ARGV[4]) end
redis.call('SET', KEYS[3], token)
return { 'won', token, now, epoch }
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
  const keys = (job: string) => ({ base: `${prefix}{${job}}`, lease: `${prefix}{${job}}:lease`, fence: `${prefix}{${job}}:fence`, epoch: `${prefix}{${job}}:epoch` });
  /** Each job's epoch as last seen: a claim carries it, so that one sent before the store lost the job's records is refused. */
  const epochs = new Map<string, string>();
  let log: CoordinatorContext['log'] | undefined;

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
      log = context.log;
      skew.attach(context);
    },
    status(): CoordinatorStatus {
      return skew.status();
    },
    async claim(request: ClaimRequest, { signal, ttlMs }: ClaimOptions): Promise<Lease | false | null> {
      if (signal.aborted) return null;
      const job = request.jobName;
      const { base, lease: leaseKey, fence, epoch: epochKey } = keys(job);
      const owner = randomUUID();
      const sentAt = Date.now();
      const tickKey = request.slot === null ? '' : `${base}:tick:${request.slot}`;
      const known = epochs.get(job) ?? '';
      const answer = await run(SCRIPTS.claim, [tickKey, leaseKey, fence, epochKey], [request.mode, owner, Math.ceil(ttlMs), Math.ceil(ttlMs + skewBoundMs), known]);
      const receivedAt = Date.now();
      const [verdict, token, storeNow, epoch] = answer as [string, string, string, string];
      skew.observe(Number(storeNow), sentAt, receivedAt);
      epochs.set(job, epoch);
      if (verdict === 'epoch') {
        log?.warn({ job, tickId: request.tickId }, "Redis lost this job's records (a restart without persistence, a flush, an eviction) since this replica last claimed it; this claim may have been sent before and is refused — the next one goes through");
        return false;
      }
      if (verdict !== 'won') return null;
      return redisLease(run, leaseKey, owner, request.mode === 'exclusive', Number(token), sentAt + ttlMs, ttlMs, skew);
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
  return storeLease({
    token, exclusive, expiresAtMs, ttlMs, skew,
    calls: {
      async renew() {
        const answer = Number(await run(SCRIPTS.renew, [leaseKey], [owner, Math.ceil(ttlMs)]));
        return answer === 0 ? undefined : answer;
      },
      async release() {
        await run(SCRIPTS.release, [leaseKey], [owner]);
      },
    },
  });
}
