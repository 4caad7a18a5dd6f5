/**
 * A job's lifecycle: its one transition table. The job (`job.ts`) is its one writer.
 *
 *            pause()                          maxRuns reached,
 *   active ─────────▶ paused                  or the schedule ended
 *     ▲ ◀───────────  │  ▲ maxConsecutive-       active|paused ──▶ done
 *     │   resume()    │  │ Failures (self-pause)  done ──▶ active   update() revives it
 *     └───────────────┘  │                      any but removed ──▶ removed  remove(), stop()
 *
 * `done` means no new run starts (a tick already buffered behind a busy slot still runs when the
 * schedule ended; not when maxRuns was reached). `removed` is final.
 */
import type { JobState } from './snapshot.js';

const TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = {
  active: ['paused', 'done', 'removed'],
  paused: ['active', 'done', 'removed'],
  done: ['active', 'removed'],
  removed: [],
};

/** Whether a job may move from `from` to `to`. */
export function canTransition(from: JobState, to: JobState): boolean {
  return TRANSITIONS[from].includes(to);
}
