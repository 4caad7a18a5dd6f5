/**
 * Call-outs that call back into the engine — listeners, tasks, coordinators — at awkward
 * moments: each case left the engine inconsistent before (a promise that never settled, a tick
 * armed on a done or removed job, a lease never released, a retry after stop).
 */
import { describe, expect, it } from 'vitest';
import {
  createMemoryCoordinator,
  createScheduler,
  MemoryCoordinationStore,
  TestClock,
  type Clock,
  type StopReport,
  type TickEvent,
  type TriggerResult,
} from '../src/index.js';
import { offsets, setup, stopAndAdvance, T0 } from './helpers.js';

describe('stop() and remove() called again from their own call-outs', () => {
  it('a stop() from a tick listener during stop() shares its promise, and overdue ticks are counted once', async () => {
    const { clock, scheduler, ticks } = setup();
    scheduler.add({ name: 'slow', fixedRate: '10s', run: () => clock.sleep(100_000) });
    const job = scheduler.add({ name: 'b', fixedRate: '1s', run: () => {} });
    await clock.advance(10_000);
    clock.blockFor(3_000); // b's ticks at 11, 12 and 13 s are overdue
    let inner: Promise<StopReport> | undefined;
    scheduler.on('tick', (e) => {
      if (e.result === 'dropped') inner = scheduler.stop({ timeout: '1s' });
    });
    const outer = scheduler.stop({ timeout: '1s' });
    expect(inner).toBe(outer);
    await clock.advance(1_000);
    const report = await outer;
    expect(report.clean).toBe(false);
    expect(ticks.filter((t) => t.job === 'b' && t.result === 'dropped').map((t) => t.count)).toEqual([3]);
    expect(job.inspect().counters).toMatchObject({ ticks: 13, started: 10, dropped: 3 });
    expect(scheduler.state).toBe('stopped');
  });

  it('a second remove() returns the same report', async () => {
    const { clock, scheduler } = setup();
    const job = scheduler.add({ name: 'a', fixedRate: '1s', run: ({ signal }) => clock.sleep(5_000, signal).catch(() => {}) });
    await clock.advance(1_000);
    const first = job.remove();
    expect(job.remove()).toBe(first);
    await clock.flush();
    expect((await first).settled).toBe(1);
    await scheduler.stop();
  });
});

describe('a job that is done or removed arms nothing', () => {
  it('fixedDelay with maxRuns: done after its last run, with no tick armed', async () => {
    const { clock, scheduler, ticks } = setup();
    const job = scheduler.add({ name: 'fd', fixedDelay: '1s', maxRuns: 1, run: () => {} });
    await clock.advance(1_000);
    expect(job.state).toBe('done');
    expect(job.inspect().nextRunAt).toBeNull();
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(5_000);
    expect(ticks.map((t) => t.result)).toEqual(['started']);
    await scheduler.stop();
  });

  it('a job removed by a listener of its own announcement never ticks', async () => {
    const { clock, scheduler, ticks } = setup();
    scheduler.on('job:state', (e) => {
      if (e.from === null) void scheduler.get(e.job)?.remove();
    });
    scheduler.add({ name: 'gone', fixedRate: '1s', run: () => {} });
    await clock.advance(10_000);
    expect(ticks).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
    await scheduler.stop();
  });

  it('an at job given a new schedule by its own task goes on, and is not done', async () => {
    const { clock, scheduler } = setup();
    const starts: number[] = [];
    const job = scheduler.add({
      name: 'once-then-often',
      at: T0 + 1_000,
      run: () => {
        starts.push(clock.now());
        if (starts.length === 1) job.update({ fixedRate: '1s' });
      },
    });
    await clock.advance(4_000);
    expect(offsets(starts)).toEqual([1_000, 2_000, 3_000, 4_000]);
    expect(job.state).toBe('active');
    await scheduler.stop();
  });
});

describe('retries after the scheduler stopped', () => {
  it('a run:retry listener that stops the scheduler ends the run at once, with its failure', async () => {
    const { clock, scheduler, ends } = setup();
    scheduler.add({ name: 'r', fixedRate: '1s', retry: { attempts: 3, backoff: '60s' }, run: async () => { throw new Error('down'); } });
    let stopping: Promise<StopReport> | undefined;
    scheduler.on('run:retry', () => {
      stopping ??= scheduler.stop({ timeout: '5m' });
    });
    await clock.advance(1_000);
    expect(stopping).toBeDefined();
    const report = await stopping!;
    expect(report).toMatchObject({ clean: true, settled: 1, durationMs: 0 });
    expect(ends.map((e) => [e.outcome, e.attempts])).toEqual([['error', 1]]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a run:retry listener that removes the job aborts the run', async () => {
    const { clock, scheduler, ends } = setup();
    const job = scheduler.add({ name: 'r', fixedRate: '1s', retry: { attempts: 3, backoff: '60s' }, run: async () => { throw new Error('down'); } });
    let removing: Promise<StopReport> | undefined;
    scheduler.on('run:retry', () => {
      removing ??= job.remove();
    });
    await clock.advance(1_000);
    expect((await removing!).clean).toBe(true);
    expect(ends.map((e) => [e.outcome, e.abortCause])).toEqual([['aborted', 'remove']]);
    expect(clock.pendingTimers).toBe(0);
    await scheduler.stop();
  });
});

describe('a tick replacing another, when a listener stops the scheduler meanwhile', () => {
  it.each(['buffer-all', 'cancel-other'] as const)('%s: the new tick is dropped, not left in a stopped buffer', async (overlap) => {
    const { clock, scheduler } = setup();
    const job = scheduler.add({
      name: 'd', fixedRate: '1h', overlap, ...(overlap === 'buffer-all' ? { maxBuffered: 1 } : {}),
      run: () => clock.sleep(10_000),
    });
    void job.trigger();
    void job.trigger(); // waits in the buffer
    scheduler.on('tick', (e: TickEvent) => {
      if (e.result === 'dropped' && (e.reason === 'buffer-full' || e.reason === 'replaced')) void scheduler.stop();
    });
    const third: Promise<TriggerResult> = job.trigger();
    expect(await third).toEqual({ status: 'dropped', reason: 'stopped' });
    expect(job.inspect().buffered).toBe(0);
    await clock.advance(10_000);
  });
});

describe('coordination after an update', () => {
  it('a fixedDelay leader updated to fixedRate gives its lease up, and its ticks are claimed per tick', async () => {
    const clock = new TestClock(T0);
    const store = new MemoryCoordinationStore(clock);
    const scheduler = createScheduler({ clock, coordinator: createMemoryCoordinator({ store }) });
    const job = scheduler.add({ name: 'lead', fixedDelay: '1s', run: () => {} });
    await clock.advance(1_000);
    expect(store.size.leases).toBe(1);
    job.update({ fixedRate: '1s' });
    await clock.flush();
    expect(store.size.leases).toBe(0);
    await clock.advance(5_000);
    expect(job.inspect()).toMatchObject({ coordination: 'per-tick', counters: { started: 6, skipped: 0 } });
    await stopAndAdvance(clock, scheduler);
  });
});

describe('what users read', () => {
  it('run times are wall-clock, like scheduledAt, after the wall clock moved', async () => {
    const { clock, scheduler, ends } = setup();
    clock.stepWallClock(3_600_000);
    const seen: { scheduledAt: number; startedAt: number }[] = [];
    const job = scheduler.add({ name: 'w', fixedRate: '1s', maxRuns: 1, run: (ctx) => void seen.push({ scheduledAt: ctx.scheduledAt.getTime(), startedAt: ctx.startedAt.getTime() }) });
    await clock.advance(1_000);
    expect(seen).toEqual([{ scheduledAt: T0 + 3_601_000, startedAt: T0 + 3_601_000 }]);
    expect(ends[0]).toMatchObject({ startedAt: new Date(T0 + 3_601_000), endedAt: new Date(T0 + 3_601_000) });
    expect(job.inspect().lastRun).toMatchObject({ startedAt: new Date(T0 + 3_601_000) });
    await scheduler.stop();
  });

  it('changing the options object after add() changes nothing', async () => {
    const { clock, scheduler } = setup();
    const options = { name: 'a', fixedRate: '1s' as const, run: () => {} };
    const job = scheduler.add(options);
    options.name = 'b';
    job.update({ timeout: '500ms' });
    expect(job.name).toBe('a');
    expect(scheduler.jobs().map((j) => j.name)).toEqual(['a']);
    await stopAndAdvance(clock, scheduler);
  });

  it('an add() that fails late — the clock throws — leaves no trace', () => {
    const base = new TestClock(T0);
    const clock: Clock = { now: () => base.now(), wallNow: () => base.wallNow(), setTimer: (cb, ms) => base.setTimer(cb, ms), clearTimer: (h) => base.clearTimer(h), random: () => { throw new Error('no entropy'); } };
    const scheduler = createScheduler({ clock });
    expect(() => scheduler.add({ name: 'j', fixedRate: '1s', jitter: '100ms', run: () => {} })).toThrow('no entropy');
    expect(scheduler.jobs()).toEqual([]);
    expect(base.pendingTimers).toBe(0);
    expect(() => createScheduler({ clock: { ...clock, random: 5 as unknown as () => number } })).toThrow(/clock\.random/);
  });
});

describe('schedules replaced by update()', () => {
  it('fixedDelay → fixedRate → fixedDelay: the delay counts from the last run\'s end', async () => {
    const { clock, scheduler } = setup();
    const starts: number[] = [];
    const job = scheduler.add({ name: 'x', fixedDelay: '1s', run: () => void starts.push(clock.now()) });
    await clock.advance(1_500); // ran at 1 s
    job.update({ fixedRate: '10s' });
    await clock.advance(9_000); // ran at 10 s
    job.update({ fixedDelay: '5s' });
    await clock.advance(10_000);
    expect(offsets(starts)).toEqual([1_000, 10_000, 15_000, 20_000]);
    await scheduler.stop();
  });

  it('a runOnStart tick still waiting for the loop survives an update()', async () => {
    const { clock, scheduler } = setup();
    const scheduled: number[] = [];
    clock.blockFor(500);
    const job = scheduler.add({ name: 's', fixedRate: '1s', runOnStart: true, run: (ctx) => void scheduled.push(ctx.scheduledAt.getTime()) });
    job.update({ fixedRate: '2s' });
    await clock.advance(3_500);
    expect(offsets(scheduled)).toEqual([0, 2_000, 4_000]);
    await scheduler.stop();
  });
});

describe('counters a listener can observe', () => {
  it('consecutive failures are final before run:end listeners run (a nested sync run cannot be overwritten)', async () => {
    const { clock, scheduler } = setup();
    let fail = true;
    const job = scheduler.add({ name: 'n', fixedRate: '1h', maxConsecutiveFailures: 5, run: () => { if (fail) throw new Error('x'); } });
    scheduler.on('run:end', (e) => {
      if (e.outcome === 'error') {
        fail = false;
        void job.trigger(); // a sync success, inside the failing run's end
      }
    });
    fail = true;
    await job.trigger();
    expect(job.inspect().consecutiveFailures).toBe(0);
    await scheduler.stop();
    await clock.flush();
  });
});

describe('coordinator answers that cannot be used', () => {
  it('a lease whose lost is not an AbortSignal is refused as a claim failure, not a wedged slot', async () => {
    const clock = new TestClock(T0);
    let claims = 0;
    const scheduler = createScheduler({
      clock,
      coordinator: {
        claim: () => {
          claims += 1;
          if (claims > 1) return true;
          return { token: 1, expiresAt: new Date(T0 + 30_000), lost: {} as AbortSignal, renew: async () => true, release: async () => {} };
        },
      },
    });
    const ticks: TickEvent[] = [];
    scheduler.on('tick', (e) => ticks.push(e));
    scheduler.add({ name: 'x', fixedRate: '1s', coordination: 'exclusive', run: () => {} });
    await clock.advance(3_000);
    expect(ticks.map((t) => [t.result, t.reason])).toEqual([['skipped', 'claim-failed'], ['started', undefined], ['started', undefined]]);
    await scheduler.stop();
  });
});
