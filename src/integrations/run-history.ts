/**
 * The last few runs of each job, for the dashboard's sparklines: a fixed-size ring per job,
 * fed by `run:end` events. Memory is bounded by `capacity` × jobs; a removed job's ring is
 * dropped with it.
 */
import type { RunEndEvent, RunOutcome } from '../events.js';

/** One ended run, as the history keeps it. */
export interface RecentRun {
  readonly tick: number;
  readonly endedAt: Date;
  readonly durationMs: number;
  readonly outcome: RunOutcome;
}

/** Recent runs of one job, oldest first. */
export interface JobHistory {
  readonly name: string;
  readonly runs: readonly RecentRun[];
}

class Ring {
  readonly #items: RecentRun[] = [];
  #next = 0;

  constructor(readonly capacity: number) {}

  push(item: RecentRun): void {
    if (this.#items.length < this.capacity) this.#items.push(item);
    else this.#items[this.#next] = item;
    this.#next = (this.#next + 1) % this.capacity;
  }

  /** Oldest first. */
  toArray(): RecentRun[] {
    if (this.#items.length < this.capacity) return [...this.#items];
    return [...this.#items.slice(this.#next), ...this.#items.slice(0, this.#next)];
  }
}

/** Keeps the last `capacity` runs of every job. */
export class RunHistory {
  readonly #capacity: number;
  readonly #rings = new Map<string, Ring>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Records a run that ended. */
  record(event: RunEndEvent): void {
    let ring = this.#rings.get(event.job);
    if (ring === undefined) this.#rings.set(event.job, (ring = new Ring(this.#capacity)));
    ring.push({ tick: event.tick, endedAt: event.endedAt, durationMs: event.durationMs, outcome: event.outcome });
  }

  /** Forgets a job (it was removed). */
  forget(job: string): void {
    this.#rings.delete(job);
  }

  /** Every job's recent runs, in the order jobs first ended a run. */
  all(): JobHistory[] {
    return [...this.#rings].map(([name, ring]) => ({ name, runs: ring.toArray() }));
  }
}
