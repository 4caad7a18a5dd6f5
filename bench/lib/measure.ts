/**
 * Process-level measurements of a child: heap after a full collection, armed timer handles,
 * CPU time. Children run with --expose-gc; without it the heap figures would be noise.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import { getHeapStatistics } from 'node:v8';

export { sleepFor };

/** Collects garbage until the heap stops shrinking (at most 4 passes) and returns `heapUsed`. */
export function heapAfterGc(): number {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('bench children must run with --expose-gc');
  let last = Infinity;
  for (let pass = 0; pass < 4; pass++) {
    gc();
    const used = process.memoryUsage().heapUsed;
    if (used >= last - 1024) return used;
    last = used;
  }
  return last;
}

/** Armed, referenced `Timeout` handles (setTimeout/setInterval) in this process. */
export function timeoutHandles(): number {
  let count = 0;
  for (const resource of process.getActiveResourcesInfo()) if (resource === 'Timeout') count += 1;
  return count;
}

/** User + system CPU time since `start`, µs. */
export function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

/**
 * Whether the heap is close to its cap (--max-old-space-size): checked while registering jobs,
 * so a system that will not fit says so at once instead of thrashing the collector until the
 * wall-clock limit. Returns the used MB when over 90 % of the limit.
 */
export function nearHeapLimit(): number | undefined {
  const { used_heap_size: used, heap_size_limit: limit } = getHeapStatistics();
  return used > 0.9 * limit ? Math.round(used / 2 ** 20) : undefined;
}

/** A predicate that stays true until `limitMs` from now has passed. */
export function deadline(limitMs: number): () => boolean {
  const end = performance.now() + limitMs;
  return () => performance.now() < end;
}
