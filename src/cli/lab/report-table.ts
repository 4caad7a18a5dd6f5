/**
 * The comparison table: one row per strategy, the same columns on the terminal and in the
 * HTML report, plus the findings and violations printed under it.
 */
import type { GroupFigures, LabReport, ReplicasReport, StrategyReport } from './protocol.js';
import { formatBytes, formatMs, plural } from './format.js';
import { formatSpread } from './replicas-count.js';

/** A column of the comparison table. */
export interface TableColumn {
  readonly header: string;
  readonly align: 'left' | 'right';
  cell(strategy: StrategyReport): string;
}

/** The columns, in order. */
export const TABLE_COLUMNS: readonly TableColumn[] = [
  { header: 'strategy', align: 'left', cell: (s) => s.name },
  { header: 'limit', align: 'right', cell: (s) => (s.maxConcurrency === null ? '-' : String(s.maxConcurrency)) },
  { header: 'peak in-flight', align: 'right', cell: (s) => figure(s, s.peakInFlight) },
  { header: 'runs done', align: 'right', cell: (s) => figure(s, s.completedRuns) },
  { header: 'skipped', align: 'right', cell: (s) => figure(s, s.skippedTicks) },
  { header: 'peak queue', align: 'right', cell: (s) => figure(s, s.peakQueue) },
  { header: 'peak heap+ext', align: 'right', cell: (s) => (s.status === 'ok' ? formatBytes(s.peakMemoryBytes) : '-') },
  { header: 'peak handles', align: 'right', cell: (s) => figure(s, s.peakHandles) },
  { header: 'loop p99', align: 'right', cell: (s) => (s.status === 'ok' ? formatMs(s.eventLoopDelayP99Ms) : '-') },
  { header: 'after stop', align: 'left', cell: afterStop },
  { header: 'doctor saw', align: 'left', cell: doctorSaw },
  { header: 'self-check', align: 'left', cell: selfCheck },
];

/** The kinds of the doctor's findings, `nothing` when it found none, `-` when it did not watch. */
export function doctorSaw(strategy: StrategyReport): string {
  if (strategy.doctor === null) return '-';
  const kinds = [...new Set(strategy.doctor.findings.map((finding) => finding.kind))];
  return kinds.length === 0 ? 'nothing' : kinds.join(', ');
}

function figure(strategy: StrategyReport, n: number): string {
  return strategy.status === 'ok' ? String(n) : '-';
}

/** What a strategy left behind once stopped, in a few words; `clean` when nothing. */
export function afterStop(strategy: StrategyReport): string {
  if (strategy.status !== 'ok') return '-';
  const parts: string[] = [];
  if (strategy.inFlightAfterStop > 0) parts.push(`${strategy.inFlightAfterStop} running`);
  if (strategy.startedAfterStop > 0) parts.push(`${strategy.startedAfterStop} late starts`);
  const timers = strategy.handlesAfterStop.Timeout ?? 0;
  if (timers > 0) parts.push(plural(timers, 'timer'));
  return parts.length === 0 ? 'clean' : parts.join(', ');
}

/** `ok` or `FAIL` for tickguard strategies, `n/a` for naive ones (they are expected to misbehave). */
export function selfCheck(strategy: StrategyReport): string {
  if (strategy.status === 'error') return 'ERROR';
  if (strategy.kind === 'naive') return 'n/a';
  return strategy.violations.length === 0 ? 'ok' : 'FAIL';
}

/** A column of the replicas scene's table: one row per group. */
export interface ReplicaColumn {
  readonly header: string;
  readonly align: 'left' | 'right';
  cell(group: GroupFigures, scene: ReplicasReport): string;
}

/** The replicas scene's columns, in order. */
export const REPLICA_COLUMNS: readonly ReplicaColumn[] = [
  { header: 'replicas', align: 'left', cell: (g) => (g.group === 'naive' ? 'naive' : 'coordinated') },
  { header: 'coordinator', align: 'left', cell: (g, scene) => (g.group === 'naive' ? 'none' : (scene.store?.kind ?? '-')) },
  { header: 'ticks', align: 'right', cell: (g) => String(g.ticks) },
  { header: 'runs', align: 'right', cell: (g) => String(g.runs) },
  { header: 'runs/tick before kill', align: 'right', cell: (g) => formatSpread(g.beforeKill) },
  { header: 'after kill', align: 'right', cell: (g) => formatSpread(g.afterKill) },
  { header: 'duplicate ticks', align: 'right', cell: (g) => String(g.duplicateTicks) },
  { header: 'missed ticks', align: 'right', cell: (g) => String(g.missedTicks) },
  { header: 'fencing tokens', align: 'left', cell: (g) => tokensCell(g) },
  { header: 'self-check', align: 'left', cell: (g) => (g.group === 'naive' ? 'n/a' : replicaCheck(g)) },
];

function tokensCell(group: GroupFigures): string {
  const tokens = group.tokens;
  if (tokens === null) return '-';
  if (tokens.missing > 0) return `${tokens.missing} runs without one`;
  return tokens.increasing ? `${tokens.count}, strictly increasing` : `NOT increasing at +${formatMs(tokens.firstDecreaseAtMs ?? 0)}`;
}

/** `ok` when the coordinated group ran no tick twice and its tokens rose; `FAIL` otherwise. */
export function replicaCheck(group: GroupFigures): string {
  const tokens = group.tokens;
  const fenced = tokens !== null && tokens.increasing && tokens.missing === 0;
  return group.duplicateTicks === 0 && fenced && group.runs > 0 ? 'ok' : 'FAIL';
}

/** The table as aligned plain text. */
export function renderTextTable(strategies: readonly StrategyReport[]): string {
  return alignedTable(TABLE_COLUMNS, strategies.map((strategy) => TABLE_COLUMNS.map((column) => column.cell(strategy))));
}

/** The replicas scene's table as aligned plain text. */
export function renderReplicasTable(scene: ReplicasReport): string {
  return alignedTable(REPLICA_COLUMNS, scene.groups.map((group) => REPLICA_COLUMNS.map((column) => column.cell(group, scene))));
}

function alignedTable(columns: readonly { readonly header: string; readonly align: 'left' | 'right' }[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((column, i) => Math.max(column.header.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (columns[i]!.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const header = line(columns.map((column) => column.header));
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [header, rule, ...rows.map(line)].join('\n');
}

/** What the scene set up, in one sentence. */
export function replicasSetup(scene: ReplicasReport): string {
  const kill = scene.killAtMs === null ? '' : `; replica ${scene.killedReplica ?? '?'} of each group SIGKILLed at +${formatMs(scene.killAtMs)}`;
  const where = scene.store === null ? '' : ` ${scene.store.kind === 'postgres' ? 'schema' : 'key prefix'} ${scene.store.namespace}`;
  const cleanup = scene.cleanedUp === null ? '' : scene.cleanedUp ? ` This run's${where} was removed afterwards.` : ` This run's${where} could NOT be removed.`;
  return `${plural(scene.replicasPerGroup, 'replica')} without a coordinator next to ${scene.replicasPerGroup} through ${scene.store?.kind === 'postgres' ? 'PostgreSQL' : 'Redis'} (${scene.store?.url ?? '-'}), each its own process running the same job: fixedRate ${formatMs(scene.intervalMs)}, ${formatMs(scene.runMs)} per run, ticks counted over ${formatMs(scene.durationMs)}${kill}.${cleanup}`;
}

/** The replicas scene in plain text: its setup, table and findings, or the one line saying why it did not run. */
export function renderReplicasSummary(scene: ReplicasReport): string | null {
  if (scene.status === 'off') return null;
  if (scene.status === 'skipped') return scene.note;
  const out = [`Replicas scene: ${replicasSetup(scene)}`, ''];
  if (scene.groups.length > 0) out.push(renderReplicasTable(scene), '');
  for (const finding of scene.findings) out.push(finding);
  if (scene.violations.length > 0 && scene.groups.length === 0) out.push(scene.note);
  return out.join('\n');
}

/** The table, then each strategy's findings, then the verdict of the self-check. */
export function renderSummary(report: LabReport): string {
  const out: string[] = [renderTextTable(report.strategies), ''];
  for (const strategy of report.strategies) {
    if (strategy.status === 'error') {
      out.push(`${strategy.name}: worker failed: ${strategy.error ?? ''}`);
      continue;
    }
    out.push(`${strategy.name} (${strategy.scheme}): ${strategy.findings.join('; ')}`);
    for (const finding of strategy.doctor?.findings ?? []) {
      out.push(`  doctor: ${finding.kind} at ${finding.site} ${finding.call}: ${finding.summary}`);
      out.push(`    → ${finding.fix}`);
    }
  }
  const scene = renderReplicasSummary(report.replicas);
  if (scene !== null) out.push('', scene);
  out.push('');
  if (report.ok) {
    const replicas = report.replicas.status === 'ok' ? ', and no coordinated replica ran a tick twice' : '';
    out.push(`Self-check passed: no tickguard strategy exceeded its maxConcurrency, started a run after stop, or left a timer behind${replicas}.`);
  } else {
    out.push(`Self-check FAILED (${plural(report.violations.length, 'violation')}):`);
    for (const violation of report.violations) out.push(`  ${violation.strategy} [${violation.kind}]: ${violation.message}`);
  }
  return out.join('\n');
}
