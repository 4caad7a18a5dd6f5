/**
 * The stores of the replicas scene: which one to use (the first that answers), a namespace of
 * this lab run's own (a Redis key prefix, a PostgreSQL schema) and its removal afterwards, and
 * the coordinator a replica builds on it.
 *
 * ioredis and pg are optional peer dependencies of tickguard: they are loaded only here, only
 * when the scene runs, and a missing one reads as "not installed", not as a crash.
 */
import { randomBytes } from 'node:crypto';
import type { Coordinator } from '../../index.js';
import type { StoreKind, StoreTarget } from './protocol.js';

/** A store to try, in order. */
export interface StoreCandidate {
  readonly kind: StoreKind;
  readonly url: string;
}

/** Where the stores are looked for without flags. */
export const DEFAULT_STORE_URLS: Readonly<Record<StoreKind, string>> = {
  redis: 'redis://127.0.0.1:6379',
  postgres: 'postgres://postgres@127.0.0.1:5432/test',
};

/** How long a store may take to answer the lab's first question. */
const PROBE_TIMEOUT_MS = 1_500;

/**
 * The stores to try: the ones given with `--redis` / `--postgres` (Redis first), or else the
 * default Redis, then the default PostgreSQL.
 */
export function storeCandidates(redisUrl: string | null, postgresUrl: string | null): StoreCandidate[] {
  if (redisUrl === null && postgresUrl === null) {
    return [{ kind: 'redis', url: DEFAULT_STORE_URLS.redis }, { kind: 'postgres', url: DEFAULT_STORE_URLS.postgres }];
  }
  const given: StoreCandidate[] = [];
  if (redisUrl !== null) given.push({ kind: 'redis', url: redisUrl });
  if (postgresUrl !== null) given.push({ kind: 'postgres', url: postgresUrl });
  return given;
}

/** A URL fit for a report: its password, if any, masked. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** A namespace for one lab run: unique, and a plain identifier so that it is also a valid schema name. */
export function newNamespace(kind: StoreKind): string {
  const id = `${process.pid}_${randomBytes(4).toString('hex')}`;
  return kind === 'redis' ? `tickguard-lab:${id}:` : `tickguard_lab_${id}`;
}

/** What answered, and what did not. */
export interface StorePick {
  readonly store: StoreCandidate | null;
  /** Each store tried that did not answer, with why. */
  readonly failures: readonly { readonly url: string; readonly error: string }[];
}

/** The first candidate that answers a real command (PING, `SELECT 1`), tried in order. */
export async function pickStore(candidates: readonly StoreCandidate[]): Promise<StorePick> {
  const failures: { url: string; error: string }[] = [];
  for (const candidate of candidates) {
    const error = await probeStore(candidate);
    if (error === null) return { store: candidate, failures };
    failures.push({ url: maskUrl(candidate.url), error });
  }
  return { store: null, failures };
}

/** `null` when the store answered, else why it did not, in a few words. */
export async function probeStore(candidate: StoreCandidate): Promise<string | null> {
  try {
    await withTimeout(candidate.kind === 'redis' ? probeRedis(candidate.url) : probePostgres(candidate.url), PROBE_TIMEOUT_MS);
    return null;
  } catch (error) {
    return describeError(error);
  }
}

async function probeRedis(url: string): Promise<void> {
  const { Redis } = await loadIoredis();
  const client = new Redis(url, { lazyConnect: true, connectTimeout: PROBE_TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // ioredis reports the cause (ECONNREFUSED, ...) as an 'error' event, and then rejects with "Connection is closed".
  let cause: unknown;
  client.on('error', (error) => {
    cause ??= error;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw cause ?? error;
  } finally {
    endRedis(client);
  }
}

async function probePostgres(url: string): Promise<void> {
  const pg = await loadPg();
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Prepares the namespace before the replicas start (PostgreSQL: the schema and its tables, once). */
export async function prepareStore(target: StoreTarget): Promise<void> {
  if (target.kind !== 'postgres') return;
  const { coordinator, close } = await connectCoordinator(target);
  try {
    await (coordinator as Coordinator & { migrate(): Promise<void> }).migrate();
  } finally {
    await close();
  }
}

/** Removes everything the scene wrote: the keys under the prefix, or the schema. */
export async function cleanUpStore(target: StoreTarget): Promise<void> {
  if (target.kind === 'redis') {
    const { Redis } = await loadIoredis();
    const client = new Redis(target.url, { lazyConnect: true, connectTimeout: PROBE_TIMEOUT_MS, maxRetriesPerRequest: 1, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${target.namespace}*`, 'COUNT', 500);
        if (keys.length > 0) await client.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      endRedis(client);
    }
    return;
  }
  const pg = await loadPg();
  const client = new pg.Client({ connectionString: target.url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(target.namespace)} CASCADE`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A coordinator on the scene's store, connected, and how to let go of its connection. */
export interface StoreCoordinator {
  readonly coordinator: Coordinator;
  close(): Promise<void>;
}

/** Builds tickguard's coordinator for the store the way an application would, and waits until it can claim. */
export async function connectCoordinator(target: StoreTarget): Promise<StoreCoordinator> {
  if (target.kind === 'redis') {
    const [{ Redis }, { redisCoordinator }] = await Promise.all([loadIoredis(), import('../../integrations/redis.js')]);
    const client = new Redis(target.url, { maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    if (client.status !== 'ready') {
      await withTimeout(new Promise<void>((resolve) => client.once('ready', () => resolve())), 5_000).catch((error: unknown) => {
        endRedis(client);
        throw error;
      });
    }
    return {
      coordinator: redisCoordinator({ client, prefix: target.namespace }),
      close: async () => {
        await client.quit().catch(() => client.disconnect());
      },
    };
  }
  const [pg, { postgresCoordinator }] = await Promise.all([loadPg(), import('../../integrations/postgres.js')]);
  const pool = new pg.Pool({ connectionString: target.url, max: 2 });
  const coordinator = postgresCoordinator({ pool, schema: target.namespace });
  try {
    await coordinator.migrate();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  return { coordinator, close: () => pool.end().catch(() => undefined) };
}

/** Closes an ioredis client; one that already ended is left alone (disconnecting it again arms a 2 s timer). */
function endRedis(client: { readonly status: string; disconnect(): void }): void {
  if (client.status !== 'end') client.disconnect();
}

/** ioredis, typed as import() gives it. */
async function loadIoredis() {
  try {
    return await import('ioredis');
  } catch (error) {
    throw notInstalled('ioredis', error);
  }
}

async function loadPg(): Promise<typeof import('pg').default> {
  try {
    return (await import('pg')).default;
  } catch (error) {
    throw notInstalled('pg', error);
  }
}

function notInstalled(name: string, error: unknown): Error {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
    return new Error(`${name} is not installed (npm install ${name})`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}

function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describeError(error.errors[0]);
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' && message !== '' ? message : String(error);
  return typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms}ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
