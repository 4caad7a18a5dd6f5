/**
 * scheduler.summary() against the job-by-job count on the paths where kept totals could drift:
 * a job removed from inside its own task or a listener, a job re-added under a removed one's
 * name, stop() with abort and with runs that never settle, update() lowering maxConcurrency,
 * coordinated ticks whose claims are still out, a late-failing add().
 */
import { describe, expect, it } from 'vitest';
import { createScheduler, TestClock, type ClaimResult, type Clock, type Coordinator, type Scheduler } from '../src/index.js';
import { countedFrom, summaryTotals } from './support/summary-count.js';
import { setup, stopAndAdvance, T0 } from './helpers.js';

const counted = (scheduler: Scheduler) => countedFrom(scheduler.inspect().jobs);
const totals = summaryTotals;

describe('summary() keeps agreeing with inspect()', () => {
  it.each(['sync', 'async'] as const)('a job that removes itself from inside its %s task', async (kind) => {
    const { clock, scheduler } = setup();
    scheduler.add({ name: 'stays', fixedRate: '1s', stuckAfter: '100ms', run: () => clock.sleep(500) });
    scheduler.add({
      name: 'leaves', fixedRate: '1s',
      run: kind === 'sync'
        ? () => void scheduler.get('leaves')?.remove()
        : async () => { await clock.sleep(10); void scheduler.get('leaves')?.remove(); await clock.sleep(10); },
    });
    for (let step = 0; step < 8; step++) {
      await clock.advance(250);
      expect(totals(scheduler).jobs).toEqual(counted(scheduler).jobs);
    }
    expect(totals(scheduler)).toEqual(counted(scheduler));
    expect(totals(scheduler).jobs).toMatchObject({ total: 1, active: 1 });
    await stopAndAdvance(clock, scheduler, 1_000, { abort: true });
  });

  it('a run:start listener removing the job: the run does not start, nothing is counted', async () => {
    const { clock, scheduler } = setup();
    scheduler.on('run:start', (event) => void scheduler.get(event.job)?.remove());
    scheduler.add({ name: 'gone', fixedRate: '1s', run: () => clock.sleep(1_500) });
    scheduler.add({ name: 'gone too', fixedRate: '1s', stuckAfter: '1ms', run: () => {} });
    await clock.advance(1_000);
    expect(totals(scheduler)).toEqual(counted(scheduler));
    expect(totals(scheduler)).toMatchObject({ jobs: { total: 0 }, inFlight: 0, stuck: 0 });
    await clock.advance(2_000);
    expect(totals(scheduler)).toMatchObject({ jobs: { total: 0 }, inFlight: 0, stuck: 0 });
    await scheduler.stop();
  });

  it('a job removed from inside its task, then added again under its name while the old run settles', async () => {
    const { clock, scheduler } = setup();
    scheduler.add({ name: 'again', fixedRate: '1s', run: async () => { void scheduler.get('again')?.remove({ abort: false }); await clock.sleep(1_500); } });
    await clock.advance(1_000);
    expect(totals(scheduler)).toMatchObject({ jobs: { total: 0 }, inFlight: 1 });
    const second = scheduler.add({ name: 'again', fixedRate: '1s', maxRuns: 1, run: () => clock.sleep(100) });
    second.pause();
    second.resume();
    await clock.advance(1_050);
    // The new job's run and the old one are both in flight; only the new job is listed.
    expect(totals(scheduler)).toMatchObject({ jobs: { total: 1, active: 1 }, inFlight: 2 });
    expect(counted(scheduler).inFlight).toBe(1);
    await clock.advance(2_000);
    // The old run settled under the new job's name: nothing of it is left in the totals.
    expect(totals(scheduler)).toEqual(counted(scheduler));
    expect(totals(scheduler)).toMatchObject({ jobs: { total: 1, done: 1 }, inFlight: 0 });
    await scheduler.stop();
  });

  it('stop({ abort: true }) and a stop timeout with runs that never settle: the final figures are inspect()\'s', async () => {
    const { clock, scheduler } = setup();
    const never = new Promise<void>(() => {});
    scheduler.add({ name: 'hang', fixedRate: '1s', stuckAfter: '200ms', run: () => never });
    scheduler.add({ name: 'polite', fixedRate: '1s', run: (ctx) => new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve())) });
    await clock.advance(1_500);
    expect(totals(scheduler)).toEqual(counted(scheduler));
    expect(totals(scheduler)).toMatchObject({ inFlight: 2, stuck: 1 });
    const stopping = scheduler.stop({ abort: true, timeout: 100 });
    expect(totals(scheduler)).toEqual(counted(scheduler));
    await clock.advance(200);
    const report = await stopping;
    expect(report.stillRunning).toHaveLength(1);
    expect(totals(scheduler)).toEqual(counted(scheduler));
    expect(totals(scheduler).inFlight).toBe(1);
  });

  it('update() lowering maxConcurrency under runs in flight', async () => {
    const { clock, scheduler } = setup();
    const job = scheduler.add({ name: 'wide', fixedRate: '100ms', overlap: 'buffer-one', maxConcurrency: 4, run: () => clock.sleep(350) });
    for (let step = 0; step < 6; step++) {
      await clock.advance(100);
      expect(totals(scheduler)).toEqual(counted(scheduler));
    }
    job.update({ maxConcurrency: 1 });
    expect(totals(scheduler)).toEqual(counted(scheduler));
    for (let step = 0; step < 10; step++) {
      await clock.advance(100);
      expect(totals(scheduler)).toEqual(counted(scheduler));
      if (step === 5) job.update({ maxConcurrency: 3 });
    }
    await stopAndAdvance(clock, scheduler);
    expect(totals(scheduler)).toEqual(counted(scheduler));
  });

  it('coordinated ticks whose claims are out are not in flight; runs count once the claim is won', async () => {
    const clock = new TestClock(T0);
    const answers: ((result: ClaimResult) => void)[] = [];
    const coordinator: Coordinator = { claim: () => new Promise<ClaimResult>((resolve) => answers.push(resolve)) };
    const scheduler = createScheduler({ clock, coordinator });
    scheduler.add({ name: 'shared', fixedRate: '1s', run: () => clock.sleep(300) });
    await clock.advance(1_000);
    expect(answers).toHaveLength(1);
    expect(totals(scheduler)).toEqual(counted(scheduler));
    expect(totals(scheduler).inFlight).toBe(0);
    answers[0]!(true);
    await clock.advance(10);
    expect(totals(scheduler)).toEqual(counted(scheduler));
    expect(totals(scheduler).inFlight).toBe(1);
    await clock.advance(1_000);
    // A claim still out when the scheduler stops is aborted, never counted.
    expect(answers).toHaveLength(2);
    const stopping = scheduler.stop();
    expect(totals(scheduler)).toEqual(counted(scheduler));
    answers[1]!(true);
    await clock.advance(1_000);
    await stopping;
    expect(totals(scheduler)).toEqual(counted(scheduler));
    expect(totals(scheduler).inFlight).toBe(0);
  });

  it('an add() that fails late leaves the totals as they were', () => {
    const base = new TestClock(T0);
    const clock: Clock = { now: () => base.now(), wallNow: () => base.wallNow(), setTimer: (cb, ms) => base.setTimer(cb, ms), clearTimer: (h) => base.clearTimer(h), random: () => { throw new Error('no entropy'); } };
    const scheduler = createScheduler({ clock });
    scheduler.add({ name: 'kept', fixedRate: '1s', run: () => {} });
    expect(() => scheduler.add({ name: 'refused', fixedRate: '1s', jitter: '100ms', run: () => {} })).toThrow('no entropy');
    expect(totals(scheduler)).toEqual(counted(scheduler));
    expect(totals(scheduler).jobs).toMatchObject({ total: 1, active: 1 });
  });
});
