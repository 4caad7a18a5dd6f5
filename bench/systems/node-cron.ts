import { cronPatternFor, wallAlignedDue, wallOffset, type BenchTask, type SystemAdapter, type SystemDriver } from './adapter.js';

const silent = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };

export const nodeCronSystem: SystemAdapter = {
  name: 'node-cron',
  overlapProtection: 'noOverlap: true',
  subSecond: false,
  updateMethod: 'destroy() + cron.schedule (node-cron cannot re-schedule a task)',
  dueTime: 'the wall-clock second boundary the run belongs to',
  async load() {
    const { default: cron } = await import('node-cron');
    type Task = ReturnType<typeof cron.schedule>;
    return (): SystemDriver => {
      const offset = wallOffset();
      const jobs: (Task | undefined)[] = [];
      const tasks: (BenchTask | undefined)[] = [];
      const create = (index: number, periodMs: number): void => {
        const task = tasks[index];
        if (task === undefined) return;
        jobs[index] = cron.schedule(cronPatternFor(periodMs), () => task(wallAlignedDue(periodMs, offset)), { noOverlap: true, logger: silent });
      };
      return {
        add(index, periodMs, task) {
          tasks[index] = task;
          create(index, periodMs);
        },
        update(index, periodMs) {
          void jobs[index]?.destroy();
          create(index, periodMs);
        },
        remove(index) {
          const job = jobs[index];
          jobs[index] = undefined;
          tasks[index] = undefined;
          return job?.destroy();
        },
        async stop() {
          await Promise.all(jobs.map((job) => job?.destroy()));
          jobs.length = 0;
        },
      };
    };
  },
};
