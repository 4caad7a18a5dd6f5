/**
 * The HTML report: one self-contained file (inline CSS and SVG, no script, no font, no remote
 * resource of any kind) that opens anywhere, offline, years later. Charts of runs in flight,
 * memory and handles over time for every strategy, the comparison table, and why each
 * strategy behaves as it does.
 */
import type { GroupFigures, LabReport, ReplicasReport, Sample, StrategyReport } from './protocol.js';
import { STRATEGIES } from './strategies.js';
import { REPLICA_COLUMNS, TABLE_COLUMNS, replicaCheck, replicasSetup, selfCheck } from './report-table.js';
import { excessRatePerSecond, formatBytes, formatMs, plural } from './format.js';
import { STYLE, W, escapeHtml, lineChart, markerSvg, niceStep, type Marker } from './report-style.js';

export { escapeHtml, niceStep } from './report-style.js';

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
      markers: stopAtMs > 0 ? [{ atMs: stopAtMs, label: 'stop' }] : [],
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
<section id="over-time">
<h2>Over time</h2>
${legend(report.strategies)}
${chart('Runs in flight', 'runs', (s) => s.inFlight, (v) => String(Math.round(v)))}
${chart('Memory: heap + external', 'MiB', (s) => (s.heapBytes + s.externalBytes) / MIB, (v) => String(Number(v.toFixed(1))))}
${chart('Active handles (process.getActiveResourcesInfo)', 'handles', (s) => s.handles, (v) => String(Math.round(v)))}
</section>
<section id="comparison">
<h2>Comparison</h2>
${table(report.strategies)}
</section>
<section id="strategies">
<h2>Why each strategy behaves as it does</h2>
${report.strategies.map(strategySection).join('\n')}
</section>
${replicasSection(report.replicas)}
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
    const replicas = report.replicas.status === 'ok' ? ', and no coordinated replica ran a tick twice' : '';
    return `<p class="verdict ok">Self-check passed: no tickguard strategy exceeded its maxConcurrency, started a run after stop, or left a timer behind${replicas}. The naive strategies are expected to misbehave and are not checked.</p>`;
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
${doctorSection(strategy)}
${warnings}
${error}
</article>`;
}

/** "What the doctor saw": its findings on this strategy's worker, run under `--import tickguard/doctor`. */
function doctorSection(strategy: StrategyReport): string {
  const doctor = strategy.doctor;
  if (doctor === null) return '';
  const heading = `<h4>What the doctor saw <small>(node --import tickguard/doctor, ${escapeHtml(formatMs(doctor.watchedMs))}, ${plural(doctor.sitesWatched, 'timer site')})</small></h4>`;
  if (doctor.findings.length === 0) return `<div class="doctor">${heading}<p class="small">Nothing: no overlap, no leaked timer, no re-arm after stop, no listener growth.</p></div>`;
  const items = doctor.findings.map((finding) =>
    `<li><span class="badge fail">${escapeHtml(finding.kind)}</span> <code>${escapeHtml(finding.site)}</code> <code>${escapeHtml(finding.call)}</code>: ${escapeHtml(finding.summary)}<br><small>→ <code>${escapeHtml(finding.fix)}</code></small></li>`);
  return `<div class="doctor">${heading}<ul>${items.join('')}</ul></div>`;
}

const GROUP_COLORS = { naive: '#d62728', coordinated: '#1f77b4' } as const;
/** Dots of the fencing-token chart, by replica. */
const REPLICA_COLORS = ['#1f77b4', '#2ca02c', '#9467bd'];

/** The replicas scene: what it set up, its table, three charts and what they show; or why it did not run. */
function replicasSection(scene: ReplicasReport): string {
  const heading = '<h2>Replicas: each tick once across processes</h2>';
  if (scene.status === 'off' || scene.status === 'skipped') {
    return `<section id="replicas">\n${heading}\n<p class="small">${escapeHtml(scene.note)}</p>\n</section>`;
  }
  const [naive, coordinated] = scene.groups;
  const verdictLine = scene.status === 'ok'
    ? '<p class="verdict ok">The coordinated replicas kept their promise: no tick ran twice, and the fencing tokens rose strictly.</p>'
    : `<div class="verdict fail"><p>The replicas scene failed: ${plural(scene.violations.length, 'violation')}.</p><ul>${scene.violations.map((v) => `<li>[${escapeHtml(v.kind)}] ${escapeHtml(v.message)}</li>`).join('')}</ul></div>`;
  const markers = scene.killAtMs === null ? [] : [{ atMs: scene.killAtMs, label: `replica ${scene.killedReplica ?? ''} killed` }];
  const charts = naive === undefined || coordinated === undefined ? '' : `
<ul class="legend"><li><span class="swatch" style="background:${GROUP_COLORS.naive}"></span>naive: no coordinator</li><li><span class="swatch" style="background:${GROUP_COLORS.coordinated}"></span>coordinated through ${escapeHtml(storeName(scene))}</li></ul>
${lineChart({
    title: 'Runs per tick, all replicas of a group together',
    unit: 'runs',
    xMaxMs: scene.durationMs,
    markers,
    xLabel: 'tick due at',
    format: (v) => String(Math.round(v * 10) / 10),
    series: [naive, coordinated].map((group) => ({
      name: group.group,
      color: GROUP_COLORS[group.group],
      points: group.perTick.map((tick) => [tick.t, tick.replicas.length] as const),
    })),
  })}
${laneChart(scene, [naive, coordinated], markers)}
${tokenChart(scene, coordinated, markers)}`;
  const findings = scene.findings.map((finding) => `<li>${escapeHtml(finding)}</li>`).join('');
  const error = naive === undefined ? `<pre class="error">${escapeHtml(scene.note)}</pre>` : '';
  return `<section id="replicas">
${heading}
<p>${escapeHtml(replicasSetup(scene))} The naive group is what you get from deploying a service with a plain scheduler to three replicas; the coordinated group is the same service with a coordinator.</p>
${verdictLine}
${replicasTable(scene)}
${charts}
${findings === '' ? '' : `<ul>${findings}</ul>`}
${error}
<div class="pair">
<article><h3><span class="swatch" style="background:${GROUP_COLORS.naive}"></span>naive <small>a plain scheduler in each replica</small> <span class="badge na">n/a</span></h3>
<pre><code>${escapeHtml(`const scheduler = createScheduler();

scheduler.add({
  name: 'lab-replicas',
  fixedRate: interval,
  run: (ctx) => call(ctx.signal),
});`)}</code></pre></article>
<article><h3><span class="swatch" style="background:${GROUP_COLORS.coordinated}"></span>coordinated <small>the same, with a coordinator</small> ${coordinated === undefined ? '' : `<span class="badge ${replicaCheck(coordinated) === 'ok' ? 'ok' : 'fail'}">${replicaCheck(coordinated)}</span>`}</h3>
<pre><code>${escapeHtml(coordinatorSnippet(scene))}</code></pre></article>
</div>
</section>`;
}

function storeName(scene: ReplicasReport): string {
  return scene.store?.kind === 'postgres' ? 'PostgreSQL' : 'Redis';
}

function coordinatorSnippet(scene: ReplicasReport): string {
  const coordinator = scene.store?.kind === 'postgres'
    ? `postgresCoordinator({\n    pool: new pg.Pool({ connectionString: url }),\n  })`
    : `redisCoordinator({ client: new Redis(url) })`;
  return `const scheduler = createScheduler({
  coordinator: ${coordinator},
});
scheduler.add({
  name: 'lab-replicas',
  fixedRate: interval,
  coordination: 'per-tick',
  run: (ctx) => call(ctx.signal, ctx.lease.token),
});`;
}

function replicasTable(scene: ReplicasReport): string {
  if (scene.groups.length === 0) return '';
  const head = REPLICA_COLUMNS.map((column) => `<th class="${column.align}">${escapeHtml(column.header)}</th>`).join('');
  const rows = scene.groups.map((group) => {
    const cells = REPLICA_COLUMNS.map((column) => `<td class="${column.align}">${escapeHtml(column.cell(group, scene))}</td>`).join('');
    return `<tr class="${group.group === 'naive' ? 'naive' : 'tickguard'}">${cells}</tr>`;
  });
  return `<table class="replicas"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** One lane per replica, a dot per run at its tick: who ran what, and the lane that goes quiet at the kill. */
function laneChart(scene: ReplicasReport, groups: readonly GroupFigures[], markers: readonly Marker[]): string {
  const lanes = groups.flatMap((group) => Array.from({ length: group.replicas }, (_, i) => ({ group: group.group, replica: i + 1 })));
  const margin = { left: 110, right: 16, top: 24, bottom: 34 };
  const laneH = 22;
  const height = margin.top + lanes.length * laneH + margin.bottom;
  const plotW = W - margin.left - margin.right;
  const xMax = Math.max(1, scene.durationMs);
  const x = (t: number): number => margin.left + (t / xMax) * plotW;
  const laneY = (group: string, replica: number): number =>
    margin.top + (lanes.findIndex((lane) => lane.group === group && lane.replica === replica) + 0.5) * laneH;
  const parts: string[] = [];
  for (const lane of lanes) {
    const y = laneY(lane.group, lane.replica).toFixed(1);
    parts.push(`<line class="grid" x1="${margin.left}" x2="${W - margin.right}" y1="${y}" y2="${y}"/>`);
    parts.push(`<text class="tick" x="${margin.left - 8}" y="${(Number(y) + 4).toFixed(1)}" text-anchor="end">${escapeHtml(`${lane.group} ${lane.replica}`)}</text>`);
  }
  const xStep = niceStep(xMax / 1_000, 8) * 1_000;
  for (let t = 0; t <= xMax; t += xStep) {
    parts.push(`<text class="tick" x="${x(t).toFixed(1)}" y="${height - margin.bottom + 16}" text-anchor="middle">${escapeHtml(formatMs(t))}</text>`);
  }
  // The label goes above the plot, where no lane's dots are.
  for (const marker of markers) parts.push(markerSvg(x(marker.atMs), margin.top, height - margin.bottom, marker.label, margin.top - 8));
  for (const group of groups) {
    const dots = group.perTick.flatMap((tick) =>
      tick.replicas.map((replica) => `<circle cx="${x(tick.t).toFixed(1)}" cy="${laneY(group.group, replica).toFixed(1)}" r="3"/>`),
    );
    parts.push(`<g class="runs ${group.group}" fill="${GROUP_COLORS[group.group]}"><title>${escapeHtml(`${group.group}: ${group.runs} runs`)}</title>${dots.join('')}</g>`);
  }
  return `<figure>
<figcaption>Who ran each tick <small>(a dot per run, one lane per replica)</small></figcaption>
<svg viewBox="0 0 ${W} ${height}" width="100%" role="img" aria-label="Who ran each tick">
<rect class="plot" x="${margin.left}" y="${margin.top}" width="${plotW}" height="${height - margin.top - margin.bottom}"/>
${parts.join('\n')}
<text class="tick" x="${W - margin.right}" y="${height - 4}" text-anchor="end">tick due at</text>
</svg>
</figure>`;
}

/** The coordinated group's fencing tokens in tick order, above the first one, coloured by the replica that got each. */
function tokenChart(scene: ReplicasReport, coordinated: GroupFigures, markers: readonly Marker[]): string {
  const first = coordinated.tokenPoints[0]?.token ?? 0;
  const legend = REPLICA_COLORS.slice(0, coordinated.replicas)
    .map((color, i) => `<span class="swatch" style="background:${color}"></span>replica ${i + 1}`)
    .join(' ');
  return lineChart({
    title: `Fencing tokens of the coordinated runs, in tick order (${scene.store?.kind ?? 'store'})`,
    unit: 'token minus the first one',
    caption: legend,
    xMaxMs: scene.durationMs,
    markers,
    xLabel: 'tick due at',
    format: compactNumber,
    series: [{
      name: 'fencing token',
      color: '#777777',
      points: coordinated.tokenPoints.map((point) => [point.t, point.token - first] as const),
      pointColors: coordinated.tokenPoints.map((point) => REPLICA_COLORS[point.replica - 1] ?? '#555555'),
    }],
  });
}

/** `1234567` → `'1.2M'`: tokens drawn from a clock in µs are large. */
function compactNumber(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${Number((value / 1e9).toFixed(1))}G`;
  if (abs >= 1e6) return `${Number((value / 1e6).toFixed(1))}M`;
  if (abs >= 1e4) return `${Number((value / 1e3).toFixed(1))}k`;
  return String(Math.round(value));
}

function commandLine(report: LabReport): string {
  const c = report.config;
  const scene = report.replicas;
  const replicas = scene.status === 'off'
    ? ' --no-replicas'
    : scene.store === null ? '' : ` --${scene.store.kind} ${scene.store.url}`;
  return `tickguard lab --duration ${formatMs(c.durationMs)} --interval ${formatMs(c.intervalMs)} --service-time ${formatMs(c.serviceTimeMs)} --capacity ${c.capacity}${replicas}`;
}
