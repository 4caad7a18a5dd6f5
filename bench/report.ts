/**
 * Renders a result file as Markdown: a before/after table when the run had `--baseline`,
 * machine, goals, one table per scenario, the systems and their settings, how to reproduce. When bench/analysis.md exists (hand-written findings:
 * profiles, causes, proposals) a full run's report includes it, so RESULTS.md stays generated.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkGoals } from './goals.js';
import { SCENARIO_METRICS } from './schema.js';
import { ADAPTERS } from './systems/index.js';
import { PRESETS } from './plan.js';
import { SCENARIOS, SYSTEMS, systemLabel, type CaseResult, type CaseStatus, type Metric, type RunFile, type ScenarioName } from './types.js';

const ANALYSIS = fileURLToPath(new URL('./analysis.md', import.meta.url));

const STATUS_LABEL: Readonly<Record<CaseStatus, string>> = { ok: 'ok', 'n/a': 'n/a', timeout: 'timeout', oom: 'OOM', error: 'error' };

function formatNumber(value: number, digits: number): string {
  const abs = Math.abs(value);
  // Big figures do not need decimals; small ones keep at least two significant digits.
  const used = abs >= 1000 ? 0 : abs > 0 && abs < 0.1 ? Math.max(digits, 3) : digits;
  return value.toLocaleString('en-US', { minimumFractionDigits: used, maximumFractionDigits: used });
}

function cell(value: Metric | undefined, digits: number): string {
  if (value === undefined) return '—';
  if (typeof value === 'number') return formatNumber(value, digits);
  return 'n/a';
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function table(rows: readonly CaseResult[], scenario: ScenarioName): string {
  const defs = SCENARIO_METRICS[scenario];
  const header = ['case', 'system', ...defs.map((def) => def.label), 'notes'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < 2 || i === header.length - 1 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const row of rows) {
    const notes: string[] = [];
    let cells: string[];
    if (row.status === 'ok') {
      cells = defs.map((def) => cell(row.metrics[def.key], def.digits));
      for (const def of defs) {
        const value = row.metrics[def.key];
        if (typeof value === 'object') notes.push(`${def.label}: ${value.na}`);
      }
      notes.push(...(row.notes ?? []));
    } else {
      cells = defs.map(() => STATUS_LABEL[row.status]);
      notes.push(`${STATUS_LABEL[row.status]}: ${row.reason ?? ''}`);
    }
    // Bold marks the source under test; a baseline row is the same library at another commit.
    const system = row.system === 'tickguard' && row.baseline === undefined ? '**tickguard**' : systemLabel(row);
    lines.push(`| ${row.variant} | ${system} | ${cells.join(' | ')} | ${escape(notes.join('; '))} |`);
  }
  return lines.join('\n');
}

function sorted(results: readonly CaseResult[], scenario: ScenarioName): CaseResult[] {
  // Keep the plan's order of variants; within one, systems in the suite's order, a baseline row right after tickguard's.
  const variants = [...new Set(results.filter((r) => r.scenario === scenario).map((r) => r.variant))];
  const isBaseline = (r: CaseResult): number => (r.baseline === undefined ? 0 : 1);
  return results
    .filter((r) => r.scenario === scenario)
    .sort(
      (a, b) =>
        variants.indexOf(a.variant) - variants.indexOf(b.variant) || SYSTEMS.indexOf(a.system) - SYSTEMS.indexOf(b.system) || isBaseline(a) - isBaseline(b),
    );
}

/** The metrics the before/after table compares, where a scenario has them; lower is better for each. */
const BEFORE_AFTER_KEYS: readonly string[] = ['cpuPerRunUs', 'heapPerJobB', 'setupMs', 'latenessP99Ms'];

function valueCell(row: CaseResult | undefined, key: string, digits: number): string {
  if (row === undefined) return '—';
  return row.status === 'ok' ? cell(row.metrics[key], digits) : STATUS_LABEL[row.status];
}

function ratioCell(after: CaseResult, before: CaseResult | undefined, key: string): string {
  const a = after.status === 'ok' ? after.metrics[key] : undefined;
  const b = before?.status === 'ok' ? before.metrics[key] : undefined;
  // A ratio over zero or a negative heap delta says nothing.
  if (typeof a !== 'number' || typeof b !== 'number' || b <= 0 || a < 0) return '—';
  return `${(a / b).toFixed(2)}×`;
}

/**
 * For a `--baseline` run: every tickguard case with its baseline twin on the key metrics,
 * baseline first ("before"), the current source second ("after"), and after/before.
 */
export function beforeAfterSection(file: RunFile): string {
  const baseline = file.baseline;
  if (baseline === undefined) return '';
  const before = `tickguard@${baseline.name}`;
  const lines = [
    `*before*: \`${before}\` (\`--baseline ${baseline.ref}\`, commit ${baseline.commit.slice(0, 12)}); *after*: tickguard from \`${file.tickguardSrc}\`.`,
    'Each pair ran back to back in this run. Lower is better for every metric here, so *after/before* below 1× is an improvement;',
    'one run is noisy (`--repeat 3` keeps medians).',
    '',
    `| case | metric | before (${before}) | after (tickguard) | after/before |`,
    '| --- | --- | ---: | ---: | ---: |',
  ];
  for (const scenario of SCENARIOS) {
    const defs = SCENARIO_METRICS[scenario].filter((def) => BEFORE_AFTER_KEYS.includes(def.key));
    const rows = sorted(file.results, scenario).filter((r) => r.system === 'tickguard' && r.baseline === undefined);
    for (const after of rows) {
      const twin = file.results.find((r) => r.scenario === scenario && r.variant === after.variant && r.baseline === baseline.name);
      for (const def of defs) {
        const cells = [valueCell(twin, def.key, def.digits), valueCell(after, def.key, def.digits), ratioCell(after, twin, def.key)];
        lines.push(`| ${scenario} ${escape(after.variant)} | ${def.label} | ${cells.join(' | ')} |`);
      }
    }
  }
  return lines.join('\n');
}

const SCENARIO_TEXT: Readonly<Record<ScenarioName, (file: RunFile) => string>> = {
  scale: (file) => {
    const p = PRESETS[file.mode].scale;
    return `N jobs, each every ${p.periodMs / 1000} s, no-op sync task; after a ${p.periodMs / 1000} s warm-up, a ${p.windowMs / 1000} s window.
*setup*: time to register N jobs. *heap/job*: \`heapUsed\` after gc at the end of the window minus the baseline before setup, over N
(includes one harness closure per job for every system). *Timeout handles*: \`process.getActiveResourcesInfo()\` 'Timeout' entries.
*CPU in window*: the whole process's \`process.cpuUsage()\` user+system over the window (engine, GC, timers, idle wake-ups, the
probe); *CPU/run*: that over the runs in it. *late*: \`Date.now()\` at the run's start minus its nominal due time (whole ms).
tickguard jobs use their defaults: fixedRate slots are epoch-aligned, so all N jobs are due at the same instant and each tick is one
batch of N runs (its lateness p99 is about the time the batch takes); the peers' jobs are spread over the time it took to add them.
*drift*: mean lateness in the window's last second minus its first. *ELD p99*: \`monitorEventLoopDelay\` p99 over the window.
*GC*: \`PerformanceObserver('gc')\` over the window: the longest pause, the sum of pauses, and how many were full (mark-sweep) collections.`;
  },
  throughput: (file) => {
    const p = PRESETS[file.mode].throughput;
    return `Many runs per second of a no-op task (\`sync\`: returns undefined; \`async\`: an async function). ${p.warmupMs / 1000} s warm-up,
then a ${p.windowMs / 1000} s window. *CPU/run*, *late*, *GC*: as in the scale table. *CPU %*: CPU time over wall time of the window
(100 % = one core). tickguard's jobs of one load share their due instants (one batch per tick). Cron-based peers fire at most once a second.`;
  },
  churn: (file) => {
    const p = PRESETS[file.mode].churn;
    return `Add ${p.jobs.toLocaleString('en-US')} jobs (every minute), change every schedule to 30 s, remove them all; each phase timed alone
(removal promises awaited). *heap/job*: after the adds. *heap left*, *handles left*: after removing everything, against the baseline.`;
  },
  avalanche: (file) => {
    const p = PRESETS[file.mode].avalanche;
    return `${p.jobs} jobs, each ticking every ${p.intervalMs} ms and calling its own downstream that serves one call at a time in
${p.serviceMs} ms (1.5× the interval), for ${p.durationMs / 1000} s. The task passes \`ctx.signal\` to the call. *in-flight*: calls queued
or in service at the downstreams. *ticks not run*: skipped + dropped + missed. *staleness*: completion time minus the tick's due time.
*heap growth*: after gc at the end, against the baseline before the jobs were added.`;
  },
};

function machineSection(file: RunFile): string {
  const m = file.machine;
  const loads = file.results.map((r) => r.load1).filter((v): v is number => typeof v === 'number');
  const minLoad = Math.min(m.loadBefore[0] ?? 0, ...loads);
  const maxLoad = Math.max(m.loadAfter[0] ?? 0, m.loadBefore[0] ?? 0, ...loads);
  const lines = [
    '| | |',
    '| --- | --- |',
    `| CPU | ${m.cpuModel} |`,
    `| cores | ${m.cores} |`,
    `| memory | ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB |`,
    `| Node | ${m.node} (${m.platform}) |`,
    `| date | ${file.startedAt} → ${file.finishedAt} |`,
    `| mode | ${file.mode} |`,
    `| load average (1/5/15 min) | before ${m.loadBefore.join(' / ')}, after ${m.loadAfter.join(' / ')}; 1-min load at case starts ${minLoad.toFixed(2)}–${maxLoad.toFixed(2)} |`,
    `| child heap cap | --max-old-space-size=${file.heapCapMb} |`,
  ];
  if (maxLoad > m.cores * 0.5) {
    lines.push(
      '',
      `> **Load caveat:** the machine was shared while this ran (1-minute load average up to ${maxLoad.toFixed(2)} on ${m.cores} cores).`,
      '> Absolute times (CPU/run, lateness, setup) are inflated and noisy; ratios between systems measured in the same run are',
      '> the figures to read, and lateness tails especially include time other processes held the CPU.',
    );
  }
  return lines.join('\n');
}

function goalsSection(file: RunFile): string {
  const lines = ['| goal | measured | verdict |', '| --- | --- | --- |'];
  for (const check of checkGoals(file)) lines.push(`| ${escape(check.goal)} | ${escape(check.measured)} | ${check.verdict} |`);
  return lines.join('\n');
}

function systemsSection(file: RunFile): string {
  const lines = ['| system | version | overlap protection | due time for lateness | update() |', '| --- | --- | --- | --- | --- |'];
  for (const name of SYSTEMS) {
    const adapter = ADAPTERS[name];
    const version = file.versions[name === 'tickguard-phased' ? 'tickguard' : name] ?? (name === 'setInterval' || name === 'setTimeout' ? `Node ${file.machine.node}` : '');
    lines.push(`| ${name} | ${version} | ${escape(adapter.overlapProtection)} | ${escape(adapter.dueTime)} | ${escape(adapter.updateMethod)} |`);
  }
  return lines.join('\n');
}

function baselineNote(file: RunFile): string {
  if (file.baseline === undefined) return '';
  return `, and \`tickguard@${file.baseline.name}\` bundled the same way from commit ${file.baseline.commit} (\`--baseline ${file.baseline.ref}\`)`;
}

export function renderReport(file: RunFile): string {
  const out: string[] = [
    '# tickguard benchmarks',
    '',
    `Generated by \`bench/run.ts\` from \`${file.command}\`. Every system and size ran in its own child process`,
    '(`--expose-gc`, heap capped); a row that could not be measured says why. Compare rows within this run: absolute',
    'figures move with the machine and its load.',
    ...(file.baseline === undefined ? [] : ['', `## Before/after: tickguard@${file.baseline.name} → tickguard`, '', beforeAfterSection(file)]),
    '',
    '## Machine',
    '',
    machineSection(file),
    '',
    '## Goals',
    '',
    goalsSection(file),
  ];
  const titles: Readonly<Record<ScenarioName, string>> = { scale: '1. Scale', throughput: '2. Throughput', churn: '3. Churn', avalanche: '4. Avalanche' };
  for (const scenario of SCENARIOS) {
    const rows = sorted(file.results, scenario);
    if (rows.length === 0) continue;
    out.push('', `## ${titles[scenario]}`, '', SCENARIO_TEXT[scenario](file), '', table(rows, scenario));
  }
  out.push('', '## Systems and settings', '', systemsSection(file));
  if (file.mode === 'full' && existsSync(ANALYSIS)) out.push('', readFileSync(ANALYSIS, 'utf8').trim());
  out.push(
    '',
    '## How to reproduce',
    '',
    '```sh',
    'npm ci',
    'npm run bench                      # full run (~15 min); rewrites bench/RESULTS.md, writes bench/results/<date>.json',
    'npm run bench -- --quick           # short windows, a few minutes; report next to the JSON',
    'npm run bench -- --only throughput --systems tickguard,setInterval',
    'npm run bench -- --tickguard-src ../patched/src --only scale    # measure a patched copy of src/',
    'npm run bench -- --baseline main --systems tickguard --only scale   # src/ against main, before/after table on top',
    'npm run bench -- --only scale --systems tickguard --cpu-prof prof   # one .cpuprofile per child',
    'npm run bench -- --report bench/results/<date>.json                     # re-render this file',
    '```',
    '',
    `This run: \`${file.command}\`; tickguard ${file.build === 'tsup' ? 'bundled by tsup (as dist/ is) from' : 'imported through tsx from'} \`${file.tickguardSrc}\`${baselineNote(file)}.`,
    '',
  );
  return out.join('\n');
}
