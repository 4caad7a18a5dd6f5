/**
 * `npm run bench:coordination` (`npx tsx bench/coordination.ts [--quick]`): what coordinating
 * ticks across replicas costs on the local stores — memory, Redis, PostgreSQL.
 *
 *  1. Overhead: one scheduler, one job on fixedRate 20 ms, per store and mode (per-tick,
 *     exclusive) and without a coordinator: round trips per run (counted on the client), lateness
 *     with and without coordination, claim latency, CPU per run in the process and in the store.
 *  2. Throughput: three replicas run the same N jobs × 10 Hz; N grows until a claim fails or times
 *     out, lateness p99 passes 100 ms, or ticks go unrun. Duplicates are counted by tickId.
 *
 * Writes bench/results/coordination-<date>.json and (full runs) bench/COORDINATION.md.
 * Children run tsup bundles of src/ on plain Node, as the main benchmark does (`--via-tsx` runs
 * src/ through tsx instead: the costs measured here are dominated by I/O, so either is fair).
 * Redis keys go under a fresh prefix and PostgreSQL tables into fresh schemas, removed at the end.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';
import { describeMachine, loadNow } from './machine.js';
import { resolveBaseline, withBaselineSrc } from './lib/baseline.js';
import type { ChildEntry } from './coordination/replica-process.js';
import { runAnatomy, runOverheadCase, runThroughput, type OverheadCase, type OverheadRow, type ThroughputPlan, type ThroughputStore } from './coordination/parts.js';
import { POSTGRES_URL, REDIS_URL, adminPool, deleteRedisKeys, describeStores, dropSchemas, fdatasyncProbe, waitForQuiet, type StoreInfo } from './coordination/stores.js';
import { renderCoordinationReport } from './coordination/report.js';
import type { Anatomy, Entries, Store, Summary } from './coordination/types.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const REPORT_MD = fileURLToPath(new URL('./COORDINATION.md', import.meta.url));
const CHILD_TS = fileURLToPath(new URL('./coordination/child.ts', import.meta.url));
const CACHE = fileURLToPath(new URL('../node_modules/.cache/tickguard-bench/', import.meta.url));

const USAGE = `usage: npx tsx bench/coordination.ts [options]     (or: npm run bench:coordination -- [options])

  --quick              short windows and one load step per store (~40 s): a smoke test, not the
                       limits; writes bench/results/coordination-<date>.{json,md}
  --stores <list>      comma-separated subset of memory,redis,postgres (default: all)
  --parts <list>       overhead,throughput (default: both)
  --via-tsx            run src/ through tsx in the children instead of a tsup bundle
  --commit <ref>       measure src/ of a commit (checked out into a temporary worktree while it is
                       bundled) instead of the working tree's, e.g. while src/ is being edited
  --wait-quiet[=<s>]   first wait (up to <s> s, default 300) until the machine is quiet: other work
                       on it shows up in every lateness tail and caps the throughput ramp
  --report <json>      re-render the markdown of an earlier run from its JSON (no measuring)
  --help

A full run (~3 min) also rewrites bench/COORDINATION.md. Stores: TICKGUARD_BENCH_REDIS
(default ${REDIS_URL}), TICKGUARD_BENCH_POSTGRES (default ${POSTGRES_URL}).`;

const ALL_STORES: readonly Store[] = ['memory', 'redis', 'postgres'];

interface Options {
  readonly quick: boolean;
  readonly stores: readonly Store[];
  readonly parts: readonly ('overhead' | 'throughput')[];
  readonly viaTsx: boolean;
  /** Wait up to this long for a quiet machine before measuring, ms; 0: do not wait. */
  readonly waitQuietMs: number;
  readonly report: string | undefined;
  readonly commit: string | undefined;
  readonly help: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  let quick = false;
  let viaTsx = false;
  let help = false;
  let waitQuietMs = 0;
  let report: string | undefined;
  let commit: string | undefined;
  let stores: Store[] = [...ALL_STORES];
  let parts: ('overhead' | 'throughput')[] = ['overhead', 'throughput'];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    const value = (): string => {
      const next = argv[++index];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--quick') quick = true;
    else if (arg === '--via-tsx') viaTsx = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--wait-quiet') waitQuietMs = 300_000;
    else if (arg === '--report') report = value();
    else if (arg === '--commit') commit = value();
    else if (arg?.startsWith('--wait-quiet=') === true) {
      waitQuietMs = Number(arg.slice('--wait-quiet='.length)) * 1000;
      if (!Number.isFinite(waitQuietMs) || waitQuietMs < 0) throw new Error(`${arg}: expected seconds`);
    }
    else if (arg === '--stores') {
      stores = value().split(',') as Store[];
      for (const store of stores) if (!ALL_STORES.includes(store)) throw new Error(`unknown store ${store}`);
    } else if (arg === '--parts') {
      parts = value().split(',') as ('overhead' | 'throughput')[];
      for (const part of parts) if (part !== 'overhead' && part !== 'throughput') throw new Error(`unknown part ${part}`);
    } else throw new Error(`unknown argument ${String(arg)}`);
  }
  if (commit !== undefined && viaTsx) throw new Error('--commit bundles the commit\'s src/: it does not combine with --via-tsx');
  return { quick, stores, parts, viaTsx, waitQuietMs, report, commit, help };
}

/** The plan: windows, periods and the ramp, for full and quick runs. */
function settingsFor(quick: boolean) {
  const overheadWindow = quick ? { warmupMs: 400, windowMs: 1_000, graceMs: 200 } : { warmupMs: 1_000, windowMs: 5_000, graceMs: 300 };
  const throughput: ThroughputPlan = {
    periodMs: 100,
    // The memory store's claim sweeps every record it holds (rate × 30 s), and so does its pre-fill:
    // its ramp is short and low. Redis and PostgreSQL double from 100 jobs (1,000 ticks/s).
    ramps: quick
      ? {
          // One step per store: a smoke test of the whole path. The limits come from a full run.
          memory: { up: [25], below: [], refine: false },
          redis: { up: [100], below: [], refine: false },
          postgres: { up: [20], below: [], refine: false },
        }
      : {
          memory: { up: [50, 100], below: [25, 10], refine: false },
          redis: { up: [100, 200, 400, 800, 1_600, 3_200], below: [50, 20], refine: true },
          postgres: { up: [100, 200, 400, 800, 1_600], below: [50, 20, 10], refine: true },
        },
    claimTimeoutMs: 1_000,
    latenessP99LimitMs: 100,
    missingLimit: 0.001,
    noisyOtherCpuPercent: 50,
    // The grace after the window outlasts claimTimeout, so that a claim of a tick due in the window that times out is counted.
    window: quick ? { warmupMs: 800, windowMs: 1_000, graceMs: 1_100 } : { warmupMs: 1_500, windowMs: 3_000, graceMs: 1_200 },
  };
  return {
    anatomy: { samples: quick ? 60 : 300, memoryRecords: quick ? [0, 1_500] : [0, 1_500, 15_000] },
    overhead: { periodMs: 20, window: overheadWindow, renewals: !quick, renewalWindow: { warmupMs: 700, windowMs: 3_000, graceMs: 300 } },
    throughput,
    /** Wall-clock budget of part 2, shared by the stores in order. */
    throughputBudgetMs: quick ? 22_000 : 110_000,
  };
}

function overheadCases(stores: readonly Store[], periodMs: number, renewals: boolean): OverheadCase[] {
  const cases: OverheadCase[] = [{ id: 'none-local', store: 'none', mode: 'local', periodMs, taskMs: 0 }];
  for (const store of stores) {
    for (const mode of ['per-tick', 'exclusive'] as const) cases.push({ id: `${store}-${mode}`, store, mode, periodMs, taskMs: 0 });
  }
  if (renewals) {
    // A run that outlives a third of its lease: exclusive, 120 ms task, leaseTtl 150 ms (renewed every 50 ms), every 200 ms.
    for (const store of stores) cases.push({ id: `${store}-exclusive-renewing`, store, mode: 'exclusive', periodMs: 200, taskMs: 120, leaseTtlMs: 150 });
  }
  return cases;
}

async function buildEntries(viaTsx: boolean, srcDir: string): Promise<{ entries: Entries; child: ChildEntry; outDir?: string }> {
  if (viaTsx) {
    return {
      entries: { tickguard: join(srcDir, 'index.ts'), redis: join(srcDir, 'integrations/redis.ts'), postgres: join(srcDir, 'integrations/postgres.ts') },
      child: { args: [...process.execArgv, CHILD_TS] },
    };
  }
  mkdirSync(CACHE, { recursive: true });
  const outDir = mkdtempSync(join(CACHE, 'build-coordination-'));
  // One build with code splitting, as dist/ is built: tickguard/redis and tickguard/postgres share the core's classes.
  await build({
    entry: {
      tickguard: join(srcDir, 'index.ts'),
      redis: join(srcDir, 'integrations/redis.ts'),
      postgres: join(srcDir, 'integrations/postgres.ts'),
      'coordination-child': CHILD_TS,
    },
    format: ['esm'],
    outDir,
    target: 'node20',
    platform: 'node',
    external: ['ioredis', 'pg', 'croner'],
    dts: false,
    sourcemap: false,
    splitting: true,
    clean: false,
    silent: true,
    config: false,
  });
  return {
    entries: { tickguard: join(outDir, 'tickguard.js'), redis: join(outDir, 'redis.js'), postgres: join(outDir, 'postgres.js') },
    child: { args: [join(outDir, 'coordination-child.js')] },
    outDir,
  };
}

/** What was measured: HEAD and the uncommitted changes under src/ at build time, or the commit of `--commit`. */
export interface SourceInfo {
  readonly head: string | null;
  /** `git status --porcelain -- src` of the working tree when it was bundled (empty: clean); null with --commit. */
  readonly srcChanges: string[] | null;
  readonly commit?: { ref: string; commit: string };
}

function gitOut(args: readonly string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** Bundles the working tree's src/, or with `--commit` that commit's src/ from a temporary worktree. */
async function buildSource(options: Options): Promise<{ built: Awaited<ReturnType<typeof buildEntries>>; source: SourceInfo }> {
  const head = gitOut(['rev-parse', 'HEAD']);
  if (options.commit === undefined) {
    const status = gitOut(['status', '--porcelain', '--', 'src']);
    const built = await buildEntries(options.viaTsx, join(ROOT, 'src'));
    return { built, source: { head, srcChanges: status === null ? null : status.split('\n').filter((line) => line !== '') } };
  }
  let baseline;
  try {
    baseline = resolveBaseline(ROOT, options.commit);
  } catch (error) {
    throw new Error((error instanceof Error ? error.message : String(error)).replace('--baseline', '--commit'));
  }
  const built = await withBaselineSrc(ROOT, baseline, (srcDir) => buildEntries(false, srcDir));
  return { built, source: { head, srcChanges: null, commit: { ref: options.commit, commit: baseline.commit } } };
}

function packageVersion(name: string): string {
  try {
    const path = name === 'tickguard' ? join(ROOT, 'package.json') : join(ROOT, 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(path, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

/** Whether a run file's report is the published bench/COORDINATION.md: a full run of everything, from the bundle. */
function publishes(file: CoordinationRunFile): boolean {
  const args = file.command.split(' ');
  return file.mode === 'full' && file.build === 'tsup' && !args.includes('--stores') && !args.includes('--parts');
}

function previousReport(): string | undefined {
  try {
    return readFileSync(REPORT_MD, 'utf8');
  } catch {
    return undefined;
  }
}

function stampOf(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

export interface CoordinationRunFile {
  readonly schema: 1;
  readonly kind: 'coordination';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly mode: 'full' | 'quick';
  readonly command: string;
  readonly build: 'tsup' | 'tsx';
  /** What was measured (absent in files written before it was recorded). */
  readonly source?: SourceInfo;
  readonly machine: ReturnType<typeof describeMachine> & { loadBefore: number[]; loadAfter: number[] };
  readonly versions: Record<string, string>;
  readonly stores: StoreInfo;
  readonly fdatasync: Summary & { dir: string };
  readonly settings: ReturnType<typeof settingsFor>;
  /** Store operations timed back to back (overhead part only). */
  readonly anatomy: Anatomy | { error: string } | null;
  readonly overhead: OverheadRow[];
  readonly throughput: ThroughputStore[];
  readonly cleanup: { redisKeysLeft: number; schemasLeft: number };
  /** `--wait-quiet`: how long the run waited for a quiet machine, and whether it got one. */
  readonly quiet: { waitedMs: number; quiet: boolean; lastBusy: number | null } | null;
  readonly wallMs: number;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const options = parseArgs(argv);
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (options.report !== undefined) {
    const file = JSON.parse(readFileSync(options.report, 'utf8')) as CoordinationRunFile;
    const target = publishes(file) ? REPORT_MD : options.report.replace(/\.json$/, '.md');
    writeFileSync(target, renderCoordinationReport(file, relative(ROOT, resolve(options.report)), publishes(file) ? previousReport() : undefined));
    process.stdout.write(`report: ${relative(ROOT, target)}\n`);
    return;
  }
  const started = new Date();
  const settings = settingsFor(options.quick);
  const loadBefore = loadNow();
  const log = (line: string): void => void process.stdout.write(`${line}\n`);

  const stores = await describeStores();
  const unavailable: Store[] = [];
  if ('error' in stores.redis && options.stores.includes('redis')) unavailable.push('redis');
  if ('error' in stores.postgres && options.stores.includes('postgres')) unavailable.push('postgres');
  if (unavailable.length > 0) throw new Error(`store(s) not reachable: ${unavailable.join(', ')} (${JSON.stringify(stores)})`);
  log(`stores: redis ${'version' in stores.redis ? stores.redis.version : '?'}, postgres ${'version' in stores.postgres ? stores.postgres.version : '?'}`);

  const { built: { entries, child, outDir }, source } = await buildSource(options);
  log(source.commit !== undefined
    ? `measuring src/ of ${source.commit.ref} (${source.commit.commit.slice(0, 12)})`
    : `measuring the working tree's src/ at ${source.head?.slice(0, 12) ?? '?'}${source.srcChanges === null || source.srcChanges.length === 0 ? ' (no uncommitted changes under src/)' : ` with ${source.srcChanges.length} uncommitted change(s) under src/`}`);
  log(options.viaTsx
    ? 'children run src/ through tsx (fine here: the costs measured are dominated by store round trips, not by the engine\'s CPU)'
    : `children run a tsup bundle of src/ on plain Node: ${outDir ?? ''}`);

  const runId = `${started.getTime().toString(36)}${process.pid.toString(36)}`;
  const prefix = `tickguard-bench:${runId}:`;
  const schema = `tickguard_bench_${runId}`;
  const admin = adminPool();
  const context = {
    child,
    entries,
    connections: { redisUrl: REDIS_URL, postgresUrl: POSTGRES_URL, applicationName: `tickguard-bench-${runId}` },
    admin,
    prefix,
    schema,
    log,
  };
  let interrupted = false;
  const cleanUpAll = async (): Promise<{ redisKeysLeft: number; schemasLeft: number }> => {
    await deleteRedisKeys(prefix).catch(() => 0);
    await dropSchemas(admin, schema).catch(() => 0);
    const redisKeysLeft = await deleteRedisKeys(prefix).catch(() => -1);
    const schemasLeft = Number((await admin.query('SELECT count(*) AS n FROM pg_namespace WHERE nspname LIKE $1', [`${schema}%`]).catch(() => ({ rows: [{ n: -1 }] }))).rows[0]?.n ?? -1);
    return { redisKeysLeft, schemasLeft };
  };
  process.once('SIGINT', () => {
    interrupted = true;
    log('interrupted: cleaning up');
    void cleanUpAll().finally(() => process.exit(130));
  });

  let quiet: CoordinationRunFile['quiet'] = null;
  if (options.waitQuietMs > 0) {
    log(`waiting up to ${options.waitQuietMs / 1000} s for a quiet machine …`);
    quiet = await waitForQuiet(options.waitQuietMs, describeMachine().cores, 0.25, 2_000, log);
    log(quiet.quiet ? `quiet after ${(quiet.waitedMs / 1000).toFixed(0)} s` : `still busy after ${(quiet.waitedMs / 1000).toFixed(0)} s (${Math.round((quiet.lastBusy ?? 0) * 100)} %): measuring anyway`);
  }
  const fdatasync = fdatasyncProbe(options.quick ? 300 : 1_000);
  log(`fdatasync (8 KiB, ${fdatasync.dir}): p50 ${fdatasync.p50.toFixed(2)} ms, p99 ${fdatasync.p99.toFixed(2)} ms`);

  const overhead: OverheadRow[] = [];
  const throughput: ThroughputStore[] = [];
  let anatomy: CoordinationRunFile['anatomy'] = null;
  try {
    if (options.parts.includes('overhead')) {
      log(`\n0. anatomy of a claim: store operations back to back, ${settings.anatomy.samples} each`);
      anatomy = await runAnatomy(context, settings.anatomy.samples, settings.anatomy.memoryRecords);
      if ('error' in anatomy) log(`  error: ${anatomy.error as string}`);
      else for (const [store, operations] of Object.entries(anatomy)) for (const [operation, summary] of Object.entries(operations as Record<string, Summary>)) log(`  ${store}: ${operation}: p50 ${summary.p50.toFixed(3)} ms`);
      const cases = overheadCases(options.stores, settings.overhead.periodMs, settings.overhead.renewals);
      log(`\n1. overhead: ${cases.length} cases, one job each (${settings.overhead.window.windowMs / 1000} s windows)`);
      for (const [index, overheadCase] of cases.entries()) {
        if (interrupted) break;
        const row = await runOverheadCase(context, overheadCase, overheadCase.taskMs > 0 ? settings.overhead.renewalWindow : settings.overhead.window);
        overhead.push(row);
        log(`[${index + 1}/${cases.length}] ${row.id}: ${row.status === 'ok'
          ? `${row.runs} runs, RT/run ${row.roundTripsPerRun.total.toFixed(2)}, lateness p50 ${row.lateness.p50.toFixed(2)} / p99 ${row.lateness.p99.toFixed(2)} ms, claim p50 ${row.claim.p50.toFixed(3)} / p99 ${row.claim.p99.toFixed(3)} ms`
          : `error: ${row.reason ?? ''}`}`);
      }
    }
    if (options.parts.includes('throughput')) {
      const deadline = Date.now() + settings.throughputBudgetMs;
      log(`\n2. throughput: 3 replicas, N jobs × ${1000 / settings.throughput.periodMs} Hz`);
      for (const [index, store] of options.stores.entries()) {
        if (interrupted) break;
        // Each store gets its share of what is left of the budget.
        const share = Date.now() + (deadline - Date.now()) / (options.stores.length - index);
        const result = await runThroughput(context, store, settings.throughput, share);
        throughput.push(result);
        log(`  ${store}: sustained ${result.sustainedTicksPerSec === null ? 'none' : `${result.sustainedTicksPerSec.toFixed(0)} coordinated ticks/s`} (${result.limit})`);
      }
    }
  } catch (error) {
    await cleanUpAll();
    throw error;
  }
  const cleanup = await cleanUpAll();
  await admin.end();
  if (outDir !== undefined) rmSync(outDir, { recursive: true, force: true });

  const finished = new Date();
  const file: CoordinationRunFile = {
    schema: 1,
    kind: 'coordination',
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    mode: options.quick ? 'quick' : 'full',
    command: ['npx tsx bench/coordination.ts', ...argv].join(' '),
    build: options.viaTsx ? 'tsx' : 'tsup',
    source,
    machine: { ...describeMachine(), loadBefore, loadAfter: loadNow() },
    versions: { tickguard: packageVersion('tickguard'), ioredis: packageVersion('ioredis'), pg: packageVersion('pg'), tsup: packageVersion('tsup'), tsx: packageVersion('tsx') },
    stores,
    fdatasync,
    settings,
    anatomy,
    overhead,
    throughput,
    cleanup,
    quiet,
    wallMs: finished.getTime() - started.getTime(),
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = stampOf(started);
  const jsonPath = join(RESULTS_DIR, `coordination-${stamp}.json`);
  writeFileSync(jsonPath, `${JSON.stringify(file, null, 2)}\n`);
  const published = publishes(file);
  const mdPath = published ? REPORT_MD : join(RESULTS_DIR, `coordination-${stamp}.md`);
  writeFileSync(mdPath, renderCoordinationReport(file, `bench/results/coordination-${stamp}.json`, published ? previousReport() : undefined));
  log(`\nresults: ${jsonPath.replace(ROOT, '')}\nreport:  ${mdPath.replace(ROOT, '')}\ncleanup: ${cleanup.redisKeysLeft} Redis keys and ${cleanup.schemasLeft} schemas of this run left\ntook ${(file.wallMs / 1000).toFixed(1)} s`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n\n${USAGE}\n`);
  process.exitCode = 2;
});
