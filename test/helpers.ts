import { createScheduler, TestClock, type Scheduler, type SchedulerOptions, type RunEndEvent, type TickEvent } from '../src/index.js';

export const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** A scheduler on a fresh TestClock at T0, with its events recorded. */
export function setup(options: Omit<SchedulerOptions, 'clock'> = {}): {
  clock: TestClock;
  scheduler: Scheduler;
  ticks: TickEvent[];
  ends: RunEndEvent[];
  at: (ms: number) => number;
} {
  const clock = new TestClock(T0);
  const scheduler = createScheduler({ ...options, clock });
  const ticks: TickEvent[] = [];
  const ends: RunEndEvent[] = [];
  scheduler.on('tick', (e) => ticks.push(e));
  scheduler.on('run:end', (e) => ends.push(e));
  return { clock, scheduler, ticks, ends, at: (ms) => T0 + ms };
}

/** Offsets from T0 of the given timestamps. */
export function offsets(times: readonly (number | Date)[]): number[] {
  return times.map((t) => (t instanceof Date ? t.getTime() : t) - T0);
}

/** Stops the scheduler while moving the clock, so runs can settle. */
export async function stopAndAdvance(clock: TestClock, scheduler: Scheduler, ms = 60_000, options?: Parameters<Scheduler['stop']>[0]) {
  const stopping = scheduler.stop(options);
  await clock.advance(ms);
  return stopping;
}

/**
 * Counts task bodies in flight, independently of the engine's own counters: wrap the body in
 * `track()` and read `peak` afterwards. A body that never settles stays counted.
 */
export function concurrency(): { track<T>(work: () => Promise<T>): Promise<T>; readonly peak: number } {
  let inFlight = 0;
  let peak = 0;
  return {
    track(work) {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      return work().finally(() => {
        inFlight -= 1;
      });
    },
    get peak() {
      return peak;
    },
  };
}

/** Whatever `fn` throws (or a marker error when it throws nothing), for assertions on the error itself. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return new Error('expected a throw, got none');
}
