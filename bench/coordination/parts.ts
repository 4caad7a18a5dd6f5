/**
 * The two measurements of the coordination benchmark.
 *
 * Part 1, overhead: one scheduler, one job on fixedRate, in its own process; per store and mode,
 * and once without a coordinator. Round trips per run, lateness, claim latency, CPU on both sides.
 *
 * Part 2, throughput: three replicas (three processes, each with its own client or pool; memory:
 * three schedulers sharing one in-process store) run the same N jobs × 10 Hz. N grows until a step
 * fails: a claim times out or fails, lateness p99 passes 100 ms, or ticks go unrun. Every run is
 * counted by tickId across the replicas: a tick run twice is a duplicate.
 */
import { loadavg } from 'node:os';
import type pg from 'pg';
import { ReplicaProcess, type ChildEntry } from './replica-process.js';
import { MachineCpu, POSTGRES_RETENTION_MS, StoreCpu, deleteRedisKeys, dropSchemas, preparePostgres } from './stores.js';
import { concat, summarize } from './stats.js';
import type { RoundTrips } from './instrument.js';
import type { Anatomy, AnatomySpec, Connections, Entries, ReplicaMeasure, StepSpec, Store, StoreOrNone, Summary } from './types.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What every part needs from the orchestrator. */
export interface PartContext {
  readonly child: ChildEntry;
  readonly entries: Entries;
  readonly connections: Connections;
  readonly admin: pg.Pool;
  /** Redis key prefix and PostgreSQL schema of this run; cases and steps add to them. */
  readonly prefix: string;
  readonly schema: string;
  readonly log: (line: string) => void;
}

interface Window {
  readonly warmupMs: number;
  readonly windowMs: number;
  /** After the window: runs and claims of ticks due in it may still be settling. */
  readonly graceMs: number;
}

/** What the stores' own processes used over the window, µs (memory: none). */
function storeCpuFor(store: StoreOrNone): StoreCpu | undefined {
  return store === 'redis' || store === 'postgres' ? new StoreCpu(store) : undefined;
}

interface StepOutcome {
  readonly replicas: ReplicaMeasure[];
  /** Client CPU of all replica processes over the window, µs. */
  readonly clientCpuUs: number;
  readonly storeCpuUs: number | null;
  /** CPU used over the window by processes other than the replicas, the store and the orchestrator (other work, the OS), µs. */
  readonly otherCpuUs: number | null;
  readonly windowMs: number;
  readonly from: number;
  readonly to: number;
  readonly notes: string[];
  readonly prefilled: number;
  readonly load1: number;
}

/** Runs one step on the given replica processes: pre-fill, add jobs, warm up, measure the window, collect. */
async function runStep(context: PartContext, processes: readonly ReplicaProcess[], store: StoreOrNone, step: StepSpec, window: Window): Promise<StepOutcome> {
  const load1 = loadavg()[0] ?? 0;
  let prefilled = 0;
  if (store === 'postgres') prefilled = await preparePostgres(context.admin, step.schema, step.step, step.jobs, step.periodMs);
  for (const process of processes) process.notes.length = 0;
  for (const process of processes) process.send({ kind: 'step', spec: step });
  await Promise.all(processes.map((process) => process.expect('ready', 120_000)));
  const notes = processes.flatMap((process) => process.notes);
  const from = Date.now() + window.warmupMs;
  const to = from + window.windowMs;
  for (const process of processes) process.send({ kind: 'window', from, to });
  const cpu = storeCpuFor(store);
  const machine = new MachineCpu();
  let storeCpuUs: number | null = null;
  await sleep(from - Date.now());
  cpu?.start();
  machine.start();
  await sleep(to - Date.now());
  if (cpu !== undefined) storeCpuUs = cpu.stop();
  const machineUs = machine.stop();
  await sleep(window.graceMs);
  for (const process of processes) process.send({ kind: 'collect' });
  const measured = await Promise.all(processes.map((process) => process.expect('measured', 60_000)));
  const clientCpuUs = measured.reduce((sum, message) => sum + message.cpuUs, 0);
  return {
    replicas: measured.flatMap((message) => message.replicas),
    clientCpuUs,
    storeCpuUs,
    otherCpuUs: machineUs.machine === null ? null : Math.max(0, machineUs.machine - clientCpuUs - (storeCpuUs ?? 0) - machineUs.orchestrator),
    windowMs: window.windowMs,
    from,
    to,
    notes,
    prefilled,
    load1,
  };
}

async function cleanUp(context: PartContext, prefix: string, schema: string): Promise<void> {
  await deleteRedisKeys(prefix).catch(() => 0);
  await dropSchemas(context.admin, schema).catch(() => 0);
}

function addRoundTrips(all: readonly RoundTrips[]): RoundTrips {
  const sum: RoundTrips = { claim: 0, renew: 0, release: 0, other: 0, connections: 0 };
  for (const one of all) for (const key of Object.keys(sum) as (keyof RoundTrips)[]) sum[key] += one[key];
  return sum;
}

function addCounts(all: readonly Record<string, number>[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const one of all) for (const [key, value] of Object.entries(one)) sum[key] = (sum[key] ?? 0) + value;
  return sum;
}

// ─── Anatomy ─────────────────────────────────────────────────────────────────────────────────

/** Times the store operations of a claim back to back, in a child (the bundle, as the cases run). */
export async function runAnatomy(context: PartContext, samples: number, memoryRecords: readonly number[]): Promise<Anatomy | { error: string }> {
  const prefix = `${context.prefix}anatomy:`;
  const schema = `${context.schema}_anatomy`;
  const rowsPerJob = Math.round(POSTGRES_RETENTION_MS / 100) - 1;
  let process: ReplicaProcess | undefined;
  try {
    // One job ('an-j0') holding the tick rows a 10 Hz job keeps over its retention.
    await preparePostgres(context.admin, schema, 'an', 1, 100);
    process = await ReplicaProcess.start(context.child, { store: 'none', replicas: 1, entries: context.entries, connections: context.connections });
    const spec: AnatomySpec = { samples, prefix, schema, job: 'an', rowsPerJob, memoryRecords };
    process.send({ kind: 'anatomy', spec });
    return (await process.expect('anatomy', 120_000)).anatomy;
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  } finally {
    await process?.close();
    await cleanUp(context, prefix, schema);
  }
}

// ─── Part 1 ──────────────────────────────────────────────────────────────────────────────────

export interface OverheadCase {
  readonly id: string;
  readonly store: StoreOrNone;
  readonly mode: 'local' | 'per-tick' | 'exclusive';
  readonly periodMs: number;
  readonly taskMs: number;
  readonly leaseTtlMs?: number;
}

export interface OverheadRow extends OverheadCase {
  readonly status: 'ok' | 'error';
  /** 1-minute load average when the case started. */
  readonly load1: number;
  readonly reason?: string;
  readonly windowMs: number;
  readonly expectedRuns: number;
  readonly runs: number;
  readonly skipped: Record<string, number>;
  readonly claims: { won: number; refused: number; failed: number };
  /** Round trips to the store per run, by kind, and all together. */
  readonly roundTripsPerRun: RoundTrips & { total: number };
  readonly lateness: Summary;
  readonly early: number;
  readonly claim: Summary;
  readonly claimCommand: Summary;
  readonly renewCommand: Summary;
  readonly poolWait: Summary;
  readonly clientCpuPerRunUs: number;
  readonly storeCpuPerRunUs: number | null;
  /** CPU of everything else on the machine over the window, % of one core. */
  readonly otherCpuPercent: number | null;
  readonly prefilledRecords: number;
  readonly notes: string[];
}

const EMPTY: Summary = { n: 0, p50: NaN, p99: NaN, max: NaN, mean: NaN };

export async function runOverheadCase(context: PartContext, overheadCase: OverheadCase, window: Window): Promise<OverheadRow> {
  const prefix = `${context.prefix}${overheadCase.id}:`;
  const schema = `${context.schema}_${overheadCase.id.replace(/[^a-z0-9]/g, '_')}`;
  const step: StepSpec = {
    step: overheadCase.id,
    jobs: 1,
    periodMs: overheadCase.periodMs,
    mode: overheadCase.mode,
    taskMs: overheadCase.taskMs,
    ...(overheadCase.leaseTtlMs === undefined ? {} : { leaseTtlMs: overheadCase.leaseTtlMs }),
    prefix,
    schema,
    prefillMemory: overheadCase.store === 'memory',
  };
  const base = { ...overheadCase, load1: loadavg()[0] ?? 0, windowMs: window.windowMs, expectedRuns: Math.round(window.windowMs / overheadCase.periodMs) };
  let process: ReplicaProcess | undefined;
  try {
    process = await ReplicaProcess.start(context.child, { store: overheadCase.store, replicas: 1, entries: context.entries, connections: context.connections });
    const outcome = await runStep(context, [process], overheadCase.store, step, window);
    const replica = outcome.replicas[0]!;
    const runs = replica.tickIds.length;
    const rt = replica.roundTrips;
    const per = (value: number): number => (runs === 0 ? NaN : value / runs);
    return {
      ...base,
      status: 'ok',
      runs,
      skipped: replica.skipped,
      claims: { won: replica.claimsWon, refused: replica.claimsRefused, failed: replica.claimsFailed },
      roundTripsPerRun: {
        claim: per(rt.claim),
        renew: per(rt.renew),
        release: per(rt.release),
        other: per(rt.other),
        connections: per(rt.connections),
        total: per(rt.claim + rt.renew + rt.release + rt.other),
      },
      lateness: summarize(replica.latenessMs),
      early: replica.early,
      claim: summarize(replica.claimMs),
      claimCommand: summarize(replica.claimCommandMs),
      renewCommand: summarize(replica.renewCommandMs),
      poolWait: summarize(replica.poolWaitMs),
      clientCpuPerRunUs: per(outcome.clientCpuUs),
      storeCpuPerRunUs: outcome.storeCpuUs === null ? null : per(outcome.storeCpuUs),
      otherCpuPercent: outcome.otherCpuUs === null ? null : (outcome.otherCpuUs / 1000 / outcome.windowMs) * 100,
      prefilledRecords: outcome.prefilled + prefilledFromNotes(outcome.notes),
      notes: outcome.notes,
    };
  } catch (error) {
    return {
      ...base,
      status: 'error',
      reason: error instanceof Error ? error.message : String(error),
      runs: 0,
      skipped: {},
      claims: { won: 0, refused: 0, failed: 0 },
      roundTripsPerRun: { claim: NaN, renew: NaN, release: NaN, other: NaN, connections: NaN, total: NaN },
      lateness: EMPTY,
      early: 0,
      claim: EMPTY,
      claimCommand: EMPTY,
      renewCommand: EMPTY,
      poolWait: EMPTY,
      clientCpuPerRunUs: NaN,
      storeCpuPerRunUs: null,
      otherCpuPercent: null,
      prefilledRecords: 0,
      notes: [],
    };
  } finally {
    await process?.close();
    await cleanUp(context, prefix, schema);
  }
}

function prefilledFromNotes(notes: readonly string[]): number {
  for (const note of notes) {
    const match = /pre-filled (\d+) tick records/.exec(note);
    if (match !== null) return Number(match[1]);
  }
  return 0;
}

// ─── Part 2 ──────────────────────────────────────────────────────────────────────────────────

/** The job counts a store's ramp tries. */
export interface Ramp {
  /** Tried in order while steps pass. */
  readonly up: readonly number[];
  /** Tried in order when the first step fails. */
  readonly below: readonly number[];
  /** Try one step between the last pass and the first failure. */
  readonly refine: boolean;
}

export interface ThroughputPlan {
  readonly periodMs: number;
  readonly ramps: Record<Store, Ramp>;
  readonly claimTimeoutMs: number;
  readonly latenessP99LimitMs: number;
  /** Ticks due in the window that no replica ran, as a share of those due, above which a step fails. */
  readonly missingLimit: number;
  /** A step that fails while other processes used more than this much CPU (% of one core) is run once more. */
  readonly noisyOtherCpuPercent: number;
  readonly window: Window;
}

export interface ThroughputStep {
  readonly jobs: number;
  /** 1-minute load average when the step started. */
  readonly load1: number;
  readonly periodMs: number;
  readonly offeredTicksPerSec: number;
  /** Distinct ticks due in the window that ran somewhere, per second. */
  readonly ranTicksPerSec: number;
  readonly expectedTicks: number;
  readonly distinctTicks: number;
  readonly duplicates: number;
  readonly missing: number;
  /** Runs of ticks that were not expected (a wrong model of the slots: should be 0). */
  readonly unexpected: number;
  /** Runs per replica. */
  readonly runsPerReplica: number[];
  readonly claims: { won: number; refused: number; failed: number };
  readonly skipped: Record<string, number>;
  readonly lateness: Summary;
  readonly claim: Summary;
  readonly claimCommand: Summary;
  readonly poolWait: Summary;
  readonly poolMaxWaiting: number;
  readonly poolMaxTotal: number;
  /** Store round trips per coordinated tick (all replicas' claims included). */
  readonly roundTripsPerTick: number;
  readonly connectionsOpened: number;
  /** CPU of all replicas over the window, % of one core. */
  readonly clientCpuPercent: number;
  readonly storeCpuPercent: number | null;
  /** CPU of everything else on the machine over the window, % of one core. */
  readonly otherCpuPercent: number | null;
  /** Replica CPU and store CPU per claim (every replica's claims of ticks due in the window), µs. */
  readonly clientCpuPerClaimUs: number;
  readonly storeCpuPerClaimUs: number | null;
  readonly prefilledRecords: number;
  readonly pass: boolean;
  readonly why: string[];
  /** This step failed while other processes used much CPU, and was run again (the next row). */
  readonly repeated?: boolean;
  readonly error?: string;
}

export interface ThroughputStore {
  readonly store: Store;
  readonly topology: string;
  readonly steps: ThroughputStep[];
  /** The highest passing step's ran ticks/s; null when none passed. */
  readonly sustainedTicksPerSec: number | null;
  readonly sustainedJobs: number | null;
  /** What ended the ramp. */
  readonly limit: string;
}

const FAILURE_REASONS = ['claim-timeout', 'claim-failed', 'coordinator-unavailable', 'not-claimed'];

function expectedTickIds(step: StepSpec, from: number, to: number): Set<string> {
  const expected = new Set<string>();
  const { jobs, periodMs } = step;
  for (let index = 0; index < jobs; index++) {
    const phase = Math.floor((index * periodMs) / jobs);
    for (let slot = Math.ceil((from - phase) / periodMs) * periodMs + phase; slot < to; slot += periodMs) {
      if (slot >= from) expected.add(`${step.step}-j${index}@${new Date(slot).toISOString()}`);
    }
  }
  return expected;
}

function judgeStep(step: StepSpec, outcome: StepOutcome, plan: ThroughputPlan): ThroughputStep {
  const expected = expectedTickIds(step, outcome.from, outcome.to);
  const seen = new Map<string, number>();
  for (const replica of outcome.replicas) for (const tickId of replica.tickIds) seen.set(tickId, (seen.get(tickId) ?? 0) + 1);
  let duplicates = 0;
  let unexpected = 0;
  for (const [tickId, count] of seen) {
    if (count > 1) duplicates += count - 1;
    if (!expected.has(tickId)) unexpected += count;
  }
  let missing = 0;
  for (const tickId of expected) if (!seen.has(tickId)) missing += 1;
  const skipped = addCounts(outcome.replicas.map((replica) => replica.skipped));
  const roundTrips = addRoundTrips(outcome.replicas.map((replica) => replica.roundTrips));
  const lateness = summarize(concat(outcome.replicas.map((replica) => replica.latenessMs)));
  const claims = {
    won: outcome.replicas.reduce((sum, replica) => sum + replica.claimsWon, 0),
    refused: outcome.replicas.reduce((sum, replica) => sum + replica.claimsRefused, 0),
    failed: outcome.replicas.reduce((sum, replica) => sum + replica.claimsFailed, 0),
  };
  const seconds = outcome.windowMs / 1000;
  const why: string[] = [];
  if (duplicates > 0) why.push(`${duplicates} duplicate runs`);
  const failures = FAILURE_REASONS.reduce((sum, reason) => sum + (skipped[reason] ?? 0), 0);
  if (failures > 0) why.push(`claims failed: ${FAILURE_REASONS.filter((reason) => (skipped[reason] ?? 0) > 0).map((reason) => `${skipped[reason]} ${reason}`).join(', ')}`);
  if (!(lateness.p99 <= plan.latenessP99LimitMs)) why.push(`lateness p99 ${lateness.p99.toFixed(0)} ms > ${plan.latenessP99LimitMs} ms`);
  if (missing > plan.missingLimit * expected.size) why.push(`${missing} of ${expected.size} ticks not run by any replica`);
  if (unexpected > 0) why.push(`${unexpected} runs of ticks not in the expected slots`);
  return {
    jobs: step.jobs,
    periodMs: step.periodMs,
    offeredTicksPerSec: (step.jobs * 1000) / step.periodMs,
    ranTicksPerSec: (seen.size - unexpected) / seconds,
    expectedTicks: expected.size,
    distinctTicks: seen.size,
    duplicates,
    missing,
    unexpected,
    runsPerReplica: outcome.replicas.map((replica) => replica.tickIds.length),
    claims,
    skipped,
    lateness,
    claim: summarize(concat(outcome.replicas.map((replica) => replica.claimMs))),
    claimCommand: summarize(concat(outcome.replicas.map((replica) => replica.claimCommandMs))),
    poolWait: summarize(concat(outcome.replicas.map((replica) => replica.poolWaitMs))),
    poolMaxWaiting: Math.max(0, ...outcome.replicas.map((replica) => replica.poolMaxWaiting)),
    poolMaxTotal: Math.max(0, ...outcome.replicas.map((replica) => replica.poolMaxTotal)),
    roundTripsPerTick: seen.size === 0 ? NaN : (roundTrips.claim + roundTrips.renew + roundTrips.release + roundTrips.other) / seen.size,
    connectionsOpened: roundTrips.connections,
    clientCpuPercent: (outcome.clientCpuUs / 1000 / outcome.windowMs) * 100,
    storeCpuPercent: outcome.storeCpuUs === null ? null : (outcome.storeCpuUs / 1000 / outcome.windowMs) * 100,
    otherCpuPercent: outcome.otherCpuUs === null ? null : (outcome.otherCpuUs / 1000 / outcome.windowMs) * 100,
    clientCpuPerClaimUs: outcome.clientCpuUs / Math.max(1, claims.won + claims.refused + claims.failed),
    storeCpuPerClaimUs: outcome.storeCpuUs === null ? null : outcome.storeCpuUs / Math.max(1, claims.won + claims.refused + claims.failed),
    prefilledRecords: outcome.prefilled + prefilledFromNotes(outcome.notes),
    load1: outcome.load1,
    pass: why.length === 0,
    why,
  };
}

function failedStep(step: StepSpec, error: unknown): ThroughputStep {
  const message = error instanceof Error ? error.message : String(error);
  return {
    jobs: step.jobs, load1: loadavg()[0] ?? 0, periodMs: step.periodMs, offeredTicksPerSec: (step.jobs * 1000) / step.periodMs, ranTicksPerSec: NaN,
    expectedTicks: 0, distinctTicks: 0, duplicates: 0, missing: 0, unexpected: 0, runsPerReplica: [],
    claims: { won: 0, refused: 0, failed: 0 }, skipped: {}, lateness: EMPTY, claim: EMPTY, claimCommand: EMPTY, poolWait: EMPTY,
    poolMaxWaiting: 0, poolMaxTotal: 0, roundTripsPerTick: NaN, connectionsOpened: 0, clientCpuPercent: NaN, storeCpuPercent: null, otherCpuPercent: null, clientCpuPerClaimUs: NaN, storeCpuPerClaimUs: null,
    prefilledRecords: 0, pass: false, why: [`error: ${message}`], error: message,
  };
}

/** Ramps the load on one store until a step fails, or the time budget (a wall-clock deadline) runs out. */
export async function runThroughput(context: PartContext, store: Store, plan: ThroughputPlan, deadline: number): Promise<ThroughputStore> {
  const ramp = plan.ramps[store];
  const replicasPerProcess = store === 'memory' ? 3 : 1;
  const processCount = store === 'memory' ? 1 : 3;
  const topology = store === 'memory' ? '3 schedulers in one process, one shared MemoryCoordinationStore' : '3 processes, each with its own scheduler and ' + (store === 'redis' ? 'ioredis client' : 'pg pool (max 10)');
  const steps: ThroughputStep[] = [];
  let processes: ReplicaProcess[] = [];
  let limit = '';
  let stepIndex = 0;
  const stepDurationMs = plan.window.warmupMs + plan.window.windowMs + plan.window.graceMs + 1_500;
  let retried = false;

  const tryJobs = async (jobs: number): Promise<ThroughputStep> => {
    stepIndex += 1;
    const name = `t${store[0]}${stepIndex}`;
    const prefix = `${context.prefix}${name}:`;
    const schema = `${context.schema}_${name}`;
    const step: StepSpec = {
      step: name, jobs, periodMs: plan.periodMs, mode: 'per-tick', taskMs: 0, claimTimeoutMs: plan.claimTimeoutMs,
      prefix, schema, prefillMemory: store === 'memory',
    };
    context.log(`  ${store}: ${jobs} jobs × ${1000 / plan.periodMs} Hz = ${(jobs * 1000) / plan.periodMs} ticks/s …`);
    let result: ThroughputStep;
    try {
      const outcome = await runStep(context, processes, store, step, plan.window);
      result = judgeStep(step, outcome, plan);
    } catch (error) {
      result = failedStep(step, error);
      // A replica that failed cannot be trusted for the next step.
      await Promise.all(processes.map((process) => process.close()));
      processes = [];
    } finally {
      await cleanUp(context, prefix, schema);
    }
    context.log(`    ${result.pass ? 'pass' : 'FAIL'}: ran ${result.ranTicksPerSec.toFixed(0)} ticks/s, lateness p99 ${result.lateness.p99.toFixed(1)} ms, claim p99 ${result.claim.p99.toFixed(1)} ms, duplicates ${result.duplicates}, missing ${result.missing}${result.why.length > 0 ? ` — ${result.why.join('; ')}` : ''}`);
    const noisy = !result.pass && result.error === undefined && result.duplicates === 0 && (result.otherCpuPercent ?? 0) > plan.noisyOtherCpuPercent;
    if (noisy && !retried) {
      context.log(`    other processes used ${Math.round(result.otherCpuPercent ?? 0)} % of a core during the window: running the step again`);
      steps.push({ ...result, repeated: true });
      retried = true;
      try {
        return await tryJobs(jobs);
      } finally {
        retried = false;
      }
    }
    steps.push(result);
    return result;
  };

  const ensureProcesses = async (): Promise<void> => {
    if (processes.length > 0) return;
    processes = await Promise.all(
      Array.from({ length: processCount }, () => ReplicaProcess.start(context.child, { store, replicas: replicasPerProcess, entries: context.entries, connections: context.connections })),
    );
  };

  try {
    let lastPass: ThroughputStep | undefined;
    let firstFail: ThroughputStep | undefined;
    for (const jobs of ramp.up) {
      if (Date.now() + stepDurationMs > deadline) {
        limit = `time budget: stopped before ${jobs} jobs`;
        break;
      }
      await ensureProcesses();
      const result = await tryJobs(jobs);
      if (!result.pass) {
        firstFail = result;
        break;
      }
      lastPass = result;
    }
    if (lastPass === undefined && firstFail !== undefined) {
      for (const jobs of ramp.below) {
        if (Date.now() + stepDurationMs > deadline) break;
        await ensureProcesses();
        const result = await tryJobs(jobs);
        if (result.pass) {
          lastPass = result;
          break;
        }
        firstFail = result;
      }
    }
    if (ramp.refine && lastPass !== undefined && firstFail !== undefined && firstFail.jobs > lastPass.jobs * 1.3 && Date.now() + stepDurationMs <= deadline) {
      const middle = Math.round(Math.sqrt(lastPass.jobs * firstFail.jobs) / 10) * 10;
      if (middle > lastPass.jobs && middle < firstFail.jobs) {
        await ensureProcesses();
        const result = await tryJobs(middle);
        if (result.pass) lastPass = result;
        else firstFail = result;
      }
    }
    if (limit === '') {
      if (firstFail !== undefined) limit = `${firstFail.offeredTicksPerSec} ticks/s failed: ${firstFail.why.join('; ')}`;
      else limit = `its last step (${lastPass?.jobs ?? '?'} jobs) passed, with lateness p99 ${lastPass?.lateness.p99.toFixed(1) ?? '?'} ms and the replicas at ${lastPass?.clientCpuPercent.toFixed(0) ?? '?'} % CPU`;
    }
    return {
      store,
      topology,
      steps,
      sustainedTicksPerSec: lastPass === undefined ? null : lastPass.ranTicksPerSec,
      sustainedJobs: lastPass?.jobs ?? null,
      limit,
    };
  } finally {
    await Promise.all(processes.map((process) => process.close()));
  }
}

export { POSTGRES_RETENTION_MS };
