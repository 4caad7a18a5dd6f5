/**
 * What a coordinated scheduler does beyond the claim itself, on the TestClock with the memory
 * store: failing open on request, catching up the tick missed while every replica was down, and
 * the claim and lease events that metrics and traces are built on.
 */
import { describe, expect, it } from 'vitest';
import {
  CoordinatorUnavailableError,
  createMemoryCoordinator,
  createScheduler,
  InvalidOptionError,
  MemoryCoordinationStore,
  TestClock,
  type ClaimEvent,
  type ClaimOptions,
  type Coordinator,
  type LeaseEvent,
  type TickEvent,
} from '../src/index.js';
import { offsets, stopAndAdvance, T0 } from './helpers.js';

describe("onCoordinatorError: 'run'", () => {
  /** A coordinator whose store is down for its first `down` claims. */
  function flaky(clock: TestClock, down: number, failure: () => unknown): Coordinator {
    const memory = createMemoryCoordinator({ clock });
    let claims = 0;
    return { claim: (request, options) => (++claims <= down ? Promise.reject(failure()) : memory.claim(request, options)) };
  }

  it.each([
    ['the store unreachable', () => new CoordinatorUnavailableError('down')],
    ['the claim failing', () => new Error('bug')],
  ])('runs the tick here without a lease when %s, and says so', async (_label, failure) => {
    const clock = new TestClock(T0);
    const lines: { msg: string | undefined; level: string }[] = [];
    const log = (level: string) => (_fields: Record<string, unknown>, msg?: string) => void lines.push({ msg, level });
    const logger = { child: () => logger, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
    const scheduler = createScheduler({ clock, logger, coordinator: flaky(clock, 2, failure), onCoordinatorError: 'run' });
    const leases: (number | undefined)[] = [];
    scheduler.add({ name: 'open', fixedRate: '1s', run: (ctx) => void leases.push(ctx.lease?.token) });
    await clock.advance(3_000);
    expect(leases).toEqual([undefined, undefined, 1]);
    expect(lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([
      'coordinator.claim failed; running the tick here without a lease (onCoordinatorError: run)',
      'coordinator.claim failed; running the tick here without a lease (onCoordinatorError: run)',
    ]);
    await stopAndAdvance(clock, scheduler);
  });

  it('still skips a tick another replica holds, and fails closed by default', async () => {
    const clock = new TestClock(T0);
    const store = new MemoryCoordinationStore(clock);
    const holder = createMemoryCoordinator({ store });
    const open = createScheduler({ clock, coordinator: createMemoryCoordinator({ store }), onCoordinatorError: 'run' });
    const closed = createScheduler({ clock, coordinator: flaky(clock, 1, () => new CoordinatorUnavailableError('down')) });
    holder.claim({ jobName: 'held', scheduledAt: new Date(T0 + 1_000), tickId: 'held@…', manual: false, mode: 'per-tick', slot: T0 + 1_000 }, { signal: new AbortController().signal, ttlMs: 60_000 });
    const reasons: (string | undefined)[] = [];
    open.on('tick', (e) => reasons.push(e.reason));
    const closedReasons: (string | undefined)[] = [];
    closed.on('tick', (e) => closedReasons.push(e.reason));
    open.add({ name: 'held', fixedRate: '1s', run: () => {} });
    closed.add({ name: 'other', fixedRate: '1s', run: () => {} });
    await clock.advance(2_000);
    expect(reasons).toEqual(['claimed-elsewhere', undefined]);
    expect(closedReasons).toEqual(['coordinator-unavailable', undefined]);
    await stopAndAdvance(clock, open);
    await stopAndAdvance(clock, closed);
  });

  it('refuses anything but skip or run', () => {
    expect(() => createScheduler({ onCoordinatorError: 'retry' as 'run' })).toThrow(InvalidOptionError);
  });
});

describe('catchUp: the tick missed while every replica was down', () => {
  it('runs the latest slot once across replicas when it is inside the window, and not when it is older', async () => {
    const clock = new TestClock(T0);
    const store = new MemoryCoordinationStore(clock);
    const replica = () => createScheduler({ clock, coordinator: createMemoryCoordinator({ store }) });
    const scheduled: number[] = [];
    const job = { name: 'report', fixedRate: '1m', catchUp: { window: '10s' }, run: (ctx: { scheduledAt: Date }) => void scheduled.push(ctx.scheduledAt.getTime()) } as const;

    // Nobody was up at 00:01:00; two replicas start 5 s later: one catch-up run of that slot.
    clock.blockFor(65_000);
    const a = replica();
    const b = replica();
    const ticksB: TickEvent[] = [];
    b.on('tick', (e) => ticksB.push(e));
    a.add(job);
    b.add(job);
    await clock.flush();
    expect(offsets(scheduled)).toEqual([60_000]);
    expect(ticksB.map((t) => [t.result, t.reason])).toEqual([['skipped', 'claimed-elsewhere']]);
    await a.stop();
    await b.stop();

    // A replica starting 35 s after a slot nobody ran: too old for a 10 s window.
    clock.blockFor(90_000); // to 00:02:35
    const late = replica();
    late.add(job);
    await clock.flush();
    expect(offsets(scheduled)).toEqual([60_000]);
    await clock.advance(25_000); // the next regular slot, 00:03:00
    expect(offsets(scheduled)).toEqual([60_000, 180_000]);
    await late.stop();
  });

  it('asks the store to keep tick records at least as long as the window', async () => {
    const clock = new TestClock(T0);
    const memory = createMemoryCoordinator({ clock });
    const ttls = new Map<string, Set<number>>();
    const scheduler = createScheduler({
      clock,
      coordinator: {
        claim: (request, options: ClaimOptions) => {
          (ttls.get(request.jobName) ?? ttls.set(request.jobName, new Set()).get(request.jobName)!).add(options.ttlMs);
          return memory.claim(request, options);
        },
      },
    });
    scheduler.add({ name: 'a', fixedRate: '1s', catchUp: { window: '5m' }, run: () => {} });
    scheduler.add({ name: 'b', fixedRate: '1s', run: () => {} });
    await clock.advance(3_000);
    expect(ttls).toEqual(new Map([['a', new Set([300_000])], ['b', new Set([30_000])]]));
    await stopAndAdvance(clock, scheduler);
  });

  it('needs a coordinated fixedRate or cron job', () => {
    const plain = createScheduler({ clock: new TestClock(T0) });
    expect(() => plain.add({ name: 'x', fixedRate: '1s', catchUp: { window: '1m' }, run: () => {} })).toThrow(/needs a coordinated job/);
    const coordinated = createScheduler({ clock: new TestClock(T0), coordinator: createMemoryCoordinator() });
    expect(() => coordinated.add({ name: 'x', fixedDelay: '1s', catchUp: { window: '1m' }, run: () => {} })).toThrow(/fixedRate.*cron/);
    expect(() => coordinated.add({ name: 'x', fixedRate: '1s', catchUp: { window: 0 }, run: () => {} })).toThrow(/catchUp\.window/);
    expect(() => coordinated.add({ name: 'x', fixedRate: '1s', catchUp: { window: '1m', since: 1 } as { window: '1m' }, run: () => {} })).toThrow(/since/);
  });
});

describe('claim and lease events', () => {
  it('tell what each claim gave, how long it took, and what became of each kept lease', async () => {
    const clock = new TestClock(T0);
    const store = new MemoryCoordinationStore(clock);
    const memory = createMemoryCoordinator({ store });
    let claims = 0;
    let renewals = 0;
    const scheduler = createScheduler({
      clock,
      coordinator: {
        claim: async (request, options) => {
          claims += 1;
          await clock.sleep(20);
          if (claims === 2) throw new CoordinatorUnavailableError('down');
          const lease = memory.claim(request, options);
          // The store refuses the second renewal: the lease is lost mid-run.
          return lease === null ? null : { ...lease, renew: async () => ++renewals < 2 && lease.renew() };
        },
      },
    });
    const claimEvents: ClaimEvent[] = [];
    const leaseEvents: LeaseEvent[] = [];
    scheduler.on('claim', (e) => claimEvents.push(e));
    scheduler.on('lease', (e) => leaseEvents.push(e));
    const tokens: (number | undefined)[] = [];
    scheduler.on('run:start', (e) => tokens.push(e.leaseToken));
    scheduler.add({ name: 'x', fixedRate: '10s', coordination: 'exclusive', leaseTtl: '3s', run: ({ signal }) => clock.sleep(5_000, signal).catch(() => {}) });
    await clock.advance(20_100);
    expect(claimEvents.map((e) => [e.result, e.token, e.durationMs])).toEqual([['won', 1, 20], ['coordinator-unavailable', undefined, 20]]);
    expect(tokens).toEqual([1]);
    expect(leaseEvents.map((e) => [e.result, e.token])).toEqual([['renewed', 1], ['lost', 1]]);
    await stopAndAdvance(clock, scheduler);
  });
});
