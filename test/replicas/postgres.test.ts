/**
 * The replicas fault scenarios on PostgreSQL: three replica processes sharing one database
 * through `tickguard/postgres` (see scenarios.ts). Skips outside CI when no PostgreSQL listens;
 * fails in CI.
 */
import { describe } from 'vitest';
import { POSTGRES_URL, storeAvailable } from '../support/services.js';
import { replicaScenarios } from './scenarios.js';
import { postgresDriver } from './stores.js';

const available = await storeAvailable('replicas on tickguard/postgres', POSTGRES_URL);

describe.skipIf(!available)('replicas on PostgreSQL (3 processes)', () => {
  replicaScenarios(postgresDriver());
});
