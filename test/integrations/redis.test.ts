/** `tickguard/redis` against a real Redis: the conformance suite, and what only a store shows. */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { describeConformance } from '../../src/coordination/conformance.js';
import { redisCoordinator } from '../../src/integrations/redis.js';
import { CoordinatorUnavailableError, createScheduler, TestClock, type ClaimRequest } from '../../src/index.js';
import { REDIS_URL, storeAvailable } from '../support/services.js';

const available = await storeAvailable('tickguard/redis', REDIS_URL);
const prefix = `tickguard-test:${process.pid}:${Date.now()}:`;
const clients: Redis[] = [];
const client = (): Redis => {
  const made = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: false });
  clients.push(made);
  return made;
};
const ready = async (made: Redis): Promise<Redis> => {
  if (made.status !== 'ready') await new Promise<void>((resolve, reject) => { made.once('ready', resolve); made.once('error', reject); });
  return made;
};

afterAll(async () => {
  if (clients.length === 0) return;
  const cleaner = clients[0]!;
  const keys = await cleaner.keys(`${prefix}*`);
  if (keys.length > 0) await cleaner.del(...keys);
  await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
});

const request = (jobName: string, slot: number | null, mode: ClaimRequest['mode'] = 'per-tick'): ClaimRequest => ({
  jobName, scheduledAt: new Date(slot ?? 0), tickId: `${jobName}@${new Date(slot ?? 0).toISOString()}`, manual: false, mode, slot,
});

describe.skipIf(!available)('tickguard/redis', () => {
  describeConformance({ name: 'redis', create: async () => redisCoordinator({ client: await ready(client()), prefix }) }, { describe, it });

  it('keys a job under one hash tag, keeps the tick record past release, and reports the store clock', async () => {
    const redis = await ready(client());
    const coordinator = redisCoordinator({ client: redis, prefix });
    const lease = await coordinator.claim(request('tagged', 1_000, 'exclusive'), { signal: new AbortController().signal, ttlMs: 5_000 });
    expect(lease).not.toBeNull();
    expect((await redis.keys(`${prefix}{tagged}*`)).sort()).toEqual([`${prefix}{tagged}:fence`, `${prefix}{tagged}:lease`, `${prefix}{tagged}:tick:1000`]);
    await lease!.release('success');
    expect(await redis.exists(`${prefix}{tagged}:lease`)).toBe(0);
    expect(await redis.pttl(`${prefix}{tagged}:tick:1000`)).toBeGreaterThan(5_000); // ttl plus the skew bound
    const status = coordinator.status();
    expect(status).toMatchObject({ store: 'redis', reachable: true, skewExceeded: false });
    expect(Math.abs(status.skewMs!)).toBeLessThan(1_000);
  });

  it('keeps fencing tokens increasing after the store lost its data', async () => {
    const redis = await ready(client());
    const coordinator = redisCoordinator({ client: redis, prefix });
    const claim = (slot: number) => coordinator.claim(request('fenced', slot), { signal: new AbortController().signal, ttlMs: 5_000 });
    const before = await claim(1);
    await redis.del(`${prefix}{fenced}:fence`, `${prefix}{fenced}:tick:1`); // what a restart without persistence does
    const after = await claim(2);
    expect(after!.token).toBeGreaterThan(before!.token);
  });

  it('fails closed when the client is not connected: claims throw CoordinatorUnavailableError at once', async () => {
    const offline = new Redis(REDIS_URL, { lazyConnect: true });
    clients.push(offline);
    const coordinator = redisCoordinator({ client: offline, prefix });
    await expect(coordinator.claim(request('offline', 1), { signal: new AbortController().signal, ttlMs: 1_000 })).rejects.toBeInstanceOf(CoordinatorUnavailableError);
    expect(coordinator.status()).toMatchObject({ reachable: false });
  });

  it('skips ticks as coordinator-unavailable through a scheduler while the store is unreachable, and recovers without a restart', async () => {
    const offline = new Redis(REDIS_URL, { lazyConnect: true });
    clients.push(offline);
    const clock = new TestClock(Date.now());
    const scheduler = createScheduler({ clock, coordinator: redisCoordinator({ client: offline, prefix }) });
    const reasons: (string | undefined)[] = [];
    scheduler.on('tick', (e) => reasons.push(e.reason));
    scheduler.add({ name: `recover-${Date.now()}`, fixedRate: '1s', run: () => {} });
    await clock.advance(1_000);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the claim's rejection is real I/O
    await clock.flush();
    expect(reasons).toEqual(['coordinator-unavailable']);
    await offline.connect();
    await clock.advance(1_000);
    for (let i = 0; i < 50 && reasons.length < 2; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await clock.flush();
    }
    expect(reasons).toEqual(['coordinator-unavailable', undefined]);
    await scheduler.stop();
  });

  it('validates its options', () => {
    expect(() => redisCoordinator({ client: {} as Redis })).toThrow(/an ioredis client/);
    expect(() => redisCoordinator({ client: new Redis({ lazyConnect: true }), prefix: 5 as unknown as string })).toThrow(/prefix/);
  });
});
