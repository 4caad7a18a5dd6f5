/**
 * The report on a terminal: a table of the findings ranked by severity, each with its fix
 * under it, then one line of context; and the one-line form of `TICKGUARD_DOCTOR=live`.
 */
import type { ContextSample, DoctorReport } from './report.js';

const MIB = 1024 * 1024;

/** The report as the table printed on stderr. */
export function renderDoctorTable(report: DoctorReport): string {
  const out: string[] = [];
  const watched = `${(report.watchedMs / 1_000).toFixed(1)}s`;
  const timerSites = report.sites.filter((site) => !site.guarded).length;
  if (report.findings.length === 0) {
    out.push(`tickguard doctor: no findings after ${watched} (${timerSites} timer site${timerSites === 1 ? '' : 's'} watched, pid ${report.pid}).`);
  } else {
    out.push(`tickguard doctor: ${report.findings.length} finding${report.findings.length === 1 ? '' : 's'} after ${watched} (pid ${report.pid}), most severe first:`);
    const rows = report.findings.map((finding, i) => [String(i + 1), finding.severity, finding.kind, finding.site, finding.call, finding.summary]);
    const headers = ['#', 'severity', 'kind', 'site', 'call', 'what'];
    const widths = headers.map((header, i) => Math.max(header.length, ...rows.slice(0, 50).map((row) => (i === 5 ? 0 : row[i]!.length))));
    const line = (cells: readonly string[]): string => cells.map((cell, i) => (i === 5 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd();
    out.push(line(headers));
    report.findings.forEach((finding, i) => {
      out.push(line(rows[i]!));
      out.push(`${' '.repeat(widths[0]! + 2)}→ ${finding.fix}`);
    });
  }
  out.push(`  ${contextLine(report.context)}${report.shutdown === null ? '' : `; ${report.shutdown.signal} seen at +${(report.shutdown.atMs / 1_000).toFixed(1)}s`}`);
  if (report.doctorErrors.length > 0) out.push(`  the doctor caught ${report.doctorErrors.length} error(s) of its own: ${report.doctorErrors[0]!}`);
  return `${out.join('\n')}\n`;
}

/** One line for `TICKGUARD_DOCTOR=live`. */
export function renderDoctorLine(report: DoctorReport, latest: ContextSample): string {
  const top = report.findings.slice(0, 3).map((finding) => `${finding.kind} ${finding.site} (${finding.figures.peakInFlight ?? finding.figures.armed ?? finding.figures.live ?? finding.figures.rearmedAfterStop ?? ''})`);
  const findings = report.findings.length === 0 ? 'no findings' : `${report.findings.length} finding${report.findings.length === 1 ? '' : 's'}: ${top.join(', ')}${report.findings.length > 3 ? ', …' : ''}`;
  return `tickguard doctor +${(report.watchedMs / 1_000).toFixed(0)}s: ${findings}; ${contextLine(latest)}\n`;
}

function contextLine(context: ContextSample): string {
  const handles = Object.entries(context.handlesByType).sort(([, a], [, b]) => b - a).map(([type, n]) => `${type} ${n}`).join(', ');
  return `event-loop delay p50 ${context.eventLoopDelayP50Ms}ms p99 ${context.eventLoopDelayP99Ms}ms; heap ${(context.heapUsedBytes / MIB).toFixed(1)} MiB; ${context.armedTimers} app timers armed; handles: ${handles === '' ? 'none' : handles}`;
}
