/**
 * Type tests of the public API: `npm run typecheck` compiles this file, so each
 * `@ts-expect-error` below fails the build if the misuse it marks ever starts compiling.
 */
import { describe, expectTypeOf, it } from 'vitest';
import {
  createScheduler,
  TestClock,
  type Job,
  type JobSnapshot,
  type RunContext,
  type RunEndEvent,
  type StopReport,
  type TriggerResult,
} from '../src/index.js';

describe('public types', () => {
  it('types the API', async () => {
    const clock = new TestClock();
    const scheduler = createScheduler({ clock });
    const job = scheduler.add({ name: 'a', fixedRate: '10s', run: async (ctx) => { expectTypeOf(ctx).toEqualTypeOf<RunContext>(); } });
    expectTypeOf(job).toEqualTypeOf<Job>();
    expectTypeOf(job.trigger).returns.resolves.toEqualTypeOf<TriggerResult>();
    expectTypeOf(scheduler.inspect().jobs).items.toEqualTypeOf<JobSnapshot>();
    expectTypeOf(scheduler.stop).returns.resolves.toEqualTypeOf<StopReport>();
    scheduler.on('run:end', (event) => expectTypeOf(event).toEqualTypeOf<RunEndEvent>());
    scheduler.add({ name: 'b', cron: '0 * * * * *', timezone: 'UTC', run: () => {} });
    scheduler.add({ name: 'c', at: new Date(), run: () => {} });
    scheduler.add({ name: 'd', fixedDelay: 100, retry: { attempts: 3, backoff: { initial: '1s', factor: 2, max: '1m' } }, run: () => {} });

    // @ts-expect-error a job needs a schedule
    expectTypeOf(() => scheduler.add({ name: 'x', run: () => {} })).toBeFunction();
    // @ts-expect-error two schedules are refused by the types too
    expectTypeOf(() => scheduler.add({ name: 'x', fixedRate: 1, cron: '* * * * *', run: () => {} })).toBeFunction();
    // @ts-expect-error unknown overlap policy
    expectTypeOf(() => scheduler.add({ name: 'x', fixedRate: 1, overlap: 'queue', run: () => {} })).toBeFunction();
    // @ts-expect-error unknown event name
    expectTypeOf(() => scheduler.on('run:finish', () => {})).toBeFunction();
    // @ts-expect-error the name cannot be updated
    expectTypeOf(() => job.update({ name: 'b' })).toBeFunction();
    const stopping = scheduler.stop();
    await clock.advance(1);
    await stopping;
  });
});
