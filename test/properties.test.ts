/**
 * Property-based tests of the contract on the TestClock: random task durations and failures,
 * random overlap configurations, manual triggers, pauses, stalls, updates and stop times.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createScheduler, TestClock, type JobUpdate, type OverlapPolicy, type RunContext, type TriggerResult } from '../src/index.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

type Behavior = 'ok' | 'throw' | 'reject' | 'reject-non-error' | 'hang' | 'ignore-signal';
interface TaskPlan { duration: number; behavior: Behavior }

const behavior = fc.constantFrom<Behavior>('ok', 'ok', 'ok', 'throw', 'reject', 'reject-non-error', 'ignore-signal', 'hang');
const policy = fc.constantFrom<OverlapPolicy>('skip', 'buffer-one', 'buffer-all', 'cancel-other');

type Action =
  | { kind: 'advance'; ms: number }
  | { kind: 'stall'; ms: number }
  | { kind: 'trigger' }
  | { kind: 'pause' }
  | { kind: 'resume' }
  | { kind: 'update'; changes: JobUpdate };

const jobConfig = fc.record({
  period: fc.integer({ min: 10, max: 500 }),
  overlap: policy,
  maxConcurrency: fc.integer({ min: 1, max: 3 }),
  maxBuffered: fc.integer({ min: 1, max: 4 }),
  timeout: fc.option(fc.integer({ min: 5, max: 800 }), { nil: undefined }),
  attempts: fc.integer({ min: 1, max: 3 }),
  backoff: fc.integer({ min: 0, max: 100 }),
});

function actions(withUpdates: boolean): fc.Arbitrary<Action[]> {
  const base: fc.Arbitrary<Action>[] = [
    fc.integer({ min: 1, max: 2_000 }).map((ms) => ({ kind: 'advance', ms }) as const),
    fc.integer({ min: 1, max: 3_000 }).map((ms) => ({ kind: 'stall', ms }) as const),
    fc.constant({ kind: 'trigger' } as const),
    fc.constant({ kind: 'pause' } as const),
    fc.constant({ kind: 'resume' } as const),
  ];
  if (withUpdates) {
    base.push(
      fc.record({
        fixedRate: fc.option(fc.integer({ min: 10, max: 500 }), { nil: undefined }),
        maxConcurrency: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
        overlap: fc.option(policy, { nil: undefined }),
      }).map((changes) => ({ kind: 'update', changes: Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) }) as const),
    );
  }
  return fc.array(fc.oneof(...base), { minLength: 1, maxLength: 25 });
}

interface Harness {
  clock: TestClock;
  starts: { tickId: string; at: number; attempt: number; manual: boolean; scheduledAt: number }[];
  violations: string[];
  stoppedAt: number | undefined;
}

function task(h: Harness, plans: TaskPlan[], limit: () => number) {
  let active = 0;
  const activeByTick = new Map<string, number>();
  let invocation = 0;
  return async (ctx: RunContext): Promise<void> => {
    const plan = plans[invocation++ % plans.length]!;
    if (h.stoppedAt !== undefined) h.violations.push(`task started after stop at ${h.clock.now()}`);
    if (ctx.attempt === 1 && active >= limit()) h.violations.push(`overlap: ${active} active, limit ${limit()}`);
    const byTick = activeByTick.get(ctx.tickId) ?? 0;
    if (byTick > 0) h.violations.push(`attempts of ${ctx.tickId} overlap`);
    h.starts.push({ tickId: ctx.tickId, at: h.clock.now(), attempt: ctx.attempt, manual: ctx.manual, scheduledAt: ctx.scheduledAt.getTime() });
    active += 1;
    activeByTick.set(ctx.tickId, byTick + 1);
    const done = () => {
      active -= 1;
      activeByTick.set(ctx.tickId, (activeByTick.get(ctx.tickId) ?? 1) - 1);
    };
    switch (plan.behavior) {
      case 'throw':
        done();
        throw new Error('sync failure');
      case 'hang':
        return new Promise<void>(() => {}); // never settles, holds its slot forever
      case 'ignore-signal':
        await h.clock.sleep(plan.duration);
        done();
        return;
      default:
        try {
          await h.clock.sleep(plan.duration, ctx.signal);
        } catch {
          // aborted: settle promptly, as a well-behaved task does
        } finally {
          done();
        }
        if (plan.behavior === 'reject') throw new Error('async failure');
         
        if (plan.behavior === 'reject-non-error') throw 'not an error';
    }
  };
}

type JobConfigValue = { period: number; overlap: OverlapPolicy; maxConcurrency: number; maxBuffered: number; timeout: number | undefined; attempts: number; backoff: number };

async function scenario(withUpdates: boolean, config: JobConfigValue, plans: TaskPlan[], steps: Action[], stop: { abort: boolean; timeout: number }) {
  const clock = new TestClock(T0);
  const scheduler = createScheduler({ clock });
  const h: Harness = { clock, starts: [], violations: [], stoppedAt: undefined };
  let limit = config.maxConcurrency;
  const tickEvents: { result: string; count: number; scheduledAt: number; manual: boolean; tickId: string }[] = [];
  scheduler.on('tick', (e) => tickEvents.push({ result: e.result, count: e.count, scheduledAt: e.scheduledAt.getTime(), manual: e.manual, tickId: e.tickId }));
  const job = scheduler.add({
    name: 'prop',
    fixedRate: config.period,
    overlap: config.overlap,
    maxConcurrency: config.maxConcurrency,
    ...(config.overlap === 'buffer-all' ? { maxBuffered: config.maxBuffered } : {}),
    ...(config.timeout === undefined ? {} : { timeout: config.timeout }),
    retry: { attempts: config.attempts, backoff: config.backoff },
    run: task(h, plans, () => limit),
  });
  const triggers: Promise<TriggerResult>[] = [];
  const accountFor = () => {
    const snapshot = job.inspect();
    const c = snapshot.counters;
    if (c.started + c.skipped + c.dropped + c.missed + snapshot.buffered !== c.ticks) {
      h.violations.push(`ticks not accounted for: ${JSON.stringify(c)} buffered=${snapshot.buffered}`);
    }
  };
  for (const step of steps) {
    switch (step.kind) {
      case 'advance': await clock.advance(step.ms); break;
      case 'stall': clock.blockFor(step.ms); await clock.flush(); break;
      case 'trigger': triggers.push(job.trigger()); break;
      case 'pause': job.pause(); break;
      case 'resume': job.resume(); break;
      case 'update':
        if (withUpdates) {
          // Set first: a larger limit lets buffered ticks start inside update().
          if (step.changes.maxConcurrency !== undefined) limit = step.changes.maxConcurrency;
          job.update(step.changes);
        }
        break;
    }
    accountFor();
  }
  const startsBeforeStop = h.starts.length;
  const inFlightAtStop = job.inspect().inFlight;
  const stopping = scheduler.stop({ abort: stop.abort, timeout: stop.timeout });
  h.stoppedAt = clock.now();
  const stopReturned = h.starts.length;
  await clock.advance(stop.timeout + 10_000);
  const report = await stopping;
  return { h, job, scheduler, clock, tickEvents, triggers, report, startsBeforeStop, stopReturned, inFlightAtStop, config };
}

const plansArb = fc.array(fc.record({ duration: fc.integer({ min: 0, max: 1_500 }), behavior }), { minLength: 1, maxLength: 12 });
const stopArb = fc.record({ abort: fc.boolean(), timeout: fc.integer({ min: 0, max: 3_000 }) });

describe('contract properties', () => {
  it('1, 2, 5: no overlap beyond maxConcurrency, every tick accounted for, nothing starts after stop', async () => {
    await fc.assert(
      fc.asyncProperty(jobConfig, plansArb, actions(true), stopArb, async (config, plans, steps, stop) => {
        const { h, scheduler, clock, tickEvents, report, startsBeforeStop, stopReturned, inFlightAtStop } = await scenario(true, config, plans, steps, stop);
        expect(h.violations).toEqual([]);
        expect(stopReturned).toBe(startsBeforeStop);
        // Counters equal what the events reported.
        const final = scheduler.inspect().jobs[0]!;
        const c = final.counters;
        const sum = (result: string) => tickEvents.filter((e) => e.result === result).reduce((n, e) => n + e.count, 0);
        expect(sum('started')).toBe(c.started);
        expect(sum('skipped')).toBe(c.skipped);
        expect(sum('dropped')).toBe(c.dropped);
        expect(sum('missed')).toBe(c.missed);
        expect(c.started + c.skipped + c.dropped + c.missed).toBe(c.ticks);
        expect(final.buffered).toBe(0);
        // Runs started = first attempts seen by the task.
        expect(h.starts.filter((s) => s.attempt === 1)).toHaveLength(c.started);
        // No tick ran twice and no scheduled tick was repeated.
        // `buffered` is a way station: a buffered tick later reports started or dropped.
        const scheduledIds = tickEvents.filter((e) => !e.manual && e.result !== 'missed' && e.result !== 'buffered').map((e) => e.tickId);
        expect(new Set(scheduledIds).size).toBe(scheduledIds.length);
        // Stop leaves no timer of the scheduler behind (hanging tasks use no timers).
        expect(clock.pendingTimers).toBe(0);
        // The stop report accounts for every run that was in flight when stop() was called.
        expect(report.settled + report.stillRunning.length).toBe(inFlightAtStop);
        expect(report.clean).toBe(report.stillRunning.length === 0);
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 200) },
    );
  });

  it('3: fixedRate ticks are exactly the epoch-aligned slots k·period, each accounted once, however runs behave', async () => {
    await fc.assert(
      fc.asyncProperty(jobConfig, plansArb, actions(false), stopArb, async (config, plans, steps, stop) => {
        const { h, tickEvents, startsBeforeStop } = await scenario(false, config, plans, steps, stop);
        expect(h.violations).toEqual([]);
        const scheduled = tickEvents.filter((e) => !e.manual && e.result !== 'buffered');
        // Expand missed events (first due + count) into their due times.
        const dues: number[] = [];
        for (const e of scheduled) {
          for (let i = 0; i < e.count; i += 1) dues.push(e.scheduledAt + i * config.period);
        }
        dues.sort((a, b) => a - b);
        const stopAt = h.stoppedAt!;
        // Every slot after the add time up to the stop, each once: ran, skipped, missed or dropped.
        const firstSlot = (Math.floor(T0 / config.period) + 1) * config.period;
        const expectedCount = stopAt >= firstSlot ? Math.floor((stopAt - firstSlot) / config.period) + 1 : 0;
        expect(dues).toEqual(Array.from({ length: expectedCount }, (_, k) => firstSlot + k * config.period));
        // A scheduled run's scheduledAt is one of those due times, and never in the future.
        for (const s of h.starts.slice(0, startsBeforeStop)) {
          if (s.manual) continue;
          expect(s.scheduledAt % config.period).toBe(0);
          expect(s.at).toBeGreaterThanOrEqual(s.scheduledAt);
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 200) },
    );
  });
});
