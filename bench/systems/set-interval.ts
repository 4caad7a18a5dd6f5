import { now } from '../lib/lateness.js';
import type { BenchTask, SystemAdapter, SystemDriver } from './adapter.js';

/** The floor: one Node interval per job, no overlap protection, no drift correction. */
export const setIntervalSystem: SystemAdapter = {
  name: 'setInterval',
  overlapProtection: 'none (raw timer: an async run still going when the next fires overlaps it)',
  subSecond: true,
  updateMethod: 'clearInterval + setInterval',
  dueTime: 'add time + k·period, counted per job',
  load() {
    return Promise.resolve((): SystemDriver => {
      const timers: (NodeJS.Timeout | undefined)[] = [];
      const tasks: (BenchTask | undefined)[] = [];
      const arm = (index: number, periodMs: number, task: BenchTask): void => {
        let next = now() + periodMs;
        timers[index] = setInterval(() => {
          const due = next;
          next += periodMs;
          void task(due);
        }, periodMs);
      };
      return {
        add(index, periodMs, task) {
          tasks[index] = task;
          arm(index, periodMs, task);
        },
        update(index, periodMs) {
          clearInterval(timers[index]);
          const task = tasks[index];
          if (task !== undefined) arm(index, periodMs, task);
        },
        remove(index) {
          clearInterval(timers[index]);
          timers[index] = undefined;
          tasks[index] = undefined;
        },
        stop() {
          for (const timer of timers) clearInterval(timer);
          timers.length = 0;
          tasks.length = 0;
          return Promise.resolve();
        },
      };
    });
  },
};
