/**
 * Judgement calls of the engine, now decided (see the brief's "Schedules" and "Runs"): each test
 * pins one decision through the public API on the virtual clock.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  createScheduler,
  RunTimeoutError,
  TestClock,
  TickguardError,
  type JobStateEvent,
  type RunContext,
  type RunStartEvent,
  type TickEvent,
} from '../src/index.js';
import { offsets, setup, stopAndAdvance, T0, thrown } from './helpers.js';


const HOUR = 3_600_000;

describe('cron through a fall-back night (scheduler-driven)', () => {
  /** The `scheduledAt` of every run of `cron` in `timezone` over `hours` from `start`. */
  async function runsOf(start: string, timezone: string, cron: string, hours = 6): Promise<string[]> {
    const clock = new TestClock(Date.parse(start));
    const scheduler = createScheduler({ clock });
    const scheduled: string[] = [];
    scheduler.add({ name: 'c', cron, timezone, run: (ctx) => void scheduled.push(ctx.scheduledAt.toISOString()) });
    await clock.advance(hours * HOUR);
    await scheduler.stop();
    return scheduled;
  }

  // America/New_York falls back at 06:00Z on 2026-11-01 (02:00 EDT → 01:00 EST): 01:xx local is
  // 05:xxZ the first time and 06:xxZ the second. Each named wall time runs once, at its first instant.
  it.each([
    ['0,30 1 * * *', ['2026-11-01T05:00:00.000Z', '2026-11-01T05:30:00.000Z']],
    ['30 1-3 * * *', ['2026-11-01T05:30:00.000Z', '2026-11-01T07:30:00.000Z', '2026-11-01T08:30:00.000Z']],
    ['30 1,2 * * *', ['2026-11-01T05:30:00.000Z', '2026-11-01T07:30:00.000Z']],
  ])('America/New_York %s runs each wall time of the repeated hour once', async (cron, expected) => {
    expect(await runsOf('2026-11-01T04:00:00Z', 'America/New_York', cron)).toEqual(expected);
  });

  it('Europe/Berlin 30 2,4 * * * runs 02:30 once on 2026-10-25', async () => {
    // 03:00 CEST (01:00Z) → 02:00 CET: 02:30 is 00:30Z, then again 01:30Z; 04:30 CET is 03:30Z.
    expect(await runsOf('2026-10-25T00:00:00Z', 'Europe/Berlin', '30 2,4 * * *')).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T03:30:00.000Z',
    ]);
  });

  it('an hourly (wildcard-hour) job keeps its real-time rhythm while a named-hours job runs once', async () => {
    const clock = new TestClock(Date.parse('2026-11-01T04:00:00Z'));
    const scheduler = createScheduler({ clock });
    const hourly: string[] = [];
    const named: string[] = [];
    scheduler.add({ name: 'hourly', cron: '0 * * * *', timezone: 'America/New_York', run: (ctx) => void hourly.push(ctx.scheduledAt.toISOString()) });
    scheduler.add({ name: 'named', cron: '0,30 1 * * *', timezone: 'America/New_York', run: (ctx) => void named.push(ctx.scheduledAt.toISOString()) });
    await clock.advance(6 * HOUR);
    await scheduler.stop();
    // Every real hour, the repeated 01:00 (06:00Z) included: an hourly job must not skip an hour.
    expect(hourly).toEqual([5, 6, 7, 8, 9, 10].map((h) => `2026-11-01T${String(h).padStart(2, '0')}:00:00.000Z`));
    expect(named).toEqual(['2026-11-01T05:00:00.000Z', '2026-11-01T05:30:00.000Z']);
  });
});

describe('TestClock: results depend on virtual time only', () => {
  /** Runs completed by a fixedRate '1s' job whose task is `body`, advancing 10 s in `slices` steps. */
  async function completions(body: () => Promise<void>, slices: number): Promise<{ done: number; started: number; skipped: number }> {
    const { clock, scheduler } = setup();
    let done = 0;
    const job = scheduler.add({ name: 'slow-async', fixedRate: '1s', run: async () => { await body(); done += 1; } });
    for (let i = 0; i < slices; i += 1) await clock.advance(10_000 / slices);
    const { started, skipped } = job.inspect().counters;
    await scheduler.stop();
    return { done, started, skipped };
  }

  const immediates = async (): Promise<void> => {
    for (let i = 0; i < 5; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
  };
  const nextTicks = async (): Promise<void> => {
    for (let i = 0; i < 50; i += 1) await new Promise<void>((resolve) => process.nextTick(resolve));
  };
  const microtasks = async (): Promise<void> => {
    for (let i = 0; i < 50; i += 1) await Promise.resolve();
  };
  const mixed = async (): Promise<void> => {
    for (let i = 0; i < 20; i += 1) {
      await Promise.resolve();
      await new Promise<void>((resolve) => process.nextTick(resolve));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };

  it('advance(10_000) equals ten advance(1_000) for tasks chaining immediates, nextTicks and microtasks', async () => {
    for (const [label, body] of [['5 setImmediate turns', immediates], ['50 nextTicks', nextTicks], ['50 microtasks', microtasks], ['mixed chain', mixed]] as const) {
      const whole = await completions(body, 1);
      const sliced = await completions(body, 10);
      // Each run settles long before the next slot: ten runs, none skipped, either way.
      expect(whole, label).toEqual({ done: 10, started: 10, skipped: 0 });
      expect(sliced, label).toEqual(whole);
    }
  });

  it('an advance() while another is in progress rejects with ClockMisuseError; the first loses no time', async () => {
    const { clock, scheduler, at } = setup();
    const runs: number[] = [];
    scheduler.add({ name: 'a', fixedRate: '1s', run: () => void runs.push(clock.now()) });
    const first = clock.advance(5_000);
    const second = clock.advance(1_000);
    const third = clock.advanceTo(at(60_000));
    await expect(second).rejects.toMatchObject({ name: 'ClockMisuseError', code: 'ERR_TICKGUARD_CLOCK_MISUSE' });
    await expect(third).rejects.toMatchObject({ name: 'ClockMisuseError', code: 'ERR_TICKGUARD_CLOCK_MISUSE' });
    await expect(second).rejects.toBeInstanceOf(TickguardError);
    await first;
    expect(clock.now()).toBe(at(5_000));
    expect(offsets(runs)).toEqual([1_000, 2_000, 3_000, 4_000, 5_000]);
    // Once the first is over, advancing works again.
    await clock.advance(1_000);
    expect(clock.now()).toBe(at(6_000));
    await scheduler.stop();
  });

  it('an advance() from inside a task rejects the same way and the outer target is not overshot', async () => {
    const { clock, scheduler, at } = setup();
    const inner: Promise<unknown>[] = [];
    scheduler.add({
      name: 'a',
      fixedRate: '1s',
      run: () => {
        inner.push(clock.advance(1_000).then(() => 'resolved', (error: unknown) => error));
      },
    });
    await clock.advance(3_000);
    expect(clock.now()).toBe(at(3_000));
    const results = await Promise.all(inner);
    expect(results).toHaveLength(3);
    for (const result of results) {
      expect(result).toBeInstanceOf(TickguardError);
      expect(result).toMatchObject({ name: 'ClockMisuseError', code: 'ERR_TICKGUARD_CLOCK_MISUSE' });
    }
    await scheduler.stop();
  });
});

describe('update() of a done job', () => {
  it('maxRuns reached: a higher maxRuns revives it and runs continue up to the new limit', async () => {
    const { clock, scheduler, ends } = setup();
    const states: JobStateEvent[] = [];
    scheduler.on('job:state', (e) => states.push(e));
    const job = scheduler.add({ name: 'a', fixedRate: '1s', maxRuns: 2, run: () => {} });
    await clock.advance(3_000);
    expect(job.state).toBe('done');
    expect(ends).toHaveLength(2);
    states.length = 0;
    job.update({ maxRuns: 5 });
    expect(job.state).toBe('active');
    expect(states).toEqual([{ job: 'a', from: 'done', to: 'active', reason: 'updated' }]);
    await clock.advance(10_000);
    // Runs 3–5 from the slot due at the update (3 s, not fired while done) on, then done again.
    expect(offsets(ends.map((e) => e.scheduledAt))).toEqual([1_000, 2_000, 3_000, 4_000, 5_000]);
    expect(job.state).toBe('done');
    expect(job.inspect().counters.started).toBe(5);
    await scheduler.stop();
  });

  it('maxRuns reached: any other update throws JobDoneError and changes nothing', async () => {
    const { clock, scheduler, ends } = setup();
    const job = scheduler.add({ name: 'a', fixedRate: '10s', maxRuns: 1, run: () => clock.sleep(2_000) });
    await clock.advance(15_000);
    expect(job.state).toBe('done');
    const before = job.inspect();
    for (const change of [{ timeout: '1s' as const }, { maxRuns: 1 }, { overlap: 'buffer-one' as const }]) {
      const error = thrown(() => job.update(change));
      expect(error, JSON.stringify(change)).toBeInstanceOf(TickguardError);
      expect(error, JSON.stringify(change)).toMatchObject({ name: 'JobDoneError', code: 'ERR_TICKGUARD_JOB_DONE', jobName: 'a' });
      expect(job.state).toBe('done');
      expect(job.inspect()).toEqual(before);
    }
    // The refused timeout was not kept: the revived job's 2 s run succeeds.
    job.update({ maxRuns: 2 });
    await clock.advance(20_000);
    expect(ends.map((e) => e.outcome)).toEqual(['success', 'success']);
    await scheduler.stop();
  });

  it('an `at` job that fired: a new `at` revives it; maxRuns alone throws JobDoneError', async () => {
    const { clock, scheduler, ends, at } = setup();
    const states: JobStateEvent[] = [];
    scheduler.on('job:state', (e) => states.push(e));
    const job = scheduler.add({ name: 'once', at: at(1_000), run: () => {} });
    await clock.advance(2_000);
    expect(job.state).toBe('done');
    const error = thrown(() => job.update({ maxRuns: 10 }));
    expect(error).toBeInstanceOf(TickguardError);
    expect(error).toMatchObject({ name: 'JobDoneError', code: 'ERR_TICKGUARD_JOB_DONE' });
    expect(job.state).toBe('done');
    states.length = 0;
    job.update({ at: new Date(at(5_000)) });
    expect(job.state).toBe('active');
    expect(states).toEqual([{ job: 'once', from: 'done', to: 'active', reason: 'updated' }]);
    expect(job.nextRuns(5)).toEqual([new Date(at(5_000))]);
    await clock.advance(10_000);
    expect(offsets(ends.map((e) => e.scheduledAt))).toEqual([1_000, 5_000]);
    expect(job.state).toBe('done');
    await scheduler.stop();
  });
});

describe('fixedDelay timing', () => {
  it('a shortened delay counts from the last run’s end, not from its due time', async () => {
    const { clock, scheduler, at } = setup();
    const starts: number[] = [];
    const job = scheduler.add({ name: 'd', fixedDelay: '10s', run: async () => { starts.push(clock.now()); await clock.sleep(3_000); } });
    await clock.advance(13_000); // due 10 s, ran 10–13 s: the run ended at t = 13 s
    expect(offsets(starts)).toEqual([10_000]);
    await clock.advance(1_000); // t + 1 s
    job.update({ fixedDelay: '2s' });
    await clock.advance(999); // t + 1.999 s: not yet
    expect(offsets(starts)).toEqual([10_000]);
    await clock.advance(1); // t + 2 s
    expect(offsets(starts)).toEqual([10_000, 15_000]);
    expect(clock.now()).toBe(at(15_000));
    await stopAndAdvance(clock, scheduler);
  });

  it('runOnStart with initialDelay: runs at add time, then not before add + initialDelay', async () => {
    const { clock, scheduler } = setup();
    const starts: number[] = [];
    scheduler.add({ name: 'd', fixedDelay: '1s', runOnStart: true, initialDelay: '5s', run: () => void starts.push(clock.now()) });
    await clock.advance(7_000);
    expect(offsets(starts)).toEqual([0, 5_000, 6_000, 7_000]);
    await scheduler.stop();
  });

  it('nextRuns() of a job mid-run estimates from now (as if the run ended now)', async () => {
    const { clock, scheduler, at } = setup();
    const job = scheduler.add({ name: 'd', fixedDelay: '10s', run: () => clock.sleep(3_000) });
    await clock.advance(11_000); // the run started at 10 s and is in flight
    expect(job.inspect().inFlight).toBe(1);
    expect(job.nextRuns(3)).toEqual([new Date(at(21_000)), new Date(at(31_000)), new Date(at(41_000))]);
    await stopAndAdvance(clock, scheduler);
  });
});

describe('accounting', () => {
  it('ticks overdue at stop() are counted as dropped (reason stopped), keeping the books balanced', async () => {
    const { clock, scheduler, ticks } = setup();
    const job = scheduler.add({ name: 'a', fixedRate: '1s', run: () => {} });
    await clock.advance(1_000);
    clock.blockFor(3_500); // 2 s, 3 s and 4 s fall due while the loop is blocked
    const report = await scheduler.stop();
    const { counters } = job.inspect();
    expect(counters).toMatchObject({ ticks: 4, started: 1, dropped: 3, missed: 0, skipped: 0 });
    expect(counters.ticks).toBe(counters.started + counters.skipped + counters.dropped + counters.missed);
    expect(report.droppedTicks).toBe(3);
    const dropped = ticks.filter((t) => t.result === 'dropped');
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({ reason: 'stopped', count: 3, scheduledAt: new Date(T0 + 2_000) });
  });

  it('a buffered tick emits `buffered` then `started` (or `dropped`) with the same tickId, and is counted once', async () => {
    const { clock, scheduler, ticks } = setup();
    const job = scheduler.add({ name: 'b', fixedRate: '1s', overlap: 'buffer-one', run: () => clock.sleep(1_500) });
    await clock.advance(2_600); // 1 s runs to 2.5 s; 2 s waits, then starts at 2.5 s
    const fate = (tickId: string) => ticks.filter((t) => t.tickId === tickId).map((t) => [t.tick, t.result, t.reason]);
    expect(fate('b@2026-01-01T00:00:02.000Z')).toEqual([[2, 'buffered', undefined], [2, 'started', undefined]]);
    expect(job.inspect().counters).toMatchObject({ ticks: 2, started: 2, buffered: 1 });
    await clock.advance(500); // 3 s waits behind the run of 2 s (2.5–4 s)
    const stopping = stopAndAdvance(clock, scheduler);
    await stopping;
    expect(fate('b@2026-01-01T00:00:03.000Z')).toEqual([[3, 'buffered', undefined], [3, 'dropped', 'stopped']]);
    const { counters } = job.inspect();
    expect(counters).toMatchObject({ ticks: 3, started: 2, buffered: 2, dropped: 1, skipped: 0, missed: 0 });
    expect(counters.ticks).toBe(counters.started + counters.skipped + counters.dropped + counters.missed);
  });
});

describe('jitter on the TestClock', () => {
  it('is exact with a fixed random(): every start is random() × jitter after scheduledAt', async () => {
    const clock = new TestClock(T0, { random: () => 0.5 });
    const scheduler = createScheduler({ clock });
    const starts: RunStartEvent[] = [];
    scheduler.on('run:start', (e) => starts.push(e));
    scheduler.add({ name: 'j', fixedRate: '1s', jitter: '200ms', run: () => {} });
    await clock.advance(10_000);
    expect(starts).toHaveLength(9); // the 10 s slot starts at 10.1 s
    expect(offsets(starts.map((e) => e.scheduledAt))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map((s) => s * 1_000));
    expect(starts.map((e) => e.startedAt.getTime() - e.scheduledAt.getTime())).toEqual(Array(9).fill(100));
    expect(starts.map((e) => e.latenessMs)).toEqual(Array(9).fill(100));
    await scheduler.stop();
  });

  it('near the period is never counted as missed, even when the firing is a little late', async () => {
    // Math.random is pinned as well, for an engine that draws jitter from it rather than the clock.
    const pinned = vi.spyOn(Math, 'random').mockReturnValue(0.999);
    try {
      const clock = new TestClock(T0, { random: () => 0.999 });
      const scheduler = createScheduler({ clock });
      const ticks: TickEvent[] = [];
      scheduler.on('tick', (e) => ticks.push(e));
      const scheduled: number[] = [];
      const job = scheduler.add({ name: 'j', fixedRate: '1s', jitter: '999ms', run: (ctx) => void scheduled.push(ctx.scheduledAt.getTime()) });
      // Each tick fires 998.001 ms after its slot; a 5 ms stall just before makes it 1002 ms late on
      // the clock, yet only 4 ms late on its jittered start: no slot was overtaken.
      for (let k = 1; k <= 10; k += 1) {
        await clock.advanceTo(T0 + k * 1_000 + 997);
        clock.blockFor(5);
      }
      await clock.advance(60_000);
      expect(job.inspect().counters).toMatchObject({ missed: 0, skipped: 0, started: 70, ticks: 70 });
      expect(offsets(scheduled)).toEqual(Array.from({ length: 70 }, (_, i) => (i + 1) * 1_000));
      expect(ticks.filter((t) => t.result !== 'started')).toEqual([]);
      await scheduler.stop();
    } finally {
      pinned.mockRestore();
    }
  });
});

describe('ctx.signal read after the attempt ended', () => {
  it('is the same object as read during the attempt', async () => {
    const { clock, scheduler } = setup();
    let ctx: RunContext | undefined;
    let during: AbortSignal | undefined;
    scheduler.add({ name: 's', fixedRate: '10s', maxRuns: 1, run: async (c) => { ctx = c; during = c.signal; await clock.sleep(100); } });
    await clock.advance(11_000);
    expect(during).toBeDefined();
    expect(ctx?.signal).toBe(during);
    expect(ctx?.signal.aborted).toBe(false);
    await scheduler.stop();
  });

  it('never read during: aborted (with the RunTimeoutError) iff the attempt was, also when a retry follows', async () => {
    const { clock, scheduler, ends } = setup();
    const contexts: Record<string, RunContext[]> = {};
    const seenDuringRetry: Record<string, boolean> = {};
    const record = (ctx: RunContext): void => void (contexts[ctx.jobName] ??= []).push(ctx);
    // Every task ignores its signal and none reads it while its attempt runs.
    scheduler.add({ name: 'late', fixedRate: '10s', maxRuns: 1, timeout: '1s', run: (c) => { record(c); return clock.sleep(2_000); } });
    scheduler.add({ name: 'fine', fixedRate: '10s', maxRuns: 1, timeout: '1s', run: (c) => { record(c); return clock.sleep(500); } });
    // Attempt 1 outlives its timeout, attempt 2 succeeds; attempt 1's signal is first read during attempt 2.
    scheduler.add({
      name: 'timeout-then-ok', fixedRate: '10s', maxRuns: 1, timeout: '1s', retry: { attempts: 2 },
      run: (c) => {
        record(c);
        if (c.attempt === 1) return clock.sleep(2_000);
        seenDuringRetry[c.jobName] = contexts[c.jobName]![0]!.signal.aborted;
        return clock.sleep(100);
      },
    });
    // Attempt 1 throws (not aborted), attempt 2 outlives its timeout.
    scheduler.add({
      name: 'error-then-timeout', fixedRate: '10s', maxRuns: 1, timeout: '1s', retry: { attempts: 2 },
      run: (c) => {
        record(c);
        if (c.attempt === 1) throw new Error('boom');
        seenDuringRetry[c.jobName] = contexts[c.jobName]![0]!.signal.aborted;
        return clock.sleep(2_000);
      },
    });
    await clock.advance(15_000);
    expect(Object.fromEntries(ends.map((e) => [e.job, `${e.outcome}/${e.attempts}`]))).toEqual({
      late: 'timeout/1', fine: 'success/1', 'timeout-then-ok': 'success/2', 'error-then-timeout': 'timeout/2',
    });
    expect(seenDuringRetry).toEqual({ 'timeout-then-ok': true, 'error-then-timeout': false });
    const aborted = Object.fromEntries(Object.entries(contexts).map(([job, list]) => [job, list.map((c) => c.signal.aborted)]));
    expect(aborted).toEqual({ late: [true], fine: [false], 'timeout-then-ok': [true, false], 'error-then-timeout': [false, true] });
    for (const ctx of [contexts.late![0]!, contexts['timeout-then-ok']![0]!, contexts['error-then-timeout']![1]!]) {
      expect(ctx.signal.reason).toBeInstanceOf(RunTimeoutError);
      expect(ctx.signal.reason).toMatchObject({ code: 'ERR_TICKGUARD_RUN_TIMEOUT', abortCause: 'timeout', timeoutMs: 1_000, jobName: ctx.jobName });
      expect(ctx.signal).toBe(ctx.signal); // the same object on every read
    }
    await scheduler.stop();
  });
});

describe('wall clock vs monotonic time', () => {
  it('after the wall clock steps 8 h ahead, a cron job updated to fixedRate 1m runs within the next minute', async () => {
    const { clock, scheduler, ends, at } = setup();
    const job = scheduler.add({ name: 'w', cron: '0 * * * *', timezone: 'UTC', run: () => {} });
    await clock.advance(30_000);
    clock.stepWallClock(8 * HOUR); // wall: 08:00:30, monotonic: 00:00:30
    job.update({ fixedRate: '1m' });
    expect(job.inspect().nextRunAt).toEqual(new Date(at(8 * HOUR + 60_000)));
    await clock.advance(30_000); // the next wall minute, 08:01:00, is 30 s away on either line
    expect(ends.map((e) => e.scheduledAt.toISOString())).toEqual(['2026-01-01T08:01:00.000Z']);
    await scheduler.stop();
  });

  it.each([
    [5_000, [1_000, 2_000, 8_000, 9_000, 10_000, 11_000, 12_000]],
    [5_250, [1_000, 2_000, 8_250, 9_000, 10_000, 11_000, 12_000]],
  ])('after stepWallClock(%i), scheduledAt and nextRunAt are whole wall-clock seconds', async (step, wallAtRuns) => {
    const { clock, scheduler, ticks } = setup();
    const scheduled: number[] = [];
    const wallAtRun: number[] = [];
    const job = scheduler.add({ name: 'r', fixedRate: '1s', run: (ctx) => { scheduled.push(ctx.scheduledAt.getTime()); wallAtRun.push(clock.wallNow()); } });
    await clock.advance(2_000);
    clock.stepWallClock(step);
    await clock.advance(5_000);
    // The step overtook the slots 3–7 s (missed, not run); the slot due fires late once, then every
    // run is on its whole wall second. On the monotonic line these would be 3 s … 7 s.
    expect(offsets(scheduled)).toEqual([1_000, 2_000, 8_000, 9_000, 10_000, 11_000, 12_000]);
    expect(offsets(wallAtRun)).toEqual(wallAtRuns);
    expect(job.inspect().nextRunAt).toEqual(new Date(T0 + 13_000));
    expect(job.inspect().counters).toMatchObject({ ticks: 12, started: 7, missed: 5 });
    const ids = ticks.map((t) => t.tickId);
    expect(new Set(ids).size).toBe(ids.length);
    await scheduler.stop();
  });

  it('after stepWallClock(-10_000) the job waits for the wall clock: no tick id repeats, no run for 10 s', async () => {
    const { clock, scheduler, ticks } = setup();
    const startsMono: number[] = [];
    const scheduled: number[] = [];
    scheduler.add({ name: 'back', fixedRate: '1s', run: (ctx) => { startsMono.push(clock.now()); scheduled.push(ctx.scheduledAt.getTime()); } });
    await clock.advance(5_000);
    clock.stepWallClock(-10_000); // wall 5 s → -5 s; the 6 s slot is now 11 s of wall time away
    await clock.advance(13_000);
    expect(offsets(startsMono)).toEqual([1_000, 2_000, 3_000, 4_000, 5_000, 16_000, 17_000, 18_000]);
    expect(offsets(scheduled)).toEqual([1_000, 2_000, 3_000, 4_000, 5_000, 6_000, 7_000, 8_000]);
    const ids = ticks.map((t) => t.tickId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ticks.filter((t) => t.result !== 'started')).toEqual([]);
    await scheduler.stop();
  });
});
