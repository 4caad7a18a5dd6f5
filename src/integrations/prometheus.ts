/**
 * Prometheus metrics of a scheduler (`tickguard/prometheus`), through prom-client, an optional
 * peer dependency.
 *
 * HOW. The scheduler's listeners add to plain numbers, one record per job (metric-records.ts):
 * no prom-client call and no label hashing on a run's path. The metrics registered are objects
 * the registry collects like its own (prom-collected.ts); they list the records' numbers when
 * `registry.metrics()` asks. Counters and histograms so count exactly what the events said: one
 * `runs_total` per `run:end`, one `ticks_total` per tick (a `missed` event counts for `count`
 * ticks). Gauges are read at the scrape from `scheduler.summary()` (O(1), one per scrape however
 * many gauges ask) and, per job, from the handles of the jobs that have their own series.
 *
 * WHY a cap. Each job has about 47 series; at 100k jobs a scrape was 314 MB and blocked the loop
 * for 12 s. Like OpenTelemetry's cardinality limit, the first `maxJobSeries` jobs seen get their
 * own series for the life of the registration, and every later job is counted in one series set
 * labelled `job="@overflow"`, so sums over `job` stay exact.
 *
 * Only what happens after `registerMetrics()` is counted: register before adding jobs.
 */
import { register as defaultRegistry } from 'prom-client';
import type { OpenMetricsContentType, PrometheusContentType, Registry } from 'prom-client';
import type { Scheduler, SchedulerSummary } from '../scheduler.js';
import type { JobState } from '../snapshot.js';
import { InvalidOptionError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import { bucketList, optionsObject, requireMethods, requireScheduler } from './validate.js';
import { HistogramCounts, OVERFLOW_JOB, RecordTable, type JobRecord, type Labels, type SparseCounter } from './metric-records.js';
import { CollectedMetric, type CollectedMetricSpec, type CollectedValue } from './prom-collected.js';

export { OVERFLOW_JOB } from './metric-records.js';

/** A prom-client registry, whichever exposition format it is set to. */
export type MetricsRegistry = Registry<PrometheusContentType> | Registry<OpenMetricsContentType>;

/** Options of {@link registerMetrics}. */
export interface MetricsOptions {
  /** Where the metrics are registered. @default prom-client's global `register` */
  readonly registry?: MetricsRegistry;
  /**
   * Prepended to every metric name; a valid Prometheus name prefix (letters, digits, `_`, `:`).
   * Give each scheduler its own prefix to register several on one registry.
   * @default 'tickguard_'
   */
  readonly prefix?: string;
  /** Upper bounds (seconds) of the `run_duration_seconds` buckets. @default {@link DEFAULT_DURATION_BUCKETS} */
  readonly durationBuckets?: readonly number[];
  /** Upper bounds (seconds) of the `schedule_lateness_seconds` buckets. @default {@link DEFAULT_LATENESS_BUCKETS} */
  readonly latenessBuckets?: readonly number[];
  /**
   * How many jobs get series of their own: the first ones seen (jobs already added, then as they
   * are added), for the life of the registration, removed or not. Every later job is counted in
   * the series labelled `job="@overflow"` ({@link OVERFLOW_JOB}), and a warning
   * (`TICKGUARD_METRICS_OVERFLOW`) is emitted once. An integer >= 0, or `Infinity` for no cap.
   * @default {@link DEFAULT_MAX_JOB_SERIES}
   */
  readonly maxJobSeries?: number;
}

/** What {@link registerMetrics} returns. `using metrics = registerMetrics(…)` unregisters at scope end. */
export interface SchedulerMetrics extends Disposable {
  /** The registry the metrics live in. */
  readonly registry: MetricsRegistry;
  /** The full names of the metrics registered, prefix included. */
  readonly names: readonly string[];
  /** Removes the event listeners and the metrics from the registry. Idempotent. */
  unregister(): void;
}

/** Run durations from 5 ms to 10 min: periodic jobs are often much longer than HTTP requests. */
export const DEFAULT_DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** Lateness from 1 ms (timer resolution) to 1 min (an event loop blocked that long). */
export const DEFAULT_LATENESS_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * Jobs with series of their own, by default. A job has ~47 lines with the default buckets (4
 * outcomes, 5 tick results, two histograms of 17 and 15 buckets plus sum and count, 2 gauges), and
 * a scrape costs ~1 µs a line, most of it prom-client's registry writing it: 250 jobs are ~12k
 * lines, a scrape of 10-20 ms at any job count (bench/observability.ts), within the 20 ms we allow
 * a scrape to block the loop. Its runs counter then has 1,000 series (OpenTelemetry's default
 * limit is 2,000 per instrument).
 */
export const DEFAULT_MAX_JOB_SERIES = 250;

const JOB_STATES: readonly JobState[] = ['active', 'paused', 'done', 'removed'];
const OPTION_KEYS = ['registry', 'prefix', 'durationBuckets', 'latenessBuckets', 'maxJobSeries'] as const;
const PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * Registers the scheduler's metrics (names shown with the default prefix):
 *
 * | metric | type | labels |
 * |---|---|---|
 * | `tickguard_runs_total` | counter | `job`, `outcome` (success, error, timeout, aborted) |
 * | `tickguard_ticks_total` | counter | `job`, `result` (started, skipped, buffered, dropped, missed) |
 * | `tickguard_run_duration_seconds` | histogram | `job` — first attempt's start to the end, retries included |
 * | `tickguard_schedule_lateness_seconds` | histogram | `job` — first attempt's start minus due time, scheduled ticks only |
 * | `tickguard_runs_in_flight` | gauge | `job` |
 * | `tickguard_runs_stuck` | gauge | `job` — in-flight runs past `stuckAfter` |
 * | `tickguard_jobs` | gauge | `state` (active, paused, done, removed) |
 * | `tickguard_ticks_not_run_total` | counter | `job`, `result` (skipped, dropped, missed), `reason` (busy, paused, claimed-elsewhere, claim-failed, claim-timeout, coordinator-unavailable, …) |
 * | `tickguard_runs_aborted_total` | counter | `job`, `cause` (timeout, cancel-other, stop, remove, lease-lost) |
 * | `tickguard_claims_total` | counter | `job`, `result` (won, claimed-elsewhere, not-claimed, claim-failed, claim-timeout, coordinator-unavailable) |
 * | `tickguard_claim_duration_seconds` | histogram | `job` — from sending a claim to its verdict |
 * | `tickguard_lease_renewals_total` | counter | `job`, `result` (renewed, failed) |
 * | `tickguard_leases_lost_total` | counter | `job` |
 * | `tickguard_coordinator_up` | gauge | 1 while the coordinator reaches its store, 0 when not (only with a coordinator that reports) |
 * | `tickguard_coordinator_clock_skew_seconds` | gauge | the store's clock minus this process's, as last measured |
 *
 * A buffered tick is counted once as `buffered` and once more when it is `started` or `dropped`.
 *
 * Series by `job` exist for the first `maxJobSeries` jobs seen ({@link DEFAULT_MAX_JOB_SERIES}
 * by default); the jobs after them are counted together under `job="@overflow"`, in every metric
 * with a `job` label, so a sum over `job` is exact. A removed job keeps its counters and
 * histograms (and its place under the cap) until `unregister()`; its gauges go once its runs
 * have settled. `runs_in_flight` and `runs_stuck` of `@overflow` are the scheduler's totals minus
 * the jobs listed.
 *
 * The rest of prom-client's registry API works as with its own metrics: `getMetricsAsJSON()`,
 * `getSingleMetricAsString()`, default labels, OpenMetrics, `Registry.merge()`, and
 * `AggregatorRegistry` (summed over the workers, but `coordinator_up`, the lowest, and the clock
 * skew, the average). `registry.resetMetrics()` zeroes the counters and histograms; gauges are read
 * live. `registry.clear()` takes the metrics away but leaves the listeners: call `unregister()`.
 *
 * Cost: nothing of prom-client runs on a run's path (the listeners add to plain numbers, though
 * the scheduler builds the events they hear); a scrape lists at most `maxJobSeries` + 1 jobs
 * whatever the job count, reads the totals from `scheduler.summary()`, O(1), and asks each listed
 * job for its runs (`job.inspect()`) only while some run is in flight.
 *
 * @throws {InvalidOptionError} for invalid options, or when a metric of the same name is already
 * registered (pass another `prefix`, or `unregister()` the earlier one).
 *
 * @example
 * ```ts
 * import { Registry } from 'prom-client';
 * import { registerMetrics } from 'tickguard/prometheus';
 *
 * const registry = new Registry();
 * const metrics = registerMetrics(scheduler, { registry });
 * // expose `await registry.metrics()` on /metrics (see `tickguard/http`), later:
 * metrics.unregister();
 * ```
 */
export function registerMetrics(scheduler: Scheduler, options?: MetricsOptions): SchedulerMetrics {
  requireScheduler(scheduler, 'registerMetrics()');
  const raw = optionsObject(options, OPTION_KEYS, 'registerMetrics()');
  const registry = (raw.registry ?? defaultRegistry) as MetricsRegistry;
  requireMethods(registry, ['registerMetric', 'getSingleMetric', 'removeSingleMetric', 'metrics'], 'registry', 'a prom-client Registry');
  const prefix = raw.prefix ?? 'tickguard_';
  if (typeof prefix !== 'string' || (prefix !== '' && !PREFIX.test(prefix))) {
    throw new InvalidOptionError('prefix', prefix, `Expected \`prefix\` to be a Prometheus name prefix (letters, digits, '_' and ':', not starting with a digit), got ${describeValue(prefix)}`);
  }
  const durationBuckets = bucketList(raw.durationBuckets, 'durationBuckets', DEFAULT_DURATION_BUCKETS);
  const latenessBuckets = bucketList(raw.latenessBuckets, 'latenessBuckets', DEFAULT_LATENESS_BUCKETS);
  const maxJobSeries = raw.maxJobSeries ?? DEFAULT_MAX_JOB_SERIES;
  if (typeof maxJobSeries !== 'number' || !(maxJobSeries === Number.POSITIVE_INFINITY || (Number.isInteger(maxJobSeries) && maxJobSeries >= 0))) {
    throw new InvalidOptionError('maxJobSeries', maxJobSeries, `Expected \`maxJobSeries\` to be an integer >= 0, or Infinity for no cap, got ${describeValue(maxJobSeries)}`);
  }

  const name = {
    runs: `${prefix}runs_total`,
    ticks: `${prefix}ticks_total`,
    duration: `${prefix}run_duration_seconds`,
    lateness: `${prefix}schedule_lateness_seconds`,
    inFlight: `${prefix}runs_in_flight`,
    stuck: `${prefix}runs_stuck`,
    jobs: `${prefix}jobs`,
    notRun: `${prefix}ticks_not_run_total`,
    aborted: `${prefix}runs_aborted_total`,
    claims: `${prefix}claims_total`,
    claimDuration: `${prefix}claim_duration_seconds`,
    renewals: `${prefix}lease_renewals_total`,
    leasesLost: `${prefix}leases_lost_total`,
    coordinatorUp: `${prefix}coordinator_up`,
    skew: `${prefix}coordinator_clock_skew_seconds`,
  };
  const names = Object.values(name);
  // Checked up front so that a refused call registers nothing.
  const taken = names.find((n) => registry.getSingleMetric(n) !== undefined);
  if (taken !== undefined) {
    throw new InvalidOptionError('prefix', prefix, `A metric named \`${taken}\` is already registered in this registry; pass another \`prefix\`, or unregister() the metrics registered earlier`);
  }

  const table = new RecordTable({
    maxJobSeries, durationBuckets, latenessBuckets,
    onOverflow: () => {
      process.emitWarning(`tickguard/prometheus: more than ${maxJobSeries} jobs seen; the later ones are counted together under job="${OVERFLOW_JOB}". Raise \`maxJobSeries\` to give them series of their own.`, { code: 'TICKGUARD_METRICS_OVERFLOW' });
    },
  });
  const gauges = gaugeReader(scheduler, table);
  const each = (reset: (record: JobRecord) => void) => (): void => {
    for (const record of table.all()) reset(record);
  };
  const metric = (spec: CollectedMetricSpec): CollectedMetric => new CollectedMetric(spec);

  // In the order the registry has always listed them. `reset` is what `registry.resetMetrics()`
  // does: counters and histograms back to zero, as prom-client's own; gauges are read live.
  const metrics = [
    metric({
      name: name.runs, help: 'Runs that ended, by outcome (a run is one tick, retries included).', type: 'counter', labelNames: ['job', 'outcome'],
      read: () => fixedSeries(table, (r) => r.runs, (r) => r.runLabels), reset: each((r) => r.runs.fill(0)),
    }),
    metric({
      name: name.ticks, help: 'Ticks by what became of them; a buffered tick is counted again when started or dropped.', type: 'counter', labelNames: ['job', 'result'],
      read: () => fixedSeries(table, (r) => r.ticks, (r) => r.tickLabels), reset: each((r) => r.ticks.fill(0)),
    }),
    metric({
      name: name.duration, help: 'Duration of runs, from the first attempt\'s start to the end, retries and backoff included.', type: 'histogram', labelNames: ['job'],
      read: histogramSeries(name.duration, durationBuckets, table, (r) => r.duration), reset: each((r) => r.duration.reset()),
    }),
    metric({
      name: name.notRun, help: 'Ticks that did not run, by result and reason (busy, paused, claimed elsewhere, claim failed…).', type: 'counter', labelNames: ['job', 'result', 'reason'],
      read: () => sparseSeries(table, (r) => r.notRun), reset: each((r) => r.notRun.series.clear()),
    }),
    metric({
      name: name.aborted, help: 'Runs whose signal was aborted, by cause (timeout, stop, lease-lost…).', type: 'counter', labelNames: ['job', 'cause'],
      read: () => sparseSeries(table, (r) => r.aborted), reset: each((r) => r.aborted.series.clear()),
    }),
    metric({
      name: name.claims, help: 'Claims answered by the coordinator (or not, in time), by result.', type: 'counter', labelNames: ['job', 'result'],
      read: () => sparseSeries(table, (r) => r.claims), reset: each((r) => r.claims.series.clear()),
    }),
    metric({
      name: name.claimDuration, help: 'From sending a claim to its verdict.', type: 'histogram', labelNames: ['job'],
      read: histogramSeries(name.claimDuration, latenessBuckets, table, (r) => r.claimDuration), reset: each((r) => (r.claimDuration = undefined)),
    }),
    metric({
      name: name.renewals, help: 'Lease renewals, by result (a failed one is retried until the lease would expire).', type: 'counter', labelNames: ['job', 'result'],
      read: () => sparseSeries(table, (r) => r.renewals), reset: each((r) => r.renewals.series.clear()),
    }),
    metric({
      name: name.leasesLost, help: 'Leases lost (the runs holding them were aborted).', type: 'counter', labelNames: ['job'],
      read: () => {
        const values: CollectedValue[] = [];
        for (const record of table.all()) if (record.leasesLost > 0) values.push({ labels: NO_LABELS, sharedLabels: record.labels, value: record.leasesLost });
        return values;
      },
      reset: each((r) => (r.leasesLost = 0)),
    }),
    // In a cluster (prom-client's AggregatorRegistry), the store is up only if every worker reaches it.
    metric({
      name: name.coordinatorUp, help: 'Whether the coordinator reached its store at the last command (1) or not (0).', type: 'gauge', labelNames: [], aggregator: 'min',
      read: () => {
        const status = gauges().summary.coordinator;
        return status === null ? [] : [{ labels: NO_LABELS, value: status.reachable ? 1 : 0 }];
      },
    }),
    metric({
      name: name.skew, help: "The coordinator's store clock minus this process's wall clock, as last measured.", type: 'gauge', labelNames: [], aggregator: 'average',
      read: () => {
        const status = gauges().summary.coordinator;
        return status === null || status.skewMs === null ? [] : [{ labels: NO_LABELS, value: status.skewMs / 1000 }];
      },
    }),
    metric({
      name: name.lateness, help: 'Start of a scheduled run minus its due time.', type: 'histogram', labelNames: ['job'],
      read: histogramSeries(name.lateness, latenessBuckets, table, (r) => r.lateness), reset: each((r) => r.lateness.reset()),
    }),
    metric({
      name: name.inFlight, help: 'Runs in flight.', type: 'gauge', labelNames: ['job'],
      read: () => gauges().jobs.map((job) => ({ labels: NO_LABELS, sharedLabels: job.labels, value: job.inFlight })),
    }),
    metric({
      name: name.stuck, help: 'Runs in flight past their stuckAfter.', type: 'gauge', labelNames: ['job'],
      read: () => gauges().jobs.map((job) => ({ labels: NO_LABELS, sharedLabels: job.labels, value: job.stuck })),
    }),
    metric({
      name: name.jobs, help: 'Jobs by state.', type: 'gauge', labelNames: ['state'],
      read: () => {
        const byState = gauges().summary.jobs;
        return JOB_STATES.map((state) => ({ labels: NO_LABELS, sharedLabels: STATE_LABELS[state], value: byState[state] }));
      },
    }),
  ];

  // Jobs already there are seen first, in the order they were added; their series start at zero
  // at once, so that rate() and alerts see them from the start.
  const adopt = (job: string): void => {
    const record = table.recordOf(job);
    const handle = scheduler.get(job);
    if (record !== table.overflow && handle !== undefined) record.handles.push(handle);
  };
  for (const job of scheduler.jobs()) adopt(job.name);

  const offs = [
    scheduler.on('job:state', (event) => {
      // A job added again under a removed one's name continues its series, with the new handle.
      if (event.from === null) adopt(event.job);
    }),
    scheduler.on('tick', (event) => {
      const record = table.recordOf(event.job);
      record.countTicks(event.result, event.count);
      const { result, reason } = event;
      if (reason !== undefined) record.notRun.add(`${result} ${reason}`, () => ({ job: record.job, result, reason }), event.count);
    }),
    scheduler.on('run:start', (event) => {
      // A retry's or a manual tick's lateness says nothing about the schedule keeping time.
      if (event.attempt !== 1 || event.manual) return;
      table.recordOf(event.job).lateness.observe(Math.max(0, event.latenessMs) / 1000);
    }),
    scheduler.on('run:end', (event) => {
      const record = table.recordOf(event.job);
      record.countRun(event.outcome);
      record.duration.observe(event.durationMs / 1000);
      const cause = event.abortCause;
      if (cause !== undefined) record.aborted.add(cause, () => ({ job: record.job, cause }), 1);
    }),
    scheduler.on('claim', (event) => {
      const record = table.recordOf(event.job);
      const { result } = event;
      record.claims.add(result, () => ({ job: record.job, result }), 1);
      (record.claimDuration ??= new HistogramCounts(latenessBuckets)).observe(event.durationMs / 1000);
    }),
    scheduler.on('lease', (event) => {
      const record = table.recordOf(event.job);
      if (event.result === 'lost') {
        record.leasesLost += 1;
        return;
      }
      const result = event.result === 'renewed' ? 'renewed' : 'failed';
      record.renewals.add(result, () => ({ job: record.job, result }), 1);
    }),
  ];

  for (const metric of metrics) metric.registerIn(registry);
  const ours: readonly unknown[] = metrics;
  let registered = true;
  const unregister = (): void => {
    if (!registered) return;
    registered = false;
    for (const off of offs) off();
    for (const metric of names) {
      // Someone may have cleared the registry and registered the name again: remove only what is ours.
      if (ours.includes(registry.getSingleMetric(metric))) registry.removeSingleMetric(metric);
    }
  };
  return { registry, names, unregister, [Symbol.dispose]: unregister };
}

const NO_LABELS: Labels = {};

const STATE_LABELS: Readonly<Record<JobState, Labels>> = { active: { state: 'active' }, paused: { state: 'paused' }, done: { state: 'done' }, removed: { state: 'removed' } };

/** A counter with one series per record and value: `runs_total` by outcome, `ticks_total` by result. */
function fixedSeries(table: RecordTable, counts: (record: JobRecord) => Float64Array, labels: (record: JobRecord) => readonly Labels[]): CollectedValue[] {
  const values: CollectedValue[] = [];
  for (const record of table.all()) {
    const own = counts(record);
    const ownLabels = labels(record);
    for (let index = 0; index < own.length; index++) values.push({ labels: NO_LABELS, sharedLabels: ownLabels[index]!, value: own[index]! });
  }
  return values;
}

/** A counter whose series appear on their first count. */
function sparseSeries(table: RecordTable, counter: (record: JobRecord) => SparseCounter): CollectedValue[] {
  const values: CollectedValue[] = [];
  for (const record of table.all()) {
    for (const series of counter(record).series.values()) values.push({ labels: NO_LABELS, sharedLabels: series.labels, value: series.value });
  }
  return values;
}

/** A histogram's lines as prom-client's own histogram lists them: cumulative buckets, `+Inf`, sum, count. */
function histogramSeries(metric: string, bounds: readonly number[], table: RecordTable, counts: (record: JobRecord) => HistogramCounts | undefined): () => CollectedValue[] {
  const bucketName = `${metric}_bucket`;
  const sumName = `${metric}_sum`;
  const countName = `${metric}_count`;
  return () => {
    const values: CollectedValue[] = [];
    for (const record of table.all()) {
      const own = counts(record);
      if (own === undefined) continue;
      const { labels } = record;
      // `le` first, as prom-client's own histograms write it; made at the first scrape, then kept.
      const bucketLabels = (own.bucketLabels ??= [...bounds.map((le) => ({ le, ...labels })), { le: '+Inf', ...labels }]);
      let cumulative = 0;
      for (let index = 0; index < bounds.length; index++) {
        cumulative += own.buckets[index]!;
        values.push({ labels: NO_LABELS, sharedLabels: bucketLabels[index]!, value: cumulative, metricName: bucketName });
      }
      values.push(
        { labels: NO_LABELS, sharedLabels: bucketLabels[bounds.length]!, value: own.count, metricName: bucketName },
        { labels: NO_LABELS, sharedLabels: labels, value: own.sum, metricName: sumName },
        { labels: NO_LABELS, sharedLabels: labels, value: own.count, metricName: countName },
      );
    }
    return values;
  };
}

/** The gauges of one scrape. */
interface GaugeReading {
  readonly summary: SchedulerSummary;
  readonly jobs: readonly { readonly labels: Labels; readonly inFlight: number; readonly stuck: number }[];
}

/**
 * The gauges' figures, read once per scrape however many gauges ask: prom-client collects every
 * metric of a scrape in the same turn, so the reading is dropped at the next microtask.
 */
function gaugeReader(scheduler: Scheduler, table: RecordTable): () => GaugeReading {
  let reading: GaugeReading | undefined;
  return () => {
    if (reading !== undefined) return reading;
    const summary = scheduler.summary();
    const jobs: { labels: Labels; inFlight: number; stuck: number }[] = [];
    let listedInFlight = 0;
    let listedStuck = 0;
    for (const record of table.own()) {
      const handles = record.handles;
      let inFlight = 0;
      let stuck = 0;
      for (let index = handles.length - 1; index >= 0; index--) {
        const handle = handles[index]!;
        // With no run in flight anywhere, no job need be asked.
        const figures = summary.inFlight === 0 ? IDLE : handle.inspect();
        if (handle.state === 'removed' && figures.inFlight === 0) {
          // Removed and settled: nothing left to report, and the handle is let go.
          handles.splice(index, 1);
          continue;
        }
        inFlight += figures.inFlight;
        stuck += figures.stuck;
      }
      // No handle left (removed, settled, not added again): its gauges go, its counters stay.
      if (handles.length === 0) continue;
      jobs.push({ labels: record.labels, inFlight, stuck });
      listedInFlight += inFlight;
      listedStuck += stuck;
    }
    const overflow = table.overflow;
    if (overflow !== undefined) {
      jobs.push({ labels: overflow.labels, inFlight: Math.max(0, summary.inFlight - listedInFlight), stuck: Math.max(0, summary.stuck - listedStuck) });
    }
    reading = { summary, jobs };
    queueMicrotask(() => {
      reading = undefined;
    });
    return reading;
  };
}

const IDLE = { inFlight: 0, stuck: 0 } as const;
