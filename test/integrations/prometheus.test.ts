/**
 * `tickguard/prometheus`: every count is read back from the registry's text exposition and
 * compared with what the tasks themselves saw, on the TestClock.
 */
import { Registry, register as globalRegistry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CoordinatorUnavailableError, createMemoryCoordinator, createScheduler, InvalidOptionError, MemoryCoordinationStore, RunAbortedError, RunTimeoutError, TestClock,
  type Clock, type Coordinator, type Scheduler, type TimerHandle,
} from '../../src/index.js';
import { registerMetrics, type SchedulerMetrics } from '../../src/integrations/prometheus.js';
import { hasMetric, parseSamples, valueOf, type Sample } from './prom-text.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setup(clock: Clock): { scheduler: Scheduler; registry: Registry; metrics: SchedulerMetrics } {
  const scheduler = createScheduler({ clock });
  const registry = new Registry();
  const metrics = registerMetrics(scheduler, { registry });
  cleanups.push(() => metrics.unregister());
  return { scheduler, registry, metrics };
}

async function stop(clock: TestClock, scheduler: Scheduler): Promise<void> {
  const stopping = scheduler.stop();
  await clock.advance(60_000);
  await stopping;
}

async function scrape(registry: Registry): Promise<Sample[]> {
  return parseSamples(await registry.metrics());
}

type Outcome = 'success' | 'error' | 'timeout' | 'aborted';

/** What the tasks of one job saw, counted inside the tasks. */
class Seen {
  attempts = 0;
  /** The fate of each tick's latest attempt, as the task experienced it: a run's outcome is its last attempt's. */
  readonly last = new Map<string, Outcome>();

  get ticks(): number {
    return this.last.size;
  }

  get outcomes(): Record<Outcome, number> {
    const count = { success: 0, error: 0, timeout: 0, aborted: 0 };
    for (const outcome of this.last.values()) count[outcome] += 1;
    return count;
  }
}

describe('registerMetrics: counters match what really ran', () => {
  it('counts runs by outcome and ticks by result, equal to the counts kept by the tasks', async () => {
    const clock = new TestClock(T0);
    const { scheduler, registry } = setup(clock);
    const seen = { fast: new Seen(), slow: new Seen(), flaky: new Seen(), limited: new Seen(), queue: new Seen(), latest: new Seen() };

    /** Wraps a task: records the tick and attempt, and the outcome as the task experienced it. */
    const observed = (job: keyof typeof seen, body: (signal: AbortSignal, attempt: number, n: number) => Promise<void>) =>
      async (ctx: { signal: AbortSignal; tickId: string; attempt: number }) => {
        const s = seen[job];
        s.attempts += 1;
        try {
          await body(ctx.signal, ctx.attempt, s.attempts);
        } catch (error) {
          s.last.set(ctx.tickId, error instanceof RunTimeoutError ? 'timeout' : error instanceof RunAbortedError ? 'aborted' : 'error');
          throw error;
        }
        s.last.set(ctx.tickId, 'success');
      };

    scheduler.add({ name: 'fast', fixedRate: '1s', run: observed('fast', (signal) => clock.sleep(100, signal)) });
    scheduler.add({ name: 'slow', fixedRate: '1s', run: observed('slow', (signal) => clock.sleep(2_500, signal)) });
    scheduler.add({
      name: 'flaky', fixedRate: '2s', retry: { attempts: 2 },
      run: observed('flaky', async (signal, _attempt, n) => {
        await clock.sleep(10, signal);
        if (n % 3 !== 0) throw new Error(`failure ${n}`);
      }),
    });
    scheduler.add({ name: 'limited', fixedRate: '3s', timeout: '1s', run: observed('limited', (signal) => clock.sleep(1_500, signal)) });
    scheduler.add({ name: 'queue', fixedRate: '1s', overlap: 'buffer-all', maxBuffered: 2, run: observed('queue', (signal) => clock.sleep(2_200, signal)) });
    scheduler.add({ name: 'latest', fixedRate: '1s', overlap: 'cancel-other', run: observed('latest', (signal) => clock.sleep(1_600, signal)) });

    await clock.advance(30_000);
    await stop(clock, scheduler);
    const samples = await scrape(registry);
    const snapshot = scheduler.inspect();

    for (const [job, s] of Object.entries(seen)) {
      const counters = snapshot.jobs.find((j) => j.name === job)!.counters;
      const runs = (outcome: string) => valueOf(samples, 'tickguard_runs_total', { job, outcome });
      const ticks = (result: string) => valueOf(samples, 'tickguard_ticks_total', { job, result });
      // What the tasks saw…
      expect({ job, success: runs('success'), error: runs('error'), timeout: runs('timeout'), aborted: runs('aborted') })
        .toEqual({ job, ...s.outcomes });
      expect(ticks('started')).toBe(s.ticks);
      expect(runs('success') + runs('error') + runs('timeout') + runs('aborted')).toBe(s.ticks);
      expect(valueOf(samples, 'tickguard_run_duration_seconds_count', { job })).toBe(s.ticks);
      // …and what the scheduler counted.
      expect({ job, started: ticks('started'), skipped: ticks('skipped'), buffered: ticks('buffered'), dropped: ticks('dropped'), missed: ticks('missed') })
        .toEqual({ job, started: counters.started, skipped: counters.skipped, buffered: counters.buffered, dropped: counters.dropped, missed: counters.missed });
    }

    // Each job exercised what it was meant to.
    expect(seen.fast.outcomes.success).toBe(30);
    expect(valueOf(samples, 'tickguard_ticks_total', { job: 'slow', result: 'skipped' })).toBeGreaterThan(0);
    expect(seen.flaky.attempts).toBeGreaterThan(seen.flaky.ticks);
    expect(seen.flaky.outcomes.error).toBeGreaterThan(0);
    expect(seen.limited.outcomes.timeout).toBe(10);
    expect(valueOf(samples, 'tickguard_ticks_total', { job: 'queue', result: 'dropped' })).toBeGreaterThan(0);
    expect(seen.latest.outcomes.aborted).toBeGreaterThan(0);
  });

  it('counts missed ticks by the count their event carries', async () => {
    const base = new TestClock(T0);
    let stallNextTimer = 0;
    // A clock whose next timer fires late, as when the event loop is blocked.
    const stalling: Clock = {
      now: () => base.now(),
      wallNow: () => base.wallNow(),
      setTimer: (callback, delayMs): TimerHandle => {
        const extra = stallNextTimer;
        stallNextTimer = 0;
        return base.setTimer(callback, delayMs + extra);
      },
      clearTimer: (handle) => base.clearTimer(handle),
    };
    const { scheduler, registry } = setup(stalling);
    let runs = 0;
    scheduler.add({ name: 'stalled', fixedRate: '1s', run: () => { runs += 1; } });
    stallNextTimer = 3_500; // the timer armed after the first tick fires at 5.5 s instead of 2 s
    await base.advance(6_000);

    const samples = await scrape(registry);
    // Ticks due at 2, 3 and 4 s were missed; the one due at 5 s ran late, then 6 s on time.
    expect(valueOf(samples, 'tickguard_ticks_total', { job: 'stalled', result: 'missed' })).toBe(3);
    expect(valueOf(samples, 'tickguard_ticks_total', { job: 'stalled', result: 'started' })).toBe(runs);
    expect(runs).toBe(3);
    expect(scheduler.inspect().jobs[0]!.counters).toMatchObject({ ticks: 6, missed: 3, started: 3 });
    expect(valueOf(samples, 'tickguard_schedule_lateness_seconds_sum', { job: 'stalled' })).toBe(0.5);
    const stopping = scheduler.stop();
    await base.advance(1_000);
    await stopping;
  });
});

describe('registerMetrics: histograms', () => {
  it('observes run durations (retries and backoff included) and schedule lateness in seconds', async () => {
    const clock = new TestClock(T0);
    const { scheduler, registry } = setup(clock);
    // 1.5 s runs at a 1 s rate, buffered: lateness 0, 0.5, 1.0 s for the first three ticks.
    scheduler.add({ name: 'late', fixedRate: '1s', overlap: 'buffer-one', maxRuns: 3, run: async (ctx) => clock.sleep(1_500, ctx.signal) });
    scheduler.add({
      name: 'retried', fixedRate: '10s', maxRuns: 1, retry: { attempts: 2, backoff: '200ms' },
      run: async (ctx) => {
        await clock.sleep(100, ctx.signal);
        if (ctx.attempt === 1) throw new Error('once');
      },
    });
    await clock.advance(12_000);
    const samples = await scrape(registry);

    expect(valueOf(samples, 'tickguard_run_duration_seconds_count', { job: 'late' })).toBe(3);
    expect(valueOf(samples, 'tickguard_run_duration_seconds_sum', { job: 'late' })).toBeCloseTo(4.5, 9);
    expect(valueOf(samples, 'tickguard_run_duration_seconds_bucket', { job: 'late', le: '1' })).toBe(0);
    expect(valueOf(samples, 'tickguard_run_duration_seconds_bucket', { job: 'late', le: '2.5' })).toBe(3);
    expect(valueOf(samples, 'tickguard_schedule_lateness_seconds_count', { job: 'late' })).toBe(3);
    expect(valueOf(samples, 'tickguard_schedule_lateness_seconds_sum', { job: 'late' })).toBeCloseTo(1.5, 9);
    expect(valueOf(samples, 'tickguard_schedule_lateness_seconds_bucket', { job: 'late', le: '0.5' })).toBe(2);
    expect(valueOf(samples, 'tickguard_schedule_lateness_seconds_bucket', { job: 'late', le: '1' })).toBe(3);

    // One run of two attempts: 100 ms + 200 ms backoff + 100 ms; lateness counted once, for the first attempt.
    expect(valueOf(samples, 'tickguard_run_duration_seconds_count', { job: 'retried' })).toBe(1);
    expect(valueOf(samples, 'tickguard_run_duration_seconds_sum', { job: 'retried' })).toBeCloseTo(0.4, 9);
    expect(valueOf(samples, 'tickguard_schedule_lateness_seconds_count', { job: 'retried' })).toBe(1);
    expect(valueOf(samples, 'tickguard_runs_total', { job: 'retried', outcome: 'success' })).toBe(1);
    await stop(clock, scheduler);
  });

  it('leaves manual ticks out of the lateness histogram', async () => {
    const clock = new TestClock(T0);
    const { scheduler, registry } = setup(clock);
    const job = scheduler.add({ name: 'manual', fixedRate: '1h', run: () => {} });
    await job.trigger();
    await job.trigger();
    const samples = await scrape(registry);
    expect(valueOf(samples, 'tickguard_runs_total', { job: 'manual', outcome: 'success' })).toBe(2);
    expect(valueOf(samples, 'tickguard_schedule_lateness_seconds_count', { job: 'manual' })).toBe(0);
    await stop(clock, scheduler);
  });

  it('takes custom buckets', async () => {
    const clock = new TestClock(T0);
    const scheduler = createScheduler({ clock });
    const registry = new Registry();
    const metrics = registerMetrics(scheduler, { registry, durationBuckets: [1, 60], latenessBuckets: [0.1] });
    cleanups.push(() => metrics.unregister());
    scheduler.add({ name: 'a', fixedRate: '1s', run: () => {} });
    await clock.advance(1_000);
    const samples = await scrape(registry);
    expect(samples.filter((s) => s.name === 'tickguard_run_duration_seconds_bucket').map((s) => s.labels.le)).toEqual(['1', '60', '+Inf']);
    expect(samples.filter((s) => s.name === 'tickguard_schedule_lateness_seconds_bucket').map((s) => s.labels.le)).toEqual(['0.1', '+Inf']);
    await stop(clock, scheduler);
  });
});

describe('registerMetrics: gauges read from inspect() at scrape time', () => {
  it('reports runs in flight, stuck runs and jobs by state', async () => {
    const clock = new TestClock(T0);
    const { scheduler, registry } = setup(clock);
    // Ignores its signal: stays in flight past the 1 s timeout, stuck after 2 s.
    scheduler.add({ name: 'stubborn', fixedRate: '1m', timeout: '1s', stuckAfter: '2s', run: async () => clock.sleep(10_000) });
    scheduler.add({ name: 'quick', fixedRate: '1m', run: () => {} });
    const paused = scheduler.add({ name: 'paused', fixedRate: '1m', run: () => {} });
    scheduler.add({ name: 'once', at: T0 + 1_000, run: () => {} });
    paused.pause();

    await clock.advance(60_500);
    let samples = await scrape(registry);
    expect(valueOf(samples, 'tickguard_runs_in_flight', { job: 'stubborn' })).toBe(1);
    expect(valueOf(samples, 'tickguard_runs_in_flight', { job: 'quick' })).toBe(0);
    expect(valueOf(samples, 'tickguard_runs_stuck', { job: 'stubborn' })).toBe(0);
    expect(valueOf(samples, 'tickguard_jobs', { state: 'active' })).toBe(2);
    expect(valueOf(samples, 'tickguard_jobs', { state: 'paused' })).toBe(1);
    expect(valueOf(samples, 'tickguard_jobs', { state: 'done' })).toBe(1);
    expect(valueOf(samples, 'tickguard_jobs', { state: 'removed' })).toBe(0);

    await clock.advance(2_000);
    samples = await scrape(registry);
    expect(valueOf(samples, 'tickguard_runs_stuck', { job: 'stubborn' })).toBe(1);

    await scheduler.get('quick')!.remove();
    await clock.advance(10_000);
    samples = await scrape(registry);
    expect(valueOf(samples, 'tickguard_runs_in_flight', { job: 'stubborn' })).toBe(0);
    expect(valueOf(samples, 'tickguard_runs_stuck', { job: 'stubborn' })).toBe(0);
    // A removed job leaves the scheduler: its gauges go, its counters stay.
    expect(samples.some((s) => s.name === 'tickguard_runs_in_flight' && s.labels.job === 'quick')).toBe(false);
    expect(valueOf(samples, 'tickguard_runs_total', { job: 'quick', outcome: 'success' })).toBe(1);
    expect(valueOf(samples, 'tickguard_jobs', { state: 'active' })).toBe(1);
    await stop(clock, scheduler);
  });
});

describe('registerMetrics: registration', () => {
  it('starts every series of a known job at zero', async () => {
    const clock = new TestClock(T0);
    const scheduler = createScheduler({ clock });
    scheduler.add({ name: 'before', fixedRate: '1h', run: () => {} });
    const registry = new Registry();
    const metrics = registerMetrics(scheduler, { registry });
    cleanups.push(() => metrics.unregister());
    scheduler.add({ name: 'after', fixedRate: '1h', run: () => {} });

    const samples = await scrape(registry);
    for (const job of ['before', 'after']) {
      for (const outcome of ['success', 'error', 'timeout', 'aborted']) expect(valueOf(samples, 'tickguard_runs_total', { job, outcome })).toBe(0);
      for (const result of ['started', 'skipped', 'buffered', 'dropped', 'missed']) expect(valueOf(samples, 'tickguard_ticks_total', { job, result })).toBe(0);
      expect(valueOf(samples, 'tickguard_run_duration_seconds_count', { job })).toBe(0);
      expect(valueOf(samples, 'tickguard_schedule_lateness_seconds_count', { job })).toBe(0);
    }
    await stop(clock, scheduler);
  });

  it('uses the prefix, and lets two schedulers share a registry under different prefixes', async () => {
    const clock = new TestClock(T0);
    const registry = new Registry();
    const a = createScheduler({ clock });
    const b = createScheduler({ clock });
    const ma = registerMetrics(a, { registry, prefix: 'billing_' });
    const mb = registerMetrics(b, { registry, prefix: 'mail_' });
    cleanups.push(() => ma.unregister(), () => mb.unregister());
    a.add({ name: 'invoice', fixedRate: '1s', run: () => {} });
    b.add({ name: 'digest', fixedRate: '2s', run: () => {} });
    await clock.advance(4_000);

    const samples = await scrape(registry);
    expect(valueOf(samples, 'billing_runs_total', { job: 'invoice', outcome: 'success' })).toBe(4);
    expect(valueOf(samples, 'mail_runs_total', { job: 'digest', outcome: 'success' })).toBe(2);
    expect(hasMetric(samples, 'tickguard_runs_total')).toBe(false);
    expect(ma.names).toEqual([
      'billing_runs_total', 'billing_ticks_total', 'billing_run_duration_seconds', 'billing_schedule_lateness_seconds',
      'billing_runs_in_flight', 'billing_runs_stuck', 'billing_jobs', 'billing_ticks_not_run_total', 'billing_runs_aborted_total',
      'billing_claims_total', 'billing_claim_duration_seconds', 'billing_lease_renewals_total', 'billing_leases_lost_total',
      'billing_coordinator_up', 'billing_coordinator_clock_skew_seconds',
    ]);
    await stop(clock, a);
    await stop(clock, b);
  });

  it('refuses a second registration of the same names, and registers nothing then', () => {
    const scheduler = createScheduler({ clock: new TestClock(T0) });
    const registry = new Registry();
    const metrics = registerMetrics(scheduler, { registry });
    cleanups.push(() => metrics.unregister());
    const before = registry.getMetricsAsArray().length;
    expect(() => registerMetrics(scheduler, { registry })).toThrow(InvalidOptionError);
    expect(() => registerMetrics(scheduler, { registry })).toThrow(/already registered.*prefix/);
    expect(registry.getMetricsAsArray()).toHaveLength(before);
  });

  it('unregister() removes the metrics and the listeners, and is idempotent', async () => {
    const clock = new TestClock(T0);
    const scheduler = createScheduler({ clock });
    const registry = new Registry();
    const metrics = registerMetrics(scheduler, { registry });
    let runs = 0;
    scheduler.add({ name: 'a', fixedRate: '1s', run: () => { runs += 1; } });
    await clock.advance(2_000);
    metrics.unregister();
    metrics.unregister();
    expect(registry.getMetricsAsArray()).toHaveLength(0);
    expect((await registry.metrics()).trim()).toBe('');

    // Runs go on without the listeners; registering again starts from zero.
    await clock.advance(2_000);
    const again = registerMetrics(scheduler, { registry });
    cleanups.push(() => again.unregister());
    await clock.advance(1_000);
    expect(runs).toBe(5);
    expect(valueOf(await scrape(registry), 'tickguard_runs_total', { job: 'a', outcome: 'success' })).toBe(1);
    await stop(clock, scheduler);
  });

  it('works as a disposable: `using` unregisters at the end of the scope', () => {
    const scheduler = createScheduler({ clock: new TestClock(T0) });
    const registry = new Registry();
    {
      using metrics = registerMetrics(scheduler, { registry });
      expect(metrics.registry).toBe(registry);
      expect(registry.getMetricsAsArray()).toHaveLength(15);
    }
    expect(registry.getMetricsAsArray()).toHaveLength(0);
  });

  it('defaults to prom-client\'s global registry', async () => {
    const clock = new TestClock(T0);
    const scheduler = createScheduler({ clock });
    const metrics = registerMetrics(scheduler);
    cleanups.push(() => metrics.unregister());
    scheduler.add({ name: 'global', fixedRate: '1s', run: () => {} });
    await clock.advance(1_000);
    expect(metrics.registry).toBe(globalRegistry);
    expect(valueOf(parseSamples(await globalRegistry.metrics()), 'tickguard_runs_total', { job: 'global', outcome: 'success' })).toBe(1);
    metrics.unregister();
    expect(globalRegistry.getSingleMetric('tickguard_runs_total')).toBeUndefined();
    await stop(clock, scheduler);
  });

  it('validates its options with messages that name the option', () => {
    const scheduler = createScheduler({ clock: new TestClock(T0) });
    const registry = new Registry();
    expect(() => registerMetrics(scheduler, { registry, prefix: '9lives' })).toThrow(/Expected `prefix` to be a Prometheus name prefix.*"9lives" \(string\)/);
    expect(() => registerMetrics(scheduler, { registry, prefx: 'x_' } as never)).toThrow(/Unknown option `prefx`.*did you mean `prefix`/);
    expect(() => registerMetrics(scheduler, { registry, durationBuckets: [1, 0.5] })).toThrow(/`durationBuckets` to be a non-empty, strictly increasing array/);
    expect(() => registerMetrics(scheduler, { registry: {} as never })).toThrow(/Expected `registry` to be a prom-client Registry/);
    expect(() => registerMetrics({} as never)).toThrow(/first argument of registerMetrics\(\) to be a scheduler/);
    expect(registry.getMetricsAsArray()).toHaveLength(0);
  });
});

describe('registerMetrics: why ticks did not run, and why runs were aborted', () => {
  it('counts skips by reason — claims included — and aborts by cause', async () => {
    const clock = new TestClock(T0);
    let claims = 0;
    const scheduler = createScheduler({
      clock,
      claimTimeout: '200ms',
      coordinator: {
        claim: () => {
          claims += 1;
          if (claims === 1) return null; // another replica has it
          if (claims === 2) throw new Error('store down');
          if (claims === 3) return new Promise<never>(() => {}); // never answers
          return true;
        },
      },
    });
    const registry = new Registry();
    const metrics = registerMetrics(scheduler, { registry });
    cleanups.push(() => metrics.unregister());
    scheduler.add({ name: 'coordinated', fixedRate: '1s', run: () => {} });
    scheduler.add({ name: 'slow', fixedRate: '1s', timeout: '300ms', coordination: 'local', run: ({ signal }) => clock.sleep(5_000, signal) });
    await clock.advance(5_000);
    const samples = await scrape(registry);
    const notRun = (job: string, result: string, reason: string) => valueOf(samples, 'tickguard_ticks_not_run_total', { job, result, reason });
    expect(notRun('coordinated', 'skipped', 'claimed-elsewhere')).toBe(1);
    expect(notRun('coordinated', 'skipped', 'claim-failed')).toBe(1);
    expect(notRun('coordinated', 'skipped', 'claim-timeout')).toBe(1);
    expect(valueOf(samples, 'tickguard_runs_total', { job: 'coordinated', outcome: 'success' })).toBe(2);
    expect(valueOf(samples, 'tickguard_runs_aborted_total', { job: 'slow', cause: 'timeout' })).toBe(4);
    await stop(clock, scheduler);
  });
});

describe('registerMetrics: coordination', () => {
  it('counts claims by result, lease renewals and losses, and reports the store and its clock skew', async () => {
    const clock = new TestClock(T0);
    const store = new MemoryCoordinationStore(clock);
    const memory = createMemoryCoordinator({ store });
    let claims = 0;
    let renew = true;
    const coordinator: Coordinator = {
      status: () => memory.status(),
      claim: async (request, options) => {
        claims += 1;
        if (claims === 2) throw new CoordinatorUnavailableError('store down');
        const lease = await memory.claim(request, options);
        // From the third claim on the store stops renewing: the lease is lost before the run ends.
        return lease === null ? null : { ...lease, renew: async () => renew && lease.renew() };
      },
    };
    const scheduler = createScheduler({ clock, coordinator });
    const registry = new Registry();
    const metrics = registerMetrics(scheduler, { registry });
    cleanups.push(() => metrics.unregister());
    scheduler.add({ name: 'leased', fixedRate: '10s', coordination: 'exclusive', leaseTtl: '3s', run: ({ signal }) => clock.sleep(4_000, signal).catch(() => {}) });
    await clock.advance(10_000); // claim 1 wins; the run renews at 11 s and 12 s, ends at 14 s
    await clock.advance(10_000); // claim 2: the store is down
    renew = false;
    await clock.advance(10_000); // claim 3 wins; its renewals are refused: the lease is lost
    await clock.advance(5_000);
    const samples = await scrape(registry);
    expect(valueOf(samples, 'tickguard_claims_total', { job: 'leased', result: 'won' })).toBe(2);
    expect(valueOf(samples, 'tickguard_claims_total', { job: 'leased', result: 'coordinator-unavailable' })).toBe(1);
    expect(valueOf(samples, 'tickguard_lease_renewals_total', { job: 'leased', result: 'renewed' })).toBe(3);
    expect(valueOf(samples, 'tickguard_leases_lost_total', { job: 'leased' })).toBe(1);
    expect(valueOf(samples, 'tickguard_runs_aborted_total', { job: 'leased', cause: 'lease-lost' })).toBe(1);
    expect(valueOf(samples, 'tickguard_coordinator_up', {})).toBe(1);
    expect(valueOf(samples, 'tickguard_coordinator_clock_skew_seconds', {})).toBe(0);
    await stop(clock, scheduler);
  });
});
