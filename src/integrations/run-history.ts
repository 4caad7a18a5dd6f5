/**
 * The last few runs of each job, for the dashboard's sparklines: a fixed-size ring per job,
 * fed by `run:end` events. Memory is bounded by `capacity` × jobs; a removed job's ring is
 * dropped with it.
 *
 * Recording is on the path of every run of every job, so it allocates nothing once a ring has
 * grown: a ring is three numbers per run in one typed array (the tick and the outcome packed in
 * one, the end, the duration), not an object per run: 24 bytes a run and about 350 bytes a
 * job (the map entry, the ring, its array), so 60 runs of 100k jobs hold about 175 MB (225 MB
 * with four numbers a run). A ring is made at a job's first `run:end`
 * and starts small, doubling up to `capacity`, so that a job that never ran holds nothing and
 * one that ran twice does not hold room for sixty runs. Reading builds the objects, for the few
 * jobs asked for.
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
  /** How the run ended. */
  readonly outcome: RunOutcome;
}

/** Recent runs of one job, oldest first. */
export interface JobHistory {
  /** The job's name. */
  readonly name: string;
  /** Its last runs, up to `historySize`, oldest first; none when it has not ended one. */
  readonly runs: readonly RecentRun[];
}

const OUTCOMES: readonly RunOutcome[] = ['success', 'error', 'timeout', 'aborted'];
const OUTCOME_CODE: Readonly<Record<RunOutcome, number>> = { success: 0, error: 1, timeout: 2, aborted: 3 };
const FIRST_SIZE = 4;

/** Numbers a run takes in a ring: tick × 4 + outcome code, endedAt (ms), durationMs. */
const STRIDE = 3;
/** The outcome codes below it; a tick up to 2^51 keeps the packed number exact. */
const OUTCOME_SPAN = 4;

class Ring {
  /** One array for every slot, so that recording touches one object besides the ring. */
  #slots: Float64Array;
  #size = 0;
  #next = 0;

  constructor(readonly capacity: number) {
    this.#slots = new Float64Array(Math.min(FIRST_SIZE, capacity) * STRIDE);
  }

  push(tick: number, endedAt: number, durationMs: number, outcome: number): void {
    // Two slots in one: the tick and the outcome code are small integers.
    const tickAndOutcome = tick * OUTCOME_SPAN + outcome;
    let slots = this.#slots;
    if (this.#next * STRIDE === slots.length && slots.length < this.capacity * STRIDE) slots = this.#grow();
    const at = this.#next * STRIDE;
    slots[at] = tickAndOutcome;
    slots[at + 1] = endedAt;
    slots[at + 2] = durationMs;
    if (this.#size < this.capacity) this.#size += 1;
    this.#next = this.#next + 1 === this.capacity ? 0 : this.#next + 1;
  }

  /** Only while the ring has not wrapped yet: slots are in order from 0. */
  #grow(): Float64Array {
    const grown = new Float64Array(Math.min(this.capacity, (this.#slots.length / STRIDE) * 2) * STRIDE);
    grown.set(this.#slots);
    return (this.#slots = grown);
  }

  /** Oldest first. */
  toArray(): RecentRun[] {
    const slots = this.#slots;
    const runs: RecentRun[] = [];
    const first = this.#size < this.capacity ? 0 : this.#next;
    for (let i = 0; i < this.#size; i++) {
      const at = ((first + i) % this.capacity) * STRIDE;
      const tickAndOutcome = slots[at]!;
      const outcome = tickAndOutcome % OUTCOME_SPAN;
      runs.push({ tick: (tickAndOutcome - outcome) / OUTCOME_SPAN, endedAt: new Date(slots[at + 1]!), durationMs: slots[at + 2]!, outcome: OUTCOMES[outcome]! });
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
