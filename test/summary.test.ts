/**
 * scheduler.summary(): totals kept as they change (jobs by state, runs in flight, stuck runs),
 * checked against what stats() and inspect() count job by job.
 */
import { describe, expect, it } from 'vitest';
import { createScheduler, TestClock, type Scheduler } from '../src/index.js';
import { countedFrom, summaryTotals } from './support/summary-count.js';
import { setup } from './helpers.js';

const counted = (scheduler: Scheduler) => countedFrom(scheduler.stats().jobs);
const totals = summaryTotals;

describe('scheduler.summary()', () => {
  it('counts jobs by state through add, pause, resume, maxRuns and remove', async () => {
    const { clock, scheduler } = setup();
    expect(totals(scheduler)).toEqual({ jobs: { total: 0, active: 0, paused: 0, done: 0, removed: 0 }, inFlight: 0, stuck: 0 });
    const a = scheduler.add({ name: 'a', fixedRate: '1s', run: () => {} });
    scheduler.add({ name: 'b', fixedRate: '1s', maxRuns: 1, run: () => {} });
    const c = scheduler.add({ name: 'c', fixedRate: '1s', run: () => {} });
    a.pause();
    expect(totals(scheduler).jobs).toEqual({ total: 3, active: 2, paused: 1, done: 0, removed: 0 });
    await clock.advance(1_000);
    expect(totals(scheduler).jobs).toEqual({ total: 3, active: 1, paused: 1, done: 1, removed: 0 });
    a.resume();
    await c.remove();
    expect(totals(scheduler)).toEqual(counted(scheduler));
    expect(totals(scheduler).jobs).toEqual({ total: 2, active: 1, paused: 0, done: 1, removed: 0 });
  });

  it('counts a job paused by its failures', async () => {
    const { clock, scheduler } = setup();
    scheduler.add({ name: 'flaky', fixedRate: '1s', maxConsecutiveFailures: 2, run: () => { throw new Error('no'); } });
    await clock.advance(2_000);
    expect(totals(scheduler).jobs).toMatchObject({ active: 0, paused: 1 });
  });

  it('counts runs in flight and stuck ones, of removed jobs too until they settle', async () => {
    const { clock, scheduler } = setup();
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => { release = resolve; });
    scheduler.add({ name: 'slow', fixedRate: '1s', maxConcurrency: 2, overlap: 'skip', stuckAfter: '1500ms', run: () => held });
    const gone = scheduler.add({ name: 'gone', fixedRate: '1s', run: () => held });
    await clock.advance(2_000);
    expect(totals(scheduler)).toMatchObject({ inFlight: 3, stuck: 0 });
    await clock.advance(600); // the first run of 'slow' is past its stuckAfter
    expect(totals(scheduler)).toMatchObject({ inFlight: 3, stuck: 1 });
    expect(totals(scheduler)).toEqual(counted(scheduler));
    const removing = gone.remove({ timeout: '1h' });
    expect(totals(scheduler)).toMatchObject({ jobs: { total: 1 }, inFlight: 3 });
    release();
    await removing;
    await clock.flush();
    expect(totals(scheduler)).toEqual({ jobs: { total: 1, active: 1, paused: 0, done: 0, removed: 0 }, inFlight: 0, stuck: 0 });
  });

  it('a stuck attempt that is retried is no longer stuck', async () => {
    const { clock, scheduler } = setup();
    let calls = 0;
    scheduler.add({
      name: 'r', fixedRate: '1h', stuckAfter: '100ms', timeout: '300ms', retry: { attempts: 2, backoff: '1s' },
      run: (ctx) => new Promise<void>((resolve, reject) => { calls += 1; ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)); }),
    });
    await clock.advance(3_600_000 + 200);
    expect(totals(scheduler)).toMatchObject({ inFlight: 1, stuck: 1 });
    await clock.advance(200); // timed out: waiting to retry, nothing running
    expect(totals(scheduler)).toMatchObject({ inFlight: 1, stuck: 0 });
    await clock.advance(950); // the retry started 50 ms ago: not stuck yet
    expect(calls).toBe(2);
    expect(totals(scheduler)).toMatchObject({ inFlight: 1, stuck: 0 });
    await clock.advance(100);
    expect(totals(scheduler)).toMatchObject({ inFlight: 1, stuck: 1 });
    expect(totals(scheduler)).toEqual(counted(scheduler));
  });

  it('after stop() it is the final figures, and costs nothing to repeat', async () => {
    const clock = new TestClock(Date.parse('2026-01-01T00:00:00Z'));
    const scheduler = createScheduler({ clock });
    const never = new Promise<void>(() => {});
    scheduler.add({ name: 'hang', fixedRate: '1s', run: () => never });
    scheduler.add({ name: 'idle', fixedRate: '1h', run: () => {} });
    await clock.advance(1_000);
    const stopping = scheduler.stop({ timeout: 100 });
    await clock.advance(200);
    await stopping;
    const final = scheduler.summary();
    // A stopped scheduler's jobs are `removed` (reason `stopped`); the run that never settled is still counted.
    expect(final).toMatchObject({ state: 'stopped', jobs: { total: 2, active: 0, removed: 2 }, inFlight: 1 });
    expect(scheduler.summary()).toBe(final);
  });

  it('agrees with stats() over many jobs in every state', async () => {
    const { clock, scheduler } = setup();
    const jobs = Array.from({ length: 60 }, (_, i) => scheduler.add({
      name: `j${i}`, fixedRate: `${(i % 3) + 1}s`, maxRuns: i % 5 === 0 ? 1 : Infinity,
      run: i % 4 === 0 ? () => clock.sleep(2_500) : () => {},
    }));
    for (const [i, job] of jobs.entries()) if (i % 7 === 0) job.pause();
    await clock.advance(3_000);
    const removing = Promise.all(jobs.filter((_, i) => i % 11 === 0).map((job) => job.remove()));
    // The removed jobs' runs still count in flight (stats() no longer lists those jobs).
    expect(totals(scheduler).jobs).toEqual(counted(scheduler).jobs);
    expect(totals(scheduler).inFlight).toBeGreaterThan(counted(scheduler).inFlight);
    await clock.advance(3_000);
    await removing;
    expect(totals(scheduler)).toEqual(counted(scheduler));
    expect(totals(scheduler).inFlight).toBeGreaterThan(0);
  });
});
