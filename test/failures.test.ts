import { describe, expect, it } from 'vitest';
import { NonErrorThrownError } from '../src/index.js';
import { concurrency, setup } from './helpers.js';

describe('failures never escape', () => {
  it('catches sync throws, rejections and non-Error rejections, and keeps the schedule', async () => {
    const { clock, scheduler, ends } = setup();
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    let n = 0;
    const job = scheduler.add({
      name: 'flaky',
      fixedRate: '1s',
      run: () => {
        n += 1;
        if (n === 1) throw new Error('sync boom');
        if (n === 2) return Promise.reject(new Error('async boom'));
        if (n === 3) return Promise.reject('a string');  
         
        if (n === 4) throw { code: 42 };
        return undefined;
      },
    });
    await clock.advance(5_000);
    await new Promise((r) => setImmediate(r));
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
    expect(unhandled).toEqual([]);
    expect(ends.map((e) => e.outcome)).toEqual(['error', 'error', 'error', 'error', 'success']);
    expect(ends[0]?.error?.message).toBe('sync boom');
    expect(ends[2]?.error).toBeInstanceOf(NonErrorThrownError);
    expect((ends[2]?.error as NonErrorThrownError).value).toBe('a string');
    expect(job.inspect().counters).toMatchObject({ failed: 4, succeeded: 1 });
    expect(job.inspect().lastRun).toMatchObject({ outcome: 'success', error: null });
  });

  it('retries inside the same slot with backoff, and counts attempts', async () => {
    const { clock, scheduler, ends } = setup();
    const attempts: { attempt: number; at: number }[] = [];
    const retries: number[] = [];
    scheduler.on('run:retry', (e) => retries.push(e.delayMs));
    const job = scheduler.add({
      name: 'retry',
      fixedRate: '1m',
      retry: { attempts: 4, backoff: { initial: '100ms', factor: 2 } },
      run: (ctx) => {
        attempts.push({ attempt: ctx.attempt, at: clock.now() - ctx.scheduledAt.getTime() });
        if (ctx.attempt < 3) throw new Error(`fail ${ctx.attempt}`);
      },
    });
    await clock.advance(61_000);
    expect(attempts).toEqual([
      { attempt: 1, at: 0 },
      { attempt: 2, at: 100 },
      { attempt: 3, at: 300 },
    ]);
    expect(retries).toEqual([100, 200]);
    expect(ends[0]).toMatchObject({ outcome: 'success', attempts: 3, durationMs: 300 });
    expect(job.inspect().counters).toMatchObject({ started: 1, retries: 2, succeeded: 1 });
  });

  it('a retried run holds its slot: busy ticks are skipped meanwhile', async () => {
    const { clock, scheduler } = setup();
    const slots = concurrency();
    const job = scheduler.add({
      name: 'r',
      fixedRate: '1s',
      retry: { attempts: 3, backoff: '900ms' },
      run: () =>
        slots.track(async () => {
          await clock.sleep(200);
          throw new Error('always');
        }),
    });
    await clock.advance(10_000);
    expect(slots.peak).toBe(1);
    expect(job.inspect().counters.skipped).toBeGreaterThan(0);
  });

  it('retryIf can stop retries', async () => {
    const { clock, scheduler, ends } = setup();
    scheduler.add({
      name: 'r',
      fixedRate: '1m',
      retry: { attempts: 5, retryIf: (error) => error.message !== 'fatal' },
      run: () => { throw new Error('fatal'); },
    });
    await clock.advance(60_000);
    expect(ends[0]).toMatchObject({ outcome: 'error', attempts: 1 });
  });

  it('pauses the job after maxConsecutiveFailures and says so', async () => {
    const { clock, scheduler } = setup();
    const states: string[] = [];
    scheduler.on('job:state', (e) => states.push(`${e.to}:${e.reason}`));
    const job = scheduler.add({ name: 'bad', fixedRate: '1s', maxConsecutiveFailures: 3, run: () => { throw new Error('x'); } });
    await clock.advance(10_000);
    expect(job.state).toBe('paused');
    expect(job.inspect()).toMatchObject({ pauseReason: 'failures', consecutiveFailures: 3 });
    expect(job.inspect().counters.failed).toBe(3);
    expect(states).toContain('paused:failures');
    job.resume();
    expect(job.inspect().consecutiveFailures).toBe(0);
  });

  it('a listener that throws does not break the run or the loop', async () => {
    const { clock, scheduler } = setup();
    scheduler.on('run:start', () => { throw new Error('listener bug'); });
    let runs = 0;
    scheduler.add({ name: 'a', fixedRate: '1s', run: () => void runs++ });
    await clock.advance(3_000);
    expect(runs).toBe(3);
  });

  it('a never-settling run keeps its slot and shows as in flight', async () => {
    const { clock, scheduler } = setup();
    const job = scheduler.add({ name: 'hang', fixedRate: '1s', stuckAfter: '5s', run: () => new Promise(() => {}) });
    await clock.advance(10_000);
    expect(job.inspect()).toMatchObject({ inFlight: 1, stuck: 1 });
    expect(job.inspect().counters).toMatchObject({ started: 1, skipped: 9 });
  });
});

describe('the last run in a snapshot', () => {
  it('reports attempts, manual ticks and errors of whichever run ended last, before and after a skip', async () => {
    const { clock, scheduler } = setup();
    let calls = 0;
    const job = scheduler.add({
      name: 'flaky', fixedRate: 1_000, retry: { attempts: 2, backoff: 10 },
      // Fails once on its first tick (then the retry succeeds); every later attempt succeeds.
      run: () => {
        calls += 1;
        if (calls === 1) throw new Error('first attempt fails');
      },
    });
    await clock.advance(1_000);
    await clock.advance(10);
    expect(job.inspect().lastRun).toMatchObject({ tick: 1, attempts: 2, outcome: 'success', error: null });
    await clock.advance(990);
    expect(job.inspect().lastRun).toMatchObject({ tick: 2, attempts: 1, outcome: 'success', error: null });
    const manual = job.trigger();
    await clock.advance(0);
    await manual;
    expect(job.inspect().lastRun?.tickId).toMatch(/#manual-3$/);
    await clock.advance(1_000);
    expect(job.inspect().lastRun).toMatchObject({ tick: 4, attempts: 1 });
    expect(job.inspect().lastRun?.tickId).not.toMatch(/#manual/);
  });

  it('keeps a plain job\'s last run right when its first unusual event comes after it', async () => {
    const { clock, scheduler } = setup();
    let release: (() => void) | undefined;
    const job = scheduler.add({ name: 'plain', fixedRate: 100, run: () => (release === undefined ? undefined : new Promise<void>((open) => (release = open))) });
    await clock.advance(100);
    expect(job.inspect().lastRun).toMatchObject({ tick: 1, attempts: 1, outcome: 'success', error: null });
    // The next run hangs, so the tick after it is skipped (busy): the job's first skip.
    release = () => {};
    await clock.advance(200);
    expect(job.inspect().counters.skipped).toBe(1);
    expect(job.inspect().lastRun).toMatchObject({ tick: 1, attempts: 1, outcome: 'success', error: null });
    expect(job.inspect().lastRun?.tickId).not.toMatch(/#manual/);
    release();
    await clock.advance(0);
    expect(job.inspect().lastRun).toMatchObject({ tick: 2, attempts: 1, outcome: 'success' });
  });
});
