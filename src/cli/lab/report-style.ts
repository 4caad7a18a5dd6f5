/**
 * The look shared by the lab's HTML report and the doctor's: the CSS, inline-SVG line charts
 * and HTML escaping. No script, no font, no remote resource: a report opens anywhere, offline.
 */
import { formatMs } from './format.js';

/** One line of a chart. */
export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
  /** When given, a dot of this colour on each point. */
  readonly pointColors?: readonly string[];
}

/** A dashed vertical line with a label: the stop, the kill. */
export interface Marker {
  readonly atMs: number;
  readonly label: string;
}

/** What {@link lineChart} draws. */
export interface ChartOptions {
  readonly title: string;
  readonly unit: string;
  /** Trusted HTML after the title (a legend). */
  readonly caption?: string;
  readonly series: readonly Series[];
  readonly xMaxMs: number;
  readonly markers: readonly Marker[];
  /** @default 'time since start' */
  readonly xLabel?: string;
  readonly format: (value: number) => string;
}

/** A dashed vertical marker line with its label. */
export function markerSvg(x: number, top: number, bottom: number, label: string, labelY = top + 10): string {
  return `<line class="stop" x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${top}" y2="${bottom}"/><text class="tick" x="${(x + 4).toFixed(1)}" y="${labelY}">${escapeHtml(label)}</text>`;
}

/** Width of every chart, in SVG units. */
export const W = 960;
const H = 240;
const M = { left: 56, right: 16, top: 14, bottom: 34 } as const;

/** A line chart as inline SVG: one polyline per series, shared axes, the stop marked. */
export function lineChart(options: ChartOptions): string {
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
  const stop = options.markers.map((marker) => markerSvg(x(marker.atMs), M.top, H - M.bottom, marker.label)).join('');
  const lines = options.series
    .filter((series) => series.points.length > 0)
    .map((series) => {
      const points = series.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      const line = `<polyline fill="none" stroke="${series.color}" stroke-width="2" stroke-linejoin="round" points="${points}"><title>${escapeHtml(series.name)}</title></polyline>`;
      const colors = series.pointColors;
      if (colors === undefined) return line;
      const dots = series.points.map(([t, v], i) => `<circle cx="${x(t).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${colors[i] ?? series.color}"/>`);
      return `${line}<g class="dots">${dots.join('')}</g>`;
    });
  return `<figure>
<figcaption>${escapeHtml(options.title)} <small>(${escapeHtml(options.unit)})</small>${options.caption === undefined ? '' : ` <span class="caption">${options.caption}</span>`}</figcaption>
<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${escapeHtml(options.title)}">
<rect class="plot" x="${M.left}" y="${M.top}" width="${plotW}" height="${plotH}"/>
${grid.join('\n')}
${stop}
${lines.join('\n')}
<text class="tick" x="${W - M.right}" y="${H - 4}" text-anchor="end">${escapeHtml(options.xLabel ?? 'time since start')}</text>
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

/** The CSS of the lab's reports (and the doctor's, which shares their look). */
export const STYLE = `
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
.caption { font-weight: normal; font-size: 13px; margin-left: 12px; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 0 18px; }
.pair article { min-width: 0; }
h4 { margin: 12px 0 4px; font-size: 14px; }
h4 small { font-weight: normal; color: #666; }
.doctor { border-left: 3px solid #ff7f0e; padding-left: 10px; }
footer { margin-top: 30px; font-size: 13px; color: #666; }
`;
