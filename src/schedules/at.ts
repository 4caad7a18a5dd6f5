import type { Schedule } from './schedule.js';

/** One tick at a wall-clock instant. An instant already past when the job is added is due at once. */
class AtSchedule implements Schedule {
  readonly kind = 'at';
  readonly chained = false;
  readonly periodMs = undefined;
  readonly #atMs: number;

  constructor(atMs: number) {
    this.#atMs = atMs;
  }

  get description(): string {
    return `at ${new Date(this.#atMs).toISOString()}`;
  }

  first(): number {
    return this.#atMs;
  }

  next(after: number): number | null {
    return after < this.#atMs ? this.#atMs : null;
  }

  latest(at: number): number | null {
    return at >= this.#atMs ? this.#atMs : null;
  }
}

/** A one-shot schedule at `atMs` (epoch ms within the range of a Date). */
export function atSchedule(atMs: number): Schedule {
  return new AtSchedule(atMs);
}
