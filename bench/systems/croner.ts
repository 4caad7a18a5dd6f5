import { cronPatternFor, wallAlignedDue, wallOffset, type SystemAdapter, type SystemDriver } from './adapter.js';

export const cronerSystem: SystemAdapter = {
  name: 'croner',
  overlapProtection: 'protect: true',
  subSecond: false,
  updateMethod: 'stop() + new Cron (croner cannot re-schedule a job)',
  dueTime: 'the wall-clock second boundary the run belongs to',
  async load() {
    const { Cron } = await import('croner');
    return (): SystemDriver => {
      const offset = wallOffset();
      const jobs: (InstanceType<typeof Cron> | undefined)[] = [];
      const tasks: (Parameters<SystemDriver['add']>[2] | undefined)[] = [];
      const create = (index: number, periodMs: number): void => {
        const task = tasks[index];
        if (task === undefined) return;
        jobs[index] = new Cron(cronPatternFor(periodMs), { protect: true }, () => task(wallAlignedDue(periodMs, offset)));
      };
      return {
        add(index, periodMs, task) {
          tasks[index] = task;
          create(index, periodMs);
        },
        update(index, periodMs) {
          jobs[index]?.stop();
          create(index, periodMs);
        },
        remove(index) {
          jobs[index]?.stop();
          jobs[index] = undefined;
          tasks[index] = undefined;
        },
        stop() {
          for (const job of jobs) job?.stop();
          jobs.length = 0;
          return Promise.resolve();
        },
      };
    };
  },
};
