import { now } from '../lib/lateness.js';
import { SETTLED, type BenchTask, type SystemAdapter, type SystemDriver } from './adapter.js';

export const toadSystem: SystemAdapter = {
  name: 'toad-scheduler',
  overlapProtection: 'SimpleIntervalJob { preventOverrun: true } with an AsyncTask',
  subSecond: true,
  updateMethod: 'removeById + addSimpleIntervalJob (toad cannot re-schedule a job)',
  dueTime: 'add time + k·period, counted per job',
  async load() {
    const { ToadScheduler, SimpleIntervalJob, AsyncTask } = await import('toad-scheduler');
    return (): SystemDriver => {
      const scheduler = new ToadScheduler();
      const tasks: (BenchTask | undefined)[] = [];
      const create = (index: number, periodMs: number): void => {
        const task = tasks[index];
        if (task === undefined) return;
        const id = `job-${index}`;
        let next = now() + periodMs;
        const handler = (): Promise<unknown> => {
          const due = next;
          next += periodMs;
          return task(due) ?? SETTLED;
        };
        scheduler.addSimpleIntervalJob(new SimpleIntervalJob({ milliseconds: periodMs }, new AsyncTask(id, handler), { id, preventOverrun: true }));
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
