/**
 * The two stores the replicas tests run against, behind one shape, so that each scenario is
 * written once: where the store is, a fresh namespace per scenario (Redis key prefix, PostgreSQL
 * schema), how to cut the replicas' connections from the store's side, how to check afterwards
 * that nothing stayed locked, and how to clean up.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { redisCoordinator } from '../../src/integrations/redis.js';
import { postgresCoordinator } from '../../src/integrations/postgres.js';
import type { Coordinator } from '../../src/index.js';
import { POSTGRES_URL, REDIS_URL } from '../support/services.js';

export interface StoreDriver {
  readonly name: 'redis' | 'postgres';
  /** The shared store of the machine. */
  readonly url: string;
  /** A namespace no other run has used. */
  namespace(tag: string): string;
  /** Cuts, from the store's side, every connection named `connectionName`; how many it cut. */
  killConnections(connectionName: string): Promise<number>;
  /** A coordinator of the parent's own on `namespace` (its connection ready), for checks after the replicas stopped. */
  coordinator(namespace: string): Promise<Coordinator>;
  /** Removes what `namespace` left in the store. */
  cleanup(namespace: string): Promise<void>;
  close(): Promise<void>;
}

const RUN = `${process.pid}_${Date.now().toString(36)}`;
let counter = 0;

export function redisDriver(): StoreDriver {
  let admin: Redis | undefined;
  const client = (): Redis => (admin ??= new Redis(REDIS_URL, { maxRetriesPerRequest: 1 }));
  return {
    name: 'redis',
    url: REDIS_URL,
    namespace: (tag) => `tickguard-replicas:${RUN}:${(counter += 1)}:${tag}:`,
    async killConnections(connectionName) {
      const list = (await client().call('CLIENT', 'LIST', 'TYPE', 'normal')) as string;
      const ids = list.split('\n').filter((line) => line.includes(` name=${connectionName} `)).map((line) => /(?:^|\s)id=(\d+)/.exec(line)?.[1]).filter((id): id is string => id !== undefined);
      for (const id of ids) await client().call('CLIENT', 'KILL', 'ID', id);
      return ids.length;
    },
    async coordinator(namespace) {
      const redis = client();
      if (redis.status !== 'ready') await new Promise<void>((resolve, reject) => { redis.once('ready', resolve); redis.once('error', reject); });
      return redisCoordinator({ client: redis, prefix: namespace });
    },
    async cleanup(namespace) {
      let cursor = '0';
      do {
        const [next, keys] = await client().scan(cursor, 'MATCH', `${namespace}*`, 'COUNT', 1000);
        if (keys.length > 0) await client().del(...keys);
        cursor = next;
      } while (cursor !== '0');
    },
    async close() {
      await admin?.quit().catch(() => admin?.disconnect());
    },
  };
}

export function postgresDriver(): StoreDriver {
  let admin: pg.Pool | undefined;
  const pool = (): pg.Pool => (admin ??= new pg.Pool({ connectionString: POSTGRES_URL, max: 2 }));
  return {
    name: 'postgres',
    url: POSTGRES_URL,
    namespace: (tag) => `tickguard_replicas_${RUN}_${(counter += 1)}_${tag.replace(/[^A-Za-z0-9_]/g, '_')}`.slice(0, 63),
    async killConnections(connectionName) {
      const result = await pool().query('SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = $1', [connectionName]);
      return result.rows.filter((row: { killed: boolean }) => row.killed).length;
    },
    coordinator: async (namespace) => postgresCoordinator({ pool: pool(), schema: namespace }),
    async cleanup(namespace) {
      await pool().query(`DROP SCHEMA IF EXISTS "${namespace}" CASCADE`);
    },
    async close() {
      await admin?.end();
    },
  };
}
