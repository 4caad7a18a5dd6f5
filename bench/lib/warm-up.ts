import type { SystemDriver } from '../systems/adapter.js';
import { sleepFor } from './measure.js';

/**
 * Exercises a system briefly before its heap baseline is taken: add, a few runs where the
 * system can run them quickly, update, remove, stop. The code it compiles on first use then
 * sits in the baseline instead of being charged to the jobs measured after it.
 */
export async function warmUp(makeDriver: () => SystemDriver, subSecond: boolean): Promise<void> {
  const driver = makeDriver();
  const periodMs = subSecond ? 5 : 1_000;
  for (let index = 0; index < 16; index++) driver.add(index, periodMs, index % 2 === 0 ? () => {} : async () => {});
  if (subSecond) await sleepFor(60);
  for (let index = 0; index < 8; index++) {
    driver.update(index, periodMs * 2);
    await driver.remove(index);
  }
  await driver.stop();
}
