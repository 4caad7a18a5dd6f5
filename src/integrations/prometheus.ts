/**
 * Prometheus metrics of a scheduler (`tickguard/prometheus`), through prom-client, an optional
 * peer dependency.
 *
 * Counters and histograms follow the scheduler's events as they are emitted, so they count
 * exactly what happened: one `runs_total` increment per `run:end`, one `ticks_total` increment
 * per tick (a `missed` event counts for `count` ticks). Gauges are not kept up to date by
 * events; they are read from `scheduler.stats()` — once per scrape, however many gauges ask —
 * when the registry is collected, so a gauge can never drift from what the scheduler itself
 * reports, and a scrape builds no full snapshots.
 *
 * Only what happens after `registerMetrics()` is counted: register before adding jobs.
 */
import { Counter, Gauge, Histogram, register as defaultRegistry } from 'prom-client';
import type { OpenMetricsContentType, PrometheusContentType, Registry } from 'prom-client';
import type { Scheduler, SchedulerStats } from '../scheduler.js';
import type { RunOutcome, TickResult } from '../events.js';
import type { JobState } from '../snapshot.js';
import { InvalidOptionError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import { bucketList, optionsObject, requireMethods, requireScheduler } from './validate.js';

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

const OUTCOMES: readonly RunOutcome[] = ['success', 'error', 'timeout', 'aborted'];
const TICK_RESULTS: readonly TickResult[] = ['started', 'skipped', 'buffered', 'dropped', 'missed'];
const JOB_STATES: readonly JobState[] = ['active', 'paused', 'done', 'removed'];
const OPTION_KEYS = ['registry', 'prefix', 'durationBuckets', 'latenessBuckets'] as const;
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
  const registers = [registry];
  // prom-client collects every gauge of a scrape in the same turn: one stats() serves them all.
  let scrape: SchedulerStats | undefined;
  const stats = (): SchedulerStats => {
    if (scrape === undefined) {
      scrape = scheduler.stats();
      queueMicrotask(() => {
        scrape = undefined;
      });
    }
    return scrape;
  };

  const runs = new Counter({ name: name.runs, help: 'Runs that ended, by outcome (a run is one tick, retries included).', labelNames: ['job', 'outcome'] as const, registers });
  const ticks = new Counter({ name: name.ticks, help: 'Ticks by what became of them; a buffered tick is counted again when started or dropped.', labelNames: ['job', 'result'] as const, registers });
  const duration = new Histogram({ name: name.duration, help: 'Duration of runs, from the first attempt\'s start to the end, retries and backoff included.', labelNames: ['job'] as const, buckets: durationBuckets, registers });
  const notRun = new Counter({ name: name.notRun, help: 'Ticks that did not run, by result and reason (busy, paused, claimed elsewhere, claim failed…).', labelNames: ['job', 'result', 'reason'] as const, registers });
  const aborted = new Counter({ name: name.aborted, help: 'Runs whose signal was aborted, by cause (timeout, stop, lease-lost…).', labelNames: ['job', 'cause'] as const, registers });
  const claims = new Counter({ name: name.claims, help: 'Claims answered by the coordinator (or not, in time), by result.', labelNames: ['job', 'result'] as const, registers });
  const claimDuration = new Histogram({ name: name.claimDuration, help: 'From sending a claim to its verdict.', labelNames: ['job'] as const, buckets: latenessBuckets, registers });
  const renewals = new Counter({ name: name.renewals, help: 'Lease renewals, by result (a failed one is retried until the lease would expire).', labelNames: ['job', 'result'] as const, registers });
  const leasesLost = new Counter({ name: name.leasesLost, help: 'Leases lost (the runs holding them were aborted).', labelNames: ['job'] as const, registers });
  const coordinatorUp = new Gauge({
    name: name.coordinatorUp, help: 'Whether the coordinator reached its store at the last command (1) or not (0).', registers,
    collect: () => {
      coordinatorUp.reset();
      const status = stats().coordinator;
      if (status !== null) coordinatorUp.set(status.reachable ? 1 : 0);
    },
  });
  const skew = new Gauge({
    name: name.skew, help: "The coordinator's store clock minus this process's wall clock, as last measured.", registers,
    collect: () => {
      skew.reset();
      const status = stats().coordinator;
      if (status !== null && status.skewMs !== null) skew.set(status.skewMs / 1000);
    },
  });
  const lateness = new Histogram({ name: name.lateness, help: 'Start of a scheduled run minus its due time.', labelNames: ['job'] as const, buckets: latenessBuckets, registers });
  const inFlight = new Gauge({
    name: name.inFlight, help: 'Runs in flight.', labelNames: ['job'] as const, registers,
    collect: () => {
      inFlight.reset();
      for (const job of stats().jobs) inFlight.set({ job: job.name }, job.inFlight);
    },
  });
  const stuck = new Gauge({
    name: name.stuck, help: 'Runs in flight past their stuckAfter.', labelNames: ['job'] as const, registers,
    collect: () => {
      stuck.reset();
      for (const job of stats().jobs) stuck.set({ job: job.name }, job.stuck);
    },
  });
  const jobs = new Gauge({
    name: name.jobs, help: 'Jobs by state.', labelNames: ['state'] as const, registers,
    collect: () => {
      const count = new Map<JobState, number>(JOB_STATES.map((state) => [state, 0]));
      for (const job of stats().jobs) count.set(job.state, (count.get(job.state) ?? 0) + 1);
      for (const [state, n] of count) jobs.set({ state }, n);
    },
  });

  // Series start at zero as soon as a job is known, so that rate() and alerts see them from the start.
  const known = new Set<string>();
  const initJob = (job: string): void => {
    if (known.has(job)) return;
    known.add(job);
    for (const outcome of OUTCOMES) runs.inc({ job, outcome }, 0);
    for (const result of TICK_RESULTS) ticks.inc({ job, result }, 0);
    duration.zero({ job });
    lateness.zero({ job });
  };
  for (const job of scheduler.stats().jobs) initJob(job.name);

  const offs = [
    scheduler.on('job:state', (event) => {
      if (event.from === null) initJob(event.job);
    }),
    scheduler.on('tick', (event) => {
      initJob(event.job);
      ticks.inc({ job: event.job, result: event.result }, event.count);
      if (event.reason !== undefined) notRun.inc({ job: event.job, result: event.result, reason: event.reason }, event.count);
    }),
    scheduler.on('run:start', (event) => {
      // A retry's or a manual tick's lateness says nothing about the schedule keeping time.
      if (event.attempt !== 1 || event.manual) return;
      lateness.observe({ job: event.job }, Math.max(0, event.latenessMs) / 1000);
    }),
    scheduler.on('run:end', (event) => {
      initJob(event.job);
      runs.inc({ job: event.job, outcome: event.outcome });
      duration.observe({ job: event.job }, event.durationMs / 1000);
      if (event.abortCause !== undefined) aborted.inc({ job: event.job, cause: event.abortCause });
    }),
    scheduler.on('claim', (event) => {
      claims.inc({ job: event.job, result: event.result });
      claimDuration.observe({ job: event.job }, event.durationMs / 1000);
    }),
    scheduler.on('lease', (event) => {
      if (event.result === 'lost') leasesLost.inc({ job: event.job });
      else renewals.inc({ job: event.job, result: event.result === 'renewed' ? 'renewed' : 'failed' });
    }),
  ];

  const ours: readonly unknown[] = [runs, ticks, duration, lateness, inFlight, stuck, jobs, notRun, aborted, claims, claimDuration, renewals, leasesLost, coordinatorUp, skew];
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
