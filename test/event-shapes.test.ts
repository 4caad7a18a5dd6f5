/**
 * Every event the engine emits is a member of its union in `src/events.ts`: scenarios that
 * produce each tick result and reason, each run outcome and abort cause, claims won and lost,
 * leases renewed and lost — every event they emit is checked against the tables of
 * `support/event-shapes.ts` (which the type tests tie to the unions), and each scenario's
 * shapes are asserted to have happened, so a check that saw nothing cannot pass.
 */
import { describe, expect, it } from 'vitest';
import {
  createMemoryCoordinator,
  createScheduler,
  MemoryCoordinationStore,
  TestClock,
  type ClaimEvent,
  type JobStateEvent,
  type Coordinator,
  type LeaseEvent,
  type RunEndEvent,
  type Scheduler,
  type TickEvent,
} from '../src/index.js';
import { setup, T0 } from './helpers.js';
import { claimEventProblem, jobStateEventProblem, leaseEventProblem, runEndEventProblem, tickEventProblem } from './support/event-shapes.js';

/** Records every tick, run:end, claim and lease event of `scheduler`, and what is wrong with each. */
function record(scheduler: Scheduler) {
  const seen = { ticks: [] as TickEvent[], ends: [] as RunEndEvent[], claims: [] as ClaimEvent[], leases: [] as LeaseEvent[], states: [] as JobStateEvent[], problems: [] as string[] };
  const check = (problem: string | undefined, event: object) => {
    if (problem !== undefined) seen.problems.push(`${problem}: ${JSON.stringify(event)}`);
  };
  scheduler.on('tick', (e) => { seen.ticks.push(e); check(tickEventProblem(e), e); });
  scheduler.on('run:end', (e) => { seen.ends.push(e); check(runEndEventProblem(e), e); });
  scheduler.on('claim', (e) => { seen.claims.push(e); check(claimEventProblem(e), e); });
  scheduler.on('lease', (e) => { seen.leases.push(e); check(leaseEventProblem(e), e); });
  scheduler.on('job:state', (e) => { seen.states.push(e); check(jobStateEventProblem(e), e); });
  return seen;
}

const tickKinds = (ticks: TickEvent[]) => [...new Set(ticks.map((e) => `${e.result}${e.reason === undefined ? '' : `:${e.reason}`}`))].sort();
const endKinds = (ends: RunEndEvent[]) => [...new Set(ends.map((e) => `${e.outcome}${e.abortCause === undefined ? '' : `:${e.abortCause}`}`))].sort();

describe('emitted events are members of their unions', () => {
  it('ticks: started, buffered, skipped (busy, paused, done), dropped (buffer-full, replaced, done, stopped), missed', async () => {
    const clock = new TestClock(T0);
    const scheduler = createScheduler({ clock });
    const seen = record(scheduler);
    scheduler.add({ name: 'busy', fixedRate: '1s', run: () => clock.sleep(2_500) });
    scheduler.add({ name: 'queue', fixedRate: '1s', overlap: 'buffer-all', maxBuffered: 1, run: () => clock.sleep(3_500) });
    scheduler.add({ name: 'latest', fixedRate: '1s', overlap: 'cancel-other', run: () => clock.sleep(5_000) });
    scheduler.add({ name: 'last-two', fixedRate: '1s', overlap: 'buffer-all', maxRuns: 2, run: () => clock.sleep(2_500) });
    const paused = scheduler.add({ name: 'paused', fixedRate: '1s', run: () => {} });
    const once = scheduler.add({ name: 'once', fixedRate: '1s', maxRuns: 1, run: () => {} });
    scheduler.add({ name: 'stalled', fixedRate: '100ms', run: () => {} });
    await clock.advance(5_000);
    paused.pause();
    await clock.advance(2_000);
    await once.trigger();
    clock.blockFor(1_000);
    await clock.advance(200);
    const stopping = scheduler.stop();
    await clock.advance(10_000);
    await stopping;

    expect(seen.problems).toEqual([]);
    expect(tickKinds(seen.ticks)).toEqual(expect.arrayContaining([
      'started', 'buffered', 'skipped:busy', 'skipped:paused', 'skipped:done',
      'dropped:buffer-full', 'dropped:replaced', 'dropped:done', 'dropped:stopped', 'missed:stalled',
    ]));
    expect(seen.ticks.some((e) => e.result === 'missed' && e.count > 1)).toBe(true);
  });

  it('a removed job drops its buffered tick as removed', async () => {
    const clock = new TestClock(T0);
    const scheduler = createScheduler({ clock });
    const seen = record(scheduler);
    const job = scheduler.add({ name: 'queue', fixedRate: '1s', overlap: 'buffer-one', run: () => clock.sleep(5_000) });
    await clock.advance(2_000);
    const removing = job.remove({ abort: false });
    await clock.advance(10_000);
    await removing;
    expect(seen.problems).toEqual([]);
    expect(tickKinds(seen.ticks)).toContain('dropped:removed');
  });

  it('run:end: success, error, timeout, aborted by cancel-other, stop and remove, and an error ended by stop while waiting to retry', async () => {
    const clock = new TestClock(T0);
    const scheduler = createScheduler({ clock });
    const seen = record(scheduler);
    let calls = 0;
    scheduler.add({ name: 'ok', fixedRate: '1s', maxRuns: 1, run: () => {} });
    scheduler.add({ name: 'fails', fixedRate: '1s', maxRuns: 1, run: () => { throw new Error('boom'); } });
    scheduler.add({ name: 'slow', fixedRate: '1s', maxRuns: 1, timeout: '100ms', run: () => clock.sleep(500) });
    scheduler.add({ name: 'latest', fixedRate: '1s', maxRuns: 2, overlap: 'cancel-other', run: ({ signal }) => clock.sleep(1_500, signal) });
    scheduler.add({ name: 'retrying', fixedRate: '10s', retry: { attempts: 3, backoff: '5s' }, run: () => { calls += 1; throw new Error(`attempt ${calls}`); } });
    const removed = scheduler.add({ name: 'removed', fixedRate: '1s', run: ({ signal }) => clock.sleep(60_000, signal) });
    await clock.advance(11_000);
    const removing = removed.remove();
    await clock.advance(1);
    await removing;
    scheduler.add({ name: 'stopped', fixedRate: '1s', run: ({ signal }) => clock.sleep(60_000, signal) });
    await clock.advance(1_000);
    const stopping = scheduler.stop({ abort: true });
    await clock.advance(10_000);
    await stopping;

    expect(seen.problems).toEqual([]);
    expect(endKinds(seen.ends)).toEqual(expect.arrayContaining([
      'success', 'error', 'timeout:timeout', 'aborted:cancel-other', 'aborted:remove', 'aborted:stop',
    ]));
    expect(seen.ends.filter((e) => e.job === 'retrying').map((e) => e.outcome)).toEqual(['error']);
  });

  it('claims won, claimed elsewhere and failed; leases renewed, failing to renew, and lost', async () => {
    const clock = new TestClock(T0);
    const store = new MemoryCoordinationStore(clock);
    const a = createScheduler({ clock, coordinator: createMemoryCoordinator({ store }) });
    const b = createScheduler({ clock, coordinator: createMemoryCoordinator({ store }) });
    const broken: Coordinator = { claim: () => Promise.reject(new Error('store down')) };
    // Renews once, then fails to reach its store once, then finds the lease gone.
    let renewals = 0;
    const fading: Coordinator = {
      claim: (_tick, { ttlMs }) => ({
        token: 7,
        expiresAt: new Date(clock.wallNow() + ttlMs),
        renew: () => {
          renewals += 1;
          return renewals === 2 ? Promise.reject(new Error('store slow')) : Promise.resolve(renewals === 1);
        },
        release: () => Promise.resolve(),
      }),
    };
    const c = createScheduler({ clock, coordinator: broken });
    const d = createScheduler({ clock, coordinator: fading });
    const schedulers = [a, b, c, d];
    const seen = schedulers.map(record);
    for (const s of [a, b, c]) s.add({ name: 'sync', fixedRate: '1s', run: () => {} });
    d.add({ name: 'long', fixedRate: '1m', coordination: 'exclusive', leaseTtl: '3s', runOnStart: true, run: ({ signal }) => clock.sleep(30_000, signal) });
    await clock.advance(10_000);
    await Promise.all<unknown>([...schedulers.map((s) => s.stop()), clock.advance(20_000)]);

    const all = { claims: seen.flatMap((s) => s.claims), leases: seen.flatMap((s) => s.leases), ends: seen.flatMap((s) => s.ends), problems: seen.flatMap((s) => s.problems) };
    expect(all.problems).toEqual([]);
    expect(new Set(all.claims.map((e) => e.result))).toEqual(new Set(['won', 'claimed-elsewhere', 'claim-failed']));
    expect(all.claims.some((e) => e.result === 'won' && typeof e.token === 'number')).toBe(true);
    expect(all.leases.map((e) => e.result)).toEqual(['renewed', 'renewal-failed', 'lost']);
    expect(endKinds(all.ends)).toContain('aborted:lease-lost');
  });

  it('job:state: added, paused by hand and by failures, resumed, done (max runs, schedule ended), revived by an update, removed, stopped', async () => {
    const clock = new TestClock(T0);
    const scheduler = createScheduler({ clock });
    const seen = record(scheduler);
    const manual = scheduler.add({ name: 'manual', fixedRate: '1s', run: () => {} });
    scheduler.add({ name: 'failing', fixedRate: '1s', maxConsecutiveFailures: 1, run: () => { throw new Error('down'); } });
    const limited = scheduler.add({ name: 'limited', fixedRate: '1s', maxRuns: 1, run: () => {} });
    scheduler.add({ name: 'once', at: T0 + 500, run: () => {} });
    const removed = scheduler.add({ name: 'removed', fixedRate: '1s', run: () => {} });
    manual.pause();
    manual.resume();
    await clock.advance(2_000);
    limited.update({ maxRuns: 5 });
    await removed.remove();
    const stopping = scheduler.stop();
    await clock.advance(1);
    await stopping;

    expect(seen.problems).toEqual([]);
    expect([...new Set(seen.states.map((e) => `${e.to}:${e.reason}`))].sort()).toEqual([
      'active:added', 'active:resumed', 'active:updated', 'done:max-runs', 'done:schedule-ended',
      'paused:failures', 'paused:manual', 'removed:removed', 'removed:stopped',
    ]);
  });
});

describe('what events of one tick share', () => {
  it('one scheduledAt Date for a tick\'s events, a fresh one for each ctx.scheduledAt read; tick ids stay per instant', async () => {
    const { clock, scheduler } = setup();
    const seen: { event: string; job: string; tickId: string; scheduledAt: Date }[] = [];
    for (const name of ['tick', 'run:start', 'run:end'] as const) {
      scheduler.on(name, (e) => seen.push({ event: name, job: e.job, tickId: e.tickId, scheduledAt: e.scheduledAt }));
    }
    const fromTask: Date[] = [];
    scheduler.add({ name: 'a', fixedRate: '1s', run: (ctx) => { fromTask.push(ctx.scheduledAt, ctx.scheduledAt); } });
    scheduler.add({ name: 'b', fixedRate: '1500ms', run: () => {} });
    await clock.advance(3_000);
    for (const tickId of new Set(seen.map((s) => s.tickId))) {
      const ofTick = seen.filter((s) => s.tickId === tickId);
      expect(ofTick.map((s) => s.event)).toEqual(['tick', 'run:start', 'run:end']);
      expect(new Set(ofTick.map((s) => s.scheduledAt)).size).toBe(1);
      expect(tickId).toBe(`${ofTick[0]!.job}@${ofTick[0]!.scheduledAt.toISOString()}`);
    }
    expect(new Set(seen.map((s) => s.tickId)).size).toBe(5); // a: 1 s, 2 s, 3 s; b: 1.5 s, 3 s
    expect(fromTask[0]).not.toBe(fromTask[1]);
    expect(fromTask[0]!.getTime()).toBe(fromTask[1]!.getTime());
    await scheduler.stop();
  });

  it('a listener that changes scheduledAt changes it for that tick\'s later events only: not ctx, tick ids, snapshots or other ticks', async () => {
    const { clock, scheduler, at } = setup();
    scheduler.on('tick', (e) => { if (e.job === 'a') e.scheduledAt.setTime(0); });
    const later: { job: string; scheduledAt: number }[] = [];
    scheduler.on('run:end', (e) => void later.push({ job: e.job, scheduledAt: e.scheduledAt.getTime() }));
    const fromTask: { scheduledAt: number; tickId: string; inFlight: number | undefined }[] = [];
    const task = (ctx: { readonly scheduledAt: Date; readonly tickId: string; readonly jobName: string }): void => {
      fromTask.push({ scheduledAt: ctx.scheduledAt.getTime(), tickId: ctx.tickId, inFlight: scheduler.get(ctx.jobName)?.inspect().runs[0]?.scheduledAt.getTime() });
    };
    scheduler.add({ name: 'a', fixedRate: '1s', maxRuns: 2, run: task });
    scheduler.add({ name: 'b', fixedRate: '1s', maxRuns: 1, run: task });
    await clock.advance(1_000);
    void scheduler.get('a')!.trigger();
    await clock.advance(1_000);
    // The tick listener zeroed a's dates: its run:end events see that, b's do not.
    expect(later).toEqual([{ job: 'a', scheduledAt: 0 }, { job: 'b', scheduledAt: at(1_000) }, { job: 'a', scheduledAt: 0 }]);
    expect(fromTask).toEqual([
      { scheduledAt: at(1_000), tickId: `a@${new Date(at(1_000)).toISOString()}`, inFlight: at(1_000) },
      { scheduledAt: at(1_000), tickId: `b@${new Date(at(1_000)).toISOString()}`, inFlight: at(1_000) },
      { scheduledAt: at(1_000), tickId: `a@${new Date(at(1_000)).toISOString()}#manual-2`, inFlight: at(1_000) },
    ]);
    await scheduler.stop();
  });
});
