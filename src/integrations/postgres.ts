/**
 * A coordinator on PostgreSQL (`tickguard/postgres`), through pg, an optional peer dependency.
 *
 * Two tables and one function, created on first use (or ahead of time from
 * {@link postgresMigrationSql}):
 *
 * | table | holds |
 * |---|---|
 * | `tickguard_ticks (job, slot)` | one row per claimed tick: `INSERT … ON CONFLICT DO NOTHING` decides who runs it, and the row outlives the run (it is purged once `keep_until` has passed) |
 * | `tickguard_jobs (job)` | the job's fencing counter, and its exclusive lease (owner, expiry) |
 *
 * A claim is one call of `tickguard_claim()`, one transaction: the job's row is locked, the lease
 * checked and taken (exclusive), the tick row inserted, and the fence incremented with
 * `UPDATE … SET fence = fence + 1 … RETURNING` — all or nothing, timed by the database's clock
 * (`clock_timestamp()`), not the client's. Tokens increase per job across the cluster and, the
 * counter being a durable row, survive restarts.
 *
 * The coordinator fails closed: a query that fails or does not answer within its deadline throws
 * a {@link CoordinatorUnavailableError}, and its connection is destroyed rather than returned to
 * the pool (a query cut off by a partition would block it). It listens to the pool's `error`
 * events — idle clients whose backend went away, which pg reports there — so that they count as
 * the store being unreachable instead of crashing the process.
 */
import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient, QueryConfig, QueryResult } from 'pg';
import type { ClaimOptions, ClaimRequest, Coordinator, CoordinatorContext, CoordinatorStatus, Lease } from '../coordination/contract.js';
import { SkewMonitor } from '../coordination/skew.js';
import { storeLease } from '../coordination/store-lease.js';
import { CoordinatorUnavailableError, InvalidOptionError, toError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import { parseDuration } from '../duration.js';
import { optionsObject, requireMethods } from '../options/validate.js';

/** Options of {@link postgresCoordinator}. */
export interface PostgresCoordinatorOptions {
  /** A pg `Pool`, shared with the rest of the app if you like. */
  readonly pool: Pool;
  /** The schema of the coordinator's tables (created if missing). @default 'public' */
  readonly schema?: string;
  /**
   * The clock skew between replicas (and between a replica and the database) the coordinator
   * tolerates: tick rows are kept this much longer, and a larger measured skew is reported. @default '1s'
   */
  readonly skewBound?: string | number;
  /** The longest a query may take before the store counts as unreachable. @default '5s' */
  readonly queryTimeout?: string | number;
}

/** A coordinator on PostgreSQL, with what it measured. */
export interface PostgresCoordinator extends Coordinator {
  claim(tick: ClaimRequest, options: ClaimOptions): Promise<Lease | null>;
  status(): CoordinatorStatus;
  /** Creates the tables and the function if they are missing (claims do it on first use). */
  migrate(): Promise<void>;
}

const OPTION_KEYS = ['pool', 'schema', 'skewBound', 'queryTimeout'] as const;
const SCHEMA = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * The SQL that creates the coordinator's tables and function in `schema`: run it from your own
 * migrations if the application's database user may not create tables. Idempotent.
 */
export function postgresMigrationSql(schema = 'public'): string {
  const s = quoteSchema(schema);
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.tickguard_jobs (
  job text PRIMARY KEY,
  fence bigint NOT NULL DEFAULT 0,
  lease_owner text,
  lease_expires timestamptz
);
CREATE TABLE IF NOT EXISTS ${s}.tickguard_ticks (
  job text NOT NULL,
  slot bigint NOT NULL,
  owner text NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  keep_until timestamptz NOT NULL,
  PRIMARY KEY (job, slot)
);
CREATE OR REPLACE FUNCTION ${s}.tickguard_claim(p_job text, p_slot bigint, p_exclusive boolean, p_owner text, p_ttl_ms bigint, p_keep_ms bigint)
RETURNS TABLE (token bigint, now_ms double precision) LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamptz := clock_timestamp();
  v_job ${s}.tickguard_jobs%ROWTYPE;
BEGIN
  INSERT INTO ${s}.tickguard_jobs (job) VALUES (p_job) ON CONFLICT (job) DO NOTHING;
  SELECT * INTO v_job FROM ${s}.tickguard_jobs WHERE job = p_job FOR UPDATE;
  IF p_exclusive AND v_job.lease_owner IS NOT NULL AND v_job.lease_expires > v_now THEN RETURN; END IF;
  IF p_slot IS NOT NULL THEN
    DELETE FROM ${s}.tickguard_ticks WHERE job = p_job AND keep_until < v_now;
    INSERT INTO ${s}.tickguard_ticks (job, slot, owner, keep_until)
      VALUES (p_job, p_slot, p_owner, v_now + p_keep_ms * interval '1 millisecond')
      ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN RETURN; END IF;
  END IF;
  UPDATE ${s}.tickguard_jobs SET
      fence = fence + 1,
      lease_owner = CASE WHEN p_exclusive THEN p_owner ELSE lease_owner END,
      lease_expires = CASE WHEN p_exclusive THEN v_now + p_ttl_ms * interval '1 millisecond' ELSE lease_expires END
    WHERE job = p_job
    RETURNING fence INTO token;
  now_ms := extract(epoch FROM v_now) * 1000;
  RETURN NEXT;
END
$$;
`;
}

function quoteSchema(schema: string): string {
  return `"${schema}"`;
}

/**
 * Creates a coordinator on PostgreSQL.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { postgresCoordinator } from 'tickguard/postgres';
 *
 * const scheduler = createScheduler({ coordinator: postgresCoordinator({ pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }) }) });
 * ```
 */
export function postgresCoordinator(options: PostgresCoordinatorOptions): PostgresCoordinator {
  const raw = optionsObject(options, OPTION_KEYS, 'postgresCoordinator()');
  requireMethods(raw.pool, ['connect', 'query', 'on'], 'pool', 'a pg Pool');
  const pool = raw.pool as Pool;
  const schema = raw.schema ?? 'public';
  if (typeof schema !== 'string' || !SCHEMA.test(schema)) {
    throw new InvalidOptionError('schema', schema, `Expected \`schema\` to be a plain SQL identifier (letters, digits, '_'), got ${describeValue(schema)}`);
  }
  const skewBoundMs = raw.skewBound === undefined ? 1_000 : parseDuration(raw.skewBound, 'skewBound', 'non-negative');
  const queryTimeoutMs = raw.queryTimeout === undefined ? 5_000 : parseDuration(raw.queryTimeout, 'queryTimeout');
  const s = quoteSchema(schema);
  const skew = new SkewMonitor('postgres', skewBoundMs);
  pool.on('error', (error) => skew.failed(error));

  const query = async (text: string, values: readonly unknown[]): Promise<QueryResult> => {
    let client: PoolClient;
    try {
      client = await withDeadline(pool.connect(), queryTimeoutMs, (late) => late.release());
    } catch (error) {
      skew.failed(error);
      throw new CoordinatorUnavailableError(`PostgreSQL is unreachable: ${toError(error).message}`, { cause: error });
    }
    try {
      // `query_timeout` is read per query by pg, though its types only know it as a client option.
      const config = { text, values: [...values], query_timeout: queryTimeoutMs } as QueryConfig;
      const result = await client.query(config);
      client.release();
      return result;
    } catch (error) {
      // The connection may be cut mid-query (a partition, a killed backend): never reuse it.
      client.release(true);
      skew.failed(error);
      throw new CoordinatorUnavailableError(`PostgreSQL query failed: ${toError(error).message}`, { cause: error });
    }
  };

  /**
   * Releases in flight, by job: the next claim of a job waits for this replica's own release, which
   * may travel on another pooled connection and would otherwise reach the job's row after it.
   */
  const releasing = new Map<string, Promise<unknown>>();
  let migrated: Promise<void> | undefined;
  const migrate = (): Promise<void> => {
    migrated ??= query(`BEGIN; SELECT pg_advisory_xact_lock(hashtext('tickguard-migrate')); ${postgresMigrationSql(schema)} COMMIT;`, []).then(
      () => undefined,
      (error: unknown) => {
        migrated = undefined; // try again with the next claim
        throw error;
      },
    );
    return migrated;
  };

  return {
    migrate,
    attach(context: CoordinatorContext): void {
      skew.attach(context);
    },
    status(): CoordinatorStatus {
      return skew.status();
    },
    async claim(request: ClaimRequest, { signal, ttlMs }: ClaimOptions): Promise<Lease | null> {
      if (signal.aborted) return null;
      await migrate();
      const released = releasing.get(request.jobName);
      if (released !== undefined) await released;
      if (signal.aborted) return null;
      const owner = randomUUID();
      const exclusive = request.mode === 'exclusive';
      const sentAt = Date.now();
      const result = await query(`SELECT token, now_ms FROM ${s}.tickguard_claim($1, $2, $3, $4, $5, $6)`, [
        request.jobName, request.slot, exclusive, owner, Math.ceil(ttlMs), Math.ceil(ttlMs + skewBoundMs),
      ]);
      const receivedAt = Date.now();
      const row = result.rows[0] as { token: string; now_ms: number } | undefined;
      if (row === undefined) return null;
      skew.observe(row.now_ms, sentAt, receivedAt);
      return postgresLease({ query, s, job: request.jobName, owner, exclusive, token: Number(row.token), expiresAtMs: sentAt + ttlMs, ttlMs, skew, releasing });
    },
  };
}

interface LeaseParts {
  readonly query: (text: string, values: readonly unknown[]) => Promise<QueryResult>;
  readonly s: string;
  readonly job: string;
  readonly owner: string;
  readonly exclusive: boolean;
  readonly token: number;
  readonly expiresAtMs: number;
  readonly ttlMs: number;
  readonly skew: SkewMonitor;
  readonly releasing: Map<string, Promise<unknown>>;
}

function postgresLease({ query, s, job, owner, exclusive, token, expiresAtMs, ttlMs, skew, releasing }: LeaseParts): Lease {
  return storeLease({
    token, exclusive, expiresAtMs, ttlMs, skew,
    calls: {
      async renew() {
        const result = await query(
          `UPDATE ${s}.tickguard_jobs SET lease_expires = clock_timestamp() + $3 * interval '1 millisecond'
            WHERE job = $1 AND lease_owner = $2 AND lease_expires > clock_timestamp()
            RETURNING extract(epoch FROM clock_timestamp()) * 1000 AS now_ms`,
          [job, owner, Math.ceil(ttlMs)],
        );
        const row = result.rows[0] as { now_ms: number } | undefined;
        return row === undefined ? undefined : Number(row.now_ms);
      },
      async release() {
        const done = query(`UPDATE ${s}.tickguard_jobs SET lease_owner = NULL, lease_expires = NULL WHERE job = $1 AND lease_owner = $2`, [job, owner]);
        // This replica's next claim of the job waits for it (see claim()).
        const settled = done.then(() => undefined, () => undefined);
        releasing.set(job, settled);
        void settled.then(() => {
          if (releasing.get(job) === settled) releasing.delete(job);
        });
        await done;
      },
    },
  });
}

/** `promise`, or a rejection after `ms`; what the promise gives after the deadline goes to `late`. */
function withDeadline<T>(promise: Promise<T>, ms: number, late: (value: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        if (timedOut) late(value);
        else resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (!timedOut) reject(error);
      },
    );
  });
}
