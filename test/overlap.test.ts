import { describe, expect, it } from 'vitest';
import { RunAbortedError, type OverlapPolicy } from '../src/index.js';
import { concurrency, offsets, setup } from './helpers.js';

/** A job ticking every second whose runs take 2.5 s, under `overlap`. */
async function busyJob(overlap: OverlapPolicy, extra: { maxConcurrency?: number; maxBuffered?: number } = {}) {
  const { clock, scheduler, ticks } = setup();
  const slots = concurrency();
  const scheduled: number[] = [];
  const aborted: unknown[] = [];
  const job = scheduler.add({
    name: 'busy',
    fixedRate: '1s',
    overlap,
    ...(extra.maxBuffered === undefined ? {} : { maxBuffered: extra.maxBuffered }),
    maxConcurrency: extra.maxConcurrency ?? 1,
    run: (ctx) =>
      slots.track(async () => {
        scheduled.push(ctx.scheduledAt.getTime());
        await clock.sleep(2_500, ctx.signal).catch((error: unknown) => void aborted.push(error));
      }),
  });
  await clock.advance(10_000);
  return { clock, scheduler, job, ticks, scheduled, aborted, peak: () => slots.peak };
}

describe('overlap policies (ticks every 1s, runs take 2.5s)', () => {
  it("'skip' skips busy ticks", async () => {
    const { job, scheduled, ticks, peak } = await busyJob('skip');
    expect(peak()).toBe(1);
    expect(offsets(scheduled)).toEqual([1_000, 4_000, 7_000, 10_000]);
    expect(job.inspect().counters).toMatchObject({ ticks: 10, started: 4, skipped: 6, buffered: 0, dropped: 0 });
    expect(ticks.filter((t) => t.result === 'skipped').every((t) => t.reason === 'busy')).toBe(true);
  });

  it("'buffer-one' keeps one waiting tick and runs it as soon as the slot frees", async () => {
    const { job, scheduled, peak } = await busyJob('buffer-one');
    expect(peak()).toBe(1);
    // 1000 runs to 3500; 2000 waits and runs 3500–6000; 3000 is skipped; 4000 waits, runs 6000–8500; …
    expect(offsets(scheduled)).toEqual([1_000, 2_000, 4_000, 6_000]);
    const c = job.inspect().counters;
    expect(c.ticks).toBe(10);
    expect(c.started + c.skipped + c.dropped + c.missed + job.inspect().buffered).toBe(c.ticks);
    expect(job.inspect().buffered).toBe(1);
  });

  it("'buffer-all' queues busy ticks up to maxBuffered and drops the oldest beyond", async () => {
    const { job, scheduled, ticks, peak } = await busyJob('buffer-all', { maxBuffered: 2 });
    expect(peak()).toBe(1);
    // 2000 and 3000 wait; 5000 drops 3000, 7000 drops 5000, 8000 drops 6000.
    expect(offsets(scheduled)).toEqual([1_000, 2_000, 4_000, 7_000]);
    const c = job.inspect().counters;
    expect(c.dropped).toBeGreaterThan(0);
    expect(ticks.filter((t) => t.result === 'dropped').every((t) => t.reason === 'buffer-full')).toBe(true);
    expect(c.started + c.skipped + c.dropped + c.missed + job.inspect().buffered).toBe(c.ticks);
  });

  it("'cancel-other' aborts the running tick and starts the new one once it has settled", async () => {
    const { job, scheduled, aborted, peak } = await busyJob('cancel-other');
    expect(peak()).toBe(1);
    expect(offsets(scheduled)).toEqual([1_000, 2_000, 3_000, 4_000, 5_000, 6_000, 7_000, 8_000, 9_000, 10_000]);
    expect(aborted).toHaveLength(9);
    expect(aborted[0]).toBeInstanceOf(RunAbortedError);
    expect((aborted[0] as RunAbortedError).abortCause).toBe('cancel-other');
    expect(job.inspect().counters).toMatchObject({ started: 10, aborted: 9 });
  });

  it("'cancel-other' still never overlaps a run that ignores its signal", async () => {
    const { clock, scheduler } = setup();
    const slots = concurrency();
    const job = scheduler.add({
      name: 'stubborn',
      fixedRate: '1s',
      overlap: 'cancel-other',
      run: () => slots.track(() => clock.sleep(2_500)), // ignores ctx.signal
    });
    await clock.advance(10_000);
    expect(slots.peak).toBe(1);
    const c = job.inspect().counters;
    expect(c.dropped).toBeGreaterThan(0);
  });

  it('maxConcurrency bounds a pool of slots', async () => {
    const { job, peak } = await busyJob('skip', { maxConcurrency: 2 });
    expect(peak()).toBe(2);
    // Slots free at 3500, 4500, 6500, 7500, 9500: the ticks at 3000, 6000 and 9000 find both busy.
    expect(job.inspect().counters).toMatchObject({ ticks: 10, started: 7, skipped: 3 });
  });

  it('trigger() goes through the same policy and resolves with the outcome', async () => {
    const { clock, scheduler } = setup();
    const job = scheduler.add({ name: 'manual', fixedRate: '1h', run: async () => clock.sleep(100) });
    const first = job.trigger();
    const second = job.trigger();
    await clock.advance(100);
    expect(await first).toMatchObject({ status: 'completed', outcome: 'success', attempts: 1, durationMs: 100 });
    expect(await second).toEqual({ status: 'skipped', reason: 'busy' });
    expect(job.inspect().counters).toMatchObject({ ticks: 2, started: 1, skipped: 1 });
  });

  it('paused jobs count their ticks as skipped and resume on schedule', async () => {
    const { clock, scheduler, ticks } = setup();
    let runs = 0;
    const job = scheduler.add({ name: 'p', fixedRate: '1s', run: () => void runs++ });
    await clock.advance(2_000);
    job.pause();
    expect(job.state).toBe('paused');
    await clock.advance(3_000);
    expect(runs).toBe(2);
    expect(ticks.filter((t) => t.reason === 'paused')).toHaveLength(3);
    job.resume();
    await clock.advance(1_000);
    expect(runs).toBe(3);
  });
});
