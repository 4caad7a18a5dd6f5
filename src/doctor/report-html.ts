/**
 * The doctor's HTML report: one self-contained file in the lab's style (its CSS and charts,
 * no script, nothing remote): the findings with their fixes, the context over time, and every
 * site the doctor watched.
 */
import { formatMs } from '../cli/lab/format.js';
import { STYLE, escapeHtml, lineChart } from '../cli/lab/report-style.js';
import type { DoctorReport, DoctorSiteReport } from './report.js';

const MIB = 1024 * 1024;

/** Renders the report as a complete HTML document. */
export function renderDoctorHtml(report: DoctorReport): string {
  const samples = report.samples;
  const xMaxMs = Math.max(1, report.watchedMs, ...samples.map((sample) => sample.t));
  const markers = report.shutdown === null ? [] : [{ atMs: report.shutdown.atMs, label: report.shutdown.signal }];
  const chart = (title: string, unit: string, series: { name: string; color: string; pick: (s: (typeof samples)[number]) => number }[], format: (v: number) => string): string =>
    lineChart({ title, unit, xMaxMs, markers, format, series: series.map((s) => ({ name: s.name, color: s.color, points: samples.map((sample) => [sample.t, s.pick(sample)] as const) })) });
  const verdict = report.findings.length === 0
    ? `<p class="verdict ok">No findings: no interval overlapped its own runs, no site leaked timers, nothing was re-armed after shutdown and no listener count grew past its limit.</p>`
    : `<div class="verdict fail"><p>${report.findings.length} finding${report.findings.length === 1 ? '' : 's'}, most severe first.</p></div>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tickguard doctor report</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>tickguard doctor</h1>
<p class="lead">What the timers and listeners of <code>${escapeHtml(report.argv.join(' '))}</code> did over ${escapeHtml(formatMs(report.watchedMs))} (pid ${report.pid}).</p>
${verdict}
${findingsTable(report)}
<section id="over-time">
<h2>Over time</h2>
${chart('Event-loop delay', 'ms', [{ name: 'p99', color: '#d62728', pick: (s) => s.eventLoopDelayP99Ms }, { name: 'p50', color: '#1f77b4', pick: (s) => s.eventLoopDelayP50Ms }], (v) => String(Number(v.toFixed(1))))}
${chart('Heap used', 'MiB', [{ name: 'heap', color: '#2ca02c', pick: (s) => s.heapUsedBytes / MIB }], (v) => String(Number(v.toFixed(1))))}
${chart('Timers the app has armed, and active handles', 'count', [{ name: 'app timers armed', color: '#ff7f0e', pick: (s) => s.armedTimers }, { name: 'active handles', color: '#8c564b', pick: (s) => Object.values(s.handlesByType).reduce((a, b) => a + b, 0) }], (v) => String(Math.round(v)))}
</section>
<section id="sites">
<h2>Every timer site</h2>
${sitesTable(report.sites)}
</section>
<footer>
<p>tickguard ${escapeHtml(report.version)} doctor, Node.js ${escapeHtml(report.node)}, started ${escapeHtml(report.startedAt)}, report made on ${escapeHtml(report.reason)}.${report.doctorErrors.length === 0 ? '' : ` The doctor caught ${report.doctorErrors.length} error(s) of its own: ${escapeHtml(report.doctorErrors.join('; '))}.`}</p>
</footer>
</main>
</body>
</html>
`;
}

function findingsTable(report: DoctorReport): string {
  if (report.findings.length === 0) return '';
  const rows = report.findings.map((finding) => `<tr class="naive"><td class="left">${escapeHtml(finding.severity)}</td><td class="left">${escapeHtml(finding.kind)}</td><td class="left"><code>${escapeHtml(finding.site)}</code></td><td class="left"><code>${escapeHtml(finding.call)}</code></td><td class="left">${escapeHtml(finding.summary)}<br><small>→ <code>${escapeHtml(finding.fix)}</code></small></td></tr>`);
  return `<section id="findings"><h2>Findings</h2><table><thead><tr><th class="left">severity</th><th class="left">kind</th><th class="left">site</th><th class="left">call</th><th class="left">what, and the fix</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function sitesTable(sites: readonly DoctorSiteReport[]): string {
  if (sites.length === 0) return '<p class="small">The app created no timer.</p>';
  const columns: [string, (site: DoctorSiteReport) => string][] = [
    ['site', (s) => s.site], ['call', (s) => s.call], ['created', (s) => String(s.created)], ['cleared', (s) => String(s.cleared)],
    ['fired', (s) => String(s.fired)], ['armed', (s) => String(s.armed)], ['peak armed', (s) => String(s.peakArmed)],
    ['ticks', (s) => String(s.ticks)], ['peak in flight', (s) => String(s.peakInFlight)], ['overlapped', (s) => String(s.overlappedTicks)],
    ['note', (s) => (s.guarded ? 'tickguard engine (not judged)' : s.library ? 'library (not judged)' : s.chain ? 'chain' : '')],
  ];
  const head = columns.map(([header], i) => `<th class="${i < 2 ? 'left' : i === columns.length - 1 ? 'left' : 'right'}">${escapeHtml(header)}</th>`).join('');
  const rows = [...sites].sort((a, b) => b.created - a.created).slice(0, 200).map((site) =>
    `<tr class="${site.guarded ? 'tickguard' : ''}">${columns.map(([, cell], i) => `<td class="${i < 2 || i === columns.length - 1 ? 'left' : 'right'}">${i < 2 ? `<code>${escapeHtml(cell(site))}</code>` : escapeHtml(cell(site))}</td>`).join('')}</tr>`);
  return `<table><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}
