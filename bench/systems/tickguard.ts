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

/** tickguard's driver: jobs with their defaults, or spread over their period with `phase`. */
function tickguardAdapter(phased: boolean): SystemAdapter {
  return {
    name: phased ? 'tickguard-phased' : 'tickguard',
    overlapProtection: "overlap: 'skip' (the default), maxConcurrency 1",
    subSecond: true,
    updateMethod: phased ? 'job.update({ fixedRate, phase })' : 'job.update({ fixedRate })',
    dueTime: phased
      ? 'ctx.scheduledAt (whole ms); each job given `phase: Date.now() % period` at add(), spreading its jobs as the peers spread theirs'
      : 'ctx.scheduledAt (whole ms): the epoch-aligned slot, so all N jobs of a period are due at the same instant',
    async load(options) {
      const { createScheduler } = await loadTickguard(options);
      // By default jobs are added the way a user writes them: fixedRate slots are epoch-aligned,
      // so every job of a period is due at the same instant and each tick is one batch of N runs
      // (raw timers and the peers spread their jobs over the time it took to add them). The
      // phased variant spreads them the way the peers' are spread, with `phase` = the add time
      // modulo the period (an earlier harness did this for every tickguard row, which hid the
      // cost of the batch). Jobs added one after another then share instants in runs of
      // neighbours; `index % period` would spread them as evenly but fire jobs a thousand objects
      // apart in memory one after another, a cache miss per object (1.2 vs 0.58 µs per run at 100k).
      const phaseOf = (_index: number, periodMs: number): number => Date.now() % Math.floor(periodMs);
      return (): SystemDriver => {
        const scheduler = createScheduler();
        const jobs: (ReturnType<typeof scheduler.add> | undefined)[] = [];
        return {
          add(index, periodMs, task) {
            const run = (ctx: { readonly scheduledAt: Date }): void | Promise<void> => task(ctx.scheduledAt.getTime());
            jobs[index] = scheduler.add(phased
              ? { name: `job-${index}`, fixedRate: periodMs, phase: phaseOf(index, periodMs), run }
              : { name: `job-${index}`, fixedRate: periodMs, run });
          },
          update(index, periodMs) {
            jobs[index]?.update(phased ? { fixedRate: periodMs, phase: phaseOf(index, periodMs) } : { fixedRate: periodMs });
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
}

export const tickguard: SystemAdapter = tickguardAdapter(false);

/** tickguard with each job's slots offset by its add time modulo the period: the peers' spread, chosen explicitly. */
export const tickguardPhased: SystemAdapter = tickguardAdapter(true);
