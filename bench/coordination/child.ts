/**
 * A replica process of the coordination benchmark: `replicas` schedulers on one store (each with
 * its own ioredis client or pg pool; memory replicas share one in-process store). The spec comes
 * as JSON in argv[2]; the orchestrator then sends steps over IPC:
 *
 *   step ─▶ (build schedulers, add jobs) ─▶ ready ─▶ window {from, to} ─▶ collect ─▶ measured ─▶ step … ─▶ exit
 *
 * Everything is kept for ticks *due* in [from, to): runs (tickId, lateness), claims (latency,
 * verdict), skips (reason). Round trips are the commands sent while the window is open.
 */
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Coordinator } from '../../src/coordination/contract.js';
import type { Scheduler } from '../../src/scheduler.js';
import { ClaimTimer, Recorder, countingPool, countingRedis, diffRoundTrips, noRoundTrips, wallNow, type RecorderRef, type RoundTrips } from './instrument.js';
import { fillMemory, recordsOf, shiftedClock } from './memory-fill.js';
import { measureAnatomy, type Modules, type TickguardModule } from './anatomy.js';
import type { ChildMessage, ParentMessage, ReplicaMeasure, ReplicaSpec, StepSpec } from './types.js';

type RedisModule = Modules['redis'];
type PostgresModule = Modules['postgres'];

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) {
      process.stdout.write(`${JSON.stringify(message).slice(0, 500)}\n`);
      resolve();
      return;
    }
    process.send(message, undefined, {}, () => resolve());
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `fn` when the wall clock reaches `at`. */
function atWall(at: number, fn: () => void): void {
  setTimeout(fn, Math.max(0, at - Date.now()));
}


/** One replica's connection to the store, kept across steps; its commands are counted into `ref`. */
interface Connection {
  readonly ref: RecorderRef;
  readonly redis?: Redis;
  readonly countedRedis?: Redis;
  readonly pool?: pg.Pool;
  readonly countedPool?: pg.Pool;
}

async function connect(spec: ReplicaSpec): Promise<Connection> {
  const ref: RecorderRef = { current: new Recorder() };
  if (spec.store === 'redis') {
    const redis = new Redis(spec.connections.redisUrl);
    await new Promise<void>((resolve, reject) => {
      redis.once('ready', () => resolve());
      redis.once('error', reject);
    });
    return { ref, redis, countedRedis: countingRedis(redis, ref) };
  }
  if (spec.store === 'postgres') {
    // pg's default pool size (10), as an application would get it.
    const pool = new pg.Pool({ connectionString: spec.connections.postgresUrl, application_name: spec.connections.applicationName });
    pool.on('error', () => {});
    return { ref, pool, countedPool: countingPool(pool, ref) };
  }
  return { ref };
}

/** One scheduler under measurement. */
class Measured {
  readonly scheduler: Scheduler;
  readonly #timer = new ClaimTimer();
  readonly #connection: Connection;
  readonly #recorder = new Recorder();
  readonly #tickIds: string[] = [];
  readonly #lateness: number[] = [];
  #early = 0;
  readonly #skipped: Record<string, number> = {};
  #from = Infinity;
  #to = -Infinity;
  #countsFrom: RoundTrips = noRoundTrips();
  #countsTo: RoundTrips | undefined;
  #poolMaxWaiting = 0;
  #poolMaxTotal = 0;
  #sampler: ReturnType<typeof setInterval> | undefined;

  constructor(tickguard: TickguardModule, coordinator: Coordinator | undefined, connection: Connection, claimTimeoutMs: number | undefined) {
    this.#connection = connection;
    connection.ref.current = this.#recorder;
    const scheduler = tickguard.createScheduler({
      ...(coordinator === undefined ? {} : { coordinator: this.#timer.wrap(coordinator) }),
      ...(claimTimeoutMs === undefined ? {} : { claimTimeout: claimTimeoutMs }),
    });
    scheduler.on('tick', (event) => {
      if (event.result === 'started' || event.result === 'buffered') return;
      const due = event.scheduledAt.getTime();
      if (due < this.#from || due >= this.#to) return;
      const reason = event.reason ?? event.result;
      this.#skipped[reason] = (this.#skipped[reason] ?? 0) + event.count;
    });
    this.scheduler = scheduler;
  }

  addJobs(step: StepSpec): void {
    const { jobs, periodMs, mode, taskMs, leaseTtlMs } = step;
    const record = (scheduledAt: Date, tickId: string): void => {
      const due = scheduledAt.getTime();
      if (due < this.#from || due >= this.#to) return;
      let late = wallNow() - due;
      if (late < 0) {
        this.#early += 1;
        late = 0;
      }
      this.#lateness.push(late);
      this.#tickIds.push(tickId);
    };
    const run =
      taskMs === 0
        ? (ctx: { scheduledAt: Date; tickId: string }): void => record(ctx.scheduledAt, ctx.tickId)
        : async (ctx: { scheduledAt: Date; tickId: string; signal: AbortSignal }): Promise<void> => {
            record(ctx.scheduledAt, ctx.tickId);
            await sleep(taskMs);
          };
    for (let index = 0; index < jobs; index++) {
      this.scheduler.add({
        name: `${step.step}-j${index}`,
        fixedRate: periodMs,
        phase: Math.floor((index * periodMs) / jobs),
        ...(mode === 'local' ? {} : { coordination: mode }),
        ...(leaseTtlMs === undefined ? {} : { leaseTtl: leaseTtlMs }),
        run,
      });
    }
  }

  window(from: number, to: number): void {
    this.#from = from;
    this.#to = to;
    this.#timer.from = from;
    this.#timer.to = to;
    const recorder = this.#recorder;
    atWall(from, () => {
      this.#countsFrom = { ...recorder.counts };
      recorder.recording = true;
      const pool = this.#connection.pool;
      if (pool !== undefined) {
        this.#sampler = setInterval(() => {
          this.#poolMaxWaiting = Math.max(this.#poolMaxWaiting, pool.waitingCount);
          this.#poolMaxTotal = Math.max(this.#poolMaxTotal, pool.totalCount);
        }, 10);
      }
    });
    atWall(to, () => {
      recorder.recording = false;
      this.#countsTo = { ...recorder.counts };
      if (this.#sampler !== undefined) clearInterval(this.#sampler);
    });
  }

  async stop(): Promise<void> {
    await this.scheduler.stop({ timeout: 2_000, abort: true });
  }

  measure(): ReplicaMeasure {
    const recorder = this.#recorder;
    return {
      tickIds: this.#tickIds,
      latenessMs: this.#lateness,
      early: this.#early,
      claimMs: this.#timer.latencyMs,
      claimsWon: this.#timer.won,
      claimsRefused: this.#timer.refused,
      claimsFailed: this.#timer.failed,
      claimCommandMs: recorder.claimCommandMs,
      renewCommandMs: recorder.renewCommandMs,
      poolWaitMs: recorder.poolWaitMs,
      roundTrips: diffRoundTrips(this.#countsTo ?? recorder.counts, this.#countsFrom),
      skipped: this.#skipped,
      poolMaxWaiting: this.#poolMaxWaiting,
      poolMaxTotal: this.#poolMaxTotal,
    };
  }
}

async function main(): Promise<void> {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('usage: child.ts <replica spec JSON>');
  const spec = JSON.parse(raw) as ReplicaSpec;
  const load = async <T>(entry: string): Promise<T> => (await import(pathToFileURL(entry).href)) as T;
  const modules: Modules = {
    tickguard: await load<TickguardModule>(spec.entries.tickguard),
    redis: await load<RedisModule>(spec.entries.redis),
    postgres: await load<PostgresModule>(spec.entries.postgres),
  };
  const connections: Connection[] = [];
  for (let replica = 0; replica < spec.replicas; replica++) connections.push(await connect(spec));
  let measured: Measured[] = [];
  let cpuFrom = process.cpuUsage();
  let cpuUs = 0;
  let windowMs = 0;

  const onStep = async (step: StepSpec): Promise<void> => {
    const { tickguard } = modules;
    let note: string | undefined;
    let memoryStore: InstanceType<TickguardModule['MemoryCoordinationStore']> | undefined;
    if (spec.store === 'memory') {
      const { clock, shift } = shiftedClock(tickguard.systemClock);
      memoryStore = new tickguard.MemoryCoordinationStore(clock);
      if (step.prefillMemory) {
        const started = performance.now();
        const written = fillMemory(memoryStore, shift, tickguard.systemClock, recordsOf(step.step, step.jobs, step.periodMs, Date.now()));
        note = `pre-filled ${written} tick records in ${(performance.now() - started).toFixed(0)} ms`;
      }
    }
    measured = connections.map((connection) => {
      let coordinator: Coordinator | undefined;
      if (spec.store === 'memory') coordinator = tickguard.createMemoryCoordinator({ store: memoryStore! });
      else if (spec.store === 'redis') coordinator = modules.redis.redisCoordinator({ client: connection.countedRedis!, prefix: step.prefix });
      else if (spec.store === 'postgres') coordinator = modules.postgres.postgresCoordinator({ pool: connection.countedPool!, schema: step.schema });
      const one = new Measured(tickguard, coordinator, connection, step.claimTimeoutMs);
      one.addJobs(step);
      return one;
    });
    await send({ kind: 'ready', ...(note === undefined ? {} : { note }) });
  };

  const onWindow = (from: number, to: number): void => {
    for (const one of measured) one.window(from, to);
    atWall(from, () => {
      cpuFrom = process.cpuUsage();
    });
    atWall(to, () => {
      const used = process.cpuUsage(cpuFrom);
      cpuUs = used.user + used.system;
      windowMs = to - from;
    });
  };

  const onCollect = async (): Promise<void> => {
    await Promise.all(measured.map((one) => one.stop()));
    await send({ kind: 'measured', replicas: measured.map((one) => one.measure()), cpuUs, windowMs });
    measured = [];
  };

  const onExit = async (): Promise<void> => {
    await Promise.all(measured.map((one) => one.stop()));
    for (const connection of connections) {
      connection.redis?.disconnect();
      await connection.pool?.end();
    }
    process.exit(0);
  };

  let queue = Promise.resolve();
  process.on('message', (message: ParentMessage) => {
    queue = queue
      .then(async () => {
        if (message.kind === 'step') await onStep(message.spec);
        else if (message.kind === 'anatomy') await send({ kind: 'anatomy', anatomy: await measureAnatomy(modules, spec.connections, message.spec) });
        else if (message.kind === 'window') onWindow(message.from, message.to);
        else if (message.kind === 'collect') await onCollect();
        else await onExit();
      })
      .catch(async (error: unknown) => {
        await send({ kind: 'error', message: error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error) });
        process.exit(1);
      });
  });
  process.on('disconnect', () => process.exit(0));
  await send({ kind: 'ready', note: 'connected' });
}

main().catch(async (error: unknown) => {
  await send({ kind: 'error', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  process.exit(1);
});
