// Run with: npx vitest run examples/testing-with-test-clock.test.ts
// How to test your own schedules: a TestClock moves time only when you say so, fires what falls
// due in order, and lets async runs progress in between — no sleeps, no flaky tolerances.
import { expect, it } from 'vitest';
import { createScheduler, TestClock } from '../src/index.js';

it('refreshes every 10 s and never overlaps a slow refresh', async () => {
  const clock = new TestClock(new Date('2026-01-01T00:00:00Z'));
  const scheduler = createScheduler({ clock });
  const started: string[] = [];
  scheduler.add({
    name: 'refresh',
    fixedRate: '10s',
    run: async (ctx) => {
      started.push(ctx.scheduledAt.toISOString().slice(11, 19));
      await clock.sleep(15_000, ctx.signal); // a refresh that takes 15 s
    },
  });

  await clock.advance(60_000);

  expect(started).toEqual(['00:00:10', '00:00:30', '00:00:50']);
  expect(scheduler.get('refresh')?.inspect().counters).toMatchObject({ started: 3, skipped: 3 });
  const stopping = scheduler.stop({ abort: true });
  await clock.flush();
  expect((await stopping).clean).toBe(true);
});
