/**
 * The comparison table: one row per strategy, the same columns on the terminal and in the
 * HTML report, plus the findings and violations printed under it.
 */
import type { LabReport, StrategyReport } from './protocol.js';
import { formatBytes, formatMs, plural } from './format.js';

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
  { header: 'self-check', align: 'left', cell: selfCheck },
];

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

/** The table as aligned plain text. */
export function renderTextTable(strategies: readonly StrategyReport[]): string {
  const rows = strategies.map((strategy) => TABLE_COLUMNS.map((column) => column.cell(strategy)));
  const widths = TABLE_COLUMNS.map((column, i) => Math.max(column.header.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (TABLE_COLUMNS[i]!.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const header = line(TABLE_COLUMNS.map((column) => column.header));
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [header, rule, ...rows.map(line)].join('\n');
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
  }
  out.push('');
  if (report.ok) {
    out.push('Self-check passed: no tickguard strategy exceeded its maxConcurrency, started a run after stop, or left a timer behind.');
  } else {
    out.push(`Self-check FAILED (${plural(report.violations.length, 'violation')}):`);
    for (const violation of report.violations) out.push(`  ${violation.strategy} [${violation.kind}]: ${violation.message}`);
  }
  return out.join('\n');
}
