import type { SystemDriver } from '../systems/adapter.js';
import { sleepFor } from './measure.js';

/**
 * Exercises a system before its heap baseline is taken: add, runs where the system can run
 * them quickly, update, remove, stop. The code it compiles on first use then sits in the
 * baseline instead of being charged to the jobs measured after it — and its hot path is
 * optimized before any window: at 1k jobs × 1 Hz the scenario's own warm-up is one tick of
 * 1,000 runs, too few for V8 to optimize a run's path, and the window then paid for running it
 * unoptimized and for compiling it (about 70 ms of a 10 s window). About 20k runs here.
 */
export async function warmUp(makeDriver: () => SystemDriver, subSecond: boolean): Promise<void> {
  const driver = makeDriver();
  const periodMs = subSecond ? 5 : 1_000;
  const jobs = subSecond ? 200 : 16;
  for (let index = 0; index < jobs; index++) driver.add(index, periodMs, index % 2 === 0 ? () => {} : async () => {});
  if (subSecond) await sleepFor(500);
  for (let index = 0; index < 8; index++) {
    driver.update(index, periodMs * 2);
    await driver.remove(index);
  }
  await driver.stop();
}
