/**
 * The context of the findings, sampled over time: event-loop delay (p50/p99 of
 * `perf_hooks.monitorEventLoopDelay`, the excess over its resolution), active resources by
 * type, heap, and how many timers the app has armed.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** One sample of the process. */
export interface ContextSample {
  /** Milliseconds since the doctor started. */
  readonly t: number;
  readonly eventLoopDelayP50Ms: number;
  readonly eventLoopDelayP99Ms: number;
  readonly heapUsedBytes: number;
  /** `process.getActiveResourcesInfo()` by type, e.g. `{ Timeout: 3, TCPWrap: 1 }`. */
  readonly handlesByType: Readonly<Record<string, number>>;
  /** Timers the app created that are armed now (the doctor's own are not counted). */
  readonly armedTimers: number;
}

/** Resolution of the histograms; the excess over it is what is reported. */
const RESOLUTION_MS = 10;
/** Most samples kept; the older half is thinned when full. */
const MAX_SAMPLES = 360;

/** Samples the process; the caller drives it with its own (unref'd) timer. */
export class ContextSampler {
  readonly #window: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  readonly #whole: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  readonly #samples: ContextSample[] = [];

  start(): void {
    this.#window.enable();
    this.#whole.enable();
  }

  stop(): void {
    this.#window.disable();
    this.#whole.disable();
  }

  get samples(): readonly ContextSample[] {
    return this.#samples;
  }

  /** Takes a sample and keeps it. */
  sample(t: number, armedTimers: number): ContextSample {
    const sample = this.current(t, armedTimers, this.#window);
    this.#window.reset();
    if (this.#samples.length >= MAX_SAMPLES) {
      const thinned = this.#samples.filter((_, i) => i === 0 || i % 2 === 1);
      this.#samples.length = 0;
      this.#samples.push(...thinned);
    }
    this.#samples.push(sample);
    return sample;
  }

  /** The process now, with the event-loop delay over the whole run (or `histogram`). */
  current(t: number, armedTimers: number, histogram: IntervalHistogram = this.#whole): ContextSample {
    return {
      t: Math.round(t),
      eventLoopDelayP50Ms: delayMs(histogram, 50),
      eventLoopDelayP99Ms: delayMs(histogram, 99),
      heapUsedBytes: process.memoryUsage().heapUsed,
      handlesByType: countByType(process.getActiveResourcesInfo()),
      armedTimers,
    };
  }
}

function delayMs(histogram: IntervalHistogram, percentile: number): number {
  if (histogram.count === 0) return 0;
  const ms = histogram.percentile(percentile) / 1e6 - RESOLUTION_MS;
  return Math.max(0, Math.round(ms * 10) / 10);
}

function countByType(resources: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of resources) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}
