import { now } from '../lib/lateness.js';
import { SETTLED, type BenchTask, type SystemAdapter, type SystemDriver } from './adapter.js';

const AsyncFunction = (async () => {}).constructor;

/** Whether the bench task is an async function (the scenarios' async tasks are). */
const isAsync = (task: BenchTask): boolean => task instanceof AsyncFunction;

export const toadSystem: SystemAdapter = {
  name: 'toad-scheduler',
  overlapProtection: 'SimpleIntervalJob { preventOverrun: true }: a Task for a sync task, an AsyncTask for an async one',
  subSecond: true,
  updateMethod: 'removeById + addSimpleIntervalJob (toad cannot re-schedule a job)',
  dueTime: 'add time + k·period, counted per job',
  async load() {
    const { ToadScheduler, SimpleIntervalJob, AsyncTask, Task } = await import('toad-scheduler');
    return (): SystemDriver => {
      const scheduler = new ToadScheduler();
      const tasks: (BenchTask | undefined)[] = [];
      const create = (index: number, periodMs: number): void => {
        const task = tasks[index];
        if (task === undefined) return;
        const id = `job-${index}`;
        let next = now() + periodMs;
        // A sync task runs as a toad Task, as a user would write it (an AsyncTask would charge
        // toad a promise per run that the task does not need); an async one as an AsyncTask.
        const toadTask = isAsync(task)
          ? new AsyncTask(id, (): Promise<unknown> => {
              const due = next;
              next += periodMs;
              return task(due) ?? SETTLED;
            })
          : new Task(id, () => {
              const due = next;
              next += periodMs;
              void task(due);
            });
        scheduler.addSimpleIntervalJob(new SimpleIntervalJob({ milliseconds: periodMs }, toadTask, { id, preventOverrun: true }));
      };
      return {
        add(index, periodMs, task) {
          tasks[index] = task;
          create(index, periodMs);
        },
        update(index, periodMs) {
          scheduler.removeById(`job-${index}`);
          create(index, periodMs);
        },
        remove(index) {
          scheduler.removeById(`job-${index}`);
          tasks[index] = undefined;
        },
        stop() {
          scheduler.stop();
          return Promise.resolve();
        },
      };
    };
  },
};
