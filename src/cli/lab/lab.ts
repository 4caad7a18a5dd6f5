/**
 * `tickguard lab`: parse the flags, run the strategies side by side in child processes, then
 * print the comparison (or only JSON with `--json`), write the HTML report, and exit 1 if a
 * tickguard strategy broke its promise or a worker failed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LAB_USAGE, UsageError, parseLabArgs, type LabOptions } from './args.js';
import { assembleReport, type ReplicasInput } from './assemble.js';
import { createLiveView, type LiveMode, type LiveOutput } from './live.js';
import { renderHtmlReport } from './report-html.js';
import { renderSummary } from './report-table.js';
import { runStrategies, type RunnerSettings } from './runner.js';
import { STRATEGIES } from './strategies.js';
import { excessRatePerSecond, formatBytes, formatMs, plural } from './format.js';
import type { LabReport, LabSettings, StoreTarget } from './protocol.js';
import { runReplicasScene, type ReplicasOutcome, type ReplicasSettings } from './replicas.js';
import { maskUrl, newNamespace, pickStore, storeCandidates } from './stores.js';
import { packageVersion } from '../version.js';

/** Memory the downstream holds per accepted request: enough for a pile-up to show on a chart. */
const BYTES_PER_REQUEST = 512 * 1024;
/** Past this the downstream allocates no more: the naive strategy is marked "would keep growing". */
const MEMORY_CAP_BYTES = 64 * 1024 * 1024;
/** Samples per strategy aimed at, whatever the duration: every 100 ms up to a minute. */
const MAX_SAMPLES = 600;
/** A replica's run: a short call, well inside the interval (30 ms at the default 100 ms). */
const REPLICA_RUN_FRACTION = 0.3;
const REPLICA_RUN_MAX_MS = 50;

/** Where the command writes. */
export interface LabIo {
  readonly stdout: LiveOutput & { readonly isTTY?: boolean };
  readonly stderr: LiveOutput;
}

/** Runs `tickguard lab` with the arguments after `lab`; resolves with the exit code. */
export async function runLabCommand(argv: readonly string[], io: LabIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let options: LabOptions;
  try {
    options = parseLabArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`tickguard lab: ${error.message}\n\n${LAB_USAGE}\n`);
    return 2;
  }
  if (options.help) {
    io.stdout.write(`${LAB_USAGE}\n`);
    return 0;
  }

  const settings = labSettings(options);
  const mode: LiveMode = options.json ? 'off' : io.stdout.isTTY === true ? 'tty' : 'lines';

  // The scene's store is settled first: a required one that does not answer ends the lab at once.
  let scene: ReplicasSettings | null = null;
  let replicasInput: ReplicasInput = { kind: 'off', flag: '--no-replicas' };
  if (options.replicas !== 'off') {
    const tried = storeCandidates(options.redisUrl, options.postgresUrl);
    const pick = await pickStore(tried);
    if (pick.store === null) {
      if (options.replicas === 'on') {
        const why = pick.failures.map((failure) => `${failure.url}: ${failure.error}`).join('; ');
        io.stderr.write(`tickguard lab: --replicas needs Redis or PostgreSQL, and none answered (${why}); start one, point --redis <url> or --postgres <url> at one, or drop --replicas\n`);
        return 1;
      }
      replicasInput = { kind: 'skipped', tried, failures: pick.failures };
    } else {
      const store: StoreTarget = { ...pick.store, namespace: newNamespace(pick.store.kind) };
      scene = {
        store,
        intervalMs: options.intervalMs,
        runMs: Math.max(1, Math.min(REPLICA_RUN_MAX_MS, Math.round(options.intervalMs * REPLICA_RUN_FRACTION))),
        durationMs: options.replicasDurationMs,
      };
    }
  }
  if (!options.json) io.stdout.write(`${introduction(settings, scene)}\n\n`);

  const interrupt = new AbortController();
  const onSigint = (): void => interrupt.abort();
  process.once('SIGINT', onSigint);
  const live = createLiveView(mode, io.stdout, options.strategies, scene === null ? null : scene.store.kind);
  const startedAt = new Date();
  const t0 = performance.now();
  let outcomes;
  let sceneOutcome: ReplicasOutcome | null = null;
  try {
    // The scene runs alongside the strategies: six light processes, its own store, its own counts.
    // Both are awaited to the end, even if one fails, so that the scene always cleans up its store.
    const [strategies, replicas] = await Promise.allSettled([
      runStrategies(runnerSettings(settings, options), live, interrupt.signal),
      scene === null ? Promise.resolve(null) : runReplicasScene(scene, live, interrupt.signal),
    ]);
    if (strategies.status === 'rejected') throw strategies.reason;
    if (replicas.status === 'rejected') throw replicas.reason;
    outcomes = strategies.value;
    sceneOutcome = replicas.value;
  } finally {
    live.close();
    process.off('SIGINT', onSigint);
  }
  if (sceneOutcome !== null) replicasInput = { kind: 'ran', outcome: sceneOutcome };
  if (interrupt.signal.aborted) {
    io.stderr.write('tickguard lab: interrupted; the children were stopped and no report was written\n');
    return 130;
  }

  const reportPath = options.out === null ? null : resolve(options.out);
  const report = assembleReport(settings, outcomes, {
    version: packageVersion(),
    startedAt,
    wallTimeMs: performance.now() - t0,
    reportPath,
    replicas: replicasInput,
  });
  if (reportPath !== null && !writeReport(reportPath, report, io)) return 1;

  if (options.json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    io.stdout.write(`\n${renderSummary(report)}\n`);
    if (reportPath !== null) io.stdout.write(`\nHTML report: ${reportPath}\n`);
  }
  return report.ok ? 0 : 1;
}

function labSettings(options: LabOptions): LabSettings {
  return {
    durationMs: options.durationMs,
    intervalMs: options.intervalMs,
    serviceTimeMs: options.serviceTimeMs,
    capacity: options.capacity,
    strategies: options.strategies,
    parallel: options.parallel,
    sampleMs: Math.max(100, Math.ceil(options.durationMs / MAX_SAMPLES / 100) * 100),
    bytesPerRequest: BYTES_PER_REQUEST,
    memoryCapBytes: MEMORY_CAP_BYTES,
  };
}

function runnerSettings(settings: LabSettings, options: LabOptions): RunnerSettings {
  return {
    ...settings,
    strategies: options.strategies,
    // The naive strategies run as an unmodified app would under `node --import tickguard/doctor`.
    doctor: options.strategies.filter((name) => STRATEGIES[name].kind === 'naive'),
    // Long enough to see a loop re-arm after stop, short enough not to drag the run out.
    graceMs: Math.min(3_000, Math.max(500, 3 * settings.intervalMs)),
  };
}

function introduction(settings: LabSettings, scene: ReplicasSettings | null): string {
  const excess = excessRatePerSecond(settings.intervalMs, settings.serviceTimeMs, settings.capacity);
  const pace = excess > 0
    ? `arrivals outpace service by ${excess.toFixed(1)} requests/s`
    : 'the downstream keeps up with the ticks: expect no avalanche';
  return [
    `tickguard lab: a tick every ${formatMs(settings.intervalMs)}; the downstream serves ${plural(settings.capacity, 'request')} at a time, ${formatMs(settings.serviceTimeMs)} each, holding ${formatBytes(settings.bytesPerRequest)} per request: ${pace}.`,
    `${plural(settings.strategies.length, 'strategy', 'strategies')}, ${formatMs(settings.durationMs)} each, ${settings.parallel} side by side, one child process each.`,
    ...(scene === null ? [] : [
      `Alongside: the replicas scene, 3 replicas without a coordinator and 3 through ${scene.store.kind === 'redis' ? 'Redis' : 'PostgreSQL'} (${maskUrl(scene.store.url)}), ${formatMs(scene.durationMs)}, one of each killed halfway.`,
    ]),
  ].join('\n');
}

function writeReport(path: string, report: LabReport, io: LabIo): boolean {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, renderHtmlReport(report));
    return true;
  } catch (error) {
    io.stderr.write(`tickguard lab: cannot write the HTML report to ${path}: ${error instanceof Error ? error.message : String(error)}\n`);
    return false;
  }
}
