/**
 * The issue's goals, checked against one run. They are ratios and thresholds taken within the
 * run, so a slower machine moves both sides of a comparison together. They judge the current
 * source: `--baseline` rows are left out.
 */
import type { CaseResult, RunFile, SystemName } from './types.js';

export type Verdict = 'met (aim too)' | 'met' | 'missed' | 'not measured';

export interface GoalCheck {
  readonly goal: string;
  readonly measured: string;
  readonly verdict: Verdict;
}

const PEERS: readonly SystemName[] = ['croner', 'cron', 'node-cron', 'toad-scheduler'];

type Where = (result: CaseResult) => boolean;

function find(file: RunFile, system: SystemName, where: Where): CaseResult | undefined {
  return file.results.find((result) => result.system === system && result.baseline === undefined && where(result));
}

function metric(result: CaseResult | undefined, key: string): number | undefined {
  if (result === undefined || result.status !== 'ok') return undefined;
  const value = result.metrics[key];
  return typeof value === 'number' ? value : undefined;
}

const scaleAt = (jobs: number): Where => (r) => r.spec?.scenario === 'scale' && r.spec.jobs === jobs;
const throughputAt = (jobs: number, periodMs: number, task: 'sync' | 'async'): Where => (r) =>
  r.spec?.scenario === 'throughput' && r.spec.jobs === jobs && r.spec.periodMs === periodMs && r.spec.task === task;

const fmt = (value: number, digits = 2): string => value.toFixed(digits);

function verdict(value: number | undefined, limit: number, aim?: number): Verdict {
  if (value === undefined) return 'not measured';
  if (aim !== undefined && value <= aim) return 'met (aim too)';
  return value <= limit ? 'met' : 'missed';
}

export function checkGoals(file: RunFile): GoalCheck[] {
  const checks: GoalCheck[] = [];

  for (const task of ['sync', 'async'] as const) {
    const where = throughputAt(10_000, 100, task);
    const ours = metric(find(file, 'tickguard', where), 'cpuPerRunUs');
    const raw = metric(find(file, 'setInterval', where), 'cpuPerRunUs');
    const ratio = ours === undefined || raw === undefined ? undefined : ours / raw;
    checks.push({
      goal: `CPU/run ≤ 1.5× raw setInterval at 10k jobs × 10 Hz, ${task} task (aim ≤ 1.2×)`,
      measured: ratio === undefined ? '—' : `${fmt(ratio)}× (${fmt(ours!)} µs vs ${fmt(raw!)} µs)`,
      verdict: verdict(ratio, 1.5, 1.2),
    });
  }

  for (const jobs of [1_000, 10_000, 100_000]) {
    const ours = metric(find(file, 'tickguard', scaleAt(jobs)), 'cpuPerRunUs');
    const toad = metric(find(file, 'toad-scheduler', scaleAt(jobs)), 'cpuPerRunUs');
    checks.push({
      goal: `CPU/run below toad-scheduler's at ${jobs / 1000}k jobs × 1 Hz`,
      measured: ours === undefined || toad === undefined ? '—' : `${fmt(ours)} vs ${fmt(toad)} µs`,
      verdict: ours === undefined || toad === undefined ? 'not measured' : ours < toad ? 'met' : 'missed',
    });
  }

  {
    const p99 = metric(find(file, 'tickguard', throughputAt(10_000, 100, 'sync')), 'latenessP99Ms');
    checks.push({ goal: 'lateness p99 ≤ 2 ms at 10k jobs × 10 Hz (sync)', measured: p99 === undefined ? '—' : `${fmt(p99)} ms`, verdict: verdict(p99, 2) });
    const ours = metric(find(file, 'tickguard', scaleAt(100_000)), 'latenessP99Ms');
    const toad = metric(find(file, 'toad-scheduler', scaleAt(100_000)), 'latenessP99Ms');
    checks.push({
      goal: "lateness p99 at 100k jobs × 1 Hz no worse than toad-scheduler's",
      measured: ours === undefined || toad === undefined ? '—' : `${fmt(ours)} vs ${fmt(toad)} ms`,
      verdict: ours === undefined || toad === undefined ? 'not measured' : ours <= toad ? 'met' : 'missed',
    });
  }

  const steady = file.results.filter((r) => r.system === 'tickguard' && r.baseline === undefined && (r.scenario === 'scale' || r.scenario === 'throughput') && r.status === 'ok');
  const pauses = steady.map((r) => metric(r, 'gcMaxMs')).filter((v): v is number => v !== undefined);
  const worst = pauses.length === 0 ? undefined : Math.max(...pauses);
  checks.push({ goal: 'no GC pause above 5 ms in steady state (every scale and throughput window)', measured: worst === undefined ? '—' : `longest ${fmt(worst, 1)} ms over ${pauses.length} rows`, verdict: verdict(worst, 5) });
  const majors = steady.map((r) => metric(r, 'gcMajor')).filter((v): v is number => v !== undefined);
  checks.push({
    goal: 'GC stays young-generation (no full collection in a window)',
    measured: majors.length === 0 ? '—' : `${majors.reduce((sum, n) => sum + n, 0)} full collections over ${majors.length} rows`,
    verdict: majors.length === 0 ? 'not measured' : majors.every((n) => n === 0) ? 'met' : 'missed',
  });

  const handles = steady.map((r) => metric(r, 'timerHandles')).filter((v): v is number => v !== undefined);
  checks.push({
    goal: 'one armed timer handle whatever the job count',
    measured: handles.length === 0 ? '—' : `${Math.min(...handles)}–${Math.max(...handles)} over ${handles.length} rows`,
    verdict: handles.length === 0 ? 'not measured' : handles.every((h) => h === 1) ? 'met' : 'missed',
  });

  const heap = metric(find(file, 'tickguard', scaleAt(100_000)), 'heapPerJobB');
  checks.push({ goal: 'heap ≤ 600 B per job at 100k jobs (aim: raw setInterval\'s)', measured: heap === undefined ? '—' : `${fmt(heap, 0)} B`, verdict: verdict(heap, 600, metric(find(file, 'setInterval', scaleAt(100_000)), 'heapPerJobB')) });

  const setup = metric(find(file, 'tickguard', scaleAt(100_000)), 'setupMs');
  checks.push({ goal: '100k jobs registered in ≤ 200 ms (aim: raw setInterval\'s)', measured: setup === undefined ? '—' : `${fmt(setup, 0)} ms`, verdict: verdict(setup, 200, metric(find(file, 'setInterval', scaleAt(100_000)), 'setupMs')) });

  for (const jobs of [10_000, 100_000]) {
    for (const [key, label] of [['cpuPerRunUs', 'CPU/run'], ['heapPerJobB', 'heap/job']] as const) {
      const ours = metric(find(file, 'tickguard', scaleAt(jobs)), key);
      const behind: string[] = [];
      const compared: string[] = [];
      let measuredPeers = 0;
      for (const peer of PEERS) {
        const row = find(file, peer, scaleAt(jobs));
        if (row === undefined) continue;
        measuredPeers += 1;
        const theirs = metric(row, key);
        if (theirs === undefined) {
          compared.push(`${peer} ${row.status}`);
          continue;
        }
        compared.push(`${peer} ${fmt(theirs, key === 'heapPerJobB' ? 0 : 2)}`);
        if (ours !== undefined && ours >= theirs) behind.push(peer);
      }
      const v: Verdict = ours === undefined || measuredPeers === 0 ? 'not measured' : behind.length === 0 ? 'met' : 'missed';
      checks.push({
        goal: `ahead of every peer on ${label} at ${jobs / 1000}k jobs`,
        measured: ours === undefined ? '—' : `tickguard ${fmt(ours, key === 'heapPerJobB' ? 0 : 2)} vs ${compared.join(', ')}${behind.length > 0 ? `; behind ${behind.join(', ')}` : ''}`,
        verdict: v,
      });
    }
  }
  return checks;
}
