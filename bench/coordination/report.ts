/**
 * Renders a coordination run as markdown (bench/COORDINATION.md). Everything is generated from
 * the run file except the block between the analysis markers, which is written by hand and kept
 * when the report is regenerated.
 */
import type { CoordinationRunFile } from '../coordination.js';
import type { OverheadRow, ThroughputStep, ThroughputStore } from './parts.js';
import type { Summary } from './types.js';

export const ANALYSIS_START = '<!-- hand-written analysis: kept when the report is regenerated -->';
export const ANALYSIS_END = '<!-- end of hand-written analysis -->';

function num(value: number | null | undefined, digits?: number): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  if (digits !== undefined) return value.toFixed(digits);
  const abs = Math.abs(value);
  if (abs === 0) return '0';
  if (abs < 0.1) return value.toFixed(3);
  if (abs < 10) return value.toFixed(2);
  if (abs < 100) return value.toFixed(1);
  return Math.round(value).toLocaleString('en-US');
}

const pct = (value: number | null): string => (value === null || !Number.isFinite(value) ? 'n/a' : `${Math.round(value)} %`);

const ms = (summary: Summary, key: 'p50' | 'p99' | 'max' | 'mean'): string => (summary.n === 0 ? 'n/a' : num(summary[key]));

function table(header: readonly string[], align: readonly ('l' | 'r')[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(align.map((a) => (a === 'r' ? '---:' : '---'))), ...rows.map(line)].join('\n');
}

function skippedText(skipped: Record<string, number>, except: readonly string[] = []): string {
  const parts = Object.entries(skipped).filter(([reason, count]) => count > 0 && !except.includes(reason)).map(([reason, count]) => `${count} ${reason}`);
  return parts.join(', ');
}

function modeLabel(row: OverheadRow): string {
  if (row.store === 'none') return 'none (no coordinator)';
  return row.taskMs > 0 ? `${row.mode}, ${row.taskMs} ms task, leaseTtl ${row.leaseTtlMs ?? 30_000} ms` : row.mode;
}

function overheadTable(file: CoordinationRunFile): string {
  const rows = file.overhead.filter((row) => row.taskMs === 0);
  const baseline = rows.find((row) => row.store === 'none');
  const header = ['store', 'mode', 'runs', 'RT/run', 'late p50 ms', 'late p99 ms', 'added p50 ms', 'added p99 ms', 'claim p50 ms', 'claim p99 ms', 'store RTT p50 ms', 'pool wait p50 ms', 'CPU/run µs (process)', 'CPU/run µs (store)', 'other CPU', 'load', 'notes'];
  const align = ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'] as const;
  const body = rows.map((row) => {
    if (row.status !== 'ok') return [row.store, modeLabel(row), ...Array<string>(14).fill('error'), row.reason ?? ''];
    const added = (key: 'p50' | 'p99'): string => (baseline === undefined || row.store === 'none' || baseline.status !== 'ok' ? '—' : num(row.lateness[key] - baseline.lateness[key]));
    const rt = row.store === 'none' ? '—' : row.store === 'memory' ? '0 (in-process)' : `${num(row.roundTripsPerRun.total)} (${num(row.roundTripsPerRun.claim)} claim + ${num(row.roundTripsPerRun.release)} release${row.roundTripsPerRun.renew > 0 ? ` + ${num(row.roundTripsPerRun.renew)} renew` : ''}${row.roundTripsPerRun.other > 0 ? ` + ${num(row.roundTripsPerRun.other)} other` : ''})`;
    const notes = [
      skippedText(row.skipped),
      row.prefilledRecords > 0 ? `${row.prefilledRecords.toLocaleString('en-US')} tick records pre-filled` : '',
      row.early > 0 ? `${row.early} early` : '',
      row.roundTripsPerRun.connections > 0 ? `${Math.round(row.roundTripsPerRun.connections * row.runs)} connections opened in the window` : '',
    ].filter((note) => note !== '').join('; ');
    return [
      row.store, modeLabel(row), `${row.runs}/${row.expectedRuns}`, rt,
      ms(row.lateness, 'p50'), ms(row.lateness, 'p99'), added('p50'), added('p99'),
      row.store === 'none' ? '—' : ms(row.claim, 'p50'), row.store === 'none' ? '—' : ms(row.claim, 'p99'),
      row.store === 'redis' || row.store === 'postgres' ? ms(row.claimCommand, 'p50') : '—',
      row.store === 'postgres' ? ms(row.poolWait, 'p50') : '—',
      num(row.clientCpuPerRunUs), row.storeCpuPerRunUs === null ? '—' : num(row.storeCpuPerRunUs), pct(row.otherCpuPercent), num(row.load1, 1), notes,
    ];
  });
  return table(header, align, body);
}

function renewalTable(file: CoordinationRunFile): string | undefined {
  const rows = file.overhead.filter((row) => row.taskMs > 0);
  if (rows.length === 0) return undefined;
  const header = ['store', 'case', 'runs', 'RT/run', 'claim', 'renew', 'release', 'renew RTT p50 ms', 'renew RTT p99 ms', 'claim p50 ms', 'late p99 ms', 'load', 'notes'];
  const align = ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'] as const;
  return table(header, align, rows.map((row) => {
    if (row.status !== 'ok') return [row.store, modeLabel(row), ...Array<string>(10).fill('error'), row.reason ?? ''];
    const memory = row.store === 'memory';
    return [
      row.store, modeLabel(row), `${row.runs}/${row.expectedRuns}`,
      memory ? '0 (in-process)' : num(row.roundTripsPerRun.total), memory ? '—' : num(row.roundTripsPerRun.claim), memory ? '—' : num(row.roundTripsPerRun.renew), memory ? '—' : num(row.roundTripsPerRun.release),
      memory ? '—' : ms(row.renewCommand, 'p50'), memory ? '—' : ms(row.renewCommand, 'p99'), ms(row.claim, 'p50'), ms(row.lateness, 'p99'),
      num(row.load1, 1), skippedText(row.skipped),
    ];
  }));
}

function anatomyTable(file: CoordinationRunFile): string | undefined {
  const anatomy = file.anatomy;
  if (anatomy === null) return undefined;
  if ('error' in anatomy) return `Not measured: ${anatomy.error}`;
  const rows: string[][] = [];
  for (const [store, operations] of Object.entries(anatomy) as [string, Record<string, Summary>][]) {
    for (const [operation, summary] of Object.entries(operations)) rows.push([store, operation, ms(summary, 'p50'), ms(summary, 'p99'), ms(summary, 'mean'), String(summary.n)]);
  }
  return table(['store', 'operation', 'p50 ms', 'p99 ms', 'mean ms', 'n'], ['l', 'l', 'r', 'r', 'r', 'r'], rows);
}

function stepRow(store: ThroughputStore, step: ThroughputStep): string[] {
  if (step.error !== undefined) return [store.store, String(step.jobs), num(step.offeredTicksPerSec), ...Array<string>(13).fill('error'), num(step.load1, 1), step.error];
  const failures = ['claim-timeout', 'claim-failed', 'coordinator-unavailable'].map((reason) => step.skipped[reason] ?? 0).reduce((a, b) => a + b, 0);
  const others = skippedText(step.skipped, ['claimed-elsewhere', 'claim-timeout', 'claim-failed', 'coordinator-unavailable']);
  return [
    store.store, String(step.jobs), num(step.offeredTicksPerSec), num(step.ranTicksPerSec), String(step.duplicates),
    `${step.missing}/${num(step.expectedTicks)}`, String(failures), ms(step.lateness, 'p50'), ms(step.lateness, 'p99'),
    ms(step.claim, 'p50'), ms(step.claim, 'p99'), num(step.roundTripsPerTick),
    pct(step.clientCpuPercent), step.storeCpuPercent === null ? '—' : pct(step.storeCpuPercent), pct(step.otherCpuPercent), num(step.load1, 1),
    [step.pass ? '**pass**' : `fail: ${step.why.join('; ')}${step.repeated === true ? ` — other processes used ${pct(step.otherCpuPercent)} of a core: run again (next row)` : ''}`, store.store === 'postgres' ? `pool: max ${step.poolMaxTotal} open, ${step.poolMaxWaiting} waiting, wait p50 ${ms(step.poolWait, 'p50')} ms` : '', step.connectionsOpened > 0 ? `${step.connectionsOpened} connections opened` : '', others === '' ? '' : `skipped: ${others}`]
      .filter((part) => part !== '').join('; '),
  ];
}

/** What ended a store's ramp: its first failure, or — when every step passed — how close the last one came. */
function limitText(file: CoordinationRunFile, store: ThroughputStore): string {
  const failed = store.steps.some((step) => !step.pass && step.repeated !== true);
  const last = store.steps.at(-1);
  if (failed || last === undefined || !last.pass) return store.limit;
  const ceiling = store.store === 'memory' ? ' (the three schedulers share one process: one core is the ceiling)' : '';
  return `its last step (${last.jobs} jobs) passed, with lateness p99 ${num(last.lateness.p99)} ms of the ${file.settings.throughput.latenessP99LimitMs} ms allowed and the replicas at ${pct(last.clientCpuPercent)} CPU${ceiling}`;
}

function throughputTables(file: CoordinationRunFile): string {
  const summary = table(
    ['store', 'replicas', 'sustained coordinated ticks/s', 'at', 'what ended the ramp'],
    ['l', 'l', 'r', 'l', 'l'],
    file.throughput.map((store) => [
      store.store, store.topology, store.sustainedTicksPerSec === null ? 'none' : `**${num(store.sustainedTicksPerSec)}**`,
      store.sustainedJobs === null ? '—' : `${store.sustainedJobs} jobs × ${1000 / file.settings.throughput.periodMs} Hz`, limitText(file, store),
    ]),
  );
  const header = ['store', 'jobs', 'offered ticks/s', 'ran ticks/s', 'dup', 'missing', 'claim failures', 'late p50 ms', 'late p99 ms', 'claim p50 ms', 'claim p99 ms', 'RT/tick', 'CPU replicas', 'CPU store', 'other CPU', 'load', 'verdict'];
  const align = ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'] as const;
  const steps = table(header, align, file.throughput.flatMap((store) => store.steps.map((step) => stepRow(store, step))));
  return `${summary}\n\nEvery step:\n\n${steps}`;
}

function rampText(file: CoordinationRunFile): string {
  return Object.entries(file.settings.throughput.ramps)
    .map(([store, ramp]) => `${store}: ${ramp.up.join(', ')} jobs${ramp.below.length > 0 ? `, then ${ramp.below.join(', ')} if the first fails` : ''}${ramp.refine ? ', then one step between the last pass and the first failure' : ''}`)
    .join('; ');
}

/** A caveat when the machine was busy with other work while this ran. */
function loadCaveat(file: CoordinationRunFile): string | undefined {
  const loads = [...file.overhead.map((row) => row.load1), ...file.throughput.flatMap((store) => store.steps.map((step) => step.load1)), ...file.machine.loadBefore.slice(0, 1)];
  const others = [...file.overhead.map((row) => row.otherCpuPercent), ...file.throughput.flatMap((store) => store.steps.map((step) => step.otherCpuPercent))].filter((value): value is number => value !== null && Number.isFinite(value));
  const maxLoad = Math.max(...loads);
  const maxOther = others.length === 0 ? 0 : Math.max(...others);
  if (maxLoad <= file.machine.cores * 0.75 && maxOther < 25) return undefined;
  return `> **Load caveat:** the machine was shared while this ran: 1-minute load average up to ${maxLoad.toFixed(2)} on ${file.machine.cores} cores, and other processes used up to ${Math.round(maxOther)} % of a core during a window (the *other CPU* and *load* columns give it per row). Lateness and claim-latency tails include time those processes held the CPU, and replicas, stores and the rest of the machine compete for the same cores: compare rows measured under similar load, and read absolute tails and the sustained rates as lower bounds of what a quiet machine does.`;
}

function sourceText(file: CoordinationRunFile): string {
  const source = file.source;
  if (source === undefined) return `${file.versions.tickguard ?? '?'} (the commit was not recorded by this run)`;
  if (source.commit !== undefined) return `src/ of \`${source.commit.ref}\` (${source.commit.commit.slice(0, 12)}), bundled from a temporary worktree`;
  const changes = source.srcChanges;
  return `the working tree's src/ at ${source.head?.slice(0, 12) ?? '?'}${changes === null ? '' : changes.length === 0 ? ', no uncommitted changes under src/' : `, with uncommitted changes: ${changes.map((line) => `\`${line.trim()}\``).join(', ')}`}`;
}

function machineTable(file: CoordinationRunFile): string {
  const { machine, stores, versions, fdatasync } = file;
  const redis = 'version' in stores.redis ? `${stores.redis.version} (${Object.entries(stores.redis.config).map(([k, v]) => `${k} ${v === '' ? '""' : v}`).join(', ')})` : `unreachable: ${stores.redis.error}`;
  const postgres = 'version' in stores.postgres ? `${stores.postgres.version} (${Object.entries(stores.postgres.settings).map(([k, v]) => `${k} ${v}`).join(', ')})` : `unreachable: ${stores.postgres.error}`;
  const rows: [string, string][] = [
    ['CPU', `${machine.cpuModel}, ${machine.cores} cores`],
    ['memory', `${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB`],
    ['Node', `${machine.node} (${machine.platform})`],
    ['Redis', `${redis}, on this machine (127.0.0.1)`],
    ['PostgreSQL', `${postgres}, on this machine (127.0.0.1)`],
    ['clients', `ioredis ${versions.ioredis ?? '?'}, pg ${versions.pg ?? '?'}`],
    ['disk', `fdatasync of an 8 KiB write: p50 ${num(fdatasync.p50)} ms, p99 ${num(fdatasync.p99)} ms (what every synchronous commit waits for)`],
    ['date', `${file.startedAt} → ${file.finishedAt} (${(file.wallMs / 1000).toFixed(0)} s${file.quiet === null ? '' : `, of which ${(file.quiet.waitedMs / 1000).toFixed(0)} s waiting for a quiet machine (${file.quiet.quiet ? 'got it' : 'did not get it'})`})`],
    ['mode', `${file.mode}; children run ${file.build === 'tsup' ? 'a tsup bundle of src/ on plain Node' : 'src/ through tsx'}`],
    ['tickguard', sourceText(file)],
    ['load average (1/5/15 min)', `before ${machine.loadBefore.join(' / ')}, after ${machine.loadAfter.join(' / ')}`],
  ];
  return table(['', ''], ['l', 'l'], rows.map(([k, v]) => [k, v]));
}

/** Plain sentences with the figures of this run: where a claim's time goes, per store. */
function whereTheTimeGoes(file: CoordinationRunFile): string {
  const lines: string[] = [];
  const find = (store: string, mode: string): OverheadRow | undefined => file.overhead.find((row) => row.store === store && row.mode === mode && row.taskMs === 0 && row.status === 'ok');
  const base = find('none', 'local');
  if (base !== undefined) lines.push(`- **No coordinator**: lateness p50 ${num(base.lateness.p50)} ms, p99 ${num(base.lateness.p99)} ms: the timer's own lateness, the floor every row above starts from. CPU ${num(base.clientCpuPerRunUs)} µs per run: the whole process over the window divided by its runs, so at ${1000 / file.settings.overhead.periodMs} runs/s it carries the process's fixed cost (timers, GC); the rows above differ from it by what coordinating adds.`);
  const memory = find('memory', 'per-tick');
  if (memory !== undefined) lines.push(`- **memory**: a claim is a synchronous call, ${num(memory.claim.p50 * 1000)} µs p50 (${memory.prefilledRecords.toLocaleString('en-US')} tick records held, rate × 30 s of retention: a claim forgets expired records from the oldest on, so it does not depend on how many are held).`);
  const anatomy = file.anatomy !== null && !('error' in file.anatomy) ? file.anatomy : undefined;
  const op = (store: 'redis' | 'postgres' | 'memory', starts: string): Summary | undefined => {
    const entry = Object.entries(anatomy?.[store] ?? {}).find(([name]) => name.startsWith(starts));
    return entry?.[1];
  };
  if (anatomy !== undefined) {
    const ping = op('redis', 'PING');
    const redisWin = op('redis', 'claim, per-tick: wins');
    const select1 = op('postgres', 'SELECT 1');
    const pgEmpty = op('postgres', 'claim, per-tick: wins, job holds no');
    const pgFull = Object.entries(anatomy.postgres).find(([name]) => name.startsWith('claim, per-tick: wins, job holds') && !name.includes('no tick'))?.[1];
    const pgTaken = op('postgres', 'claim, per-tick: tick already taken');
    const sqlEmpty = op('postgres', 'claim SQL only, job holds no');
    const sqlFull = Object.entries(anatomy.postgres).find(([name]) => name.startsWith('claim SQL only') && !name.includes('no tick'))?.[1];
    const asyncCommit = Object.entries(anatomy.postgres).find(([name]) => name.includes('synchronous_commit off'))?.[1];
    if (ping !== undefined && redisWin !== undefined) lines.push(`- **A Redis claim, back to back**: ${num(redisWin.p50)} ms p50, against ${num(ping.p50)} ms for a bare PING: the claim script itself adds ${num(redisWin.p50 - ping.p50)} ms.`);
    if (select1 !== undefined && pgEmpty !== undefined && pgFull !== undefined && sqlEmpty !== undefined && sqlFull !== undefined) {
      const rest = pgFull.p50 - select1.p50 - sqlFull.mean;
      const flush = asyncCommit === undefined ? undefined : pgFull.p50 - asyncCommit.p50;
      lines.push(`- **A PostgreSQL claim, back to back**: ${num(pgFull.p50)} ms p50 (${num(pgEmpty.p50)} ms when the job holds no tick rows) = ${num(select1.p50)} ms for a bare round trip through the pool + ${num(sqlFull.mean)} ms for the claim function's SQL (${num(sqlEmpty.mean)} ms with no rows${sqlFull.mean - sqlEmpty.mean > 0.02 ? ': the difference is the purge of expired rows, which looks through every row the job keeps' : ': the purge of expired rows, which looks through every row the job keeps, costs little at this size'}) + ${num(rest)} ms for the rest: the commit${flush === undefined ? '' : `, of which ${num(flush)} ms is waiting for the WAL flush (the claim takes ${num(asyncCommit!.p50)} ms with synchronous_commit off)`}; fdatasync of an 8 KiB write alone takes ${num(file.fdatasync.p50)} ms p50 on this disk.${pgTaken === undefined ? '' : ` A claim that finds the tick taken costs about as much (${num(pgTaken.p50)} ms): it still locks the job's row and commits.`}`);
    }
  }
  for (const store of ['redis', 'postgres'] as const) {
    const perTick = find(store, 'per-tick');
    const exclusive = find(store, 'exclusive');
    if (perTick === undefined) continue;
    const inProcess = perTick.claim.p50 - perTick.claimCommand.p50;
    let line = `- **${store}**: a per-tick claim is ${num(perTick.roundTripsPerRun.total)} round trip per run; its p50 of ${num(perTick.claim.p50)} ms is ${num(perTick.claimCommand.p50)} ms for the command's round trip (sent → answered, as the client sees it) and ${num(inProcess)} ms in the process around it`;
    if (store === 'postgres') line += ` (of which ${num(perTick.poolWait.p50)} ms getting a pooled connection)`;
    line += `. The store spent ${num(perTick.storeCpuPerRunUs)} µs of CPU per run; the process ${num(perTick.clientCpuPerRunUs)} µs (vs ${num(base?.clientCpuPerRunUs)} µs without a coordinator).`;
    if (store === 'postgres') line += ` The rest of the round trip is waiting: the claim commits a transaction, and with synchronous_commit on it waits for the WAL flush (fdatasync p50 ${num(file.fdatasync.p50)} ms on this disk).`;
    if (exclusive !== undefined) {
      const claimX = op(store, 'claim, exclusive: wins');
      const claimT = store === 'redis' ? op('redis', 'claim, per-tick: wins') : Object.entries(anatomy?.postgres ?? {}).find(([name]) => name.startsWith('claim, per-tick: wins, job holds') && !name.includes('no tick'))?.[1];
      line += ` Exclusive adds the release (${num(exclusive.roundTripsPerRun.total)} round trips per run), sent after the run, off the start path; its claim also takes the job's lease${claimX === undefined || claimT === undefined ? '' : ` (back to back ${num(claimX.p50)} ms vs ${num(claimT.p50)} ms per-tick)`}: lateness p50 ${num(exclusive.lateness.p50)} ms vs ${num(perTick.lateness.p50)} ms per-tick.`;
    }
    lines.push(line);
  }
  for (const store of file.throughput) {
    const last = store.steps.filter((step) => step.pass).at(-1);
    const fail = store.steps.find((step) => !step.pass && step.jobs > (last?.jobs ?? 0));
    if (last === undefined) {
      lines.push(`- **${store.store}, 3 replicas**: no step passed (${store.limit}).`);
      continue;
    }
    let line = `- **${store.store}, 3 replicas**: sustained ${num(last.ranTicksPerSec)} coordinated ticks/s (${num(last.ranTicksPerSec * 3)} claims/s) with replicas at ${num(last.clientCpuPercent, 0)} % CPU${last.storeCpuPercent === null ? '' : ` and the store at ${num(last.storeCpuPercent, 0)} %`} (${num(last.clientCpuPerClaimUs)} µs of replica CPU${last.storeCpuPerClaimUs === null ? '' : ` and ${num(last.storeCpuPerClaimUs)} µs of store CPU`} per claim; other processes ${pct(last.otherCpuPercent)})`;
    if (fail !== undefined) line += `; at ${num(fail.offeredTicksPerSec)} ticks/s: ${fail.why.join('; ')}, with replicas at ${num(fail.clientCpuPercent, 0)} %${fail.storeCpuPercent === null ? '' : `, the store at ${num(fail.storeCpuPercent, 0)} %`} and other processes at ${pct(fail.otherCpuPercent)} of one core (${file.machine.cores * 100} % in all)${store.store === 'postgres' ? `; pool: ${fail.poolMaxTotal} connections open, up to ${fail.poolMaxWaiting} claims waiting for one, pool wait p50 ${ms(fail.poolWait, 'p50')} ms` : ''}`;
    lines.push(`${line}.`);
  }
  return lines.join('\n');
}

function keptAnalysis(previous: string | undefined): string {
  if (previous !== undefined) {
    const start = previous.indexOf(ANALYSIS_START);
    const end = previous.indexOf(ANALYSIS_END);
    if (start >= 0 && end > start) return previous.slice(start, end + ANALYSIS_END.length);
  }
  return `${ANALYSIS_START}\n\n*(No hand-written analysis yet.)*\n\n${ANALYSIS_END}`;
}

export function renderCoordinationReport(file: CoordinationRunFile, jsonPath: string, previous: string | undefined): string {
  const overhead = file.settings.overhead;
  const tp = file.settings.throughput;
  const renewals = renewalTable(file);
  const sections = [
    '# tickguard coordination benchmarks',
    `Generated by \`bench/coordination.ts\` from \`${file.command}\` (results: \`${jsonPath}\`). What it costs to run each tick once across replicas, on the local stores. Redis and PostgreSQL run on this machine, so round trips are loopback TCP (~0.05 ms) and the stores share the ${file.machine.cores} cores with the replicas: in a deployment the network adds its round trip to every claim, and the stores' CPU is their own.`,
    `Children run ${file.build === 'tsup' ? 'a tsup bundle of src/ (as the main benchmark does)' : 'src/ through tsx'}; either is fair here, since the costs measured are dominated by I/O, not by the engine's CPU.`,
    '## Machine',
    machineTable(file),
    ...(loadCaveat(file) === undefined ? [] : [loadCaveat(file)!]),
    ...(anatomyTable(file) === undefined ? [] : [
      '## 0. Anatomy of a claim',
      `The store operations a claim is made of, each timed ${file.settings.anatomy.samples} times back to back on one warm connection, without a scheduler (in a child, like the cases). PostgreSQL's "SQL only" rows run 100 claims in one \`DO\` block: the claim function's work in the database without a round trip or a commit. Probe claims keep their own tick records 1 ms, so a job holds the rows it started with (none, or the ${Math.round(31_000 / 100) - 1} a 10 Hz job keeps over its 31 s retention) throughout.`,
      anatomyTable(file)!,
    ]),
    '## 1. Overhead per run',
    `One scheduler, one job on \`fixedRate: ${overhead.periodMs}\` (a slot claim takes the same path at any period; ${1000 / overhead.periodMs} Hz gives enough runs for a p99), sync no-op task, in its own process; ${overhead.window.warmupMs / 1000} s warm-up, then a ${overhead.window.windowMs / 1000} s window. Runs, claims and skips are those of ticks *due* in the window.`,
    [
      '- *RT/run*: commands sent to the store while the window was open, over the runs: every ioredis `evalsha`/`eval` and every pg `client.query()` on a connection from `pool.connect()`, counted on the client by wrapping it. 0 for memory (in-process).',
      '- *late*: run start minus due time (`ctx.scheduledAt`). *added*: minus the same percentile without a coordinator.',
      '- *claim*: the coordinator\'s `claim()` called → verdict resolved (wrapping the coordinator). *store RTT*: the claim command alone, sent → answered. *pool wait*: `pool.connect()` until a connection was handed over.',
      '- *CPU/run*: `process.cpuUsage()` of the replica over the window, and the store processes\' CPU (`/proc/<pid>/stat` of `redis-server` / every `postgres` process), over the runs. *other CPU*: what the rest of the machine (other work, the OS) used over the window, from `/proc/stat`, in % of one core. *load*: the 1-minute load average when the case started.',
      `- The memory store and the PostgreSQL table were pre-filled with the tick records the job leaves over its retention (30 s; 31 s in PostgreSQL with the skew bound), so claims run against the state a running deployment has (PostgreSQL's claim purges the job's expired rows; the memory store forgets expired records from the oldest on). Redis keys are independent (O(1) per claim), so Redis is not pre-filled.`,
    ].join('\n'),
    overheadTable(file),
    ...(renewals === undefined ? [] : ['Renewals: an exclusive run that outlives a third of its lease (120 ms task, `leaseTtl: 150ms`, renewed every 50 ms), every 200 ms.', renewals]),
    '## 2. Throughput: 3 replicas',
    `Three replicas run the same N jobs on \`fixedRate: ${tp.periodMs}\` (phases spread over the period), \`coordination: 'per-tick'\`, sync no-op task, \`claimTimeout: ${tp.claimTimeoutMs}\`; each tick is claimed by all three and run by one. N grows (${rampText(file)}) until a step fails: a claim times out or fails, lateness p99 passes ${tp.latenessP99LimitMs} ms, or more than ${tp.missingLimit * 100} % of the ticks due are run by no replica. Each step: fresh prefix/schema (pre-filled to its retention as above), ${tp.window.warmupMs / 1000} s warm-up, ${tp.window.windowMs / 1000} s window, ${tp.window.graceMs / 1000} s for the last claims and runs to settle.`,
    [
      '- *ran ticks/s*: distinct ticks due in the window that some replica ran. *dup*: runs beyond the first of a tickId, across the replicas (must be 0). *missing*: ticks due that no replica ran.',
      '- *RT/tick*: store commands of all three replicas per tick run. *CPU*: all replicas together, the store\'s processes, and everything else on the machine, in % of one core (the machine has ' + String(file.machine.cores) + ' cores: ' + String(file.machine.cores * 100) + ' % in all).',
    ].join('\n'),
    throughputTables(file),
    '## Where the time goes',
    whereTheTimeGoes(file),
    '## Analysis',
    keptAnalysis(previous),
  ];
  return `${sections.join('\n\n')}\n`;
}
