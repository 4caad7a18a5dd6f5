/**
 * The child-process side of the replicas scene: one replica of a service, with one job —
 * `fixedRate` at the lab's interval, each run a short call — either on a plain scheduler (the
 * naive group: every replica runs every tick) or on a scheduler with a coordinator on the
 * scene's store (each tick once across the replicas). It tells its parent about every run the
 * moment it starts, with the tick's slot and its fencing token, so that a replica killed midway
 * has already reported every run it made.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { createScheduler } from '../../index.js';
import type { ReplicaCommand, ReplicaConfig, ReplicaMessage } from './protocol.js';
import { connectCoordinator, type StoreCoordinator } from './stores.js';

/**
 * Entry of the hidden `__lab-replica` command: `argv[0]` is the {@link ReplicaConfig} as JSON.
 * Resolves with the exit code once the parent said stop and the last message went out.
 */
export async function runReplicaWorker(argv: readonly string[]): Promise<number> {
  const send = process.send?.bind(process);
  if (send === undefined) {
    process.stderr.write('__lab-replica is internal to `tickguard lab`, which runs it in a child process with an IPC channel.\n');
    return 2;
  }
  const config = parseReplicaConfig(argv[0]);
  // The parent is gone: nobody would read the runs, and nobody would stop the scheduler.
  process.once('disconnect', () => process.exit(0));
  const post = (message: ReplicaMessage): void => {
    if (process.connected) send(message);
  };
  const stopAsked = new Promise<void>((resolve) => {
    process.on('message', (message: ReplicaCommand) => {
      if (message.type === 'stop') resolve();
    });
  });

  let store: StoreCoordinator | null = null;
  if (config.store !== null) store = await connectCoordinator(config.store);
  const scheduler = createScheduler(store === null ? {} : { coordinator: store.coordinator });
  const skipped: Record<string, number> = {};
  scheduler.on('tick', (event) => {
    if (event.result === 'started' || event.result === 'buffered') return;
    const reason = event.reason ?? event.result;
    skipped[reason] = (skipped[reason] ?? 0) + event.count;
  });
  scheduler.add({
    name: config.jobName,
    fixedRate: config.intervalMs,
    ...(store === null ? {} : { coordination: 'per-tick' as const }),
    run: async ({ scheduledAt, lease, signal }) => {
      post({ type: 'run', run: { group: config.group, replica: config.replica, slot: scheduledAt.getTime(), token: lease?.token ?? null } });
      await delay(config.runMs, undefined, { signal });
    },
  });
  post({ type: 'ready' });

  await stopAsked;
  const report = await scheduler.stop({ abort: true, timeout: '2s' });
  await store?.close();
  await new Promise<void>((resolve) => {
    if (!process.connected) {
      resolve();
      return;
    }
    send({ type: 'done', skipped, stopClean: report.clean } satisfies ReplicaMessage, undefined, {}, () => resolve());
  });
  return 0;
}

function parseReplicaConfig(text: string | undefined): ReplicaConfig {
  let value: unknown;
  try {
    value = JSON.parse(text ?? '');
  } catch (error) {
    throw new Error(`__lab-replica expects its configuration as JSON, got ${JSON.stringify(text)}`, { cause: error });
  }
  const config = value as ReplicaConfig;
  if (typeof config !== 'object' || config === null || (config.group !== 'naive' && config.group !== 'coordinated')) {
    throw new Error(`__lab-replica got no group in ${JSON.stringify(text)}`);
  }
  for (const key of ['replica', 'intervalMs', 'runMs'] as const) {
    if (typeof config[key] !== 'number' || !Number.isFinite(config[key]) || config[key] < 0) {
      throw new Error(`__lab-replica: expected \`${key}\` to be a finite number >= 0, got ${JSON.stringify(config[key])}`);
    }
  }
  if (typeof config.jobName !== 'string' || config.jobName === '') throw new Error('__lab-replica: expected a `jobName`');
  if ((config.group === 'coordinated') !== (config.store !== null && typeof config.store === 'object')) {
    throw new Error('__lab-replica: the coordinated group needs a store, the naive group none');
  }
  return config;
}
