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
  dueTime: 'ctx.scheduledAt (a Date: whole ms, so up to 1 ms of the lateness is truncation)',
  async load(options) {
    const module = await loadTickguard(options);
    const { createScheduler } = module;
    // fixedRate slots are epoch-aligned since the engine exports DEFAULTS: without a phase every
    // job of a period would be due at the same instant. Raw timers and earlier tickguard versions
    // take their phase from when they were created; tickguard jobs get the same phase explicitly
    // (the wall clock at add(), modulo the period), so that every system spreads its jobs alike.
    const phased = 'DEFAULTS' in module;
    const phaseNow = (periodMs: number): number => Date.now() % Math.floor(periodMs);
    return (): SystemDriver => {
      const scheduler = createScheduler();
      const jobs: (ReturnType<typeof scheduler.add> | undefined)[] = [];
      return {
        add(index, periodMs, task) {
          const run = (ctx: { readonly scheduledAt: Date }): void | Promise<void> => task(ctx.scheduledAt.getTime());
          jobs[index] = scheduler.add(phased
            ? { name: `job-${index}`, fixedRate: periodMs, phase: phaseNow(periodMs), run }
            : { name: `job-${index}`, fixedRate: periodMs, run });
        },
        update(index, periodMs) {
          jobs[index]?.update(phased ? { fixedRate: periodMs, phase: phaseNow(periodMs) } : { fixedRate: periodMs });
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
