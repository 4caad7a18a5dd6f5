/** `tickguard/postgres` against a real PostgreSQL: the conformance suite, and what only a store shows. */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { describeConformance } from '../../src/coordination/conformance.js';
import { postgresCoordinator, postgresMigrationSql } from '../../src/integrations/postgres.js';
import { CoordinatorUnavailableError, type ClaimRequest } from '../../src/index.js';
import { POSTGRES_URL, storeAvailable } from '../support/services.js';

const available = await storeAvailable('tickguard/postgres', POSTGRES_URL);
const schema = `tickguard_test_${process.pid}`;
const pools: pg.Pool[] = [];
const pool = (): pg.Pool => {
  const made = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
  pools.push(made);
  return made;
};

afterAll(async () => {
  if (pools.length === 0) return;
  await pools[0]!.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
  await Promise.all(pools.map((p) => p.end()));
});

const request = (jobName: string, slot: number | null, mode: ClaimRequest['mode'] = 'per-tick'): ClaimRequest => ({
  jobName, scheduledAt: new Date(slot ?? 0), tickId: `${jobName}@${new Date(slot ?? 0).toISOString()}`, manual: false, mode, slot,
});

describe.skipIf(!available)('tickguard/postgres', () => {
  describeConformance({ name: 'postgres', create: () => postgresCoordinator({ pool: pool(), schema }) }, { describe, it });

  it('creates its tables on first use, keeps the tick row past release, and reports the database clock', async () => {
    const shared = pool();
    const coordinator = postgresCoordinator({ pool: shared, schema });
    const lease = await coordinator.claim(request('rows', 1_000, 'exclusive'), { signal: new AbortController().signal, ttlMs: 5_000 });
    expect(lease).not.toBeNull();
    await lease!.release('success');
    const ticks = await shared.query(`SELECT job, slot FROM "${schema}".tickguard_ticks WHERE job = 'rows'`);
    expect(ticks.rows).toEqual([{ job: 'rows', slot: '1000' }]);
    const jobs = await shared.query(`SELECT fence, lease_owner FROM "${schema}".tickguard_jobs WHERE job = 'rows'`);
    expect(jobs.rows).toEqual([{ fence: String(lease!.token), lease_owner: null }]);
    expect(coordinator.status()).toMatchObject({ store: 'postgres', reachable: true, skewExceeded: false });
  });

  it("a replica's next claim of a job waits for its own release still in flight, so a lone exclusive job never finds its own lease (claimed-elsewhere)", async () => {
    // The release's connection comes late (a busy pool): without ordering, the next claim, on
    // another connection, would reach the job's row first and find the lease still held.
    let slowConnects = 0;
    class SlowPool extends pg.Pool {
      override connect(): Promise<pg.PoolClient> {
        if (slowConnects > 0) {
          slowConnects -= 1;
          return new Promise((resolve, reject) => setTimeout(() => super.connect().then(resolve, reject), 150));
        }
        return super.connect();
      }
    }
    const slow = new SlowPool({ connectionString: POSTGRES_URL, max: 4 });
    pools.push(slow);
    const coordinator = postgresCoordinator({ pool: slow, schema });
    const claim = (slot: number) => coordinator.claim(request('ordered', slot, 'exclusive'), { signal: new AbortController().signal, ttlMs: 30_000 });
    const releases: Promise<void>[] = [];
    for (let slot = 1; slot <= 3; slot += 1) {
      const lease = await claim(slot);
      expect(lease, `slot ${slot}`).not.toBeNull();
      slowConnects = 1;
      releases.push(lease!.release('success')); // as the engine does: the next tick does not wait for it
    }
    // The last release is still connecting: it must be answered before the pool is closed.
    await Promise.all(releases);
  });

  it('exports its migration SQL, idempotent', async () => {
    const shared = pool();
    const sql = postgresMigrationSql(`${schema}_m`);
    await shared.query(sql);
    await shared.query(sql);
    const tables = await shared.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`, [`${schema}_m`]);
    expect(tables.rows.map((r: { table_name: string }) => r.table_name)).toEqual(['tickguard_jobs', 'tickguard_ticks']);
    await shared.query(`DROP SCHEMA "${schema}_m" CASCADE`);
  });

  it('fails closed when the database cannot be reached', async () => {
    const unreachable = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/test', connectionTimeoutMillis: 500 });
    pools.push(unreachable);
    const coordinator = postgresCoordinator({ pool: unreachable, schema, queryTimeout: '1s' });
    await expect(coordinator.claim(request('down', 1), { signal: new AbortController().signal, ttlMs: 1_000 })).rejects.toBeInstanceOf(CoordinatorUnavailableError);
    expect(coordinator.status()).toMatchObject({ reachable: false });
  });

  it('survives its backends being terminated: the pool\'s error is absorbed and the next claim reconnects', async () => {
    const killed = new pg.Pool({ connectionString: POSTGRES_URL, max: 2, application_name: `tickguard-killed-${process.pid}` });
    pools.push(killed);
    const coordinator = postgresCoordinator({ pool: killed, schema });
    const signal = new AbortController().signal;
    expect(await coordinator.claim(request('killed', 1), { signal, ttlMs: 1_000 })).not.toBeNull();
    const terminated = await pool().query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [`tickguard-killed-${process.pid}`]);
    expect(terminated.rowCount).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(coordinator.status().reachable).toBe(false);
    // The next claim gets a fresh connection from the pool.
    expect(await coordinator.claim(request('killed', 2), { signal, ttlMs: 1_000 })).not.toBeNull();
    expect(coordinator.status().reachable).toBe(true);
  });

  it('validates its options', () => {
    expect(() => postgresCoordinator({ pool: {} as pg.Pool })).toThrow(/a pg Pool/);
    expect(() => postgresCoordinator({ pool: pool(), schema: 'bad; drop' })).toThrow(/schema/);
  });
});
