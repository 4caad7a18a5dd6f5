/**
 * Writing the tick records a running deployment would hold into a MemoryCoordinationStore. The
 * store only takes records through `claim()`, which sweeps every record it holds on each call, so a
 * fill of n records costs O(n²): 1,500 records take ~50 ms, 15,000 ~2 s, 30,000 ~10 s on the machine
 * this was written on. Each record is written with the store's clock set back to its slot, so that
 * it expires when a record of that slot would: rows expire at the rate new ones come.
 */
import type { Clock } from '../../src/clock.js';
import type { MemoryCoordinationStore } from '../../src/coordination/memory.js';

/** How long the memory store keeps a tick record: the claim's ttl (the default leaseTtl; no skew bound in memory). */
export const MEMORY_RETENTION_MS = 30_000;

/** A store clock that can be set back while tick records of the past are written. */
export function shiftedClock(base: Clock): { clock: Clock; shift: { by: number } } {
  const shift = { by: 0 };
  return { clock: { ...base, now: () => base.now() + shift.by, wallNow: () => base.wallNow() + shift.by }, shift };
}

/** Writes per-tick records for `(jobName, slot)` pairs, oldest first, each as of its slot; returns how many. */
export function fillMemory(store: MemoryCoordinationStore, shift: { by: number }, base: Clock, records: Iterable<readonly [string, number]>): number {
  let written = 0;
  for (const [jobName, slot] of records) {
    // The shifted clock reads the wall instant `slot` (each on its own line: monotonic for now(), wall for wallNow()).
    shift.by = slot - base.wallNow();
    const scheduledAt = new Date(slot);
    store.claim({ jobName, scheduledAt, tickId: `${jobName}@${scheduledAt.toISOString()}`, manual: false, mode: 'per-tick', slot }, MEMORY_RETENTION_MS);
    written += 1;
  }
  shift.by = 0;
  return written;
}

/** The records `jobs` jobs named `<step>-j<i>` on `fixedRate: periodMs` (phases spread) leave over the last retention period. */
export function* recordsOf(step: string, jobs: number, periodMs: number, now: number): Generator<readonly [string, number]> {
  const firstK = Math.ceil((now - MEMORY_RETENTION_MS) / periodMs);
  const lastK = Math.floor(now / periodMs) - 1;
  for (let k = firstK; k <= lastK; k++) {
    for (let index = 0; index < jobs; index++) {
      const slot = k * periodMs + Math.floor((index * periodMs) / jobs);
      if (slot > now - MEMORY_RETENTION_MS && slot < now) yield [`${step}-j${index}`, slot];
    }
  }
}
