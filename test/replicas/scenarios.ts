/**
 * The fault scenarios of the replicas capability, written once and run against each store
 * (`redis.test.ts`, `postgres.test.ts`): three replicas as real processes, one `fixedRate: '100ms'`
 * job, a fault injected mid-window, and the oracle (`oracle.ts`) over what the runs recorded.
 *
 * Counts are asserted exactly — duplicates, overlaps, token order — and misses against the bound
 * the scenario allows (1% of the expected ticks, rounded up, after the ticks an outage is expected
 * to lose). No duration is asserted. Each scenario prints one summary line; with
 * TICKGUARD_REPLICA_DEBUG=1 it also prints every line the replicas wrote (claims included), in
 * time order, before the assertions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import type { ClaimResult, Lease } from '../../src/index.js';
import { blackholeProxy, type BlackholeProxy } from '../support/blackhole-proxy.js';
import { privateRedis, redisServerInstalled, type PrivateRedis } from '../support/redis-server.js';
import { allReady, killLeftovers, liveChildren, nextRunStart, sleep, startReplicas, stopReplicas, until, type ReplicaProcess } from './harness.js';
import { allowedMisses, duplicates, exclusion, leaseValidEnd, misses, readSinks, tokenOrder, type RunRecord, type Sinks } from './oracle.js';
import type { ReplicaConfig } from './replica.js';
import type { StoreDriver } from './stores.js';

const PERIOD_MS = 100;
const REPLICAS = 3;
const JOB = 'replicated';
/** Slots due this close to the stop are not expected: their claims may be cut off by it. */
const STOP_MARGIN_MS = 300;
const TEST_TIMEOUT_MS = 60_000;
/** How long the steady scenarios run: a hundred ticks. */
const STEADY_MS = 10_000;

interface TrialOptions {
  readonly scenario: string;
  readonly mode: 'per-tick' | 'exclusive';
  readonly runMs: number;
  readonly leaseTtlMs?: number;
  /** Clock offset of each replica. */
  readonly offsets?: readonly number[];
  /** Where each replica finds the store. */
  readonly url?: (index: number) => string;
  /** r0 stalls this long after the first claim it wins (see ReplicaConfig). */
  readonly stallAfterFirstGrantMs?: number;
}

/** One scenario's replicas, namespace and sinks. */
class Trial {
  readonly namespace: string;
  readonly connectionName: string;
  readonly dir: string;
  readonly configs: ReplicaConfig[];
  readonly replicas: ReplicaProcess[];

  constructor(driver: StoreDriver, options: TrialOptions, cleanup: (fn: () => Promise<void> | void) => void) {
    this.namespace = driver.namespace(options.scenario);
    this.connectionName = `tgrep-${process.pid}-${options.scenario}`.slice(0, 60);
    this.dir = mkdtempSync(join(tmpdir(), 'tickguard-replicas-'));
    cleanup(() => driver.cleanup(this.namespace));
    cleanup(() => rmSync(this.dir, { recursive: true, force: true }));
    this.configs = Array.from({ length: REPLICAS }, (_, i) => ({
      replica: `r${i}`,
      store: driver.name,
      url: options.url?.(i) ?? driver.url,
      namespace: this.namespace,
      connectionName: this.connectionName,
      job: JOB,
      mode: options.mode,
      runMs: options.runMs,
      ...(options.leaseTtlMs === undefined ? {} : { leaseTtlMs: options.leaseTtlMs }),
      offsetMs: options.offsets?.[i] ?? 0,
      sink: join(this.dir, `r${i}.jsonl`),
      ...(i === 0 && options.stallAfterFirstGrantMs !== undefined ? { stallAfterFirstGrantMs: options.stallAfterFirstGrantMs } : {}),
    }));
    this.replicas = startReplicas(this.configs);
  }

  /** When the last replica said it was ready: the window the oracle counts ticks in starts here. */
  readyAt = Number.NaN;

  async ready(): Promise<number> {
    this.readyAt = await allReady(this.replicas);
    return this.readyAt;
  }

  replica(name: string): ReplicaProcess {
    return this.replicas.find((replica) => replica.name === name)!;
  }

  sinks(): Sinks {
    return readSinks(this.configs.map((config) => config.sink));
  }

  /** The summed tick counters the replicas reported when they stopped. */
  ticks(): Record<string, number> {
    const sum: Record<string, number> = {};
    for (const replica of this.replicas) {
      const summary = replica.linesOf('summary')[0] as { ticks?: Record<string, number> } | undefined;
      for (const [key, n] of Object.entries(summary?.ticks ?? {})) sum[key] = (sum[key] ?? 0) + n;
    }
    return sum;
  }

  /** With TICKGUARD_REPLICA_DEBUG=1: every line the replicas printed, and every sink line, in time order. */
  dump(): void {
    if (process.env.TICKGUARD_REPLICA_DEBUG !== '1') return;
    const lines: { at: number; text: string }[] = [];
    for (const replica of this.replicas) for (const line of replica.lines) lines.push({ at: line.at, text: JSON.stringify(line) });
    const { runs } = this.sinks();
    for (const run of runs) lines.push({ at: run.start, text: `RUN ${describeRun(run)} slot=${new Date(run.slot).toISOString()}` });
    lines.sort((a, b) => a.at - b.at);
    console.log(lines.map((line) => `${line.at} ${line.text}`).join('\n'));
  }

  /** Runs per replica, e.g. `r0:12/r1:30/r2:8`. */
  spread(runs: readonly RunRecord[]): string {
    return this.replicas.map((replica) => `${replica.name}:${runs.filter((run) => run.replica === replica.name).length}`).join('/');
  }
}

const describeRun = (run: RunRecord): string => `${run.replica} ${run.tickId} token=${run.token} [${run.start}, ${run.end ?? 'killed'}] ${run.outcome ?? ''}${run.cause === null ? '' : `:${run.cause}`}`;

function summary(store: string, scenario: string, facts: Record<string, string | number | boolean>): void {
  console.log(`[replicas] store=${store} scenario=${scenario} ${Object.entries(facts).map(([key, value]) => `${key}=${value}`).join(' ')}`);
}

/** Claims the job afresh from the parent: whether the store lets a new holder in. */
async function claimsAfresh(driver: StoreDriver, namespace: string): Promise<boolean> {
  const slot = Math.ceil((Date.now() + 3_600_000) / PERIOD_MS) * PERIOD_MS;
  const scheduledAt = new Date(slot);
  const result: ClaimResult = await (await driver.coordinator(namespace)).claim(
    { jobName: JOB, scheduledAt, tickId: `${JOB}@${scheduledAt.toISOString()}`, manual: false, mode: 'exclusive', slot: slot + Math.floor(Math.random() * 1_000) * PERIOD_MS },
    { signal: new AbortController().signal, ttlMs: 1_000 },
  );
  if (result === null || typeof result !== 'object') return false;
  await (result as Lease).release('success');
  return true;
}

/**
 * Nothing stays locked: right after the replicas stopped a fresh claim of the job should win.
 * If it does not, it is tried again until the longest lease could have expired, so a lease left
 * behind by a clean stop (reported) is told from one that never goes away (a failure).
 */
async function nothingLocked(driver: StoreDriver, namespace: string, ttlMs: number): Promise<'immediately' | 'after-ttl' | 'never'> {
  if (await claimsAfresh(driver, namespace)) return 'immediately';
  const deadline = Date.now() + ttlMs + 1_000;
  while (Date.now() < deadline) {
    await sleep(100);
    if (await claimsAfresh(driver, namespace)) return 'after-ttl';
  }
  return 'never';
}

/** The per-tick oracle: no duplicate, tokens in grant order, misses within the bound. */
function checkPerTick(store: string, scenario: string, trial: Trial, stoppedAt: number, options: { excused?: (slot: number) => boolean; facts?: Record<string, string | number | boolean> } = {}): Sinks {
  const sinks = trial.sinks();
  const { runs } = sinks;
  const dup = duplicates(runs);
  // Ticks are counted from when all replicas are up to just before they are stopped; before, while
  // the others still start (and load the CPU), a lone replica may miss some: reported, not asserted.
  const miss = misses(runs, { periodMs: PERIOD_MS, from: trial.readyAt, to: stoppedAt - STOP_MARGIN_MS, ...(options.excused === undefined ? {} : { excused: options.excused }) });
  const startup = misses(runs, { periodMs: PERIOD_MS, to: trial.readyAt - PERIOD_MS });
  const order = tokenOrder(runs);
  trial.dump();
  summary(store, scenario, {
    runs: runs.length,
    duplicates: dup.count,
    missing: `${miss.missing}/${miss.expected}`,
    allowed: allowedMisses(miss.expected),
    ...(miss.excused > 0 ? { excusedSlots: miss.excused, excusedMissing: miss.excusedMissing } : {}),
    startupMissing: `${startup.missing}/${startup.expected}`,
    overlaps: 'n/a(per-tick)',
    tokenViolations: order.violations.length,
    spread: trial.spread(runs),
    ...options.facts,
  });
  expect(runs.length).toBeGreaterThan(0);
  expect(dup.tickIds, 'ticks run more than once').toEqual([]);
  expect(order.missingOrShared, 'runs without a token of their own').toBe(0);
  expect(order.violations.map(({ earlier, later }) => `${describeRun(later)} claimed after ${describeRun(earlier)} started`), 'fencing tokens out of grant order').toEqual([]);
  expect(miss.missing, `missed slots ${miss.missingSlots.map((slot) => new Date(slot).toISOString()).join(', ')}`).toBeLessThanOrEqual(allowedMisses(miss.expected));
  return sinks;
}

/** The exclusive oracle: no duplicate, no overlap, tokens increasing by start, no run ending past its lease. */
function checkExclusive(store: string, scenario: string, trial: Trial, ttlMs: number, facts: Record<string, string | number | boolean>): Sinks & { rawOverlaps: number } {
  const sinks = trial.sinks();
  const { runs, renewals } = sinks;
  const dup = duplicates(runs);
  const order = tokenOrder(runs);
  const excl = exclusion(runs, renewals, ttlMs);
  trial.dump();
  summary(store, scenario, {
    runs: runs.length,
    duplicates: dup.count,
    missing: 'n/a(exclusive)',
    overlaps: excl.overlaps.length,
    rawOverlaps: excl.rawOverlaps.length,
    tokenInversions: order.inversionsByStart,
    staleEnds: excl.staleEnds.length,
    staleStarts: excl.staleStarts.length,
    spread: trial.spread(runs),
    ...facts,
  });
  expect(runs.length).toBeGreaterThan(0);
  expect(dup.tickIds, 'ticks run more than once').toEqual([]);
  expect(order.missingOrShared, 'runs without a token of their own').toBe(0);
  // The engine knows when the claim was sent: a grant it sees only after the TTL ran out is no lease.
  expect(excl.staleStarts.map(describeRun), 'runs whose task started after their lease may have expired at the store').toEqual([]);
  expect(order.inversionsByStart, 'exclusive runs whose token is not above the previous run\'s').toBe(0);
  expect(excl.overlaps.map(({ first, second }) => `${describeRun(second)} started inside ${describeRun(first)}`), 'overlapping exclusive runs').toEqual([]);
  expect(excl.staleEnds.map(describeRun), 'runs that went on past their lease').toEqual([]);
  return { ...sinks, rawOverlaps: excl.rawOverlaps.length };
}

/** Registers the scenarios for one store; call inside its `describe`. */
export function replicaScenarios(driver: StoreDriver): void {
  const store = driver.name;
  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = (fn: () => Promise<void> | void): void => {
    cleanups.push(fn);
  };

  afterEach(async () => {
    // Bounded: every child still running is SIGKILLed, then what the scenario left is removed.
    await killLeftovers();
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (error) {
        console.warn(`[replicas] cleanup failed: ${String(error)}`);
      }
    }
    expect(liveChildren()).toBe(0);
  });
  afterAll(async () => {
    await killLeftovers();
    await driver.close();
  });

  it('1. steady: 3 replicas, per-tick, every tick runs once', { timeout: TEST_TIMEOUT_MS }, async () => {
    const trial = new Trial(driver, { scenario: 'steady', mode: 'per-tick', runMs: 20 }, cleanup);
    await trial.ready();
    await sleep(STEADY_MS);
    const stoppedAt = await stopReplicas(trial.replicas);
    checkPerTick(store, 'steady', trial, stoppedAt);
  });

  it('1b. steady, exclusive, runs (150 ms) longer than the period: no two runs overlap across the replicas, tokens increase', { timeout: TEST_TIMEOUT_MS }, async () => {
    const ttlMs = 1_000;
    const trial = new Trial(driver, { scenario: 'steady-exclusive', mode: 'exclusive', runMs: 150, leaseTtlMs: ttlMs }, cleanup);
    await trial.ready();
    await sleep(STEADY_MS);
    await stopReplicas(trial.replicas);
    const { runs } = checkExclusive(store, 'steady-exclusive', trial, ttlMs, {});
    // A run spans two slots, so about every other tick runs; far fewer would mean ticks lost to the lease.
    expect(runs.length).toBeGreaterThan(STEADY_MS / PERIOD_MS / 4);
  });

  it('2. SIGKILL of the replica holding an exclusive run: another takes over after the TTL, nothing runs twice or stays locked', { timeout: TEST_TIMEOUT_MS }, async () => {
    const ttlMs = 1_000;
    const trial = new Trial(driver, { scenario: 'sigkill', mode: 'exclusive', runMs: 300, leaseTtlMs: ttlMs }, cleanup);
    await trial.ready();
    await sleep(500);
    // Kill the next replica to start a run, as soon as it says so: mid-run, holding the lease.
    const victimStart = await nextRunStart(trial.replicas, 10_000);
    const victim = trial.replica(victimStart.replica);
    victim.kill('SIGKILL');
    const killedAt = Date.now();
    await victim.exited;
    await sleep(2_500);
    // Stop the survivors while one of them holds the lease: a clean stop must give it back.
    const survivors = trial.replicas.filter((replica) => replica !== victim);
    const inFlight = await nextRunStart(survivors, 10_000);
    await stopReplicas(trial.replicas);
    const locked = await nothingLocked(driver, trial.namespace, ttlMs);

    const { runs, renewals } = trial.sinks();
    const killed = runs.find((run) => run.replica === victim.name && run.tickId === victimStart.tickId);
    const next = killed === undefined ? undefined : runs.find((run) => run.start > killed.start);
    const after = runs.filter((run) => run.start > killedAt).length;
    checkExclusive(store, 'sigkill', trial, ttlMs, {
      killed: victim.name,
      killedRunEnded: killed === undefined ? 'not-in-sink' : killed.end !== null,
      takeover: next === undefined ? 'none' : `${next.replica}@+${next.start - killed!.start}ms`,
      runsAfterKill: after,
      stoppedDuring: inFlight.replica,
      freshClaim: locked,
    });
    expect(victim.exit?.signal).toBe('SIGKILL');
    expect(killed, 'the killed run is in the sink').toBeDefined();
    expect(killed!.end, 'the killed run never ended').toBeNull();
    expect(next, 'another replica ran the job after the kill').toBeDefined();
    expect(next!.replica).not.toBe(victim.name);
    // The killed run's lease held until its TTL ran out: the next run started no earlier.
    expect(next!.start).toBeGreaterThanOrEqual(leaseValidEnd(killed!, renewals, ttlMs));
    expect(next!.token!).toBeGreaterThan(killed!.token!);
    expect(after).toBeGreaterThan(1);
    // Nothing stays locked: the replicas stopped cleanly (the killed one's lease ran out long ago),
    // so a fresh claim wins at once, not only after the stopped run's lease expired.
    expect(locked, 'a fresh claim of the job right after the replicas stopped').toBe('immediately');
  });

  it('3. clock offsets +2 s and -2 s on two replicas: ticks fire early and late, none twice', { timeout: TEST_TIMEOUT_MS }, async () => {
    const trial = new Trial(driver, { scenario: 'offset', mode: 'per-tick', runMs: 20, offsets: [2_000, -2_000, 0] }, cleanup);
    await trial.ready();
    await sleep(5_000);
    const stoppedAt = await stopReplicas(trial.replicas);
    // The fast replica runs slots 2 s before they are due; the slow one 2 s after.
    const { runs } = trial.sinks();
    checkPerTick(store, 'clock-offset', trial, stoppedAt, {
      facts: { earlyRuns: runs.filter((run) => run.start < run.slot - 1_000).length, lateRuns: runs.filter((run) => run.start > run.slot + 1_000).length },
    });
  });

  if (store === 'redis') {
    it('4. Redis restart that loses all data mid-window: outage ticks skipped, none twice, tokens go on increasing', { timeout: TEST_TIMEOUT_MS }, async (context) => {
      if (!(await redisServerInstalled())) {
        if (process.env.CI === 'true') throw new Error('redis-server is not installed in CI');
        console.warn('[replicas] redis restart skipped: redis-server is not installed');
        context.skip('redis-server is not installed');
      }
      const server: PrivateRedis = await privateRedis();
      cleanup(() => server.stop());
      const trial = new Trial(driver, { scenario: 'restart', mode: 'per-tick', runMs: 20, url: () => server.url }, cleanup);
      await trial.ready();
      await sleep(1_500);
      const killedAt = Date.now();
      await server.kill();
      await sleep(1_000);
      await server.start();
      const restartedAt = Date.now();
      const reconnects = await Promise.all(trial.replicas.map((replica) => replica.line((line) => line.kind === 'conn' && line.event === 'ready' && line.at >= restartedAt, 15_000, 'reconnect after the restart')));
      const reconnectedAt = Math.min(...reconnects.map((line) => line.at));
      await sleep(2_000);
      const stoppedAt = await stopReplicas(trial.replicas);
      const ticks = trial.ticks();
      const unavailable = ticks['skipped:coordinator-unavailable'] ?? 0;
      // Slots from the one in flight at the kill to the one after the first replica is back may be lost.
      const excused = (slot: number): boolean => slot > killedAt - PERIOD_MS && slot <= reconnectedAt + PERIOD_MS;
      const { runs } = checkPerTick(store, 'redis-restart', trial, stoppedAt, { excused, facts: { outageMs: reconnectedAt - killedAt, skippedUnavailable: unavailable } });
      const before = runs.filter((run) => run.start < killedAt);
      const afterRestart = runs.filter((run) => run.start > restartedAt);
      expect(before.length).toBeGreaterThan(0);
      expect(afterRestart.length).toBeGreaterThan(0);
      // The restart lost the fence key: tokens must still go on from above the old ones.
      expect(Math.min(...afterRestart.map((run) => run.token!))).toBeGreaterThan(Math.max(...before.map((run) => run.token!)));
      expect(unavailable, 'ticks skipped as coordinator-unavailable during the outage').toBeGreaterThan(0);
    });
  }

  if (store === 'redis') {
    it('4b. a claim in flight when Redis restarts empty: re-sent by ioredis after the restart, it must not win a tick that already ran', { timeout: TEST_TIMEOUT_MS }, async (context) => {
      if (!(await redisServerInstalled())) {
        if (process.env.CI === 'true') throw new Error('redis-server is not installed in CI');
        console.warn('[replicas] redis restart skipped: redis-server is not installed');
        context.skip('redis-server is not installed');
      }
      const server: PrivateRedis = await privateRedis();
      cleanup(() => server.stop());
      const proxies: BlackholeProxy[] = [];
      for (let i = 0; i < REPLICAS; i += 1) {
        const proxy = await blackholeProxy({ host: '127.0.0.1', port: server.port });
        proxies.push(proxy);
        cleanup(() => proxy.close());
      }
      const trial = new Trial(driver, { scenario: 'restart-inflight', mode: 'per-tick', runMs: 20, url: (i) => `redis://127.0.0.1:${proxies[i]!.port}` }, cleanup);
      await trial.ready();
      await sleep(500);
      // Hold back r2's traffic from just before a slot, so that its claim of the slot is in flight
      // (sent, not yet at Redis) while r0 or r1 claims and runs the slot.
      const slot = Math.ceil((Date.now() + 200) / PERIOD_MS) * PERIOD_MS;
      await sleep(slot - 40 - Date.now());
      proxies[2]!.blackhole();
      const ranElsewhere = await until(() => trial.sinks().runs.find((run) => run.slot === slot), 5_000, 'the slot to run on r0 or r1');
      const killedAt = Date.now();
      await server.kill();
      // The partition ends with the crash: r2 sees its connection close and reconnects, like the others.
      for (const proxy of proxies) proxy.heal();
      await sleep(1_000);
      await server.start();
      const restartedAt = Date.now();
      const reconnects = await Promise.all(trial.replicas.map((replica) => replica.line((line) => line.kind === 'conn' && line.event === 'ready' && line.at >= restartedAt, 15_000, 'reconnect after the restart')));
      const reconnectedAt = Math.min(...reconnects.map((line) => line.at));
      await sleep(1_000);
      const stoppedAt = await stopReplicas(trial.replicas);
      const rerun = trial.sinks().runs.filter((run) => run.slot === slot);
      const excused = (s: number): boolean => s > killedAt - PERIOD_MS && s <= reconnectedAt + PERIOD_MS;
      checkPerTick(store, 'redis-restart-claim-in-flight', trial, stoppedAt, {
        excused,
        facts: { slot: new Date(slot).toISOString(), ranOn: rerun.map((run) => `${run.replica}@+${run.start - slot}ms(token ${run.token})`).join('+'), firstRun: ranElsewhere.replica },
      });
    });
  }

  it(`5. the store cuts the replicas' connections (${store === 'postgres' ? 'pg_terminate_backend' : 'CLIENT KILL'}) three times: they reconnect, nothing runs twice`, { timeout: TEST_TIMEOUT_MS }, async () => {
    const trial = new Trial(driver, { scenario: 'conn-kill', mode: 'per-tick', runMs: 20 }, cleanup);
    await trial.ready();
    await sleep(800);
    const kills: { at: number; cut: number }[] = [];
    for (let i = 0; i < 3; i += 1) {
      const at = Date.now();
      kills.push({ at, cut: await driver.killConnections(trial.connectionName) });
      await sleep(1_100);
    }
    await sleep(500);
    const stoppedAt = await stopReplicas(trial.replicas);
    // A claim in flight when its connection is cut fails (or its answer is lost), and so may the
    // claims until a replica has connected again: the slots from the one in flight at the cut to
    // the one after the first replica reconnected may go.
    const reconnected = kills.map(({ at }) => Math.min(...trial.replicas.map((replica) => replica.lines.find((line) => line.kind === 'conn' && (line.event === 'ready' || line.event === 'connect') && line.at > at)?.at ?? Infinity)));
    const excused = (slot: number): boolean => kills.some(({ at }, i) => slot > at - PERIOD_MS && slot <= Math.max(at + PERIOD_MS, reconnected[i]!) + PERIOD_MS);
    const ticks = trial.ticks();
    const { runs } = trial.sinks();
    const missed = misses(runs, { periodMs: PERIOD_MS, from: trial.readyAt, to: stoppedAt - STOP_MARGIN_MS, excused }).missingSlots;
    checkPerTick(store, 'connections-killed', trial, stoppedAt, {
      excused,
      facts: {
        cut: kills.map((kill) => kill.cut).join('+'),
        reconnectedAfter: reconnected.map((at, i) => `${at - kills[i]!.at}ms`).join('/'),
        skippedUnavailable: ticks['skipped:coordinator-unavailable'] ?? 0,
        ticks: JSON.stringify(ticks),
        missedVsKills: missed.map((slot) => kills.map(({ at }) => slot - at).join('/')).join(',') || 'none',
      },
    });
    for (const kill of kills) expect(kill.cut, 'connections cut by each kill').toBeGreaterThan(0);
    expect(reconnected.every(Number.isFinite), 'a replica reconnected after each kill').toBe(true);
  });

  it('6. partition (blackholed TCP) of the lease holder: it aborts lease-lost before the lease expires, another takes over after the TTL, no overlap', { timeout: TEST_TIMEOUT_MS }, async () => {
    const ttlMs = 2_000;
    const target = new URL(driver.url);
    const proxies: BlackholeProxy[] = [];
    for (let i = 0; i < REPLICAS; i += 1) {
      const proxy = await blackholeProxy({ host: target.hostname, port: Number(target.port) });
      proxies.push(proxy);
      cleanup(() => proxy.close());
    }
    const through = (i: number): string => {
      const url = new URL(driver.url);
      url.port = String(proxies[i]!.port);
      return url.toString();
    };
    const trial = new Trial(driver, { scenario: 'partition', mode: 'exclusive', runMs: 3_000, leaseTtlMs: ttlMs, url: through }, cleanup);
    await trial.ready();
    const held = await nextRunStart(trial.replicas, 10_000);
    const holder = trial.replica(held.replica);
    proxies[trial.replicas.indexOf(holder)]!.blackhole();
    const partitionedAt = Date.now();
    // Wait for the holder's run to end and another replica's run to start, then a little more.
    await until(() => {
      const { runs } = trial.sinks();
      const own = runs.find((run) => run.replica === holder.name && run.tickId === held.tickId);
      return own?.end !== null && own !== undefined && runs.some((run) => run.replica !== holder.name && run.start > own.start) ? true : undefined;
    }, 15_000, 'the holder to end its run and another replica to take over');
    await sleep(500);
    await stopReplicas(trial.replicas);
    const locked = await nothingLocked(driver, trial.namespace, ttlMs);

    const { runs, renewals } = trial.sinks();
    const own = runs.find((run) => run.replica === holder.name && run.tickId === held.tickId)!;
    const validEnd = leaseValidEnd(own, renewals, ttlMs);
    const takeover = runs.find((run) => run.start > own.start && run.replica !== holder.name)!;
    const lostLogged = holder.linesOf('log').some((line) => line.msg === 'coordination lease lost; aborting the runs that held it');
    const { rawOverlaps } = checkExclusive(store, 'partition', trial, ttlMs, {
      holder: holder.name,
      holderRun: `${own.outcome}:${own.cause}`,
      abortedBeforeLeaseEnd: `${validEnd - own.end!}ms`,
      takeover: `${takeover.replica}@+${takeover.start - own.start}ms`,
      renewalsAfterPartition: renewals.filter((renewal) => renewal.replica === holder.name && renewal.sentAt >= partitionedAt).map((renewal) => String(renewal.ok)).join(',') || 'none-answered',
      leaseLostLogged: lostLogged,
      freshClaim: locked,
    });
    expect(own.outcome).toBe('aborted');
    expect(own.cause).toBe('lease-lost');
    expect(lostLogged, 'the holder logged the lost lease').toBe(true);
    // Aborted before the store could let anyone else in, and the next run started only after.
    expect(own.end!).toBeLessThan(validEnd);
    expect(takeover.start).toBeGreaterThanOrEqual(validEnd);
    expect(takeover.token!).toBeGreaterThan(own.token!);
    expect(rawOverlaps, 'overlaps on plain [start, end]').toBe(0);
    expect(locked).not.toBe('never');
  });

  it('7. an event-loop stall longer than the TTL in the holder: its run is aborted lease-lost when the loop comes back; the takeover run has a higher token', { timeout: TEST_TIMEOUT_MS }, async () => {
    const ttlMs = 1_000;
    const stallMs = 2_000;
    const trial = new Trial(driver, { scenario: 'stall', mode: 'exclusive', runMs: 3_000, leaseTtlMs: ttlMs }, cleanup);
    await trial.ready();
    const held = await nextRunStart(trial.replicas, 10_000);
    const holder = trial.replica(held.replica);
    holder.send({ cmd: 'stall', ms: stallMs });
    const stall = await holder.line((line) => line.kind === 'stall' && line.phase === 'end', 15_000, 'the end of the stall');
    await until(() => {
      const own = trial.sinks().runs.find((run) => run.replica === holder.name && run.tickId === held.tickId);
      return own?.end !== null && own !== undefined ? true : undefined;
    }, 10_000, 'the stalled run to end');
    await sleep(300);
    await stopReplicas(trial.replicas);
    const locked = await nothingLocked(driver, trial.namespace, ttlMs);

    const { runs, renewals } = trial.sinks();
    const stallBegin = holder.linesOf('stall').find((line) => line.phase === 'begin')!.at;
    const own = runs.find((run) => run.replica === holder.name && run.tickId === held.tickId)!;
    const validEnd = leaseValidEnd(own, renewals, ttlMs);
    const takeover = runs.find((run) => run.start > own.start);
    const { rawOverlaps } = checkExclusive(store, 'stall', trial, ttlMs, {
      holder: holder.name,
      holderRun: `${own.outcome}:${own.cause}`,
      stall: `${stall.at - stallBegin}ms`,
      endAfterStall: `${own.end! - stall.at}ms`,
      takeover: takeover === undefined ? 'none' : `${takeover.replica}@+${takeover.start - own.start}ms${takeover.start < stall.at ? '(during the stall)' : ''}`,
      tokens: `${own.token}<${takeover?.token}`,
      freshClaim: locked,
    });
    expect(own.outcome).toBe('aborted');
    expect(own.cause).toBe('lease-lost');
    expect(takeover, 'another replica ran the job').toBeDefined();
    expect(takeover!.replica).not.toBe(holder.name);
    expect(takeover!.start).toBeGreaterThanOrEqual(validEnd);
    expect(takeover!.token!).toBeGreaterThan(own.token!);
    // The stalled run could only notice after its loop came back, so on the wall clock it spans the takeover's start.
    expect(rawOverlaps).toBe(takeover!.start < own.end! ? 1 : 0);
    expect(locked).not.toBe('never');
  });

  it('7b. a stall between the store\'s grant and the run\'s start, longer than the TTL: the run must not start on the expired lease', { timeout: TEST_TIMEOUT_MS }, async () => {
    const ttlMs = 1_000;
    // r1 and r2 fire 50 ms after r0, so that r0 wins the first free slot; it then stalls 1.5 s
    // before the engine sees its grant. Meanwhile its lease expires at the store and r1 or r2 takes the job.
    const trial = new Trial(driver, { scenario: 'grant-stall', mode: 'exclusive', runMs: 1_000, leaseTtlMs: ttlMs, offsets: [0, -50, -50], stallAfterFirstGrantMs: 1_500 }, cleanup);
    await trial.ready();
    const stalled = trial.replica('r0');
    const stallEnd = await stalled.line((line) => line.kind === 'stall' && line.phase === 'end', 15_000, 'the stall after the first grant');
    await sleep(1_000);
    await stopReplicas(trial.replicas);

    const stallBegin = stalled.linesOf('stall').find((line) => line.phase === 'begin')!;
    const grant = trial.sinks().runs.find((run) => run.replica === 'r0' && run.tickId === stallBegin.tickId);
    const { rawOverlaps } = checkExclusive(store, 'grant-stall', trial, ttlMs, {
      stalledTick: String(stallBegin.tickId).slice(JOB.length + 1),
      stalledRun: grant === undefined ? 'not-started(tick-skipped)' : `started+${grant.start - stallEnd.at}ms-after-the-stall:${grant.outcome}:${grant.cause}`,
    });
    expect(rawOverlaps, 'overlaps on plain [start, end]').toBe(0);
  });
}
