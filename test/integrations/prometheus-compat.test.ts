/**
 * `tickguard/prometheus` through the rest of prom-client's registry API: merged registries, the
 * cluster aggregator, a single metric as text, `resetMetrics()`, `clear()`, and label values that
 * need escaping. Every figure is checked against what the scheduler did, on the TestClock.
 */
import { AggregatorRegistry, openMetricsContentType, Registry, type OpenMetricsContentType, type PrometheusContentType } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createScheduler, TestClock, type Scheduler } from '../../src/index.js';
import { registerMetrics, type MetricsOptions, type SchedulerMetrics } from '../../src/integrations/prometheus.js';
import { parseSamples, valueOf, type Sample } from './prom-text.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Names a job may have (anything but '@' and blanks): a quote, backslashes, a newline. */
const AWKWARD = ['quote"d', 'back\\slash', 'new\nline', 'not\\na newline', 'trailing\\'];

/** A scheduler whose jobs have run `ticks` times each (one success per tick), with its metrics. */
async function ran(options: MetricsOptions, ticks = 3, names: readonly string[] = AWKWARD): Promise<{ clock: TestClock; scheduler: Scheduler; metrics: SchedulerMetrics }> {
  const clock = new TestClock(T0);
  const scheduler = createScheduler({ clock });
  const metrics = registerMetrics(scheduler, options);
  cleanups.push(async () => {
    metrics.unregister();
    const stopping = scheduler.stop();
    await clock.advance(60_000);
    await stopping;
  });
  for (const name of names) scheduler.add({ name, fixedRate: '1s', run: () => {} });
  await clock.advance(ticks * 1_000);
  return { clock, scheduler, metrics };
}

/** Every line of a scrape, parsed; throws on a line that is not a valid sample. */
async function scrape(registry: Registry<PrometheusContentType> | Registry<OpenMetricsContentType>): Promise<Sample[]> {
  return parseSamples(await registry.metrics());
}

describe('registerMetrics: label values', () => {
  it('come back from the text exactly as the job names were given', async () => {
    const registry = new Registry();
    await ran({ registry });
    const samples = await scrape(registry);
    for (const job of AWKWARD) expect({ job, runs: valueOf(samples, 'tickguard_runs_total', { job, outcome: 'success' }) }).toEqual({ job, runs: 3 });
    expect(new Set(samples.filter((s) => s.name === 'tickguard_runs_total').map((s) => s.labels.job))).toEqual(new Set(AWKWARD));
  });
});

describe('registerMetrics: default labels', () => {
  it('gives way to a default label of the same name as ours, in the text and in JSON', async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ job: 'api', region: 'eu' });
    await ran({ registry }, 2, ['mine']);
    const samples = await scrape(registry);
    expect(valueOf(samples, 'tickguard_runs_total', { job: 'mine', outcome: 'success', region: 'eu' })).toBe(2);
    expect(valueOf(samples, 'tickguard_run_duration_seconds_bucket', { job: 'mine', le: '+Inf', region: 'eu' })).toBe(2);
    expect(valueOf(samples, 'tickguard_jobs', { job: 'api', state: 'active', region: 'eu' })).toBe(1);
    const json = await registry.getMetricsAsJSON();
    const runs = json.find((metric) => metric.name === 'tickguard_runs_total')!.values;
    expect(runs.map((value) => value.labels.job)).toEqual(['mine', 'mine', 'mine', 'mine']);
  });
});

describe('registerMetrics: merged registries', () => {
  it('writes valid lines in a merged registry that has default labels of its own', async () => {
    const registry = new Registry();
    await ran({ registry });
    const merged = Registry.merge([registry, new Registry()]);
    merged.setDefaultLabels({ region: 'eu' });
    const samples = await scrape(merged);
    expect(valueOf(samples, 'tickguard_runs_total', { job: 'quote"d', outcome: 'success', region: 'eu' })).toBe(3);
    expect(valueOf(samples, 'tickguard_run_duration_seconds_bucket', { job: 'new\nline', le: '+Inf', region: 'eu' })).toBe(3);
    expect(valueOf(samples, 'tickguard_jobs', { state: 'active', region: 'eu' })).toBe(AWKWARD.length);
  });

  it('writes valid OpenMetrics from a merged registry set to OpenMetrics', async () => {
    const registry = new Registry();
    await ran({ registry });
    const merged = Registry.merge([registry, new Registry()]);
    merged.setContentType(openMetricsContentType as never);
    const text = await merged.metrics();
    expect(text.endsWith('# EOF\n')).toBe(true);
    const samples = parseSamples(text);
    expect(valueOf(samples, 'tickguard_runs_total', { job: 'back\\slash', outcome: 'success' })).toBe(3);
    expect(valueOf(samples, 'tickguard_ticks_total', { job: 'back\\slash', result: 'started' })).toBe(3);
  });

  it('answers getSingleMetricAsString() with the same lines as metrics()', async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ app: 'api' });
    await ran({ registry });
    const all = parseSamples(await registry.metrics());
    for (const name of ['tickguard_runs_total', 'tickguard_run_duration_seconds', 'tickguard_jobs']) {
      const single = parseSamples(await registry.getSingleMetricAsString(name));
      expect(single.length).toBeGreaterThan(0);
      expect(single).toEqual(all.filter((s) => s.name === name || s.name.startsWith(`${name}_`)));
    }
  });
});

describe('registerMetrics: AggregatorRegistry (cluster)', () => {
  it('sums counters and histograms of two workers, and keeps the coordinator gauge at the lowest', async () => {
    const a = new Registry();
    const b = new Registry();
    await ran({ registry: a }, 3, ['shared', 'only-a']);
    await ran({ registry: b }, 2, ['shared']);
    const aggregated = AggregatorRegistry.aggregate([await a.getMetricsAsJSON(), await b.getMetricsAsJSON()]);
    const samples = await scrape(aggregated);
    expect(valueOf(samples, 'tickguard_runs_total', { job: 'shared', outcome: 'success' })).toBe(5);
    expect(valueOf(samples, 'tickguard_runs_total', { job: 'only-a', outcome: 'success' })).toBe(3);
    expect(valueOf(samples, 'tickguard_run_duration_seconds_count', { job: 'shared' })).toBe(5);
    expect(valueOf(samples, 'tickguard_run_duration_seconds_bucket', { job: 'shared', le: '+Inf' })).toBe(5);
    expect(valueOf(samples, 'tickguard_run_duration_seconds_bucket', { job: 'shared', le: '0.005' })).toBe(5);
    expect(valueOf(samples, 'tickguard_jobs', { state: 'active' })).toBe(3);
    const up = aggregated.getSingleMetric('tickguard_coordinator_up') as unknown as { aggregator?: string } | undefined;
    expect(up?.aggregator).toBe('min');
  });
});

describe('registerMetrics: resetMetrics() and clear()', () => {
  it('resetMetrics() zeroes the counters and histograms, which then count on from zero', async () => {
    const registry = new Registry();
    const { clock } = await ran({ registry }, 3, ['a']);
    registry.resetMetrics();
    let samples = await scrape(registry);
    expect(valueOf(samples, 'tickguard_runs_total', { job: 'a', outcome: 'success' })).toBe(0);
    expect(valueOf(samples, 'tickguard_ticks_total', { job: 'a', result: 'started' })).toBe(0);
    expect(valueOf(samples, 'tickguard_run_duration_seconds_count', { job: 'a' })).toBe(0);
    expect(valueOf(samples, 'tickguard_run_duration_seconds_bucket', { job: 'a', le: '+Inf' })).toBe(0);
    expect(valueOf(samples, 'tickguard_schedule_lateness_seconds_sum', { job: 'a' })).toBe(0);
    // Gauges are read live: still there.
    expect(valueOf(samples, 'tickguard_jobs', { state: 'active' })).toBe(1);

    await clock.advance(2_000);
    samples = await scrape(registry);
    expect(valueOf(samples, 'tickguard_runs_total', { job: 'a', outcome: 'success' })).toBe(2);
    expect(valueOf(samples, 'tickguard_run_duration_seconds_bucket', { job: 'a', le: '+Inf' })).toBe(2);
  });

  it('after clear(), registers again on the same registry; the earlier unregister() leaves the new metrics', async () => {
    const registry = new Registry();
    const { clock, scheduler, metrics } = await ran({ registry }, 2, ['a']);
    registry.clear();
    expect((await registry.metrics()).trim()).toBe('');
    const again = registerMetrics(scheduler, { registry });
    cleanups.push(() => again.unregister());
    metrics.unregister();
    await clock.advance(1_000);
    const samples = await scrape(registry);
    expect(valueOf(samples, 'tickguard_runs_total', { job: 'a', outcome: 'success' })).toBe(1);
    expect(registry.getMetricsAsArray()).toHaveLength(again.names.length);
  });
});
