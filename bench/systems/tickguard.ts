import { pathToFileURL } from 'node:url';
import type { SystemAdapter, SystemDriver, LoadOptions } from './adapter.js';

/** The module shape of tickguard's public entry, whether from src/, a build or a scratch copy. */
export type TickguardModule = typeof import('../../src/index.js');

/**
 * Imports tickguard from the entry the orchestrator chose: a tsup bundle of src/ (or of a
 * scratch copy), or src/index.ts under `--via-tsx`. Never a static import, so the child
 * bundle does not carry its own copy.
 */
export async function loadTickguard(options: LoadOptions): Promise<TickguardModule> {
  if (options.tickguardEntry === undefined) throw new Error('no tickguard entry: bench/run.ts passes one to every tickguard case');
  return (await import(pathToFileURL(options.tickguardEntry).href)) as TickguardModule;
}

export const tickguard: SystemAdapter = {
  name: 'tickguard',
  overlapProtection: "overlap: 'skip' (the default), maxConcurrency 1",
  subSecond: true,
  updateMethod: 'job.update({ fixedRate })',
  dueTime: 'ctx.scheduledAt (whole ms): the epoch-aligned slot, so all N jobs of a period are due at the same instant',
  async load(options) {
    const module = await loadTickguard(options);
    const { createScheduler } = module;
    // Jobs are added the way a user writes them, with the defaults: fixedRate slots are
    // epoch-aligned, so every job of a period is due at the same instant and each tick is one
    // batch of N runs (raw timers and the peers spread their jobs over the time it took to add
    // them). An earlier harness gave each job a phase (its add time modulo the period) to spread
    // them alike; that hid the cost of the batch from the lateness columns.
    return (): SystemDriver => {
      const scheduler = createScheduler();
      const jobs: (ReturnType<typeof scheduler.add> | undefined)[] = [];
      return {
        add(index, periodMs, task) {
          const run = (ctx: { readonly scheduledAt: Date }): void | Promise<void> => task(ctx.scheduledAt.getTime());
          jobs[index] = scheduler.add({ name: `job-${index}`, fixedRate: periodMs, run });
        },
        update(index, periodMs) {
          jobs[index]?.update({ fixedRate: periodMs });
        },
        remove(index) {
          const job = jobs[index];
          jobs[index] = undefined;
          return job?.remove();
        },
        async stop() {
          await scheduler.stop({ timeout: 1_000, abort: true });
        },
      };
    };
  },
};
