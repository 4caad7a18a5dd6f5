/**
 * `npm run bench`: plans the cases, runs each in its own child process, writes the results
 * to <out-dir>/<date>.json and renders the report. See `--help` for the flags.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { USAGE, parseCli, type CliOptions } from './cli-options.js';
import { buildPlan, type PlannedCase } from './plan.js';
import { spawnCase } from './spawn-case.js';
import { mergeRepeats } from './merge.js';
import { describeMachine, libraryVersions, loadNow } from './machine.js';
import { beforeAfterSection, renderReport } from './report.js';
import { buildBundles, type Bundles } from './lib/build.js';
import { resolveBaseline, withBaselineSrc } from './lib/baseline.js';
import { validateRunFile } from './schema.js';
import type { BaselineInfo, CaseResult, RunFile } from './types.js';

const RESULTS_MD = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const SRC_DIR = fileURLToPath(new URL('../src/', import.meta.url));
const REPO_DIR = fileURLToPath(new URL('../', import.meta.url));

/** Paths inside the repository are recorded relative to it, so results do not name this machine's folders. */
function repoRelative(text: string): string {
  return text.split(REPO_DIR).join('');
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`;
}

function profileArgs(options: CliOptions): string[] {
  const args: string[] = [];
  if (options.cpuProfDir !== undefined) args.push('--cpu-prof', `--cpu-prof-dir=${resolve(options.cpuProfDir)}`);
  if (options.heapProfDir !== undefined) args.push('--heap-prof', `--heap-prof-dir=${resolve(options.heapProfDir)}`);
  return args;
}

/**
 * Runs the plan: cases one after another (or `--concurrency` at once), except the avalanche
 * cases, which all run together afterwards: they wait on timers nearly all the time, and what
 * they measure (backlog, buffers, heap, handles) does not depend on CPU time, so running them
 * side by side costs their 30 s once instead of six times.
 */
async function runPlan(plan: readonly PlannedCase[], options: CliOptions, childBundle: string | undefined): Promise<CaseResult[]> {
  const results: (CaseResult | undefined)[] = new Array<CaseResult | undefined>(plan.length);
  const extraNodeArgs = profileArgs(options);
  let done = 0;
  const runOne = async (index: number): Promise<void> => {
    const planned = plan[index]!;
    let result: CaseResult;
    if (planned.kind === 'fixed') {
      result = planned.result;
    } else {
      const runs: CaseResult[] = [];
      for (let repeat = 0; repeat < options.repeat; repeat++) {
        runs.push(await spawnCase(planned.spec, { childBundle, heapCapMb: options.heapCapMb, extraNodeArgs }));
      }
      result = mergeRepeats(runs);
    }
    results[index] = result;
    done += 1;
    const status = result.status === 'ok' ? 'ok' : `${result.status}: ${result.reason ?? ''}`;
    process.stdout.write(`[${done}/${plan.length}] ${result.id} ${status} (${formatMs(result.wallMs)})\n`);
  };
  const runGroup = async (indices: readonly number[], concurrency: number): Promise<void> => {
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let at = next++; at < indices.length; at = next++) await runOne(indices[at]!);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, indices.length) }, worker));
  };
  const idleBound = (planned: PlannedCase): boolean => planned.kind === 'run' && planned.spec.scenario === 'avalanche';
  const indices = plan.map((_, index) => index);
  await runGroup(indices.filter((index) => !idleBound(plan[index]!)), options.concurrency);
  const together = indices.filter((index) => idleBound(plan[index]!));
  await runGroup(together, Math.max(options.concurrency, together.length));
  return results.filter((result): result is CaseResult => result !== undefined);
}

function idOf(planned: PlannedCase): string {
  return planned.kind === 'run' ? planned.spec.id : planned.result.id;
}

function stampOf(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

/** Where `--report` writes. A before/after comparison is never the published RESULTS.md: it goes next to its JSON, as its run wrote it. */
function reportTarget(options: CliOptions, file: RunFile, jsonPath: string): string {
  if (file.baseline !== undefined) return `${jsonPath.replace(/\.json$/, '')}.md`;
  return options.outDirGiven ? join(options.outDir, 'RESULTS.md') : RESULTS_MD;
}

/** The bundles of src/ (or --tickguard-src) and, with --baseline, of the baseline commit's src/ in the same build. */
function buildAll(srcDir: string, baseline: BaselineInfo | undefined): Promise<Bundles> {
  if (baseline === undefined) return buildBundles(srcDir);
  return withBaselineSrc(REPO_DIR, baseline, (baselineSrc) => buildBundles(srcDir, baselineSrc));
}

function commandLine(argv: readonly string[]): string {
  return ['npm run bench', ...(argv.length === 0 ? [] : ['--', ...argv])].join(' ');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const options = parseCli(argv);
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (options.reportOnly !== undefined) {
    const file = JSON.parse(readFileSync(options.reportOnly, 'utf8')) as RunFile;
    const target = reportTarget(options, file, options.reportOnly);
    writeFileSync(target, renderReport(file));
    process.stdout.write(`report: ${target}\n`);
    return;
  }

  const srcDir = resolve(options.tickguardSrc ?? SRC_DIR);
  // Resolved before anything is built, so a bad ref fails at once.
  const baseline = options.baseline === undefined ? undefined : resolveBaseline(REPO_DIR, options.baseline);
  const bundles = options.viaTsx ? undefined : await buildAll(srcDir, baseline);
  const tickguardEntry = bundles?.tickguard ?? join(srcDir, 'index.ts');
  process.stdout.write(`tickguard: ${tickguardEntry}\n`);
  const baselineBundle = baseline === undefined || bundles?.baseline === undefined ? undefined : { entry: bundles.baseline, name: baseline.name };
  if (baseline !== undefined && baselineBundle !== undefined) {
    process.stdout.write(`tickguard@${baseline.name}: ${baselineBundle.entry} (commit ${baseline.commit})\n`);
  }

  const startedAt = new Date();
  const loadBefore = loadNow();
  const fullPlan = buildPlan({
    mode: options.mode,
    scenarios: options.scenarios,
    systems: options.systems,
    tickguardEntry,
    baseline: baselineBundle,
    profileDir: options.profileWindowDir === undefined ? undefined : resolve(options.profileWindowDir),
  });
  const plan = options.match === undefined ? fullPlan : fullPlan.filter((planned) => idOf(planned).includes(options.match ?? ''));
  process.stdout.write(`bench (${options.mode}): ${plan.length} cases, load average ${loadBefore.join(' ')}\n`);
  const results = await runPlan(plan, options, bundles?.child);
  const finishedAt = new Date();

  const file: RunFile = {
    schema: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    mode: options.mode,
    command: commandLine(argv),
    machine: { ...describeMachine(), loadBefore, loadAfter: loadNow() },
    versions: libraryVersions(),
    heapCapMb: options.heapCapMb,
    tickguardSrc: relative(REPO_DIR, srcDir) || '.',
    build: options.viaTsx ? 'tsx' : 'tsup',
    ...(baseline === undefined ? {} : { baseline }),
    results,
  };
  const problems = validateRunFile(file, plan.map(idOf));
  if (problems.length > 0) process.stderr.write(`result file problems:\n  ${problems.join('\n  ')}\n`);

  mkdirSync(options.outDir, { recursive: true });
  const stamp = stampOf(startedAt);
  const jsonPath = join(options.outDir, `${stamp}.json`);
  writeFileSync(jsonPath, repoRelative(`${JSON.stringify(file, null, 2)}\n`));
  const updatesResults =
    options.mode === 'full' && !options.filtered && !options.outDirGiven && options.tickguardSrc === undefined && !options.viaTsx && baseline === undefined;
  const mdPath = updatesResults ? RESULTS_MD : join(options.outDir, `${stamp}.md`);
  writeFileSync(mdPath, renderReport(file));
  if (baseline !== undefined) process.stdout.write(`\n${beforeAfterSection(file)}\n\n`);
  process.stdout.write(`results: ${jsonPath}\nreport:  ${mdPath}\ntook ${formatMs(finishedAt.getTime() - startedAt.getTime())}, load average ${file.machine.loadAfter.join(' ')}\n`);
  if (problems.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
  process.exitCode = 2;
});
