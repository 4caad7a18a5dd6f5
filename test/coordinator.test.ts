import { describe, expect, it } from 'vitest';
import { createScheduler, TestClock, type TickIdentity } from '../src/index.js';
import { concurrency, T0 } from './helpers.js';

describe('coordinator: a tick can be claimed or vetoed just before it starts', () => {
  it('gives each tick a stable identity and runs only claimed ticks', async () => {
    const clock = new TestClock(T0);
    const seen: TickIdentity[] = [];
    const scheduler = createScheduler({
      clock,
      coordinator: { claim: (tick) => { seen.push(tick); return seen.length % 2 === 1; } },
    });
    const ran: string[] = [];
    const job = scheduler.add({ name: 'sync', fixedRate: '1s', run: (ctx) => void ran.push(ctx.tickId) });
    await clock.advance(4_000);
    expect(seen.map((t) => t.tickId)).toEqual([
      'sync@2026-01-01T00:00:01.000Z',
      'sync@2026-01-01T00:00:02.000Z',
      'sync@2026-01-01T00:00:03.000Z',
      'sync@2026-01-01T00:00:04.000Z',
    ]);
    expect(ran).toEqual(['sync@2026-01-01T00:00:01.000Z', 'sync@2026-01-01T00:00:03.000Z']);
    expect(job.inspect().counters).toMatchObject({ started: 2, skipped: 2 });
  });

  it('holds the slot while an async claim is pending, and never starts after stop', async () => {
    const clock = new TestClock(T0);
    const slots = concurrency();
    const scheduler = createScheduler({
      clock,
      coordinator: { claim: async () => { await clock.sleep(700); return true; } },
    });
    let runs = 0;
    const job = scheduler.add({
      name: 'slow-claim',
      fixedRate: '500ms',
      run: () => { runs++; return slots.track(() => clock.sleep(100)); },
    });
    await clock.advance(2_000);
    expect(slots.peak).toBe(1);
    expect(job.inspect().counters.skipped).toBeGreaterThan(0);
    const before = runs;
    const stopping = scheduler.stop();
    await clock.advance(2_000);
    await stopping;
    expect(runs).toBe(before);
  });

  it('a claim that throws skips the tick and the schedule goes on', async () => {
    const clock = new TestClock(T0);
    let calls = 0;
    const scheduler = createScheduler({ clock, coordinator: { claim: () => { if (++calls === 1) throw new Error('store down'); return true; } } });
    let runs = 0;
    const job = scheduler.add({ name: 'a', fixedRate: '1s', run: () => void runs++ });
    await clock.advance(3_000);
    expect(runs).toBe(2);
    expect(job.inspect().counters.skipped).toBe(1);
  });
});
