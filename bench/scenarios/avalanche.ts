/**
 * Avalanche: every job calls a slow downstream that serves one call at a time and needs 1.5×
 * the job's interval per call. Ticks arrive faster than they can be served; what piles up
 * depends on the overlap policy. Raw setInterval has none, so its backlog grows for ever.
 *
 * Measured over the whole duration: the backlog at the downstream (peak in-flight), tickguard's
 * buffered ticks, ticks that never ran, runs aborted, how stale a result is when it arrives
 * (completion minus the tick's due time), heap growth and timer handles.
 */
import { LatenessProbe, now } from '../lib/lateness.js';
import { Downstream, type DownstreamStats } from '../lib/downstream.js';
import { heapAfterGc, sleepFor, timeoutHandles } from '../lib/measure.js';
import { loadTickguard, type TickguardModule } from '../systems/tickguard.js';
import type { AvalancheCase, Metric } from '../types.js';
import { ok, type ScenarioOutcome } from './context.js';

const SAMPLE_MS = 100;

interface Subject {
  /** Ticks that did not become runs: skipped, dropped, missed. */
  notRun(): number;
  /** Ticks waiting in buffers. */
  buffered(): number;
  stop(): Promise<void>;
}

interface Setup {
  readonly stats: DownstreamStats;
  readonly downstreams: readonly Downstream[];
  readonly subject: Subject;
}

const newStats = (): DownstreamStats => ({ inFlight: 0, serving: 0, peakInFlight: 0, completed: 0, aborted: 0 });

/** Starts `jobs` jobs of the case's system and policy against their downstreams. */
function start(spec: AvalancheCase, tickguard: TickguardModule | undefined, staleness: LatenessProbe, scale: { jobs: number; intervalMs: number; serviceMs: number }): Setup {
  const stats = newStats();
  const downstreams = Array.from({ length: scale.jobs }, () => new Downstream(scale.serviceMs, stats));
  if (tickguard === undefined) {
    const timers = downstreams.map((downstream) => {
      let next = now() + scale.intervalMs;
      return setInterval(() => {
        const due = next;
        next += scale.intervalMs;
        downstream.call().then(() => staleness.record(due), () => {});
      }, scale.intervalMs);
    });
    const subject: Subject = {
      notRun: () => 0,
      buffered: () => 0,
      stop: () => {
        for (const timer of timers) clearInterval(timer);
        return Promise.resolve();
      },
    };
    return { stats, downstreams, subject };
  }
  const scheduler = tickguard.createScheduler();
  const jobs = downstreams.map((downstream, index) =>
    scheduler.add({
      name: `job-${index}`,
      ...(spec.policy === 'fixedDelay' ? { fixedDelay: scale.intervalMs } : { fixedRate: scale.intervalMs }),
      ...(spec.policy === 'fixedDelay' || spec.policy === 'none' ? {} : { overlap: spec.policy }),
      run: async ({ signal, scheduledAt }) => {
        await downstream.call(signal);
        staleness.record(scheduledAt.getTime());
      },
    }),
  );
  const sum = (pick: (snapshot: ReturnType<(typeof jobs)[number]['inspect']>) => number): number =>
    jobs.reduce((total, job) => total + pick(job.inspect()), 0);
  const subject: Subject = {
    notRun: () => sum(({ counters }) => counters.skipped + counters.dropped + counters.missed),
    buffered: () => sum((snapshot) => snapshot.buffered),
    stop: async () => {
      await scheduler.stop({ timeout: 1_000, abort: true });
    },
  };
  return { stats, downstreams, subject };
}

export async function runAvalanche(spec: AvalancheCase): Promise<ScenarioOutcome> {
  const staleness = new LatenessProbe();
  const tickguard = spec.system === 'tickguard' ? await loadTickguard({ tickguardEntry: spec.tickguardEntry }) : undefined;

  // A small, fast copy first, so first-use compilation lands in the baseline.
  const warm = start(spec, tickguard, staleness, { jobs: 4, intervalMs: 5, serviceMs: 7.5 });
  await sleepFor(100);
  await warm.subject.stop();
  await sleepFor(20);

  const heapBase = heapAfterGc();
  const handlesBase = timeoutHandles();
  staleness.start();
  const startedAt = now();
  const { stats, downstreams, subject } = start(spec, tickguard, staleness, spec);

  let peakBuffered = 0;
  let peakHandles = 0;
  const sampler = setInterval(() => {
    peakBuffered = Math.max(peakBuffered, subject.buffered());
    // Not the subject's: this sampler's interval, the harness's sleep, the downstreams' service timers.
    peakHandles = Math.max(peakHandles, timeoutHandles() - handlesBase - 2 - stats.serving);
  }, SAMPLE_MS);
  await sleepFor(spec.durationMs);
  clearInterval(sampler);
  const elapsedMs = now() - startedAt;
  staleness.stop();

  const heapGrowth = heapAfterGc() - heapBase;
  const notRun = subject.notRun();
  // Read before stop(), which aborts the runs still in flight.
  const { completed, aborted, inFlight, peakInFlight } = stats;
  const peakPerJob = downstreams.reduce((peak, downstream) => Math.max(peak, downstream.peak), 0);
  await subject.stop();

  const stale = staleness.summary(elapsedMs);
  const metrics: Record<string, Metric> = {
    peakInFlight,
    peakInFlightPerJob: peakPerJob,
    peakBuffered: tickguard === undefined ? { na: 'no buffer: every tick calls the downstream' } : peakBuffered,
    completedPerSec: (completed * 1000) / elapsedMs,
    notRun,
    aborted,
    staleP99Ms: stale.runs === 0 ? { na: 'no run completed' } : stale.p99,
    heapGrowthKB: heapGrowth / 1024,
    peakHandles,
    inFlightAtEnd: inFlight,
  };
  return ok(metrics);
}
