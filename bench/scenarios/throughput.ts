import type { ThroughputCase } from '../types.js';
import type { ScenarioContext, ScenarioOutcome } from './context.js';
import { measurePeriodic } from './periodic.js';

/** Throughput: many runs per second of sync or async no-op tasks; runs sustained, CPU per run, lateness. */
export function runThroughput(spec: ThroughputCase, context: ScenarioContext): Promise<ScenarioOutcome> {
  return measurePeriodic(
    { jobs: spec.jobs, periodMs: spec.periodMs, task: spec.task, warmupMs: spec.warmupMs, windowMs: spec.windowMs, setupLimitMs: spec.setupLimitMs },
    context,
  );
}
