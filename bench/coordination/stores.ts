/**
 * The orchestrator's side of the stores: reachability and versions, schemas created and
 * pre-filled, everything of this run removed afterwards, and the stores' own CPU time read from
 * /proc (both run on this machine).
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { postgresMigrationSql } from '../../src/integrations/postgres.js';
import { summarize } from './stats.js';
import type { Summary } from './types.js';

export const REDIS_URL = process.env.TICKGUARD_BENCH_REDIS ?? 'redis://127.0.0.1:6379';
export const POSTGRES_URL = process.env.TICKGUARD_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';

/** How long a PostgreSQL tick row is kept: the claim's ttl (default leaseTtl, 30 s) plus the default skew bound (1 s). */
export const POSTGRES_RETENTION_MS = 31_000;

export interface StoreInfo {
  readonly redis: { version: string; config: Record<string, string> } | { error: string };
  readonly postgres: { version: string; settings: Record<string, string> } | { error: string };
}

const PG_SETTINGS = ['synchronous_commit', 'fsync', 'wal_sync_method', 'autovacuum', 'shared_buffers', 'max_connections'];

export async function describeStores(): Promise<StoreInfo> {
  let redis: StoreInfo['redis'];
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    const info = await client.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    const config: Record<string, string> = {};
    for (const name of ['appendonly', 'save', 'io-threads']) {
      const pair = (await client.config('GET', name)) as string[];
      config[name] = pair[1] ?? '';
    }
    redis = { version, config };
  } catch (error) {
    redis = { error: error instanceof Error ? error.message : String(error) };
  } finally {
    client.disconnect();
  }
  let postgres: StoreInfo['postgres'];
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1, connectionTimeoutMillis: 2_000 });
  pool.on('error', () => {});
  try {
    const version = (await pool.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? 'unknown';
    const rows = (await pool.query<{ name: string; setting: string; unit: string | null }>('SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1)', [PG_SETTINGS])).rows;
    const settings: Record<string, string> = {};
    for (const row of rows) settings[row.name] = row.unit === '8kB' ? `${(Number(row.setting) * 8) / 1024} MB` : row.setting;
    postgres = { version, settings };
  } catch (error) {
    postgres = { error: error instanceof Error ? error.message : String(error) };
  } finally {
    await pool.end();
  }
  return { redis, postgres };
}

/** The orchestrator's own PostgreSQL pool (schemas, pre-fill, cleanup); never counted. */
export function adminPool(): pg.Pool {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
  pool.on('error', () => {});
  return pool;
}

/**
 * Creates `schema` with the coordinator's tables and, unless `jobs` is empty, the tick rows those
 * jobs would hold after running for a full retention period: one row per slot of the last 31 s,
 * each kept until its slot + 31 s, so that rows expire at the rate new ones come, as in a
 * deployment that has been running. Returns the rows written.
 */
export async function preparePostgres(pool: pg.Pool, schema: string, step: string, jobs: number, periodMs: number): Promise<number> {
  await pool.query(postgresMigrationSql(schema));
  if (jobs === 0) return 0;
  const now = Date.now();
  const result = await pool.query(
    `INSERT INTO "${schema}".tickguard_ticks (job, slot, owner, claimed_at, keep_until)
     SELECT $1::text || '-j' || j, s.slot, 'prefill', to_timestamp(s.slot / 1000.0), to_timestamp((s.slot + $5::bigint) / 1000.0)
       FROM generate_series(0, $2::int - 1) AS j
       CROSS JOIN LATERAL (
         SELECT k * $3::bigint + (j * $3::bigint) / $2::int AS slot
           FROM generate_series(($4::bigint - $5::bigint) / $3::bigint, $4::bigint / $3::bigint) AS k
       ) AS s
      WHERE s.slot > $4::bigint - $5::bigint AND s.slot < $4::bigint`,
    [step, jobs, periodMs, now, POSTGRES_RETENTION_MS],
  );
  await pool.query(`ANALYZE "${schema}".tickguard_ticks`);
  return result.rowCount ?? 0;
}

export async function dropSchemas(pool: pg.Pool, like: string): Promise<number> {
  const schemas = (await pool.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname LIKE $1', [`${like}%`])).rows;
  for (const { nspname } of schemas) await pool.query(`DROP SCHEMA "${nspname}" CASCADE`);
  return schemas.length;
}

export async function deleteRedisKeys(prefix: string): Promise<number> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  client.on('error', () => {});
  let deleted = 0;
  try {
    await client.connect();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return deleted;
}

const TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

/** CPU time (µs) of every process whose name is one of `names`, by pid. */
function cpuByPid(names: readonly string[]): Map<number, number> {
  const out = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      if (!names.includes(comm)) continue;
      const fields = stat.slice(close + 2).split(' ');
      // fields[0] is state (field 3); utime and stime are fields 14 and 15.
      const ticks = Number(fields[11]) + Number(fields[12]);
      out.set(Number(entry), (ticks * 1e6) / TICKS_PER_SECOND);
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

const STORE_PROCESSES = { redis: ['redis-server'], postgres: ['postgres'] } as const;

/** CPU the store's processes used between two readings (new processes count from zero), µs. */
export class StoreCpu {
  readonly #names: readonly string[];
  #before = new Map<number, number>();
  constructor(store: 'redis' | 'postgres') {
    this.#names = STORE_PROCESSES[store];
  }
  start(): void {
    this.#before = cpuByPid(this.#names);
  }
  stop(): number {
    let used = 0;
    for (const [pid, cpu] of cpuByPid(this.#names)) used += cpu - (this.#before.get(pid) ?? 0);
    return used;
  }
}

/** fdatasync() latency of a 8 KiB write on the temp directory's disk: what a synchronous commit waits for. */
export function fdatasyncProbe(durationMs = 1_000): Summary & { dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tickguard-fsync-'));
  const file = join(dir, 'probe');
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(8192, 1);
  const samples: number[] = [];
  const until = performance.now() + durationMs;
  try {
    while (performance.now() < until) {
      writeSync(fd, block, 0, block.length, 0);
      const started = performance.now();
      fdatasyncSync(fd);
      samples.push(performance.now() - started);
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  return { ...summarize(samples), dir: tmpdir() };
}

/** Busy CPU time of the whole machine (all cores, /proc/stat), µs. */
function machineBusyUs(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
    const busy = fields.slice(0, 8).reduce((sum, value, index) => (index === 3 || index === 4 ? sum : sum + value), 0);
    return (busy * 1e6) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * Waits until the machine has been quiet (all cores together busy below `threshold`, e.g. 0.25 of
 * the machine) for two readings `sampleMs` apart, or `limitMs` passed. Returns how long it waited
 * and whether it got its quiet.
 */
export async function waitForQuiet(limitMs: number, cores: number, threshold = 0.25, sampleMs = 2_000, log: (line: string) => void = () => {}): Promise<{ waitedMs: number; quiet: boolean; lastBusy: number | null }> {
  const started = Date.now();
  let quietReadings = 0;
  let lastBusy: number | null = null;
  while (Date.now() - started < limitMs) {
    const before = machineBusyUs();
    await new Promise((resolve) => setTimeout(resolve, sampleMs));
    const after = machineBusyUs();
    if (before === undefined || after === undefined) return { waitedMs: Date.now() - started, quiet: false, lastBusy: null };
    lastBusy = (after - before) / 1000 / sampleMs / cores;
    quietReadings = lastBusy < threshold ? quietReadings + 1 : 0;
    if (quietReadings >= 2) return { waitedMs: Date.now() - started, quiet: true, lastBusy };
    log(`  machine ${Math.round(lastBusy * 100)} % busy; waiting for it to be quiet (${Math.round((Date.now() - started) / 1000)} s of ${limitMs / 1000} s)`);
  }
  return { waitedMs: Date.now() - started, quiet: false, lastBusy };
}

/** What the whole machine and this process were busy with between two readings, µs. */
export class MachineCpu {
  #busy: number | undefined;
  #own = process.cpuUsage();
  start(): void {
    this.#busy = machineBusyUs();
    this.#own = process.cpuUsage();
  }
  /** Machine busy time and this (orchestrator) process's share of it, µs; `machine` is null without /proc. */
  stop(): { machine: number | null; orchestrator: number } {
    const own = process.cpuUsage(this.#own);
    const now = machineBusyUs();
    return { machine: now === undefined || this.#busy === undefined ? null : now - this.#busy, orchestrator: own.user + own.system };
  }
}
