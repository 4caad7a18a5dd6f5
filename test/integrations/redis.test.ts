/** `tickguard/redis` against a real Redis: the conformance suite, and what only a store shows. */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { describeConformance } from '../../src/coordination/conformance.js';
import { redisCoordinator } from '../../src/integrations/redis.js';
import { CoordinatorUnavailableError, createScheduler, TestClock, type ClaimRequest, type Lease } from '../../src/index.js';
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

/**
 * A proxy to Redis that can drop what Redis answers (requests still go through) and cut every
 * connection: a reply lost with its connection, which ioredis answers by re-sending the command.
 */
async function replyDroppingProxy(target: string): Promise<{ url: string; dropReplies: boolean; cut(): void; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const state = { dropReplies: false };
  const server = createServer((downstream) => {
    const upstream = connect(Number(port), hostname);
    for (const socket of [downstream, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => sockets.delete(socket));
    }
    downstream.on('close', () => upstream.destroy());
    upstream.on('close', () => downstream.destroy());
    downstream.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (!state.dropReplies) downstream.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `redis://127.0.0.1:${address.port}`,
    get dropReplies() { return state.dropReplies; },
    set dropReplies(value: boolean) { state.dropReplies = value; },
    cut: () => { for (const socket of sockets) socket.destroy(); },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

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
    expect((await redis.keys(`${prefix}{tagged}*`)).sort()).toEqual([`${prefix}{tagged}:epoch`, `${prefix}{tagged}:fence`, `${prefix}{tagged}:lease`, `${prefix}{tagged}:tick:1000`]);
    await (lease as Lease).release('success');
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
    // Ten losses in a row, each within a millisecond or so of the claim before it: a token drawn
    // from the store's clock in whole milliseconds would repeat (it did, one time in three).
    let last = (await claim(1)) as Lease;
    for (let round = 1; round <= 10; round += 1) {
      await redis.del(...(await redis.keys(`${prefix}{fenced}*`))); // what a restart without persistence does
      expect(await claim(round * 3 - 1)).toBe(false); // refused once: see the next test
      const after = (await claim(round * 3)) as Lease;
      expect(after.token, `round ${round}`).toBeGreaterThan(last.token);
      last = after;
    }
  });

  it("after Redis lost a job's records, each replica's next claim is refused once (it may have been sent before the loss), then claims go through with higher tokens", async () => {
    const [a, b, fresh] = await Promise.all([0, 1, 2].map(async () => redisCoordinator({ client: await ready(client()), prefix })));
    const claim = (coordinator: typeof a, slot: number) => coordinator!.claim(request('lost', slot), { signal: new AbortController().signal, ttlMs: 5_000 });
    const first = await claim(a, 1);
    expect(await claim(b, 1)).toBeNull(); // b has seen the job's epoch too
    const redis = await ready(client());
    await redis.del(...(await redis.keys(`${prefix}{lost}*`))); // what a restart without persistence does

    expect(await claim(a, 1)).toBe(false); // the slot that ran before the loss is not won again
    expect(await claim(b, 2)).toBe(false);
    const next = await claim(a, 2);
    expect(next).not.toBe(false);
    expect(next).not.toBeNull();
    expect((next as Lease).token).toBeGreaterThan((first as Lease).token);
    expect(await claim(b, 2)).toBeNull();
    // A replica that never saw the job before has nothing to compare: it claims as usual.
    expect(await claim(fresh, 3)).not.toBeNull();
  });

  it('a claim ioredis re-sends after its connection dropped the reply gets the answer it had: the tick is not lost', async () => {
    const proxy = await replyDroppingProxy(REDIS_URL);
    try {
      const redis = await ready(new Redis(proxy.url, { maxRetriesPerRequest: 3 }));
      clients.push(redis);
      const coordinator = redisCoordinator({ client: redis, prefix });
      await coordinator.claim(request('resent', 1), { signal: new AbortController().signal, ttlMs: 5_000 }); // learns the epoch
      proxy.dropReplies = true;
      const claiming = coordinator.claim(request('resent', 2, 'exclusive'), { signal: new AbortController().signal, ttlMs: 5_000 });
      // The script ran (the tick record is there) but its reply was dropped; then the connection goes.
      const watcher = await ready(client());
      for (let i = 0; i < 100 && (await watcher.exists(`${prefix}{resent}:tick:2`)) === 0; i += 1) await new Promise((r) => setTimeout(r, 10));
      expect(await watcher.exists(`${prefix}{resent}:tick:2`)).toBe(1);
      proxy.dropReplies = false;
      proxy.cut();
      const lease = await claiming;
      expect(lease).not.toBeNull();
      const holder = await watcher.get(`${prefix}{resent}:tick:2`);
      expect(holder?.split(' ')[1]).toBe(String((lease as Lease).token));
      await (lease as Lease).release('success');
      expect(await watcher.exists(`${prefix}{resent}:lease`)).toBe(0);
    } finally {
      await proxy.close();
    }
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
