/**
 * The metrics each scenario reports, in table order, and the check that a result file is
 * well formed: every planned row present, every metric of a measured row a finite number or
 * an explicit `{ na: reason }`. The smoke test and the report share it.
 */
import { SCENARIOS, SYSTEMS, type CaseResult, type CaseStatus, type Metric, type RunFile, type ScenarioName } from './types.js';

export interface MetricDef {
  readonly key: string;
  /** Column header. */
  readonly label: string;
  /** Digits after the decimal point in tables. */
  readonly digits: number;
}

const m = (key: string, label: string, digits = 0): MetricDef => ({ key, label, digits });

export const SCENARIO_METRICS: Readonly<Record<ScenarioName, readonly MetricDef[]>> = {
  scale: [
    m('setupMs', 'setup ms', 1),
    m('heapPerJobB', 'heap/job B'),
    m('timerHandles', 'Timeout handles'),
    m('runsPerSec', 'runs/s'),
    m('cpuWindowMs', 'CPU in window ms'),
    m('cpuPerRunUs', 'CPU/run µs', 2),
    m('latenessP50Ms', 'late p50 ms', 2),
    m('latenessP99Ms', 'late p99 ms', 2),
    m('latenessMaxMs', 'late max ms', 1),
    m('driftMs', 'drift ms', 1),
    m('eldP99Ms', 'ELD p99 ms', 1),
    m('gcMaxMs', 'GC max ms', 1),
    m('gcMs', 'GC ms', 1),
    m('gcMajor', 'full GCs'),
  ],
  throughput: [
    m('runsPerSec', 'runs/s'),
    m('expectedRunsPerSec', 'target runs/s'),
    m('cpuPerRunUs', 'CPU/run µs', 2),
    m('cpuPercent', 'CPU %'),
    m('latenessP50Ms', 'late p50 ms', 2),
    m('latenessP99Ms', 'late p99 ms', 2),
    m('latenessMaxMs', 'late max ms', 1),
    m('driftMs', 'drift ms', 1),
    m('eldP99Ms', 'ELD p99 ms', 1),
    m('gcMaxMs', 'GC max ms', 1),
    m('gcMs', 'GC ms', 1),
    m('gcMajor', 'full GCs'),
    m('timerHandles', 'Timeout handles'),
  ],
  churn: [
    m('addOpsPerSec', 'add ops/s'),
    m('updateOpsPerSec', 'update ops/s'),
    m('removeOpsPerSec', 'remove ops/s'),
    m('heapPerJobB', 'heap/job B'),
    m('heapAfterRemoveKB', 'heap left after remove KB'),
    m('handlesAfterRemove', 'handles left'),
  ],
  avalanche: [
    m('peakInFlight', 'peak in-flight'),
    m('peakInFlightPerJob', 'peak in-flight/job'),
    m('peakBuffered', 'peak buffered'),
    m('completedPerSec', 'completed/s', 1),
    m('notRun', 'ticks not run'),
    m('aborted', 'aborted'),
    m('staleP99Ms', 'staleness p99 ms'),
    m('heapGrowthKB', 'heap growth KB'),
    m('peakHandles', 'peak scheduler Timeouts'),
  ],
};

const STATUSES: readonly CaseStatus[] = ['ok', 'n/a', 'timeout', 'oom', 'error'];

function isMetric(value: unknown): value is Metric {
  if (typeof value === 'number') return Number.isFinite(value);
  return typeof value === 'object' && value !== null && typeof (value as { na?: unknown }).na === 'string';
}

/**
 * Problems of a result file, empty when it is well formed. `expectedIds` are the rows the plan
 * promised (each must be there once); every row must carry either all its scenario's metrics
 * or a non-`ok` status with a reason, and a baseline row the run's baseline.
 */
export function validateRunFile(file: RunFile, expectedIds: readonly string[]): string[] {
  const problems: string[] = [];
  if (file.schema !== 1) problems.push(`schema is ${String(file.schema)}, expected 1`);
  const seen = new Map<string, number>();
  for (const row of file.results) seen.set(row.id, (seen.get(row.id) ?? 0) + 1);
  for (const id of expectedIds) {
    const count = seen.get(id) ?? 0;
    if (count !== 1) problems.push(`row ${id} appears ${count} times, expected once`);
  }
  for (const row of file.results) {
    problems.push(...validateRow(row));
    if (row.baseline !== undefined && row.baseline !== file.baseline?.name) {
      problems.push(`row ${row.id}: baseline ${row.baseline} is not the run's (${file.baseline?.name ?? 'none'})`);
    }
  }
  return problems;
}

function validateRow(row: CaseResult): string[] {
  const problems: string[] = [];
  const where = `row ${row.id}`;
  if (!SCENARIOS.includes(row.scenario)) problems.push(`${where}: unknown scenario ${String(row.scenario)}`);
  if (!SYSTEMS.includes(row.system)) problems.push(`${where}: unknown system ${String(row.system)}`);
  if (!STATUSES.includes(row.status)) problems.push(`${where}: unknown status ${String(row.status)}`);
  if (row.baseline !== undefined && row.system !== 'tickguard') problems.push(`${where}: only tickguard rows have a baseline`);
  if (row.status !== 'ok') {
    if (typeof row.reason !== 'string' || row.reason === '') problems.push(`${where}: status ${row.status} without a reason`);
    return problems;
  }
  for (const def of SCENARIO_METRICS[row.scenario] ?? []) {
    const value = row.metrics[def.key];
    if (!isMetric(value)) problems.push(`${where}: metric ${def.key} is ${JSON.stringify(value)}, expected a finite number or { na }`);
  }
  return problems;
}
