/**
 * `tickguard/prometheus` at scale: the cap on series by job (`maxJobSeries`) and its overflow
 * series, gauges read from `summary()` and the listed jobs, counters that never go back, and
 * the lines the registry writes, whichever way it formats them. All on the TestClock.
 */
import { openMetricsContentType, Registry, type OpenMetricsContentType } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createScheduler, InvalidOptionError, TestClock, type Scheduler } from '../../src/index.js';
import { DEFAULT_MAX_JOB_SERIES, OVERFLOW_JOB, registerMetrics, type MetricsOptions, type MetricsRegistry } from '../../src/integrations/prometheus.js';
import { parseSamples, valueOf, type Sample } from './prom-text.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Warnings the process emitted with our code, collected while the test runs. */
function overflowWarnings(): Error[] {
  const seen: Error[] = [];
  const listener = (warning: Error & { code?: string }): void => {
    if (warning.code === 'TICKGUARD_METRICS_OVERFLOW') seen.push(warning);
  };
  process.on('warning', listener);
  cleanups.push(() => process.off('warning', listener));
  return seen;
}

function setup<R extends MetricsRegistry = Registry>(options: Omit<MetricsOptions, 'registry'>, registry: R = new Registry() as R): { clock: TestClock; scheduler: Scheduler; registry: R } {
  const clock = new TestClock(T0);
  const scheduler = createScheduler({ clock });
  const metrics = registerMetrics(scheduler, { registry, ...options });
  cleanups.push(async () => {
    metrics.unregister();
    const stopping = scheduler.stop({ abort: true, timeout: '1s' });
    await clock.advance(60_000);
    await stopping;
  });
  return { clock, scheduler, registry };
}

async function scrape(registry: MetricsRegistry): Promise<Sample[]> {
  return parseSamples(await registry.metrics());
}

/** The `job` label values of a metric's samples, each once, in order. */
function jobsOf(samples: readonly Sample[], name: string): string[] {
  return [...new Set(samples.filter((s) => s.name === name).map((s) => s.labels.job!))];
}

function sumOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value))
    .reduce((sum, s) => sum + s.value, 0);
}

describe('registerMetrics: maxJobSeries', () => {
  it('gives the first jobs seen their own series and counts the others under @overflow, with exact sums', async () => {
    const warnings = overflowWarnings();
    const clock = new TestClock(T0);
    const scheduler = createScheduler({ clock });
    let runs = 0;
    const task = (): void => {
      runs += 1;
    };
    // Added before registration: seen first, in the order added.
    scheduler.add({ name: 'early', fixedRate: '1s', run: task });
    const registry = new Registry();
    const metrics = registerMetrics(scheduler, { registry, maxJobSeries: 2 });
    cleanups.push(() => metrics.unregister());
    for (const name of ['second', 'third', 'fourth', 'fifth']) scheduler.add({ name, fixedRate: '1s', run: task });
    await clock.advance(3_000);

    const samples = await scrape(registry);
    for (const metric of ['tickguard_runs_total', 'tickguard_ticks_total', 'tickguard_run_duration_seconds_count', 'tickguard_schedule_lateness_seconds_count', 'tickguard_runs_in_flight']) {
      expect({ metric, jobs: jobsOf(samples, metric) }).toEqual({ metric, jobs: ['early', 'second', OVERFLOW_JOB] });
    }
    expect(runs).toBe(15);
    expect(valueOf(samples, 'tickguard_runs_total', { job: 'early', outcome: 'success' })).toBe(3);
    expect(valueOf(samples, 'tickguard_runs_total', { job: 'second', outcome: 'success' })).toBe(3);
    expect(valueOf(samples, 'tickguard_runs_total', { job: OVERFLOW_JOB, outcome: 'success' })).toBe(9);
    expect(sumOf(samples, 'tickguard_runs_total')).toBe(runs);
    expect(sumOf(samples, 'tickguard_ticks_total', { result: 'started' })).toBe(runs);
    expect(sumOf(samples, 'tickguard_run_duration_seconds_count')).toBe(runs);
    expect(sumOf(samples, 'tickguard_schedule_lateness_seconds_count')).toBe(runs);
    expect(valueOf(samples, 'tickguard_run_duration_seconds_bucket', { job: OVERFLOW_JOB, le: '+Inf' })).toBe(9);

    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(/more than 2 jobs.*job="@overflow".*maxJobSeries/);
    const stopping = scheduler.stop();
    await clock.advance(1_000);
    await stopping;
  });

  it('counts skips, drops and aborts of overflowing jobs under @overflow too', async () => {
    const { clock, scheduler, registry } = setup({ maxJobSeries: 1 });
    scheduler.add({ name: 'listed', fixedRate: '1s', timeout: '300ms', run: ({ signal }) => clock.sleep(5_000, signal) });
    scheduler.add({ name: 'slow-a', fixedRate: '1s', timeout: '300ms', run: ({ signal }) => clock.sleep(5_000, signal) });
    scheduler.add({ name: 'slow-b', fixedRate: '1s', overlap: 'buffer-one', run: ({ signal }) => clock.sleep(2_500, signal) });
    await clock.advance(5_500);
    const samples = await scrape(registry);
    expect(valueOf(samples, 'tickguard_runs_aborted_total', { job: 'listed', cause: 'timeout' })).toBe(5);
    expect(valueOf(samples, 'tickguard_runs_aborted_total', { job: OVERFLOW_JOB, cause: 'timeout' })).toBe(5);
    const counters = ['slow-a', 'slow-b'].map((name) => scheduler.get(name)!.inspect().counters);
    for (const result of ['started', 'skipped', 'buffered', 'dropped', 'missed'] as const) {
      expect({ result, value: valueOf(samples, 'tickguard_ticks_total', { job: OVERFLOW_JOB, result }) })
        .toEqual({ result, value: counters[0]![result] + counters[1]![result] });
    }
    const notRun = counters[0]!.skipped + counters[1]!.skipped + counters[0]!.dropped + counters[1]!.dropped;
    expect(notRun).toBeGreaterThan(0);
    expect(sumOf(samples, 'tickguard_ticks_not_run_total', { job: OVERFLOW_JOB })).toBe(notRun);
  });

  it('with 0, counts every job under @overflow; with Infinity, gives every job its own series', async () => {
    const none = setup({ maxJobSeries: 0 });
    const all = setup({ maxJobSeries: Number.POSITIVE_INFINITY, prefix: 'all_' });
    for (const { scheduler } of [none, all]) {
      for (let index = 0; index < DEFAULT_MAX_JOB_SERIES + 5; index++) scheduler.add({ name: `job-${index}`, fixedRate: '1s', run: () => {} });
    }
    await none.clock.advance(1_000);
    await all.clock.advance(1_000);
    const few = await scrape(none.registry);
    expect(jobsOf(few, 'tickguard_runs_total')).toEqual([OVERFLOW_JOB]);
    expect(valueOf(few, 'tickguard_runs_total', { job: OVERFLOW_JOB, outcome: 'success' })).toBe(DEFAULT_MAX_JOB_SERIES + 5);
    const many = await scrape(all.registry);
    expect(jobsOf(many, 'all_runs_total')).toHaveLength(DEFAULT_MAX_JOB_SERIES + 5);
    expect(jobsOf(many, 'all_runs_total')).not.toContain(OVERFLOW_JOB);
  });

  it('caps at DEFAULT_MAX_JOB_SERIES jobs when not told otherwise', async () => {
    const { clock, scheduler, registry } = setup({});
    for (let index = 0; index < DEFAULT_MAX_JOB_SERIES + 1; index++) scheduler.add({ name: `job-${index}`, fixedRate: '1s', run: () => {} });
    await clock.advance(1_000);
    const samples = await scrape(registry);
    const jobs = jobsOf(samples, 'tickguard_runs_total');
    expect(jobs).toHaveLength(DEFAULT_MAX_JOB_SERIES + 1);
    expect(jobs.at(-2)).toBe(`job-${DEFAULT_MAX_JOB_SERIES - 1}`);
    expect(jobs.at(-1)).toBe(OVERFLOW_JOB);
    expect(valueOf(samples, 'tickguard_runs_total', { job: OVERFLOW_JOB, outcome: 'success' })).toBe(1);
  });

  it('cannot mistake a job for the overflow series: no job can be named @overflow', async () => {
    const { clock, scheduler, registry } = setup({ maxJobSeries: 1 });
    expect(() => scheduler.add({ name: OVERFLOW_JOB, fixedRate: '1s', run: () => {} })).toThrow(InvalidOptionError);
    scheduler.add({ name: 'overflow', fixedRate: '1s', run: () => {} });
    scheduler.add({ name: 'later', fixedRate: '2s', run: () => {} });
    await clock.advance(2_000);
    const samples = await scrape(registry);
    expect(valueOf(samples, 'tickguard_runs_total', { job: 'overflow', outcome: 'success' })).toBe(2);
    expect(valueOf(samples, 'tickguard_runs_total', { job: OVERFLOW_JOB, outcome: 'success' })).toBe(1);
  });

  it('refuses a maxJobSeries that is not an integer >= 0 or Infinity, and registers nothing', () => {
    const scheduler = createScheduler({ clock: new TestClock(T0) });
    const registry = new Registry();
    for (const bad of [-1, 1.5, Number.NaN, Number.NEGATIVE_INFINITY, '10', true]) {
      expect(() => registerMetrics(scheduler, { registry, maxJobSeries: bad as number })).toThrow(InvalidOptionError);
      expect(() => registerMetrics(scheduler, { registry, maxJobSeries: bad as number })).toThrow(/Expected `maxJobSeries` to be an integer >= 0, or Infinity for no cap, got/);
    }
    expect(() => registerMetrics(scheduler, { registry, maxJobSerie: 3 } as never)).toThrow(/did you mean `maxJobSeries`/);
    expect(registry.getMetricsAsArray()).toHaveLength(0);
  });
});

describe('registerMetrics: gauges from summary() and the listed jobs', () => {
  it('lists in-flight and stuck runs of the listed jobs, and the rest of the totals under @overflow', async () => {
    const { clock, scheduler, registry } = setup({ maxJobSeries: 1 });
    // Each ignores its signal: in flight for 10 s, stuck after 2 s.
    const stubborn = { fixedRate: '1m', stuckAfter: '2s', run: async () => clock.sleep(10_000) } as const;
    scheduler.add({ name: 'listed', ...stubborn });
    scheduler.add({ name: 'over-a', ...stubborn });
    scheduler.add({ name: 'over-b', ...stubborn });
    scheduler.add({ name: 'idle', fixedRate: '1h', run: () => {} }).pause();

    await clock.advance(60_500);
    let samples = await scrape(registry);
    expect(valueOf(samples, 'tickguard_runs_in_flight', { job: 'listed' })).toBe(1);
    expect(valueOf(samples, 'tickguard_runs_in_flight', { job: OVERFLOW_JOB })).toBe(2);
    expect(valueOf(samples, 'tickguard_runs_stuck', { job: OVERFLOW_JOB })).toBe(0);
    expect(sumOf(samples, 'tickguard_runs_in_flight')).toBe(scheduler.summary().inFlight);
    expect(valueOf(samples, 'tickguard_jobs', { state: 'active' })).toBe(3);
    expect(valueOf(samples, 'tickguard_jobs', { state: 'paused' })).toBe(1);

    await clock.advance(2_000);
    samples = await scrape(registry);
    expect(valueOf(samples, 'tickguard_runs_stuck', { job: 'listed' })).toBe(1);
    expect(valueOf(samples, 'tickguard_runs_stuck', { job: OVERFLOW_JOB })).toBe(2);

    await clock.advance(10_000);
    samples = await scrape(registry);
    expect(valueOf(samples, 'tickguard_runs_in_flight', { job: 'listed' })).toBe(0);
    expect(valueOf(samples, 'tickguard_runs_in_flight', { job: OVERFLOW_JOB })).toBe(0);
    expect(valueOf(samples, 'tickguard_runs_stuck', { job: OVERFLOW_JOB })).toBe(0);
  });

  it('keeps a removed job\'s runs in flight listed until they settle, then drops its gauges', async () => {
    const { clock, scheduler, registry } = setup({});
    const job = scheduler.add({ name: 'leaving', fixedRate: '1m', run: async () => clock.sleep(5_000) });
    await clock.advance(60_000);
    void job.remove({ timeout: '1m' }); // aborts the run, which ignores its signal
    let samples = await scrape(registry);
    expect(valueOf(samples, 'tickguard_runs_in_flight', { job: 'leaving' })).toBe(1);
    expect(valueOf(samples, 'tickguard_runs_in_flight', { job: 'leaving' })).toBe(scheduler.summary().inFlight);

    await clock.advance(5_000);
    samples = await scrape(registry);
    expect(samples.some((s) => s.name === 'tickguard_runs_in_flight' && s.labels.job === 'leaving')).toBe(false);
    expect(valueOf(samples, 'tickguard_runs_total', { job: 'leaving', outcome: 'aborted' })).toBe(1);
  });

  it('lists a removed job\'s settling runs under its name when a job of that name is added again', async () => {
    const { clock, scheduler, registry } = setup({ maxJobSeries: 1 });
    // Ignores its signal: its run outlives the removal.
    const stubborn = { fixedRate: '1m', run: async () => clock.sleep(5_000) } as const;
    const first = scheduler.add({ name: 'renewed', ...stubborn });
    scheduler.add({ name: 'other', fixedRate: '1h', run: () => {} }); // past the cap: @overflow exists
    await clock.advance(60_000);
    void first.remove({ timeout: '1m' });
    scheduler.add({ name: 'renewed', ...stubborn });

    let samples = await scrape(registry);
    expect(scheduler.summary().inFlight).toBe(1);
    expect(valueOf(samples, 'tickguard_runs_in_flight', { job: 'renewed' })).toBe(1);
    expect(valueOf(samples, 'tickguard_runs_in_flight', { job: OVERFLOW_JOB })).toBe(0);

    // The old run settles; the new job's first run starts a minute after it was added.
    await clock.advance(60_000);
    samples = await scrape(registry);
    expect(scheduler.summary().inFlight).toBe(1);
    expect(valueOf(samples, 'tickguard_runs_in_flight', { job: 'renewed' })).toBe(1);
    expect(valueOf(samples, 'tickguard_runs_in_flight', { job: OVERFLOW_JOB })).toBe(0);
    expect(valueOf(samples, 'tickguard_runs_total', { job: 'renewed', outcome: 'aborted' })).toBe(1);
  });
});

describe('registerMetrics: counters never go back', () => {
  it('across scrapes, job removal, and a job added again under the same name', async () => {
    const { clock, scheduler, registry } = setup({ maxJobSeries: 2 });
    const add = (name: string) => scheduler.add({ name, fixedRate: '1s', run: () => {} });
    add('a');
    add('b');
    add('c');
    await clock.advance(3_000);
    const scrapes = [await scrape(registry)];

    await scheduler.get('a')!.remove();
    await scheduler.get('c')!.remove();
    await clock.advance(2_000);
    scrapes.push(await scrape(registry));
    // The removed job keeps its series and its place under the cap: a new job overflows.
    add('d');
    add('a');
    await clock.advance(2_000);
    scrapes.push(await scrape(registry));

    const counters = (samples: readonly Sample[]) => samples.filter((s) => /_(total|bucket|sum|count)$/.test(s.name));
    for (let index = 1; index < scrapes.length; index++) {
      const after = scrapes[index]!;
      for (const sample of counters(scrapes[index - 1]!)) {
        expect({ ...sample, value: valueOf(after, sample.name, sample.labels) >= sample.value }).toEqual({ ...sample, value: true });
      }
    }
    const last = scrapes.at(-1)!;
    expect(valueOf(last, 'tickguard_runs_total', { job: 'a', outcome: 'success' })).toBe(5);
    expect(valueOf(last, 'tickguard_runs_total', { job: 'b', outcome: 'success' })).toBe(7);
    expect(valueOf(last, 'tickguard_runs_total', { job: OVERFLOW_JOB, outcome: 'success' })).toBe(5);
    expect(jobsOf(last, 'tickguard_runs_in_flight')).toEqual(['a', 'b', OVERFLOW_JOB]);
  });
});

describe('registerMetrics: the lines the registry writes', () => {
  const awkward = ['quote"d', 'back\\slash', 'new\nline'];

  async function run(registry: MetricsRegistry): Promise<Scheduler> {
    const { clock, scheduler } = setup({}, registry);
    for (const name of awkward) scheduler.add({ name, fixedRate: '1s', timeout: '10ms', run: ({ signal }) => clock.sleep(50, signal) });
    await clock.advance(2_500);
    return scheduler;
  }

  it('match, label by label, what the registry gives as JSON (escaped names included)', async () => {
    const registry = new Registry();
    await run(registry);
    const fromText = await scrape(registry);
    const fromJson = (await registry.getMetricsAsJSON()).flatMap((metric) =>
      metric.values.map((value) => {
        const named = value as typeof value & { metricName?: string };
        return { name: named.metricName ?? metric.name, labels: Object.fromEntries(Object.entries(value.labels).map(([k, v]) => [k, String(v)])), value: value.value };
      }));
    expect(fromText).toEqual(fromJson);
    expect(valueOf(fromText, 'tickguard_runs_aborted_total', { job: 'new\nline', cause: 'timeout' })).toBe(2);
    expect(valueOf(fromText, 'tickguard_run_duration_seconds_bucket', { job: 'quote"d', le: '0.01' })).toBe(2);
  });

  it('carry the registry\'s default labels', async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ region: 'eu' });
    await run(registry);
    const samples = await scrape(registry);
    expect(valueOf(samples, 'tickguard_runs_total', { job: 'back\\slash', outcome: 'timeout', region: 'eu' })).toBe(2);
    expect(valueOf(samples, 'tickguard_run_duration_seconds_bucket', { job: 'back\\slash', le: '+Inf', region: 'eu' })).toBe(2);
    expect(valueOf(samples, 'tickguard_jobs', { state: 'active', region: 'eu' })).toBe(3);
  });

  it('follow an OpenMetrics registry\'s naming of counters', async () => {
    const registry = new Registry<OpenMetricsContentType>();
    registry.setContentType(openMetricsContentType);
    await run(registry);
    const text = await registry.metrics();
    expect(text).toMatch(/# TYPE tickguard_runs counter\n/);
    expect(text.endsWith('# EOF\n')).toBe(true);
    const samples = parseSamples(text);
    expect(valueOf(samples, 'tickguard_runs_total', { job: 'quote"d', outcome: 'timeout' })).toBe(2);
    expect(valueOf(samples, 'tickguard_run_duration_seconds_count', { job: 'quote"d' })).toBe(2);
  });
});
