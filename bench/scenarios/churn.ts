/**
 * Churn: add N jobs, re-schedule all N, remove all N, each phase timed on its own. Jobs tick
 * every minute (then every 30 s after the update), so almost none runs while the phases go on.
 * Afterwards the heap and timer handles must be back where they started.
 */
import { heapAfterGc, nearHeapLimit, timeoutHandles } from '../lib/measure.js';
import type { BenchTask } from '../systems/adapter.js';
import type { ChurnCase } from '../types.js';
import { count, ok, outOfMemory, timedOut, type ScenarioContext, type ScenarioOutcome } from './context.js';

const CHECK_EVERY = 1024;
const PERIOD_MS = 60_000;
const UPDATED_PERIOD_MS = 30_000;

export async function runChurn(spec: ChurnCase, context: ScenarioContext, updateMethod: string): Promise<ScenarioOutcome> {
  const { jobs, phaseLimitMs } = spec;
  const task: BenchTask = () => {};
  await context.warmUp();
  const heapBase = heapAfterGc();
  const handlesBase = timeoutHandles();
  const driver = context.makeDriver();

  /** Runs `step` for every index and returns the ms it took, or the outcome that ended the case. */
  const phase = async (name: string, step: (index: number) => void | Promise<unknown>): Promise<number | ScenarioOutcome> => {
    const pending: Promise<unknown>[] = [];
    const start = performance.now();
    for (let index = 0; index < jobs; index++) {
      const result = step(index);
      if (result !== undefined) pending.push(result);
      if (index % CHECK_EVERY === CHECK_EVERY - 1) {
        if (performance.now() - start > phaseLimitMs) return timedOut(`${name}: ${count(index + 1)} of ${count(jobs)} in ${phaseLimitMs / 1000} s`);
        const usedMb = nearHeapLimit();
        if (usedMb !== undefined) return outOfMemory(`${name}: heap at ${usedMb} MB (90 % of the cap) after ${count(index + 1)} of ${count(jobs)}`);
      }
    }
    await Promise.all(pending);
    const ms = performance.now() - start;
    context.progress(`${name}: ${count(jobs)} in ${ms.toFixed(0)} ms`);
    return ms;
  };

  const addMs = await phase('add', (index) => driver.add(index, PERIOD_MS, task));
  if (typeof addMs !== 'number') return addMs;
  const heapAfterAdd = heapAfterGc() - heapBase;
  const updateMs = await phase('update', (index) => driver.update(index, UPDATED_PERIOD_MS));
  if (typeof updateMs !== 'number') return updateMs;
  const removeMs = await phase('remove', (index) => driver.remove(index));
  if (typeof removeMs !== 'number') return removeMs;
  const heapAfterRemove = heapAfterGc() - heapBase;
  const handlesAfterRemove = timeoutHandles() - handlesBase;
  await driver.stop();

  return ok(
    {
      addOpsPerSec: (jobs * 1000) / addMs,
      updateOpsPerSec: (jobs * 1000) / updateMs,
      removeOpsPerSec: (jobs * 1000) / removeMs,
      heapPerJobB: heapAfterAdd / jobs,
      heapAfterRemoveKB: heapAfterRemove / 1024,
      handlesAfterRemove,
    },
    [`update: ${updateMethod}`],
  );
}
