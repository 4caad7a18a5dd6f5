/**
 * The replicas fault scenarios on Redis: three replica processes sharing one Redis through
 * `tickguard/redis` (see scenarios.ts). Skips outside CI when no Redis listens; fails in CI.
 */
import { describe } from 'vitest';
import { REDIS_URL, storeAvailable } from '../support/services.js';
import { replicaScenarios } from './scenarios.js';
import { redisDriver } from './stores.js';

const available = await storeAvailable('replicas on tickguard/redis', REDIS_URL);

describe.skipIf(!available)('replicas on Redis (3 processes)', () => {
  replicaScenarios(redisDriver());
});
