import { describe, expect, it } from 'vitest';
import { concurrency, offsets, setup } from './helpers.js';

describe('fixedDelay', () => {
  it('starts the next run a delay after the previous one settled', async () => {
    const { clock, scheduler } = setup();
    const starts: number[] = [];
    const durations = [300, 1_200, 50];
    let i = 0;
    scheduler.add({
      name: 'chain',
      fixedDelay: '1s',
      run: async () => {
        starts.push(clock.now());
        await clock.sleep(durations[i++ % durations.length]!);
      },
    });
    await clock.advance(8_000);
    // 1000 +300 → 1300 +1000 → 2300 +1200 → 3500 +1000 → 4500 +50 → 4550 +1000 → 5550 …
    expect(offsets(starts)).toEqual([1_000, 2_300, 4_500, 5_550, 6_850, 9_050].filter((t) => t <= 8_000));
  });

  it('never overlaps itself and keeps going after failures, skips and pauses', async () => {
    const { clock, scheduler } = setup();
    const slots = concurrency();
    let n = 0;
    const job = scheduler.add({
      name: 'chain',
      fixedDelay: 100,
      run: async () => {
        await slots.track(() => clock.sleep(50));
        if (++n % 3 === 0) throw new Error('every third fails');
      },
    });
    await clock.advance(1_000);
    job.pause();
    await clock.advance(1_000);
    const whilePaused = n;
    job.resume();
    await clock.advance(1_000);
    expect(slots.peak).toBe(1);
    expect(n).toBeGreaterThan(whilePaused);
    expect(job.inspect().counters.failed).toBeGreaterThan(0);
    expect(job.inspect().counters.skipped).toBeGreaterThan(0);
  });

  it('a manual trigger while the chain runs is refused by the overlap policy, and the chain continues', async () => {
    const { clock, scheduler } = setup();
    const starts: number[] = [];
    const job = scheduler.add({ name: 'c', fixedDelay: '1s', run: async () => { starts.push(clock.now()); await clock.sleep(500); } });
    await clock.advance(1_200);
    expect(await job.trigger()).toEqual({ status: 'skipped', reason: 'busy' });
    await clock.advance(2_000);
    expect(offsets(starts)).toEqual([1_000, 2_500]);
  });

  it('update() of the delay applies when the run in flight settles', async () => {
    const { clock, scheduler } = setup();
    const starts: number[] = [];
    const job = scheduler.add({ name: 'c', fixedDelay: '1s', run: async () => { starts.push(clock.now()); await clock.sleep(500); } });
    await clock.advance(1_200);
    job.update({ fixedDelay: '3s' });
    await clock.advance(5_000);
    expect(offsets(starts)).toEqual([1_000, 4_500]);
  });
});
