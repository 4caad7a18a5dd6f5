/**
 * The measurement shared by the scale and throughput scenarios: register `jobs` periodic jobs,
 * let them warm up, then measure a window of steady running.
 *
 *   heap baseline ─ add N jobs (timed) ─ gc, heap, handles ─ warm-up ─ window ─ gc, heap ─ stop
 *                                                                      │
 *                          CPU (process.cpuUsage), runs and lateness (LatenessProbe),
 *                          event-loop delay (monitorEventLoopDelay) and GC pauses
 *                          (PerformanceObserver 'gc') are taken over the window only
 *
 * CPU is the whole process's (user + system, `process.cpuUsage()`): the engine, its GC, the
 * timers, idle wake-ups and the probe, the way an operator's dashboard sees it. The probe's
 * own share is kept small (one `Date.now()` and a histogram bump per run) so that it does not
 * drown the differences between engines.
 */
import { monitorEventLoopDelay, PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { LatenessProbe } from '../lib/lateness.js';
import { cpuSince, heapAfterGc, nearHeapLimit, sleepFor, timeoutHandles } from '../lib/measure.js';
import type { BenchTask } from '../systems/adapter.js';
import type { Metric, ThroughputCase } from '../types.js';
import { count, ok, outOfMemory, timedOut, type ScenarioContext, type ScenarioOutcome } from './context.js';

/** What a periodic measurement needs: a throughput case's load and windows (scale cases reuse them). */
export type PeriodicParams = Pick<ThroughputCase, 'jobs' | 'periodMs' | 'task' | 'warmupMs' | 'windowMs' | 'setupLimitMs'>;

const CHECK_EVERY = 1024;

/** GC pauses seen while a window is open: count, total, longest, and how many were full (mark-sweep) collections. */
class GcWatch {
  count = 0;
  totalMs = 0;
  maxMs = 0;
  major = 0;
  #open = false;
  readonly #observer = new PerformanceObserver((list) => {
    if (!this.#open) return;
    for (const entry of list.getEntries()) {
      this.count += 1;
      this.totalMs += entry.duration;
      if (entry.duration > this.maxMs) this.maxMs = entry.duration;
      const kind = (entry as unknown as { readonly detail?: { readonly kind?: number } }).detail?.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) this.major += 1;
    }
  });

  constructor() {
    this.#observer.observe({ entryTypes: ['gc'] });
  }

  open(): void {
    this.#open = true;
  }

  /** Closes the window; entries are delivered asynchronously, so wait a turn for the last ones first. */
  async close(): Promise<void> {
    await sleepFor(0);
    this.#open = false;
    this.#observer.disconnect();
  }
}

export async function measurePeriodic(params: PeriodicParams, context: ScenarioContext): Promise<ScenarioOutcome> {
  const { jobs, periodMs, warmupMs, windowMs, setupLimitMs } = params;
  const probe = new LatenessProbe();
  const task: BenchTask =
    params.task === 'sync'
      ? (due) => {
          probe.record(due);
        }
      : async (due) => {
          probe.record(due);
        };

  await context.warmUp();
  const heapBase = heapAfterGc();
  const handlesBase = timeoutHandles();
  const driver = context.makeDriver();

  const setupStart = performance.now();
  for (let index = 0; index < jobs; index++) {
    driver.add(index, periodMs, task);
    if (index % CHECK_EVERY === CHECK_EVERY - 1) {
      if (performance.now() - setupStart > setupLimitMs) return timedOut(`registered ${count(index + 1)} of ${count(jobs)} jobs in ${setupLimitMs / 1000} s`);
      const usedMb = nearHeapLimit();
      if (usedMb !== undefined) return outOfMemory(`heap at ${usedMb} MB (90 % of the cap) after ${count(index + 1)} of ${count(jobs)} jobs`);
    }
  }
  const setupMs = performance.now() - setupStart;
  context.progress(`registered ${count(jobs)} jobs in ${setupMs.toFixed(0)} ms`);

  const heapAfterSetup = heapAfterGc() - heapBase;
  const handlesAfterSetup = timeoutHandles() - handlesBase;

  await sleepFor(warmupMs);
  const runsBeforeWindow = probe.total;
  const stopProfile = await context.profileWindow();
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  const gc = new GcWatch();
  gc.open();
  const cpuStart = process.cpuUsage();
  const windowStart = performance.now();
  probe.start();
  await sleepFor(windowMs);
  probe.stop();
  const cpuUs = cpuSince(cpuStart);
  const elapsedMs = performance.now() - windowStart;
  await gc.close();
  eld.disable();
  await stopProfile();
  const handlesInWindow = timeoutHandles() - handlesBase;
  context.progress(`window done: ${probe.runs} runs`);

  const heapSteady = heapAfterGc() - heapBase;
  const lateness = probe.summary(elapsedMs);
  await driver.stop();

  const noRuns = (what: string): Metric => ({ na: `no runs in the window (${what})` });
  const runs = lateness.runs;
  const metrics: Record<string, Metric> = {
    setupMs,
    heapPerJobB: heapSteady / jobs,
    heapPerJobAfterAddB: heapAfterSetup / jobs,
    timerHandles: Math.max(handlesAfterSetup, handlesInWindow),
    runs,
    runsBeforeWindow,
    runsPerSec: (runs * 1000) / elapsedMs,
    expectedRunsPerSec: (jobs * 1000) / periodMs,
    cpuPerRunUs: runs === 0 ? noRuns('CPU/run') : cpuUs / runs,
    cpuPercent: (cpuUs / 1000 / elapsedMs) * 100,
    cpuWindowMs: cpuUs / 1000,
    gcPauses: gc.count,
    gcMs: gc.totalMs,
    gcMaxMs: gc.maxMs,
    gcMajor: gc.major,
    latenessP50Ms: runs === 0 ? noRuns('lateness') : lateness.p50,
    latenessP99Ms: runs === 0 ? noRuns('lateness') : lateness.p99,
    latenessMaxMs: runs === 0 ? noRuns('lateness') : lateness.max,
    driftMs: runs === 0 ? noRuns('drift') : lateness.drift,
    earlyRuns: lateness.early,
    eldP99Ms: eld.count === 0 ? { na: 'no samples: the event loop never got to the monitor' } : eld.percentile(99) / 1e6,
    windowMs: elapsedMs,
  };
  return ok(metrics);
}
