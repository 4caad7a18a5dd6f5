import type { SystemName } from '../types.js';
import type { SystemAdapter } from './adapter.js';
import { tickguard, tickguardPhased } from './tickguard.js';
import { setIntervalSystem } from './set-interval.js';
import { setTimeoutSystem } from './set-timeout.js';
import { cronerSystem } from './croner.js';
import { cronSystem } from './cron.js';
import { nodeCronSystem } from './node-cron.js';
import { toadSystem } from './toad-scheduler.js';

/** Every system under test, by name. */
export const ADAPTERS: Readonly<Record<SystemName, SystemAdapter>> = {
  tickguard,
  'tickguard-phased': tickguardPhased,
  setInterval: setIntervalSystem,
  setTimeout: setTimeoutSystem,
  croner: cronerSystem,
  cron: cronSystem,
  'node-cron': nodeCronSystem,
  'toad-scheduler': toadSystem,
};
