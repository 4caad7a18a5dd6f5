/**
 * The last few runs of each job, for the dashboard's sparklines: a fixed-size ring per job,
 * fed by `run:end` events. Memory is bounded by `capacity` × jobs; a removed job's ring is
 * dropped with it.
 *
 * Recording is on the path of every run of every job, so it allocates nothing once a ring has
 * grown: a ring is four numbers per run in typed arrays (tick, end, duration, outcome), not an
 * object per run. A ring starts small and doubles up to `capacity`, so that a job that ran
 * twice does not hold room for sixty runs. Reading builds the objects, for the few jobs asked for.
 */
import type { RunEndEvent, RunOutcome } from '../events.js';

/** One ended run, as the history keeps it. */
export interface RecentRun {
  /** The job's tick counter of the run's tick. */
  readonly tick: number;
  /** When the run ended (wall clock). */
  readonly endedAt: Date;
  /** From the first attempt's start to the end, backoff included. */
  readonly durationMs: number;
  readonly outcome: RunOutcome;
}

/** Recent runs of one job, oldest first. */
export interface JobHistory {
  readonly name: string;
  readonly runs: readonly RecentRun[];
}

const OUTCOMES: readonly RunOutcome[] = ['success', 'error', 'timeout', 'aborted'];
const OUTCOME_CODE: Readonly<Record<RunOutcome, number>> = { success: 0, error: 1, timeout: 2, aborted: 3 };
const FIRST_SIZE = 4;

class Ring {
  /** tick, endedAt (ms), durationMs of each slot, three numbers a slot. */
  #numbers: Float64Array;
  #outcomes: Uint8Array;
  #size = 0;
  #next = 0;

  constructor(readonly capacity: number) {
    const slots = Math.min(FIRST_SIZE, capacity);
    this.#numbers = new Float64Array(slots * 3);
    this.#outcomes = new Uint8Array(slots);
  }

  push(tick: number, endedAt: number, durationMs: number, outcome: number): void {
    if (this.#next === this.#outcomes.length && this.#outcomes.length < this.capacity) this.#grow();
    const at = this.#next;
    this.#numbers[at * 3] = tick;
    this.#numbers[at * 3 + 1] = endedAt;
    this.#numbers[at * 3 + 2] = durationMs;
    this.#outcomes[at] = outcome;
    if (this.#size < this.capacity) this.#size += 1;
    this.#next = at + 1 === this.capacity ? 0 : at + 1;
  }

  /** Only while the ring has not wrapped yet: slots are in order from 0. */
  #grow(): void {
    const slots = Math.min(this.capacity, this.#outcomes.length * 2);
    const numbers = new Float64Array(slots * 3);
    numbers.set(this.#numbers);
    const outcomes = new Uint8Array(slots);
    outcomes.set(this.#outcomes);
    this.#numbers = numbers;
    this.#outcomes = outcomes;
  }

  /** Oldest first. */
  toArray(): RecentRun[] {
    const runs: RecentRun[] = [];
    const first = this.#size < this.capacity ? 0 : this.#next;
    for (let i = 0; i < this.#size; i++) {
      const at = (first + i) % this.capacity;
      runs.push({
        tick: this.#numbers[at * 3]!,
        endedAt: new Date(this.#numbers[at * 3 + 1]!),
        durationMs: this.#numbers[at * 3 + 2]!,
        outcome: OUTCOMES[this.#outcomes[at]!]!,
      });
    }
    return runs;
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
    ring.push(event.tick, event.endedAt.getTime(), event.durationMs, OUTCOME_CODE[event.outcome]);
  }

  /** Forgets a job (it was removed). */
  forget(job: string): void {
    this.#rings.delete(job);
  }

  /** The recent runs of the jobs named, in that order; a job that has not ended a run has none. */
  of(names: readonly string[]): JobHistory[] {
    return names.map((name) => ({ name, runs: this.#rings.get(name)?.toArray() ?? [] }));
  }
}
