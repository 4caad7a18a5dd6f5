/**
 * Coordination across replicas through the public API: several schedulers on one TestClock, each
 * with its own coordinator over one shared MemoryCoordinationStore (also on the TestClock), stand
 * for replicas sharing a store. Wrappers around the memory coordinator (support/replicas-on-a-clock)
 * count claims and renewals and inject failures (renewals refused or rejected, lost signals,
 * claims that hang or throw).
 */
import { describe, expect, it } from 'vitest';
import {
  ClaimTimeoutError,
  CoordinatorUnavailableError,
  createMemoryCoordinator,
  MemoryCoordinationStore,
  RunAbortedError,
  SchedulerStoppedError,
  TestClock,
  type ClaimOptions,
  type ClaimRequest,
  type ClaimResult,
  type Coordinator,
  type Lease,
  type Logger,
  type RunContext,
  type RunOutcome,
  type StopReport,
} from '../src/index.js';
import { T0 } from './helpers.js';
import { deferred, idOf, replica, sleeper, Spy, stopAll, type Replica } from './support/replicas-on-a-clock.js';

describe('per-tick coordination: each tick runs once across replicas', () => {
  it.each([2, 3])('%i replicas on one store: each of 20 ticks runs exactly once, the others skip it as claimed-elsewhere', async (count) => {
    const clock = new TestClock(T0);
    const store = new MemoryCoordinationStore(clock);
    const runs: { replica: number; tickId: string; token: number | undefined }[] = [];
    const replicas = Array.from({ length: count }, (_, i) => {
      const r = replica(clock, createMemoryCoordinator({ store }));
      r.scheduler.add({ name: 'sync', fixedRate: '1s', run: (ctx) => void runs.push({ replica: i, tickId: ctx.tickId, token: ctx.lease?.token }) });
      return r;
    });
    expect(replicas.map((r) => r.scheduler.inspect().jobs[0]!.coordination)).toEqual(Array(count).fill('per-tick'));

    await clock.advance(20_000);

    const ids = Array.from({ length: 20 }, (_, k) => idOf('sync', (k + 1) * 1_000));
    // Once each, in tick order, across all replicas.
    expect(runs.map((r) => r.tickId)).toEqual(ids);
    // Fencing tokens come from the shared store: strictly increasing across replicas.
    expect(runs.map((r) => r.token)).toEqual(Array.from({ length: 20 }, (_, k) => k + 1));
    for (const id of ids) {
      const fates = replicas.flatMap((r) => r.ticks.filter((t) => t.tickId === id)).map((t) => `${t.result}:${t.reason ?? ''}`).sort();
      expect(fates).toEqual([...Array<string>(count - 1).fill('skipped:claimed-elsewhere'), 'started:']);
    }
    // Every tick a replica saw is either the one it ran or one it lost to another replica.
    for (const r of replicas) {
      expect(r.ticks).toHaveLength(20);
      expect(r.ticks.filter((t) => t.result !== 'started').every((t) => t.result === 'skipped' && t.reason === 'claimed-elsewhere')).toBe(true);
    }
    await stopAll(clock, replicas);
  });

  it('with jitter the winner varies from tick to tick, and still each tick runs once with increasing tokens', async () => {
    const clock = new TestClock(T0);
    const store = new MemoryCoordinationStore(clock);
    const runs: { replica: number; tickId: string; token: number | undefined }[] = [];
    const replicas = [0, 1, 2].map((i) => {
      const r = replica(clock, createMemoryCoordinator({ store }));
      r.scheduler.add({ name: 'jit', fixedRate: '1s', jitter: '600ms', run: (ctx) => void runs.push({ replica: i, tickId: ctx.tickId, token: ctx.lease?.token }) });
      return r;
    });
    await clock.advance(20_700); // the 20 s tick fires up to 0.6 s late

    expect(runs.map((r) => r.tickId)).toEqual(Array.from({ length: 20 }, (_, k) => idOf('jit', (k + 1) * 1_000)));
    expect(runs.map((r) => r.token)).toEqual(Array.from({ length: 20 }, (_, k) => k + 1));
    // Jitter draws differ per firing, so every replica wins some ticks: the tokens are shared, not per replica.
    expect(new Set(runs.map((r) => r.replica))).toEqual(new Set([0, 1, 2]));
    for (const r of replicas) {
      const started = r.ticks.filter((t) => t.result === 'started').length;
      const lost = r.ticks.filter((t) => t.result === 'skipped' && t.reason === 'claimed-elsewhere').length;
      expect(started + lost).toBe(20);
    }
    await stopAll(clock, replicas);
  });

  it('replicas added at different times compute the same tick ids and still run each tick once', async () => {
    const clock = new TestClock(T0);
    const store = new MemoryCoordinationStore(clock);
    const runs: { replica: string; tickId: string; token: number | undefined }[] = [];
    const add = (name: string): Replica => {
      const r = replica(clock, createMemoryCoordinator({ store }));
      r.scheduler.add({ name: 'late', fixedRate: '1s', run: (ctx) => void runs.push({ replica: name, tickId: ctx.tickId, token: ctx.lease?.token }) });
      return r;
    };
    const a = add('a');
    await clock.advance(2_300); // a alone: ticks at 1 s and 2 s
    clock.blockFor(450);
    const b = add('b'); // at 2.75 s, not on a slot
    clock.blockFor(200);
    const c = add('c'); // at 2.95 s
    await clock.advance(17_050); // to 20 s

    expect(runs.map((r) => r.tickId)).toEqual(Array.from({ length: 20 }, (_, k) => idOf('late', (k + 1) * 1_000)));
    expect(runs.map((r) => r.token)).toEqual(Array.from({ length: 20 }, (_, k) => k + 1));
    // b and c joined late: their first tick is the 3 s slot, which a (armed first) won.
    const lateIds = Array.from({ length: 18 }, (_, k) => idOf('late', (k + 3) * 1_000));
    for (const r of [b, c]) {
      expect(r.ticks.map((t) => t.tickId)).toEqual(lateIds);
      expect(r.ticks.every((t) => t.result === 'skipped' && t.reason === 'claimed-elsewhere')).toBe(true);
    }
    expect(a.ticks.every((t) => t.result === 'started')).toBe(true);
    await stopAll(clock, [a, b, c]);
  });
});

describe('exclusive coordination: at most one run of the job across replicas', () => {
  it('runs longer than the period never overlap across two replicas; each tick runs at most once, tokens increase', async () => {
    const clock = new TestClock(T0);
    const store = new MemoryCoordinationStore(clock);
    let inFlight = 0;
    let peak = 0;
    const runs: { replica: number; tickId: string; token: number | undefined; at: number }[] = [];
    const replicas = [0, 1].map((i) => {
      const r = replica(clock, createMemoryCoordinator({ store }));
      r.scheduler.add({
        name: 'long',
        fixedRate: '1s',
        jitter: '700ms', // varies which replica claims first
        coordination: 'exclusive',
        overlap: 'skip',
        run: async (ctx) => {
          inFlight += 1;
          peak = Math.max(peak, inFlight);
          runs.push({ replica: i, tickId: ctx.tickId, token: ctx.lease?.token, at: clock.now() });
          try {
            await clock.sleep(2_500, ctx.signal);
          } finally {
            inFlight -= 1;
          }
        },
      });
      return r;
    });
    await clock.advance(60_000);

    expect(peak).toBe(1);
    expect(new Set(runs.map((r) => r.tickId)).size).toBe(runs.length);
    const tokens = runs.map((r) => r.token!);
    expect(tokens.every((t, i) => i === 0 || t > tokens[i - 1]!)).toBe(true);
    expect(new Set(runs.map((r) => r.replica))).toEqual(new Set([0, 1]));
    // Runs of 2.5 s, 1 s slots fired up to 0.7 s late: the next run starts 2 to 4 slots after the
    // previous one (2 only when that firing came late enough) — never sooner, and no slot is lost beyond that.
    const slots = runs.map((r) => (Date.parse(r.tickId.slice('long@'.length)) - T0) / 1_000);
    expect(slots[0]).toBe(1);
    expect(slots.slice(1).map((s, i) => s - slots[i]!).filter((gap) => gap < 2 || gap > 4)).toEqual([]);
    for (const r of replicas) expect(r.ends.every((e) => e.outcome === 'success')).toBe(true);
    await stopAll(clock, replicas);
  });

  it('renews the lease of a run longer than leaseTtl: the run is not aborted and the other replica never runs meanwhile', async () => {
    const clock = new TestClock(T0);
    const store = new MemoryCoordinationStore(clock);
    const spies = [0, 1].map(() => new Spy(createMemoryCoordinator({ store }), clock));
    const runs: { replica: number; tickId: string; token: number | undefined }[] = [];
    const replicas = spies.map((spy, i) => {
      const r = replica(clock, spy);
      r.scheduler.add({
        name: 'renewed',
        fixedRate: '1s',
        coordination: 'exclusive',
        leaseTtl: '3s',
        run: async (ctx) => {
          runs.push({ replica: i, tickId: ctx.tickId, token: ctx.lease?.token });
          await clock.sleep(10_500, ctx.signal);
        },
      });
      return r;
    });
    const [a, b] = replicas as [Replica, Replica];
    await clock.advance(12_500);

    // a won the 1 s tick and held the lease for 10.5 s (three and a half TTLs), renewed every ttl/3.
    expect(spies[0]!.renewals).toEqual(Array.from({ length: 10 }, (_, k) => ({ token: 1, at: (k + 2) * 1_000, answer: true })));
    expect(a.ends).toHaveLength(1);
    expect(a.ends[0]).toMatchObject({ tickId: idOf('renewed', 1_000), outcome: 'success', durationMs: 10_500 });
    expect(a.ends[0]!.abortCause).toBeUndefined();
    // b claimed every tick and lost each one while the lease was held; the 12 s tick went to a again.
    expect(b.ticks.map((t) => `${t.tickId} ${t.result} ${t.reason ?? ''}`)).toEqual(
      Array.from({ length: 12 }, (_, k) => `${idOf('renewed', (k + 1) * 1_000)} skipped claimed-elsewhere`),
    );
    expect(runs).toEqual([
      { replica: 0, tickId: idOf('renewed', 1_000), token: 1 },
      { replica: 0, tickId: idOf('renewed', 12_000), token: 2 },
    ]);
    expect(spies[0]!.releases).toEqual([{ token: 1, outcome: 'success' }]);
    await stopAll(clock, replicas);
  });
});

describe('exclusive coordination: a slow claim answer', () => {
  it("counts the lease's TTL from when the claim was sent, so the run is aborted before the store lets another replica in", async () => {
    // Defaults: leaseTtl 30 s, claimTimeout 5 s. a's claim of the 1 s tick is granted by the store
    // at 1 s (lease until 31 s) but the answer arrives 4 s later; then a loses the store, so no
    // renewal succeeds. b (jittered, so it never ties with a) wins the first tick after 31 s.
    // The leases carry no `lost` signal, as with a store that cannot push (and a cannot hear it anyway).
    const clock = new TestClock(T0);
    const store = new MemoryCoordinationStore(clock);
    const [spyA, spyB] = [0, 1].map(() => new Spy(createMemoryCoordinator({ store }), clock)) as [Spy, Spy];
    spyA.answerDelayMs = 4_000;
    spyA.withoutLost = true;
    spyB.withoutLost = true;
    const seen: { replica: string; ctx: RunContext }[] = [];
    const run = (replicaName: string) => async (ctx: RunContext) => {
      seen.push({ replica: replicaName, ctx });
      await clock.sleep(60_000, ctx.signal).catch(() => {});
    };
    const a = replica(clock, spyA);
    a.scheduler.add({ name: 'slow', fixedRate: '1s', coordination: 'exclusive', run: run('a') });
    const b = replica(clock, spyB);
    b.scheduler.add({ name: 'slow', fixedRate: '1s', jitter: '500ms', coordination: 'exclusive', run: run('b') });
    await clock.advance(5_500);
    expect(seen.map((s) => [s.replica, s.ctx.startedAt.getTime() - T0, s.ctx.lease?.token])).toEqual([['a', 5_000, 1]]);
    spyA.partitioned = true;
    await clock.advance(35_000); // to 40.5 s

    expect(seen.map((s) => s.replica)).toEqual(['a', 'b']);
    const bStart = seen[1]!.ctx.startedAt.getTime() - T0;
    expect(bStart).toBeGreaterThan(31_000);
    expect(bStart).toBeLessThan(32_000);
    expect(a.ends).toHaveLength(1);
    expect([a.ends[0]!.outcome, a.ends[0]!.abortCause]).toEqual(['aborted', 'lease-lost']);
    // The store's lease ran out at 31 s: a's run must have been told to stop by then, before b
    // started — a gives it up a tenth of the TTL (capped at 1 s) early, counted from the claim's sending.
    expect(a.ends[0]!.endedAt.getTime() - T0).toBe(30_000);
    await stopAll(clock, [a, b]);
  });
});

describe('exclusive coordination: a lease that expired during an event-loop stall', () => {
  it('is declared lost, and its run aborted, before the next run of the job starts; a lease is never renewed after its release', async () => {
    // A synchronous coordinator (as the memory one is) over leases without a `lost` signal, as a
    // store that cannot push gives. The event loop stalls past the lease's TTL; when it wakes,
    // the overdue tick claims and the store grants a new lease (the old one expired).
    const clock = new TestClock(T0);
    const spy = new Spy(createMemoryCoordinator({ store: new MemoryCoordinationStore(clock) }), clock);
    spy.sync = true;
    spy.withoutLost = true;
    const r = replica(clock, spy);
    const seen: RunContext[] = [];
    const previousAbortedAtStart: boolean[] = [];
    r.scheduler.add({
      name: 'stalled',
      fixedRate: '1s',
      coordination: 'exclusive',
      leaseTtl: '3s',
      run: async (ctx) => {
        if (seen.length > 0) previousAbortedAtStart.push(seen[seen.length - 1]!.signal.aborted);
        seen.push(ctx);
        await clock.sleep(seen.length === 1 ? 60_000 : 500, ctx.signal).catch(() => {});
      },
    });
    await clock.advance(1_500); // run 1 (token 1, lease until 4 s) in flight
    clock.blockFor(5_000);
    await clock.advance(1_000); // wakes at 6.5 s: the 6 s tick fires late; then on to 7.5 s

    // At 6.5 s run 1 is still in flight: the late 6 s tick finds the job's one slot busy (an exclusive
    // job runs one at a time here too) and never claims; run 1's expired lease is declared lost in the
    // same pass, and the 7 s tick runs with a new lease.
    expect(seen.map((ctx) => [ctx.tickId, ctx.startedAt.getTime() - T0, ctx.lease?.token])).toEqual([
      [idOf('stalled', 1_000), 1_000, 1],
      [idOf('stalled', 7_000), 7_000, 2],
    ]);
    expect(r.ticks.filter((t) => t.at === 6_500).map((t) => [t.result, t.reason])).toEqual([['missed', 'stalled'], ['skipped', 'busy']]);
    expect((seen[0]!.signal.reason as RunAbortedError).abortCause).toBe('lease-lost');
    // Run 1's lease ran out at 4 s: run 1 must have been told to stop before run 2 started.
    expect(previousAbortedAtStart[0]).toBe(true);
    // Run 2 lasted 500 ms, less than ttl/3: its lease was released, never renewed.
    expect(spy.releases.map((x) => x.token)).toEqual([1, 2]);
    expect(spy.renewals.filter((x) => x.token !== 1)).toEqual([]);
    await stopAll(clock, [r]);
  });
});

describe('a lease lost mid-run aborts the run (lease-lost)', () => {
  /** One exclusive job: tick at 10 s, lease TTL 3 s (renewed at 11 s, 12 s, …), a run of `runMs`. */
  function leased(runMs: number) {
    const clock = new TestClock(T0);
    const spy = new Spy(createMemoryCoordinator({ store: new MemoryCoordinationStore(clock) }), clock);
    const r = replica(clock, spy);
    const seen: RunContext[] = [];
    r.scheduler.add({ name: 'fenced', fixedRate: '10s', coordination: 'exclusive', leaseTtl: '3s', run: sleeper(clock, runMs, seen) });
    return { clock, spy, r, seen };
  }

  it('renew() resolving false aborts the run at that renewal', async () => {
    const { clock, spy, r, seen } = leased(8_000);
    spy.renewMode = 'false';
    await clock.advance(11_500);
    expect(seen).toHaveLength(1);
    const reason: unknown = seen[0]!.signal.reason;
    expect(reason).toBeInstanceOf(RunAbortedError);
    expect((reason as RunAbortedError).abortCause).toBe('lease-lost');
    expect(r.ends).toHaveLength(1);
    expect(r.ends[0]).toMatchObject({ outcome: 'aborted', abortCause: 'lease-lost', endedAt: new Date(T0 + 11_000) });
    expect(spy.renewals).toEqual([{ token: 1, at: 11_000, answer: false }]);
    expect(spy.releases).toEqual([{ token: 1, outcome: 'aborted' }]);
    await stopAll(clock, [r]);
  });

  it("the lease's lost signal aborting aborts the run at once", async () => {
    const { clock, spy, r, seen } = leased(8_000);
    const lost = new AbortController();
    spy.lost = lost.signal;
    await clock.advance(12_500);
    expect(seen[0]!.signal.aborted).toBe(false);
    lost.abort(new Error('taken over'));
    await clock.flush();
    expect((seen[0]!.signal.reason as RunAbortedError).abortCause).toBe('lease-lost');
    expect(r.ends).toHaveLength(1);
    expect(r.ends[0]).toMatchObject({ outcome: 'aborted', abortCause: 'lease-lost', endedAt: new Date(T0 + 12_500) });
    expect(spy.renewals.map((x) => x.at)).toEqual([11_000, 12_000]);
    await stopAll(clock, [r]);
  });

  it('a renew() that keeps rejecting is retried at ttl/3 and the run is aborted when the TTL runs out', async () => {
    const { clock, spy, r, seen } = leased(8_000);
    spy.renewMode = 'reject';
    await clock.advance(12_699);
    expect(seen[0]!.signal.aborted).toBe(false);
    expect(r.ends).toHaveLength(0);
    await clock.advance(1);
    // Claimed at 10 s with a 3 s TTL: no renewal succeeded, so the store drops the lease at 13 s;
    // the run is told to stop a tenth of the TTL before, at 12.7 s.
    expect(spy.renewals).toEqual([
      { token: 1, at: 11_000, answer: 'rejected' },
      { token: 1, at: 12_000, answer: 'rejected' },
    ]);
    expect((seen[0]!.signal.reason as RunAbortedError).abortCause).toBe('lease-lost');
    expect(r.ends).toHaveLength(1);
    expect(r.ends[0]).toMatchObject({ outcome: 'aborted', abortCause: 'lease-lost', endedAt: new Date(T0 + 12_700) });
    await stopAll(clock, [r]);
  });

  it('a renew() that rejects and recovers before the TTL keeps the run going', async () => {
    const { clock, spy, r, seen } = leased(7_500);
    spy.renewMode = 'reject';
    await clock.advance(11_500); // the 11 s renewal rejected
    spy.renewMode = 'pass';
    await clock.advance(6_500); // to 18 s; the run ends at 17.5 s
    expect(spy.renewals).toEqual([
      { token: 1, at: 11_000, answer: 'rejected' },
      ...Array.from({ length: 6 }, (_, k) => ({ token: 1, at: 12_000 + k * 1_000, answer: true })),
    ]);
    expect(seen[0]!.signal.aborted).toBe(false);
    expect(r.ends).toHaveLength(1);
    expect(r.ends[0]).toMatchObject({ outcome: 'success', endedAt: new Date(T0 + 17_500) });
    expect(r.ends[0]!.abortCause).toBeUndefined();
    await stopAll(clock, [r]);
  });
});

describe('fixedDelay leadership (exclusive by default)', () => {
  it('one replica leads and reuses its lease; stop() releases it and the other replica takes over at its next tick', async () => {
    const clock = new TestClock(T0);
    const store = new MemoryCoordinationStore(clock);
    const [spyA, spyB] = [0, 1].map(() => new Spy(createMemoryCoordinator({ store }), clock)) as [Spy, Spy];
    const seenA: RunContext[] = [];
    const seenB: RunContext[] = [];
    const a = replica(clock, spyA);
    a.scheduler.add({ name: 'lead', fixedDelay: '1s', run: sleeper(clock, 500, seenA) });
    clock.blockFor(250);
    const b = replica(clock, spyB);
    b.scheduler.add({ name: 'lead', fixedDelay: '1s', run: sleeper(clock, 500, seenB) });
    expect(a.scheduler.inspect().jobs[0]!.coordination).toBe('exclusive');

    await clock.advance(4_450); // to 4.7 s: a ran at 1 s, 2.5 s, 4 s; b ticked at 1.25 s, 2.25 s, 3.25 s, 4.25 s
    expect(seenA.map((ctx) => [ctx.startedAt.getTime() - T0, ctx.lease?.token])).toEqual([[1_000, 1], [2_500, 1], [4_000, 1]]);
    // Leadership: a claimed once, without a slot; its later runs reuse the lease.
    expect(spyA.claims).toEqual([{ jobName: 'lead', scheduledAt: new Date(T0 + 1_000), tickId: idOf('lead', 1_000), manual: false, mode: 'exclusive', slot: null }]);
    expect(spyA.releases).toEqual([]);
    expect(seenB).toHaveLength(0);
    expect(b.ticks.map((t) => [t.at, t.result, t.reason])).toEqual([
      [1_250, 'skipped', 'claimed-elsewhere'],
      [2_250, 'skipped', 'claimed-elsewhere'],
      [3_250, 'skipped', 'claimed-elsewhere'],
      [4_250, 'skipped', 'claimed-elsewhere'],
    ]);
    expect(spyB.claims.map((c) => [c.slot, c.mode])).toEqual(Array(4).fill([null, 'exclusive']));

    const report = await a.scheduler.stop();
    expect(report.clean).toBe(true);
    expect(spyA.releases).toEqual([{ token: 1, outcome: 'not-run' }]);
    expect(store.size.leases).toBe(0);

    await clock.advance(2_300); // to 7 s
    expect(seenB.map((ctx) => [ctx.startedAt.getTime() - T0, ctx.lease?.token])).toEqual([[5_250, 2], [6_750, 2]]);
    expect(spyB.claims).toHaveLength(5); // the fifth (5.25 s) won; the 6.75 s run reused the lease
    await stopAll(clock, [b]);
  });

  it('a leader whose renewals fail loses leadership after the TTL (its run aborted lease-lost) and the other replica takes over', async () => {
    const clock = new TestClock(T0);
    const store = new MemoryCoordinationStore(clock);
    const [spyA, spyB] = [0, 1].map(() => new Spy(createMemoryCoordinator({ store }), clock)) as [Spy, Spy];
    const seenA: RunContext[] = [];
    const seenB: RunContext[] = [];
    const a = replica(clock, spyA);
    a.scheduler.add({ name: 'lead', fixedDelay: '1s', leaseTtl: '3s', run: sleeper(clock, 2_500, seenA) });
    clock.blockFor(500);
    const b = replica(clock, spyB);
    b.scheduler.add({ name: 'lead', fixedDelay: '1s', leaseTtl: '3s', run: sleeper(clock, 2_500, seenB) });

    // a leads: runs at 1 s (to 3.5 s) and 4.5 s (to 7 s), lease renewed every second.
    await clock.advance(6_700); // to 7.2 s
    spyA.partitioned = true; // from now on a cannot reach the store
    await clock.advance(6_300); // to 13.5 s

    expect(spyA.renewals).toEqual([
      ...Array.from({ length: 6 }, (_, k) => ({ token: 1, at: (k + 2) * 1_000, answer: true })),
      { token: 1, at: 8_000, answer: 'rejected' },
      { token: 1, at: 9_000, answer: 'rejected' },
    ]);
    // The last renewal that succeeded was at 7 s: the store drops the lease at 10 s; a gives it up
    // a tenth of the TTL before, at 9.7 s, mid-run (the run began at 8 s).
    expect(seenA.map((ctx) => ctx.startedAt.getTime() - T0)).toEqual([1_000, 4_500, 8_000]);
    expect(a.ends.map((e) => [e.endedAt.getTime() - T0, e.outcome, e.abortCause])).toEqual([
      [3_500, 'success', undefined],
      [7_000, 'success', undefined],
      [9_700, 'aborted', 'lease-lost'],
    ]);
    expect((seenA[2]!.signal.reason as RunAbortedError).abortCause).toBe('lease-lost');
    // a is no longer leader: its next ticks claim again, and fail while it is partitioned.
    expect(a.ticks.filter((t) => t.at > 9_700).map((t) => [t.at, t.result, t.reason])).toEqual([
      [10_700, 'skipped', 'coordinator-unavailable'],
      [11_700, 'skipped', 'coordinator-unavailable'],
      [12_700, 'skipped', 'coordinator-unavailable'],
    ]);
    // b ticked every second from 1.5 s and lost until the lease expired; its 10.5 s tick won with a higher token.
    expect(b.ticks.filter((t) => t.result === 'skipped').map((t) => t.at)).toEqual(Array.from({ length: 9 }, (_, k) => 1_500 + k * 1_000));
    expect(seenB.map((ctx) => [ctx.startedAt.getTime() - T0, ctx.lease?.token])).toEqual([[10_500, 2]]);
    await stopAll(clock, [a, b]);
  });
});

describe('claims that hang, time out or fail', () => {
  it('a claim that never settles is given up after claimTimeout (claim-timeout), its signal aborts, and the next tick claims again', async () => {
    const clock = new TestClock(T0);
    const memory = createMemoryCoordinator({ store: new MemoryCoordinationStore(clock) });
    const signals: AbortSignal[] = [];
    const coordinator: Coordinator = {
      claim: (request, options) => {
        signals.push(options.signal);
        if (signals.length === 1) return new Promise<ClaimResult>(() => {}); // hangs, ignoring its signal
        return memory.claim(request, options);
      },
    };
    const r = replica(clock, coordinator, { claimTimeout: '2500ms' });
    const ran: string[] = [];
    const job = r.scheduler.add({ name: 'hung', fixedRate: '1s', run: (ctx) => void ran.push(ctx.tickId) });

    await clock.advance(1_000);
    expect(job.inspect().claiming).toBe(1);
    expect(r.scheduler.stats().jobs[0]!.claiming).toBe(1);
    await clock.advance(2_499); // the 2 s and 3 s ticks find the slot held by the claim
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(false);
    expect(job.inspect().claiming).toBe(1);
    await clock.advance(1);

    expect(signals[0]!.aborted).toBe(true);
    const reason: unknown = signals[0]!.reason;
    expect(reason).toBeInstanceOf(ClaimTimeoutError);
    expect((reason as ClaimTimeoutError).tickId).toBe(idOf('hung', 1_000));
    expect((reason as ClaimTimeoutError).timeoutMs).toBe(2_500);
    expect(job.inspect().claiming).toBe(0);
    await clock.advance(1_500); // to 5 s: the 4 s and 5 s ticks claim and run
    expect(r.ticks.map((t) => [t.at, t.tickId, t.result, t.reason])).toEqual([
      [2_000, idOf('hung', 2_000), 'skipped', 'busy'],
      [3_000, idOf('hung', 3_000), 'skipped', 'busy'],
      [3_500, idOf('hung', 1_000), 'skipped', 'claim-timeout'],
      [4_000, idOf('hung', 4_000), 'started', undefined],
      [5_000, idOf('hung', 5_000), 'started', undefined],
    ]);
    expect(ran).toEqual([idOf('hung', 4_000), idOf('hung', 5_000)]);
    expect(job.inspect().counters).toMatchObject({ ticks: 5, started: 2, skipped: 3 });
    await stopAll(clock, [r]);
  });

  const failures: [string, string, () => ClaimResult | Promise<ClaimResult>][] = [
    ['throws CoordinatorUnavailableError', 'coordinator-unavailable', () => { throw new CoordinatorUnavailableError('down'); }],
    ['rejects with CoordinatorUnavailableError', 'coordinator-unavailable', () => Promise.reject(new CoordinatorUnavailableError('down'))],
    ['throws a plain Error', 'claim-failed', () => { throw new Error('boom'); }],
    ['rejects with a plain Error', 'claim-failed', () => Promise.reject(new Error('boom'))],
  ];
  it.each(failures)('a claim that %s skips the tick (%s), logs it, and the schedule goes on', async (_what, reason, claim) => {
    const clock = new TestClock(T0);
    const errors: { fields: Record<string, unknown>; message: string | undefined }[] = [];
    const logger: Logger = {
      child: () => logger,
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: (fields, message) => void errors.push({ fields, message }),
    };
    let calls = 0;
    const r = replica(clock, { claim: () => (++calls === 1 ? claim() : true) }, { logger });
    let runs = 0;
    r.scheduler.add({ name: 'flaky', fixedRate: '1s', run: () => void runs++ });
    await clock.advance(2_000);
    expect(r.ticks.map((t) => [t.tickId, t.result, t.reason])).toEqual([
      [idOf('flaky', 1_000), 'skipped', reason],
      [idOf('flaky', 2_000), 'started', undefined],
    ]);
    expect(runs).toBe(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toBe('coordinator.claim failed; tick skipped');
    expect(errors[0]!.fields).toMatchObject({ tickId: idOf('flaky', 1_000), reason });
    expect(errors[0]!.fields.err).toBeInstanceOf(reason === 'coordinator-unavailable' ? CoordinatorUnavailableError : Error);
    await stopAll(clock, [r]);
  });

  it('stop() with a claim pending aborts its signal, reports it, waits for its answer and releases the lease it won (not-run) before resolving', async () => {
    const clock = new TestClock(T0);
    const store = new MemoryCoordinationStore(clock);
    const memory = createMemoryCoordinator({ store });
    const answer = deferred<ClaimResult>();
    let sent: { request: ClaimRequest; options: ClaimOptions } | undefined;
    const coordinator: Coordinator = {
      claim: (request, options) => {
        sent = { request, options };
        return answer.promise;
      },
    };
    const r = replica(clock, coordinator, { claimTimeout: '10s' });
    let runs = 0;
    r.scheduler.add({ name: 'pending', fixedRate: '1s', coordination: 'exclusive', run: () => void runs++ });
    await clock.advance(1_400);
    expect(sent?.options.signal.aborted).toBe(false);

    let report: StopReport | undefined;
    const stopping = r.scheduler.stop().then((value) => (report = value));
    expect(sent!.options.signal.aborted).toBe(true);
    expect(sent!.options.signal.reason).toBeInstanceOf(SchedulerStoppedError);
    expect(r.ticks.map((t) => [t.tickId, t.result, t.reason])).toEqual([[idOf('pending', 1_000), 'dropped', 'stopped']]);
    await clock.advance(300);
    expect(report).toBeUndefined(); // the answer may still bring a lease to give back

    // The store granted the claim after all (it did not look at the signal): the lease must go back
    // before stop() resolves, while the app's client to the store is still open.
    const granted = await memory.claim(sent!.request, { signal: new AbortController().signal, ttlMs: sent!.options.ttlMs });
    expect(store.size.leases).toBe(1);
    const releases: (RunOutcome | 'not-run')[] = [];
    const lease = granted as Lease;
    answer.resolve({ token: lease.token, expiresAt: lease.expiresAt, renew: () => lease.renew(), release: (outcome) => { releases.push(outcome); return lease.release(outcome); } });
    await stopping;
    expect(releases).toEqual(['not-run']);
    expect(store.size.leases).toBe(0);
    expect(report).toEqual({
      clean: true,
      settled: 0,
      stillRunning: [],
      droppedTicks: 1,
      abortedClaims: [{ job: 'pending', tickId: idOf('pending', 1_000), scheduledAt: new Date(T0 + 1_000), pendingForMs: 400 }],
      unansweredCalls: 0,
      durationMs: 300,
    });
    expect(runs).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('an abandoned claim that never answers is waited for until its claimTimeout only; stop() then resolves clean and leaves nothing armed', async () => {
    const clock = new TestClock(T0);
    const r = replica(clock, { claim: () => new Promise<ClaimResult>(() => {}) }, { claimTimeout: '2s' });
    r.scheduler.add({ name: 'hung', fixedRate: '1s', run: () => {} });
    await clock.advance(1_500); // the 1 s claim has been out 500 ms
    let report: StopReport | undefined;
    const stopping = r.scheduler.stop({ timeout: '10s' }).then((value) => (report = value));
    await clock.advance(1_499);
    expect(report).toBeUndefined();
    await clock.advance(1);
    await stopping;
    expect(report).toMatchObject({ clean: true, unansweredCalls: 0, durationMs: 1_500, droppedTicks: 1 });
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('coordinators of other kinds and jobs that opt out', () => {
  it('a version 1 coordinator still works: true runs without a lease, false skips the tick as not-claimed', async () => {
    const clock = new TestClock(T0);
    let calls = 0;
    const r = replica(clock, { claim: () => ++calls % 2 === 1 });
    const seen: RunContext[] = [];
    const job = r.scheduler.add({ name: 'v1', fixedRate: '1s', run: sleeper(clock, 500, seen) });
    await clock.advance(1_200);
    expect(job.inspect().runs.map((run) => run.leaseToken)).toEqual([null]);
    await clock.advance(2_800);
    expect(seen.map((ctx) => [ctx.tickId, ctx.lease])).toEqual([[idOf('v1', 1_000), undefined], [idOf('v1', 3_000), undefined]]);
    expect(r.ticks.map((t) => [t.tickId, t.result, t.reason])).toEqual([
      [idOf('v1', 1_000), 'started', undefined],
      [idOf('v1', 2_000), 'skipped', 'not-claimed'],
      [idOf('v1', 3_000), 'started', undefined],
      [idOf('v1', 4_000), 'skipped', 'not-claimed'],
    ]);
    await stopAll(clock, [r]);
  });

  it("coordination: 'local' never asks the coordinator: every replica runs every tick, without a lease", async () => {
    const clock = new TestClock(T0);
    const store = new MemoryCoordinationStore(clock);
    const spies = [0, 1].map(() => new Spy(createMemoryCoordinator({ store }), clock));
    const runs: { replica: number; tickId: string; lease: unknown }[] = [];
    const replicas = spies.map((spy, i) => {
      const r = replica(clock, spy);
      r.scheduler.add({ name: 'own', fixedRate: '1s', coordination: 'local', run: (ctx) => void runs.push({ replica: i, tickId: ctx.tickId, lease: ctx.lease }) });
      return r;
    });
    expect(replicas[0]!.scheduler.inspect().jobs[0]!.coordination).toBe('local');
    await clock.advance(3_000);
    expect(spies.map((s) => s.claims.length)).toEqual([0, 0]);
    expect(runs).toEqual([1_000, 2_000, 3_000].flatMap((ms) => [0, 1].map((i) => ({ replica: i, tickId: idOf('own', ms), lease: undefined }))));
    await stopAll(clock, replicas);
  });

  it('a manual trigger() of a coordinated job claims with manual: true and no slot', async () => {
    const clock = new TestClock(T0);
    const spy = new Spy(createMemoryCoordinator({ store: new MemoryCoordinationStore(clock) }), clock);
    const r = replica(clock, spy);
    const seen: RunContext[] = [];
    const job = r.scheduler.add({ name: 'manual', fixedRate: '1h', run: (ctx) => void seen.push(ctx) });
    await clock.advance(100);
    const result = await job.trigger();
    expect(spy.claims).toEqual([{ jobName: 'manual', scheduledAt: new Date(T0 + 100), tickId: `${idOf('manual', 100)}#manual-1`, manual: true, mode: 'per-tick', slot: null }]);
    expect(result).toMatchObject({ status: 'completed', outcome: 'success' });
    expect(seen.map((ctx) => [ctx.tickId, ctx.manual, ctx.lease?.token])).toEqual([[`${idOf('manual', 100)}#manual-1`, true, 1]]);
    await stopAll(clock, [r]);
  });

  it("a manual trigger() of an exclusive job while another replica's run holds the lease is skipped as claimed-elsewhere", async () => {
    const clock = new TestClock(T0);
    const store = new MemoryCoordinationStore(clock);
    const [spyA, spyB] = [0, 1].map(() => new Spy(createMemoryCoordinator({ store }), clock)) as [Spy, Spy];
    const seen: RunContext[] = [];
    const a = replica(clock, spyA);
    a.scheduler.add({ name: 'x', fixedRate: '1m', coordination: 'exclusive', run: sleeper(clock, 5_000, seen) });
    const b = replica(clock, spyB);
    const jobB = b.scheduler.add({ name: 'x', fixedRate: '1m', coordination: 'exclusive', run: sleeper(clock, 5_000, seen) });
    await clock.advance(61_000); // a runs the 1 min tick; b lost it
    const result = await jobB.trigger();
    expect(result).toEqual({ status: 'skipped', reason: 'claimed-elsewhere' });
    expect(spyB.claims.at(-1)).toMatchObject({ manual: true, mode: 'exclusive', slot: null });
    expect(seen).toHaveLength(1);
    await stopAll(clock, [a, b]);
  });
});

describe('inspect() shows coordination', () => {
  it('coordination mode per job, claims pending, and the lease token of each run in flight', async () => {
    const clock = new TestClock(T0);
    const store = new MemoryCoordinationStore(clock);
    const memory = createMemoryCoordinator({ store });
    const held: ((value: ClaimResult) => void)[] = [];
    let hold = false;
    const coordinator: Coordinator = {
      claim: (request, options) => {
        if (!hold) return memory.claim(request, options);
        const answer = deferred<ClaimResult>();
        held.push(answer.resolve);
        return answer.promise.then(() => memory.claim(request, options));
      },
    };
    const r = replica(clock, coordinator);
    const seen: RunContext[] = [];
    const rate = r.scheduler.add({ name: 'rate', fixedRate: '1s', maxConcurrency: 2, run: sleeper(clock, 1_500, seen) });
    const delay = r.scheduler.add({ name: 'delay', fixedDelay: '1s', run: sleeper(clock, 100, []) });
    const local = r.scheduler.add({ name: 'local', fixedRate: '1s', coordination: 'local', run: () => {} });
    const excl = r.scheduler.add({ name: 'excl', fixedRate: '1s', coordination: 'exclusive', run: () => {} });
    expect([rate, delay, local, excl].map((job) => job.inspect().coordination)).toEqual(['per-tick', 'exclusive', 'local', 'exclusive']);

    await clock.advance(2_200); // rate: runs of the 1 s tick (token 1) and the 2 s tick in flight
    const tokens = rate.inspect().runs.map((run) => [run.tickId, run.leaseToken]);
    expect(tokens).toEqual([[idOf('rate', 1_000), seen[0]!.lease!.token], [idOf('rate', 2_000), seen[1]!.lease!.token]]);
    expect(seen[1]!.lease!.token).toBeGreaterThan(seen[0]!.lease!.token);
    expect(rate.inspect().claiming).toBe(0);

    hold = true;
    await clock.advance(800); // the 3 s tick's claim is out; the 1 s run ended at 2.5 s
    expect(rate.inspect()).toMatchObject({ claiming: 1, inFlight: 1 });
    expect(r.scheduler.stats().jobs.find((j) => j.name === 'rate')).toMatchObject({ claiming: 1, inFlight: 1 });
    hold = false;
    for (const resolve of held.splice(0)) resolve(null);
    await clock.flush();
    expect(rate.inspect()).toMatchObject({ claiming: 0, inFlight: 2 });
    await stopAll(clock, [r]);
  });
});
