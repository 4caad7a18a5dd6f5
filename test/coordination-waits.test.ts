/**
 * Two holes the multi-process suite (test/replicas) found, pinned here on the virtual clock:
 *
 *  - stop() and remove() resolved before the coordinator had the lease releases (and the answers
 *    of abandoned claims, and renewals in flight): an app that then closes its store client —
 *    `await scheduler.stop(); await pool.end()` — left the job locked across the cluster until the
 *    lease expired. Now they wait for every call they made, within their timeout.
 *  - a lease that ran out while the event loop stalled could still start a run: a claim's answer
 *    reaching the engine late, a fixedDelay leader's next run, a retry after backoff. Each start
 *    now checks the lease first, so the run never overlaps the replica the store let in.
 */
import { describe, expect, it } from 'vitest';
import {
  ClaimTimeoutError,
  createMemoryCoordinator,
  MemoryCoordinationStore,
  TestClock,
  type LeaseEvent,
  type Logger,
  type RunContext,
  type StopReport,
  type Duration,
} from '../src/index.js';
import { T0 } from './helpers.js';
import { idOf, replica, sleeper, Spy, stopAll } from './support/replicas-on-a-clock.js';

/** A replica on its own Spy over `store`. */
function spied(clock: TestClock, store: MemoryCoordinationStore, extra: { claimTimeout?: Duration } = {}) {
  const spy = new Spy(createMemoryCoordinator({ store }), clock);
  return { spy, ...replica(clock, spy, extra) };
}

/** Starts `promise` and records when it settles, so that a test can see it has not resolved yet. */
function watch(promise: Promise<StopReport>): { readonly report: StopReport | undefined; readonly done: Promise<StopReport> } {
  const state: { report: StopReport | undefined; done: Promise<StopReport> } = { report: undefined, done: promise };
  state.done = promise.then((report) => (state.report = report));
  return state;
}

describe('stop() and remove() wait for the coordinator', () => {
  it('stop() resolves only once the release of the run it aborted reached the store', async () => {
    const clock = new TestClock(T0);
    const store = new MemoryCoordinationStore(clock);
    const a = spied(clock, store);
    const seen: RunContext[] = [];
    a.scheduler.add({ name: 'sync', fixedRate: '1s', coordination: 'exclusive', run: sleeper(clock, 60_000, seen) });
    await clock.advance(1_500);
    expect(seen).toHaveLength(1);
    a.spy.releaseDelayMs = 200;

    const stopping = watch(a.scheduler.stop({ abort: true }));
    await clock.advance(199);
    expect(stopping.report).toBeUndefined();
    expect(store.size.leases).toBe(1);
    await clock.advance(1);
    const report = await stopping.done;

    expect(a.spy.releasedAt).toEqual([1_700]);
    expect(store.size.leases).toBe(0); // another replica may take the job at once
    expect(report).toMatchObject({ clean: true, settled: 1, unansweredCalls: 0, durationMs: 200 });
  });

  it('a fixedDelay leader that stops gives its lease back before stop() resolves', async () => {
    const clock = new TestClock(T0);
    const store = new MemoryCoordinationStore(clock);
    const a = spied(clock, store);
    a.scheduler.add({ name: 'lead', fixedDelay: '1s', run: () => {} });
    await clock.advance(2_500); // leading, between runs
    expect(store.size.leases).toBe(1);
    a.spy.releaseDelayMs = 50;

    const stopping = watch(a.scheduler.stop());
    await clock.advance(49);
    expect(stopping.report).toBeUndefined();
    await clock.advance(1);
    expect((await stopping.done).unansweredCalls).toBe(0);
    expect(store.size.leases).toBe(0);
    expect(a.spy.releases.map((r) => r.outcome)).toEqual(['not-run']);
  });

  it('stop() waits for a renewal in flight; after it resolves the coordinator hears nothing more', async () => {
    const clock = new TestClock(T0);
    const store = new MemoryCoordinationStore(clock);
    const a = spied(clock, store);
    a.spy.renewDelayMs = 300;
    const seen: RunContext[] = [];
    // Lease 3 s: renewed at 1 s into the run, the answer 300 ms later.
    a.scheduler.add({ name: 'long', fixedRate: '10s', coordination: 'exclusive', leaseTtl: '3s', run: sleeper(clock, 60_000, seen) });
    await clock.advance(11_100); // run from 10 s, renewal sent at 11 s
    const stopping = watch(a.scheduler.stop({ abort: true }));
    await clock.advance(199);
    expect(stopping.report).toBeUndefined();
    await clock.advance(1);
    const report = await stopping.done;
    expect(report).toMatchObject({ clean: true, unansweredCalls: 0, durationMs: 200 });
    const calls = a.spy.claims.length + a.spy.renewals.length + a.spy.releases.length;
    await clock.advance(60_000);
    expect(a.spy.claims.length + a.spy.renewals.length + a.spy.releases.length).toBe(calls);
  });

  it('remove() waits for its own job\'s release, not for another job\'s; a release that never answers makes stop() unclean at its timeout', async () => {
    const clock = new TestClock(T0);
    const store = new MemoryCoordinationStore(clock);
    const a = spied(clock, store);
    const seen: RunContext[] = [];
    a.scheduler.add({ name: 'short', fixedRate: '10s', coordination: 'exclusive', run: sleeper(clock, 100, seen) });
    const kept = a.scheduler.add({ name: 'kept', fixedRate: '10s', coordination: 'exclusive', run: sleeper(clock, 60_000, seen) });
    // The 10 s run of 'short' ends at 10.1 s; its release never answers.
    a.spy.releaseDelayMs = Infinity;
    await clock.advance(10_200);
    expect(a.spy.releases.map((r) => r.token)).toHaveLength(1);

    a.spy.releaseDelayMs = 100;
    const removing = watch(kept.remove());
    await clock.advance(99);
    expect(removing.report).toBeUndefined();
    await clock.advance(1);
    expect(await removing.done).toMatchObject({ clean: true, settled: 1, unansweredCalls: 0, durationMs: 100 });

    const stopping = watch(a.scheduler.stop({ timeout: '1s' }));
    await clock.advance(1_000);
    expect(await stopping.done).toMatchObject({ clean: false, stillRunning: [], unansweredCalls: 1, durationMs: 1_000 });
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('a lease that ran out during an event-loop stall starts nothing', () => {
  it('a claim answered in time but heard after the lease could have expired skips its tick (claim-timeout) and releases the lease; the next replica runs alone', async () => {
    const clock = new TestClock(T0);
    const store = new MemoryCoordinationStore(clock);
    const a = spied(clock, store);
    const b = spied(clock, store);
    // a's answer takes 100 ms to arrive; a's event loop stalls 1.5 s right after sending the claim,
    // so the answer and the claim's deadline (ttl 1 s less its 100 ms margin) both come due in the stall.
    a.spy.answerDelayMs = 100;
    const starts: { replica: string; at: number; token: number | undefined }[] = [];
    const task = (name: string) => async (ctx: RunContext) => {
      starts.push({ replica: name, at: clock.now() - T0, token: ctx.lease?.token });
      await clock.sleep(5_000, ctx.signal).catch(() => {});
    };
    a.scheduler.add({ name: 'j', fixedRate: '10s', coordination: 'exclusive', leaseTtl: '1s', run: task('a') });
    b.scheduler.add({ name: 'j', fixedRate: '10s', phase: '1200ms', coordination: 'exclusive', leaseTtl: '1s', run: task('b') });
    await clock.advance(10_000); // a's claim of the 10 s tick is out
    clock.blockFor(1_500);
    await clock.flush(); // at 11.5 s: a hears the answer, late
    await clock.advance(100); // b's 11.2 s tick fired late too, and won the expired lease

    const tick = a.ticks.find((t) => t.tickId === idOf('j', 10_000))!;
    expect([tick.result, tick.reason]).toEqual(['skipped', 'claim-timeout']);
    expect(starts.filter((s) => s.replica === 'a')).toEqual([]);
    expect(a.spy.releases.map((r) => r.outcome)).toEqual(['not-run']);
    // b ran its 1.2 s slot (token 1) and, late, its 11.2 s one, with a token above the one a gave back.
    expect(starts).toEqual([{ replica: 'b', at: 1_200, token: 1 }, { replica: 'b', at: 11_500, token: 3 }]);
    await stopAll(clock, [a, b]);
  });

  it('the error of a claim heard late says how late; the claim event and the log report it', async () => {
    const clock = new TestClock(T0);
    const errors: { fields: Record<string, unknown>; message: string | undefined }[] = [];
    const logger: Logger = { child: () => logger, debug: () => {}, info: () => {}, warn: () => {}, error: (fields, message) => void errors.push({ fields, message }) };
    const spy = new Spy(createMemoryCoordinator({ store: new MemoryCoordinationStore(clock) }), clock);
    const a = replica(clock, spy, { logger });
    spy.answerDelayMs = 100;
    const claims: { result: string }[] = [];
    a.scheduler.on('claim', (e) => claims.push(e));
    a.scheduler.add({ name: 'j', fixedRate: '10s', coordination: 'exclusive', leaseTtl: '1s', run: () => {} });
    await clock.advance(10_000);
    clock.blockFor(2_000);
    await clock.flush();
    expect(claims.map((c) => c.result)).toEqual(['claim-timeout']);
    expect(errors.map((e) => [e.message, e.fields.reason])).toEqual([['coordinator.claim failed; tick skipped', 'claim-timeout']]);
    const error = errors[0]!.fields.err;
    expect(error).toBeInstanceOf(ClaimTimeoutError);
    expect(error).toMatchObject({ timeoutMs: 900, answeredAfterMs: 2_000 });
    expect((error as Error).message).toContain('was answered after 2000ms, past its 900ms deadline');
    await stopAll(clock, [a]);
  });

  it('a fixedDelay leader whose lease ran out during a stall does not run on it: it loses leadership and claims again', async () => {
    const clock = new TestClock(T0);
    const store = new MemoryCoordinationStore(clock);
    const a = spied(clock, store);
    a.spy.withoutLost = true; // a store that cannot push: only the engine's own deadline tells
    const leases: LeaseEvent[] = [];
    a.scheduler.on('lease', (e) => leases.push(e));
    const tokens: number[] = [];
    // Runs of 0 ms every 500 ms; the lease (3 s) is renewed every second.
    a.scheduler.add({ name: 'lead', fixedDelay: '500ms', leaseTtl: '3s', run: (ctx) => void tokens.push(ctx.lease!.token) });
    await clock.advance(700);
    expect(tokens).toEqual([1]);
    clock.blockFor(5_000); // the lease ran out at the store at 3.2 s at the latest
    await clock.flush();
    await clock.advance(10);
    expect(leases.filter((e) => e.result === 'lost')).toHaveLength(1);
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    expect(tokens.slice(1).every((token) => token > 1)).toBe(true);
    await stopAll(clock, [a]);
  });

  it('a retry due during a stall that outlasted the lease does not start: the run ends after its one attempt, with its failure and abortCause lease-lost', async () => {
    const clock = new TestClock(T0);
    const a = spied(clock, new MemoryCoordinationStore(clock));
    a.spy.withoutLost = true;
    const attempts: number[] = [];
    a.scheduler.add({
      name: 'retrying',
      fixedRate: '10s',
      coordination: 'exclusive',
      leaseTtl: '3s',
      retry: { attempts: 2, backoff: { initial: '100ms' } },
      run: (ctx) => {
        attempts.push(ctx.attempt);
        throw new Error('first attempt fails');
      },
    });
    await clock.advance(10_050); // attempt 1 failed at 10 s; the retry is due at 10.1 s
    clock.blockFor(4_000);
    await clock.flush();
    expect(attempts).toEqual([1]);
    const end = a.ends.find((e) => e.tickId === idOf('retrying', 10_000))!;
    // As with a stop during backoff: the retry that may not start leaves the run with the failure it would have retried.
    expect([end.outcome, end.abortCause, end.error?.message]).toEqual(['error', 'lease-lost', 'first attempt fails']);
    expect(end.attempts).toBe(1);
    await stopAll(clock, [a]);
  });
});
