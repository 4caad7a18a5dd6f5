/**
 * The anatomy of a claim: the store operations a claim is made of, timed back to back on one
 * connection, without a scheduler — so that the overhead and throughput figures can be split into
 * round trip, work in the store, commit, and work in the process.
 *
 *  - Redis: PING (the bare round trip); a per-tick claim that wins (one EVALSHA); one that finds
 *    the tick taken; an exclusive claim and its release.
 *  - PostgreSQL: SELECT 1 (the bare round trip through the pool); a per-tick claim that wins, with
 *    the job holding no tick rows and with a full retention's worth; one that finds the tick
 *    taken; the claim's SQL alone (many claims in one DO block: no round trip, no commit).
 *  - memory: a claim with 0 … n tick records held (the store sweeps them all on every claim).
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { MEMORY_RETENTION_MS, fillMemory, shiftedClock } from './memory-fill.js';
import { summarize } from './stats.js';
import type { Anatomy, AnatomySpec, Connections, Summary } from './types.js';

export type TickguardModule = typeof import('../../src/index.js');

export interface Modules {
  readonly tickguard: TickguardModule;
  readonly redis: typeof import('../../src/integrations/redis.js');
  readonly postgres: typeof import('../../src/integrations/postgres.js');
}

const signal = new AbortController().signal;

function request(jobName: string, slot: number, mode: 'per-tick' | 'exclusive' = 'per-tick') {
  const scheduledAt = new Date(slot);
  return { jobName, scheduledAt, tickId: `${jobName}@${scheduledAt.toISOString()}`, manual: false, mode, slot } as const;
}

/** Times `samples` sequential calls of `fn(i)` after `warmup` untimed ones. */
async function timeEach(samples: number, fn: (index: number) => Promise<unknown> | unknown, warmup = Math.min(50, samples)): Promise<Summary> {
  for (let index = 0; index < warmup; index++) await fn(-1 - index);
  const out: number[] = [];
  for (let index = 0; index < samples; index++) {
    const started = performance.now();
    await fn(index);
    out.push(performance.now() - started);
  }
  return summarize(out);
}

async function redisAnatomy(modules: Modules, connections: Connections, spec: AnatomySpec): Promise<Record<string, Summary>> {
  const client = new Redis(connections.redisUrl);
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('error', reject);
  });
  try {
    const coordinator = modules.redis.redisCoordinator({ client, prefix: `${spec.prefix}anatomy:` });
    const base = Math.floor(Date.now() / 100) * 100 + 600_000;
    const won = (index: number) => coordinator.claim(request(`${spec.job}-r`, base + index * 100), { signal, ttlMs: 30_000 });
    const out: Record<string, Summary> = {};
    out['PING (bare round trip)'] = await timeEach(spec.samples, () => client.ping());
    out['claim, per-tick: wins (1 EVALSHA)'] = await timeEach(spec.samples, won);
    out['claim, per-tick: tick already taken'] = await timeEach(spec.samples, won, 0);
    const releases: number[] = [];
    out['claim, exclusive: wins'] = await timeEach(spec.samples, async (index) => {
      const lease = await coordinator.claim(request(`${spec.job}-rx`, base + index * 100, 'exclusive'), { signal, ttlMs: 30_000 });
      const started = performance.now();
      if (typeof lease === 'object' && lease !== null) await lease.release('success');
      if (index >= 0) releases.push(performance.now() - started);
    });
    out['release, exclusive (1 EVALSHA)'] = summarize(releases);
    return out;
  } finally {
    client.disconnect();
  }
}

async function postgresAnatomy(modules: Modules, connections: Connections, spec: AnatomySpec): Promise<Record<string, Summary>> {
  // One connection, so every operation below runs on the same warm backend.
  const pool = new pg.Pool({ connectionString: connections.postgresUrl, max: 1, application_name: connections.applicationName });
  pool.on('error', () => {});
  try {
    const coordinator = modules.postgres.postgresCoordinator({ pool, schema: spec.schema });
    await coordinator.migrate();
    // The probe's own tick rows are kept 1 ms (skewBound 0, ttl 1 ms): each claim purges the one
    // before it, so a job keeps the rows it started with, as a job in steady state does.
    const shortLived = modules.postgres.postgresCoordinator({ pool, schema: spec.schema, skewBound: 0 });
    const base = Math.floor(Date.now() / 100) * 100 + 600_000;
    const claimOf = (job: string) => (index: number) => shortLived.claim(request(job, base + index * 100), { signal, ttlMs: 1 });
    const full = `${spec.job}-j0`;
    const out: Record<string, Summary> = {};
    out['SELECT 1 through the pool (bare round trip)'] = await timeEach(spec.samples, () => pool.query('SELECT 1'));
    out['claim, per-tick: wins, job holds no tick rows'] = await timeEach(spec.samples, claimOf(`${spec.job}-empty`));
    out[`claim, per-tick: wins, job holds ${spec.rowsPerJob} tick rows`] = await timeEach(spec.samples, claimOf(full));
    // The same, without waiting for the WAL flush at commit (this probe's own session only): the difference is the commit's wait.
    await pool.query('SET synchronous_commit = off');
    out[`claim, per-tick: wins, ${spec.rowsPerJob} rows, synchronous_commit off (this session only)`] = await timeEach(spec.samples, (index) => claimOf(full)(index + 10_000));
    await pool.query('SET synchronous_commit = on');
    // What the second and third replica do: the tick is taken (claimed untimed first, kept 31 s).
    const taken: number[] = [];
    for (let index = -20; index < spec.samples; index++) {
      const slot = base + 50_000_000 + index * 100;
      await coordinator.claim(request(full, slot), { signal, ttlMs: 30_000 });
      const started = performance.now();
      await coordinator.claim(request(full, slot), { signal, ttlMs: 30_000 });
      if (index >= 0) taken.push(performance.now() - started);
    }
    out[`claim, per-tick: tick already taken (${spec.rowsPerJob} rows)`] = summarize(taken);
    // The claim's SQL alone: 100 claims in one DO block — no round trip, no commit — per claim.
    const sqlOnly = async (job: string, offset: number): Promise<Summary> => {
      const rounds: number[] = [];
      for (let round = 0; round < 6; round++) {
        const from = base + (offset + round) * 1_000_000;
        const started = performance.now();
        await pool.query(`DO $$ BEGIN FOR i IN 1..100 LOOP PERFORM "${spec.schema}".tickguard_claim('${job}', ${from} + i * 100, false, 'anatomy', 0, 0); END LOOP; END $$`);
        if (round > 0) rounds.push((performance.now() - started) / 100);
      }
      return summarize(rounds);
    };
    out['claim SQL only, job holds no tick rows (in one transaction; per claim)'] = await sqlOnly(`${spec.job}-sql-empty`, 1);
    out[`claim SQL only, job holds ${spec.rowsPerJob} tick rows (in one transaction; per claim)`] = await sqlOnly(full, 20);
    const releases: number[] = [];
    out['claim, exclusive: wins'] = await timeEach(spec.samples, async (index) => {
      const lease = await shortLived.claim(request(`${spec.job}-x`, base + index * 100, 'exclusive'), { signal, ttlMs: 1 });
      const started = performance.now();
      if (typeof lease === 'object' && lease !== null) await lease.release('success');
      if (index >= 0) releases.push(performance.now() - started);
    });
    out['release, exclusive (1 UPDATE)'] = summarize(releases);
    return out;
  } finally {
    await pool.end();
  }
}

function memoryAnatomy(modules: Modules, spec: AnatomySpec): Record<string, Summary> {
  const { tickguard } = modules;
  const out: Record<string, Summary> = {};
  for (const records of spec.memoryRecords) {
    const { clock, shift } = shiftedClock(tickguard.systemClock);
    const store = new tickguard.MemoryCoordinationStore(clock);
    const coordinator = tickguard.createMemoryCoordinator({ store });
    const now = Date.now();
    // `records` records of 100 jobs, spread over the retention period, oldest first.
    fillMemory(store, shift, tickguard.systemClock, (function* () {
      for (let index = 0; index < records; index++) yield [`m-j${index % 100}`, now - MEMORY_RETENTION_MS + 1 + Math.floor((index * (MEMORY_RETENTION_MS - 2)) / Math.max(1, records))] as const;
    })());
    const base = Math.floor(now / 100) * 100 + 600_000;
    const samples: number[] = [];
    for (let index = -50; index < spec.samples; index++) {
      const started = performance.now();
      // Kept 1 ms: each probe claim sweeps the one before it, so the store keeps `records` records.
      coordinator.claim(request('m-probe', base + index * 100 + 10_000), { signal, ttlMs: 1 });
      if (index >= 0) samples.push(performance.now() - started);
    }
    out[`claim, per-tick: wins, ${records.toLocaleString('en-US')} records held`] = summarize(samples);
  }
  return out;
}

export async function measureAnatomy(modules: Modules, connections: Connections, spec: AnatomySpec): Promise<Anatomy> {
  return {
    memory: memoryAnatomy(modules, spec),
    redis: await redisAnatomy(modules, connections, spec),
    postgres: await postgresAnatomy(modules, connections, spec),
  };
}
