/**
 * The HTML report: one self-contained file (inline CSS and SVG, no script, no font, no remote
 * resource of any kind) that opens anywhere, offline, years later. Charts of runs in flight,
 * memory and handles over time for every strategy, the comparison table, and why each
 * strategy behaves as it does.
 */
import type { LabReport, Sample, StrategyReport } from './protocol.js';
import { STRATEGIES } from './strategies.js';
import { TABLE_COLUMNS, selfCheck } from './report-table.js';
import { excessRatePerSecond, formatBytes, formatMs, plural } from './format.js';

const MIB = 1024 * 1024;

/** Line colours by strategy: warm for the naive patterns, cool for tickguard. */
const COLORS: Readonly<Record<string, string>> = {
  'naive-setInterval': '#d62728',
  'naive-timer-leak': '#ff7f0e',
  'naive-rearm-listener-leak': '#8c564b',
  'tickguard-serial': '#1f77b4',
  'tickguard-pool-skip': '#2ca02c',
  'tickguard-fixed-delay': '#17becf',
};

/** Renders the report as a complete HTML document. */
export function renderHtmlReport(report: LabReport): string {
  const ran = report.strategies.filter((strategy) => strategy.samples.length > 0);
  const xMaxMs = Math.max(1, ...ran.flatMap((strategy) => strategy.samples.map((sample) => sample.t)));
  const stopAtMs = Math.max(0, ...ran.map((strategy) => strategy.stoppedAtMs));
  const chart = (title: string, unit: string, pick: (sample: Sample) => number, format: (v: number) => string): string =>
    lineChart({
      title,
      unit,
      xMaxMs,
      stopAtMs,
      format,
      series: ran.map((strategy) => ({
        name: strategy.name,
        color: COLORS[strategy.name] ?? '#555555',
        points: strategy.samples.map((sample) => [sample.t, pick(sample)] as const),
      })),
    });

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tickguard lab report</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>tickguard lab</h1>
<p class="lead">The tick avalanche, reproduced, next to tickguard's three fixes, on the same simulated downstream.</p>
${setup(report)}
${verdict(report)}
<section>
<h2>Over time</h2>
${legend(report.strategies)}
${chart('Runs in flight', 'runs', (s) => s.inFlight, (v) => String(Math.round(v)))}
${chart('Memory: heap + external', 'MiB', (s) => (s.heapBytes + s.externalBytes) / MIB, (v) => String(Number(v.toFixed(1))))}
${chart('Active handles (process.getActiveResourcesInfo)', 'handles', (s) => s.handles, (v) => String(Math.round(v)))}
</section>
<section>
<h2>Comparison</h2>
${table(report.strategies)}
</section>
<section>
<h2>Why each strategy behaves as it does</h2>
${report.strategies.map(strategySection).join('\n')}
</section>
<footer>
<p>tickguard ${escapeHtml(report.version)}, Node.js ${escapeHtml(report.node)} on ${escapeHtml(report.platform)}, started ${escapeHtml(report.startedAt)}, ${escapeHtml(formatMs(report.wallTimeMs))} in all.
Reproduce with <code>${escapeHtml(commandLine(report))}</code>.</p>
</footer>
</main>
</body>
</html>
`;
}

function setup(report: LabReport): string {
  const c = report.config;
  const excess = excessRatePerSecond(c.intervalMs, c.serviceTimeMs, c.capacity);
  const arrivals = 1_000 / c.intervalMs;
  const served = (c.capacity * 1_000) / c.serviceTimeMs;
  const pace = excess > 0
    ? `Ticks arrive at ${arrivals.toFixed(1)}/s and the downstream serves ${served.toFixed(1)}/s, so anything that starts a run per tick without waiting adds about ${excess.toFixed(1)} requests per second to its queue.`
    : `Ticks arrive at ${arrivals.toFixed(1)}/s and the downstream serves up to ${served.toFixed(1)}/s: with these settings it keeps up, and no avalanche is expected.`;
  return `<p>A tick every <b>${formatMs(c.intervalMs)}</b>. The downstream serves <b>${plural(c.capacity, 'request')}</b> at a time, <b>${formatMs(c.serviceTimeMs)}</b> each, queues the rest, and holds ${formatBytes(c.bytesPerRequest)} per request until it is done (capped at ${formatBytes(c.memoryCapBytes)} in all). ${pace}</p>
<p>Each strategy ran ${formatMs(c.durationMs)} in its own child process (${c.parallel} side by side), sampled every ${formatMs(c.sampleMs)}, then was stopped the way its pattern stops; the dashed line marks the stop.</p>`;
}

function verdict(report: LabReport): string {
  if (report.ok) {
    return '<p class="verdict ok">Self-check passed: no tickguard strategy exceeded its maxConcurrency, started a run after stop, or left a timer behind. The naive strategies are expected to misbehave and are not checked.</p>';
  }
  const items = report.violations.map((v) => `<li><b>${escapeHtml(v.strategy)}</b> [${escapeHtml(v.kind)}]: ${escapeHtml(v.message)}</li>`).join('');
  return `<div class="verdict fail"><p>Self-check failed: ${plural(report.violations.length, 'violation')}.</p><ul>${items}</ul></div>`;
}

function legend(strategies: readonly StrategyReport[]): string {
  const items = strategies.map((strategy) =>
    `<li><span class="swatch" style="background:${COLORS[strategy.name] ?? '#555555'}"></span>${escapeHtml(strategy.name)}</li>`,
  );
  return `<ul class="legend">${items.join('')}</ul>`;
}

function table(strategies: readonly StrategyReport[]): string {
  const head = TABLE_COLUMNS.map((column) => `<th class="${column.align}">${escapeHtml(column.header)}</th>`).join('');
  const rows = strategies.map((strategy) => {
    const cells = TABLE_COLUMNS.map((column) => `<td class="${column.align}">${escapeHtml(column.cell(strategy))}</td>`).join('');
    return `<tr class="${strategy.kind}">${cells}</tr>`;
  });
  return `<table><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function strategySection(strategy: StrategyReport): string {
  const definition = STRATEGIES[strategy.name as keyof typeof STRATEGIES];
  const findings = strategy.findings.map((finding) => `<li>${escapeHtml(finding)}</li>`).join('');
  const warnings = strategy.warnings.length === 0
    ? ''
    : `<p class="small">Process warnings: ${strategy.warnings.map((w) => `<code>${escapeHtml(w)}</code>`).join(' ')}</p>`;
  const error = strategy.error === null ? '' : `<pre class="error">${escapeHtml(strategy.error)}</pre>`;
  const check = selfCheck(strategy);
  return `<article>
<h3><span class="swatch" style="background:${COLORS[strategy.name] ?? '#555555'}"></span>${escapeHtml(strategy.name)} <small>${escapeHtml(strategy.scheme)}</small> <span class="badge ${check === 'ok' ? 'ok' : check === 'n/a' ? 'na' : 'fail'}">${escapeHtml(check)}</span></h3>
<pre><code>${escapeHtml(definition.pattern)}</code></pre>
<p>${escapeHtml(definition.explanation)}</p>
${findings === '' ? '' : `<ul>${findings}</ul>`}
${warnings}
${error}
</article>`;
}

function commandLine(report: LabReport): string {
  const c = report.config;
  return `tickguard lab --duration ${formatMs(c.durationMs)} --interval ${formatMs(c.intervalMs)} --service-time ${formatMs(c.serviceTimeMs)} --capacity ${c.capacity}`;
}

interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
}

interface ChartOptions {
  readonly title: string;
  readonly unit: string;
  readonly series: readonly Series[];
  readonly xMaxMs: number;
  readonly stopAtMs: number;
  readonly format: (value: number) => string;
}

const W = 960;
const H = 240;
const M = { left: 56, right: 16, top: 14, bottom: 34 } as const;

/** A line chart as inline SVG: one polyline per series, shared axes, the stop marked. */
function lineChart(options: ChartOptions): string {
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const yMaxRaw = Math.max(0, ...options.series.flatMap((series) => series.points.map(([, v]) => v)));
  const yStep = niceStep(yMaxRaw > 0 ? yMaxRaw : 1, 4);
  const yMax = Math.max(yStep, Math.ceil(yMaxRaw / yStep) * yStep);
  const xStep = niceStep(options.xMaxMs / 1_000, 8) * 1_000;
  const x = (t: number): number => M.left + (t / options.xMaxMs) * plotW;
  const y = (v: number): number => M.top + plotH - (v / yMax) * plotH;

  const grid: string[] = [];
  for (let v = 0; v <= yMax + yStep / 1e6; v += yStep) {
    grid.push(`<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/>`);
    grid.push(`<text class="tick" x="${M.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${escapeHtml(options.format(v))}</text>`);
  }
  for (let t = 0; t <= options.xMaxMs; t += xStep) {
    grid.push(`<text class="tick" x="${x(t).toFixed(1)}" y="${H - M.bottom + 16}" text-anchor="middle">${escapeHtml(formatMs(t))}</text>`);
  }
  const stop = options.stopAtMs > 0
    ? `<line class="stop" x1="${x(options.stopAtMs).toFixed(1)}" x2="${x(options.stopAtMs).toFixed(1)}" y1="${M.top}" y2="${H - M.bottom}"/><text class="tick" x="${(x(options.stopAtMs) + 4).toFixed(1)}" y="${M.top + 10}">stop</text>`
    : '';
  const lines = options.series
    .filter((series) => series.points.length > 0)
    .map((series) => {
      const points = series.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      return `<polyline fill="none" stroke="${series.color}" stroke-width="2" stroke-linejoin="round" points="${points}"><title>${escapeHtml(series.name)}</title></polyline>`;
    });
  return `<figure>
<figcaption>${escapeHtml(options.title)} <small>(${escapeHtml(options.unit)})</small></figcaption>
<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${escapeHtml(options.title)}">
<rect class="plot" x="${M.left}" y="${M.top}" width="${plotW}" height="${plotH}"/>
${grid.join('\n')}
${stop}
${lines.join('\n')}
<text class="tick" x="${W - M.right}" y="${H - 4}" text-anchor="end">time since start</text>
</svg>
</figure>`;
}

/** A round step (1, 2 or 5 × 10^k) that divides `max` into about `count` parts. */
export function niceStep(max: number, count: number): number {
  const raw = max / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / magnitude;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * magnitude;
}

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const STYLE = `
:root { color-scheme: light; }
body { margin: 0; background: #fafafa; color: #1d1d1f; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1000px; margin: 0 auto; padding: 20px 24px 40px; }
h1 { margin: 0 0 4px; font-size: 28px; }
h2 { margin: 28px 0 10px; font-size: 20px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { margin: 20px 0 6px; font-size: 16px; }
h3 small { font-weight: normal; color: #666; }
.lead { margin-top: 0; color: #444; }
.verdict { padding: 10px 14px; border-radius: 6px; }
.verdict.ok { background: #e8f5e9; border: 1px solid #a5d6a7; }
.verdict.fail { background: #ffebee; border: 1px solid #ef9a9a; }
.verdict.fail p { margin: 0; font-weight: bold; }
figure { margin: 10px 0 18px; background: #fff; border: 1px solid #e3e3e3; border-radius: 6px; padding: 8px 10px 4px; }
figcaption { font-weight: 600; }
figcaption small { font-weight: normal; color: #666; }
svg { display: block; }
svg .plot { fill: #fff; stroke: #ccc; }
svg .grid { stroke: #eee; }
svg .stop { stroke: #999; stroke-dasharray: 4 4; }
svg .tick { font-size: 11px; fill: #666; }
.legend { list-style: none; padding: 0; margin: 0 0 6px; display: flex; flex-wrap: wrap; gap: 6px 18px; font-size: 13px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; background: #fff; }
th, td { border: 1px solid #e0e0e0; padding: 4px 6px; }
th { background: #f0f0f0; }
td.right, th.right { text-align: right; font-variant-numeric: tabular-nums; }
td.left, th.left { text-align: left; }
tr.naive td:first-child { color: #b3261e; }
tr.tickguard td:first-child { color: #0b57d0; }
pre { background: #f4f4f4; padding: 8px 10px; border-radius: 4px; overflow-x: auto; font-size: 12.5px; }
pre.error { background: #ffebee; white-space: pre-wrap; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.badge { font-size: 12px; padding: 1px 7px; border-radius: 10px; vertical-align: 2px; }
.badge.ok { background: #e8f5e9; color: #1b5e20; }
.badge.na { background: #eee; color: #555; }
.badge.fail { background: #ffebee; color: #b71c1c; }
.small { font-size: 13px; color: #555; }
footer { margin-top: 30px; font-size: 13px; color: #666; }
`;
