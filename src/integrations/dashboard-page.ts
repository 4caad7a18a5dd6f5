/**
 * The admin dashboard: one self-contained HTML page, with its CSS and script inline, no build
 * step and nothing fetched from elsewhere. The script polls `jobs` and `history` next to the
 * page's own URL every second (`?refresh=<ms>` changes that, 100 ms to 60 s) and renders them
 * with DOM calls only — job names are user data, so nothing is ever parsed as HTML.
 *
 * Each refresh asks for one page (`?limit=…&offset=…` with the name search and the filter), so
 * that it costs the same with 3 jobs or 100k: both requests carry the same query, `jobs` answers
 * with the page and the scheduler's totals, `history` with the page's sparklines. The header's
 * figures are those totals, never sums over the page. A change of search, filter or page
 * refreshes at once; an answer to an older query is dropped.
 *
 * Times shown relative ("in 4 s", "3 s ago") are relative to the snapshot's `at`, the
 * scheduler's clock, not the browser's: they are right even when the two disagree.
 *
 * The Content-Security-Policy allows exactly this script and style, by hash.
 */
import { createHash } from 'node:crypto';

const STYLE = `
:root { color-scheme: light dark; --bg: #f7f7f8; --fg: #1d1d21; --muted: #6b6b76; --card: #fff; --line: #e3e3e8;
  --ok: #1f8a4c; --bad: #c62f2f; --warn: #b86e00; --info: #2d6cdf; --idle: #8a8a94; }
@media (prefers-color-scheme: dark) { :root { --bg: #141417; --fg: #e8e8ec; --muted: #9a9aa6; --card: #1d1d22; --line: #2e2e35;
  --ok: #46c27a; --bad: #ff6b6b; --warn: #f0a53a; --info: #6e9dff; --idle: #8a8a94; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; align-items: baseline; gap: 16px; padding: 14px 24px; border-bottom: 1px solid var(--line); background: var(--card); }
header h1 { margin: 0; font-size: 18px; letter-spacing: .2px; }
header .meta { color: var(--muted); font-size: 13px; }
#live { margin-left: auto; font-size: 13px; color: var(--muted); }
#live::before { content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 6px; background: var(--idle); }
#live.ok::before { background: var(--ok); } #live.error { color: var(--bad); } #live.error::before { background: var(--bad); }
main { padding: 16px 24px 32px; }
#problems { margin: 0 0 14px; padding: 10px 14px; border-radius: 8px; border: 1px solid var(--bad); color: var(--bad); background: color-mix(in srgb, var(--bad) 8%, transparent); }
#problems[hidden] { display: none; }
#problems ul { margin: 4px 0 0; padding-left: 18px; }
.summary { display: flex; gap: 12px; margin-bottom: 14px; flex-wrap: wrap; }
.stat { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; min-width: 120px; }
.stat b { display: block; font-size: 20px; font-variant-numeric: tabular-nums; }
.stat span { color: var(--muted); font-size: 12px; }
table { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
th, td { text-align: left; padding: 9px 12px; border-bottom: 1px solid var(--line); vertical-align: middle; }
th { font-size: 12px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .4px; }
tr:last-child td { border-bottom: 0; }
td.num { font-variant-numeric: tabular-nums; }
.name { font-weight: 600; white-space: nowrap; } .sub { color: var(--muted); font-size: 12px; white-space: nowrap; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; border: 1px solid currentColor; }
.s-active, .o-success { color: var(--ok); } .s-paused, .o-timeout { color: var(--warn); } .s-done, .s-removed, .o-aborted { color: var(--idle); }
.o-error, .stuck { color: var(--bad); } .s-paused-failures { color: var(--bad); }
.counters { display: flex; gap: 10px; flex-wrap: wrap; font-size: 12px; font-variant-numeric: tabular-nums; }
.counters span { color: var(--muted); } .counters b { color: var(--fg); font-weight: 600; }
svg.spark { display: block; width: 160px; height: 32px; }
svg.spark polyline { fill: none; stroke: var(--info); stroke-width: 1.5; }
svg.spark circle { fill: var(--info); } svg.spark circle.fail { fill: var(--bad); } svg.spark circle.abort { fill: var(--idle); }
.empty { color: var(--muted); padding: 24px; text-align: center; }
.controls { display: flex; gap: 10px; align-items: center; margin-bottom: 10px; flex-wrap: wrap; }
.controls input, .controls select, .controls button { font: inherit; padding: 5px 9px; border: 1px solid var(--line); border-radius: 6px; background: var(--card); color: var(--fg); }
.controls input { min-width: 240px; }
.controls button:disabled { color: var(--muted); }
#range { color: var(--muted); font-size: 13px; font-variant-numeric: tabular-nums; margin-left: auto; }
`;

const SCRIPT = `
'use strict';
const params = new URLSearchParams(location.search);
const refreshMs = Math.min(60000, Math.max(100, Number(params.get('refresh')) || 1000));
const base = location.pathname.endsWith('/') ? location.pathname : location.pathname + '/';
const pageSize = Math.min(1000, Math.max(1, Math.floor(Number(params.get('limit'))) || 100));
const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';
// What the table shows: the search, the filter (a query parameter of /jobs) and the page,
// kept in the page's own URL so that a reload or a shared link shows the same.
const view = { name: (params.get('name') || '').slice(0, 200), filter: '', offset: Math.max(0, Math.floor(Number(params.get('offset'))) || 0) };
for (const key of ['attention', 'state']) {
  const wanted = params.get(key) && key + '=' + params.get(key);
  if (wanted && [...$('filter').options].some((option) => option.value === wanted)) view.filter = wanted;
}
$('search').value = view.name;
$('filter').value = view.filter;
function remember() {
  const own = new URLSearchParams();
  for (const key of ['refresh', 'limit']) if (params.has(key)) own.set(key, params.get(key));
  if (view.name) own.set('name', view.name);
  if (view.filter) own.set(view.filter.split('=')[0], view.filter.split('=')[1]);
  if (view.offset) own.set('offset', String(view.offset));
  const search = own.toString();
  history.replaceState(null, '', location.pathname + (search ? '?' + search : ''));
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = String(text);
  return node;
}
function fmtMs(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const a = Math.abs(ms);
  if (a < 1000) return Math.round(ms) + ' ms';
  if (a < 60000) return (ms / 1000).toFixed(a < 10000 ? 2 : 1) + ' s';
  // Truncated, not rounded: 59.7 s must not read "60s".
  if (a < 3600000) return Math.floor(a / 60000) + 'm ' + String(Math.floor((a % 60000) / 1000)).padStart(2, '0') + 's';
  return Math.floor(a / 3600000) + 'h ' + String(Math.floor((a % 3600000) / 60000)).padStart(2, '0') + 'm';
}
function relative(iso, now) {
  if (!iso) return '–';
  const delta = Date.parse(iso) - now;
  return delta >= 0 ? 'in ' + fmtMs(delta) : fmtMs(-delta) + ' ago';
}
function sparkline(runs) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('viewBox', '0 0 160 32');
  svg.setAttribute('role', 'img');
  const durations = runs.map((r) => r.durationMs);
  svg.setAttribute('aria-label', runs.length ? 'recent durations, last ' + fmtMs(durations[durations.length - 1]) : 'no runs yet');
  if (runs.length === 0) return svg;
  const max = Math.max(1, ...durations);
  const step = runs.length > 1 ? 152 / (runs.length - 1) : 0;
  const points = runs.map((r, i) => [4 + i * step, 28 - (r.durationMs / max) * 24]);
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', points.map((p) => p[0].toFixed(1) + ',' + p[1].toFixed(1)).join(' '));
  svg.appendChild(line);
  runs.forEach((r, i) => {
    if (r.outcome === 'success' && i !== runs.length - 1) return;
    const dot = document.createElementNS(SVG, 'circle');
    dot.setAttribute('cx', points[i][0].toFixed(1));
    dot.setAttribute('cy', points[i][1].toFixed(1));
    dot.setAttribute('r', r.outcome === 'success' ? '2' : '2.5');
    if (r.outcome === 'error' || r.outcome === 'timeout') dot.setAttribute('class', 'fail');
    else if (r.outcome === 'aborted') dot.setAttribute('class', 'abort');
    const title = document.createElementNS(SVG, 'title');
    title.textContent = 'tick ' + r.tick + ': ' + r.outcome + ', ' + fmtMs(r.durationMs);
    dot.appendChild(title);
    svg.appendChild(dot);
  });
  return svg;
}
function counter(label, value) {
  const span = el('span', '', label + ' ');
  span.appendChild(el('b', '', value));
  return span;
}
function row(job, runs, now) {
  const tr = el('tr');
  tr.dataset.job = job.name;
  const name = el('td');
  name.appendChild(el('div', 'name', job.name));
  name.appendChild(el('div', 'sub', job.schedule.description));
  tr.appendChild(name);

  const state = el('td');
  const failed = job.state === 'paused' && job.pauseReason === 'failures';
  state.appendChild(el('span', 'badge s-' + job.state + (failed ? ' s-paused-failures' : ''), job.state));
  if (job.pauseReason) state.appendChild(el('div', 'sub', job.pauseReason === 'failures' ? 'after ' + job.consecutiveFailures + ' failures' : 'by hand'));
  tr.appendChild(state);

  const next = el('td', 'num', relative(job.nextRunAt, now));
  if (job.nextRunAt) next.title = job.nextRunAt;
  if (job.nextRunAt && job.state === 'paused') next.appendChild(el('div', 'sub', 'skipped while paused'));
  tr.appendChild(next);

  const last = el('td');
  if (job.lastRun) {
    last.appendChild(el('span', 'badge o-' + job.lastRun.outcome, job.lastRun.outcome));
    last.appendChild(el('div', 'sub', fmtMs(job.lastRun.durationMs) + ' · ' + relative(job.lastRun.endedAt, now)));
    if (job.lastRun.error) last.title = job.lastRun.error.name + ': ' + job.lastRun.error.message;
  } else last.appendChild(el('span', 'sub', 'never ran'));
  tr.appendChild(last);

  const flight = el('td', 'num', job.inFlight + ' / ' + job.maxConcurrency);
  const longest = job.runs.reduce((max, run) => Math.max(max, run.runningForMs), -1);
  if (job.stuck > 0) flight.appendChild(el('div', 'sub stuck', job.stuck + ' stuck · ' + fmtMs(longest)));
  else if (longest >= 0) flight.appendChild(el('div', 'sub', 'running ' + fmtMs(longest)));
  if (job.buffered > 0) flight.appendChild(el('div', 'sub', job.buffered + ' buffered'));
  tr.appendChild(flight);

  const c = job.counters;
  const counters = el('td');
  const box = el('div', 'counters');
  box.append(counter('runs', c.started), counter('ok', c.succeeded), counter('failed', c.failed));
  // The rarer counters only when they have something to say.
  for (const [label, value] of [['timeout', c.timedOut], ['aborted', c.aborted], ['skipped', c.skipped], ['missed', c.missed], ['dropped', c.dropped]]) {
    if (value > 0) box.append(counter(label, value));
  }
  counters.appendChild(box);
  tr.appendChild(counters);

  const spark = el('td');
  spark.appendChild(sparkline(runs));
  tr.appendChild(spark);
  return tr;
}
function stat(id, value) {
  $(id).textContent = typeof value === 'number' ? value.toLocaleString('en-US') : value;
}
function render(page, history) {
  const now = Date.parse(page.at);
  const problems = [];
  const byName = new Map(history.jobs.map((h) => [h.name, h.runs]));
  const coordinator = page.coordinator;
  $('state').textContent = 'scheduler ' + page.state + (coordinator ? ' · ' + coordinator.store + (coordinator.reachable ? '' : ' unreachable') + (coordinator.skewMs === null ? '' : ', clock skew ' + coordinator.skewMs + ' ms') : '');
  if (coordinator && !coordinator.reachable) problems.push('coordinator (' + coordinator.store + ') unreachable' + (coordinator.lastError ? ': ' + coordinator.lastError : '') + ': coordinated ticks are skipped');
  if (coordinator && coordinator.skewExceeded) problems.push('clock skew with ' + coordinator.store + ' (' + coordinator.skewMs + ' ms) is beyond the bound of ' + coordinator.skewBoundMs + ' ms');
  $('at').textContent = 'snapshot ' + new Date(now).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
  // The scheduler's totals, whatever the page shows.
  const totals = page.totals;
  stat('n-jobs', totals.jobs.total.toLocaleString('en-US') + ' (' + totals.jobs.active.toLocaleString('en-US') + ' active)');
  stat('n-paused', totals.jobs.paused);
  stat('n-flight', totals.inFlight);
  stat('n-stuck', totals.stuckRuns);
  stat('n-failing', totals.attention.failing);
  for (const problem of page.problems) problems.push(problem.message);
  if (page.problemCount > page.problems.length) problems.push('and ' + (page.problemCount - page.problems.length).toLocaleString('en-US') + ' more: filter by "needs attention"');
  $('problems-list').replaceChildren(...problems.map((p) => el('li', '', p)));
  $('problems').hidden = problems.length === 0;

  const first = page.jobs.length === 0 ? 0 : page.offset + 1;
  $('range').textContent = first === 0 ? '0 of ' + page.matched.toLocaleString('en-US') : first.toLocaleString('en-US') + '–' + (page.offset + page.jobs.length).toLocaleString('en-US') + ' of ' + page.matched.toLocaleString('en-US');
  $('prev').disabled = page.offset === 0;
  $('next').disabled = page.next === null;
  const body = $('jobs');
  if (page.jobs.length === 0) {
    const tr = el('tr'); const td = el('td', 'empty', totals.jobs.total === 0 ? 'No jobs.' : 'No job matches.'); td.colSpan = 7; tr.appendChild(td);
    body.replaceChildren(tr);
  } else body.replaceChildren(...page.jobs.map((job) => row(job, byName.get(job.name) || [], now)));
  document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
}
async function getJson(path, query) {
  const res = await fetch(base + path + query, { cache: 'no-store', headers: { accept: 'application/json' } });
  // Read the body either way: a response left unread is reported as an aborted request.
  const text = await res.text();
  if (!res.ok) throw new Error('GET ' + path + ': HTTP ' + res.status);
  return JSON.parse(text);
}
/** The query both requests carry: the page, the search and the filter. */
function pageQuery() {
  const query = new URLSearchParams({ limit: String(pageSize), offset: String(view.offset) });
  if (view.name) query.set('name', view.name);
  if (view.filter) {
    const [key, value] = view.filter.split('=');
    query.set(key, value);
  }
  return '?' + query.toString();
}
let timer;
let polling = false;
let again = false;
/** Refreshes now, or right after the refresh in progress (which asked for an older view). */
function refresh() {
  remember();
  clearTimeout(timer);
  if (polling) again = true;
  else poll();
}
async function poll() {
  const live = $('live');
  polling = true;
  const query = pageQuery();
  try {
    // Both requests are awaited to the end, even when one fails.
    const [jobs, history] = await Promise.allSettled([getJson('jobs', query), getJson('history', query)]);
    if (jobs.status === 'rejected') throw jobs.reason;
    const page = jobs.value;
    if (query === pageQuery()) {
      // Past the end (jobs went away): go to the last page.
      if (page.jobs.length === 0 && page.offset > 0 && page.matched > 0) {
        view.offset = Math.floor((page.matched - 1) / pageSize) * pageSize;
        remember();
        again = true;
      } else render(page, history.status === 'fulfilled' ? history.value : { jobs: [] });
    }
    live.className = 'ok';
    live.textContent = 'live · every ' + fmtMs(refreshMs);
  } catch (error) {
    live.className = 'error';
    live.textContent = 'disconnected: ' + (error && error.message ? error.message : String(error));
  } finally {
    polling = false;
    if (again) {
      again = false;
      poll();
    } else timer = setTimeout(poll, refreshMs);
  }
}
let typing;
$('search').addEventListener('input', () => {
  clearTimeout(typing);
  typing = setTimeout(() => {
    view.name = $('search').value.trim();
    view.offset = 0;
    refresh();
  }, 200);
});
$('filter').addEventListener('change', () => {
  view.filter = $('filter').value;
  view.offset = 0;
  refresh();
});
$('prev').addEventListener('click', () => {
  view.offset = Math.max(0, view.offset - pageSize);
  refresh();
});
$('next').addEventListener('click', () => {
  view.offset += pageSize;
  refresh();
});
poll();
`;

function hash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * The requests one refresh of the page makes in its first view (first page, no search, no
 * filter), relative to the page's URL; the script builds them in `pageQuery()`, and the browser
 * test checks that it still does. Benchmarks replay them.
 */
export const DEFAULT_REFRESH_REQUESTS: readonly string[] = ['jobs?limit=100&offset=0', 'history?limit=100&offset=0'];

/** The dashboard's HTML. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tickguard</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header><h1>tickguard</h1><span class="meta" id="state">connecting…</span><span class="meta" id="at"></span><span id="live">connecting…</span></header>
<main>
<div id="problems" role="alert" hidden><strong>Needs attention</strong><ul id="problems-list"></ul></div>
<div class="summary">
<div class="stat"><b id="n-jobs">–</b><span>jobs</span></div>
<div class="stat"><b id="n-paused">–</b><span>paused</span></div>
<div class="stat"><b id="n-flight">–</b><span>runs in flight</span></div>
<div class="stat"><b id="n-stuck">–</b><span>runs stuck</span></div>
<div class="stat"><b id="n-failing">–</b><span>jobs failing</span></div>
</div>
<div class="controls">
<input id="search" type="search" placeholder="Search jobs by name" aria-label="Search jobs by name" autocomplete="off" maxlength="200">
<select id="filter" aria-label="Show">
<option value="">All jobs</option>
<option value="attention=any">Needs attention</option>
<option value="attention=stuck">Stuck</option>
<option value="attention=failing">Failing</option>
<option value="attention=paused-by-failures">Paused after failures</option>
<option value="state=active">Active</option>
<option value="state=paused">Paused</option>
<option value="state=done">Done</option>
</select>
<button id="prev" type="button" disabled>‹ Previous</button>
<button id="next" type="button" disabled>Next ›</button>
<span id="range"></span>
</div>
<table>
<thead><tr><th>Job</th><th>State</th><th>Next run</th><th>Last run</th><th>In flight</th><th>Counters</th><th>Recent durations</th></tr></thead>
<tbody id="jobs"><tr><td class="empty" colspan="7">Loading…</td></tr></tbody>
</table>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;

/** The Content-Security-Policy of the dashboard: its own script and style (by hash), fetches to its own origin, nothing else. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  `script-src ${hash(SCRIPT)}`,
  `style-src ${hash(STYLE)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
