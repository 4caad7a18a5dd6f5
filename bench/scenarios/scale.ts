import type { ScaleCase } from '../types.js';
import type { ScenarioContext, ScenarioOutcome } from './context.js';
import { measurePeriodic } from './periodic.js';

/**
 * Scale: N jobs every second with a no-op task. What it costs to hold many jobs: setup time,
 * heap and timer handles per job, and CPU and lateness while they run.
 */
export function runScale(spec: ScaleCase, context: ScenarioContext): Promise<ScenarioOutcome> {
  return measurePeriodic(
    // The first ticks are due one period after add: the warm-up lets them start.
    { jobs: spec.jobs, periodMs: spec.periodMs, task: 'sync', warmupMs: spec.periodMs, windowMs: spec.windowMs, setupLimitMs: spec.setupLimitMs },
    context,
  );
}
