import type { CronJob as CronJobInstance } from 'cron';
import { cronPatternFor, wallAlignedDue, wallOffset, type SystemAdapter, type SystemDriver } from './adapter.js';

export const cronSystem: SystemAdapter = {
  name: 'cron',
  overlapProtection: 'waitForCompletion: true',
  subSecond: false,
  updateMethod: 'job.setTime(new CronTime(pattern))',
  dueTime: 'the wall-clock second boundary the run belongs to',
  async load() {
    const { CronJob, CronTime } = await import('cron');
    return (): SystemDriver => {
      const offset = wallOffset();
      const jobs: (CronJobInstance<null, null> | undefined)[] = [];
      // The period each job's task reads its due time with; update() changes it in place.
      const periods: number[] = [];
      return {
        add(index, periodMs, task) {
          periods[index] = periodMs;
          jobs[index] = CronJob.from({
            cronTime: cronPatternFor(periodMs),
            onTick: () => task(wallAlignedDue(periods[index] ?? periodMs, offset)),
            start: true,
            waitForCompletion: true,
          });
        },
        update(index, periodMs) {
          periods[index] = periodMs;
          jobs[index]?.setTime(new CronTime(cronPatternFor(periodMs)));
        },
        remove(index) {
          jobs[index]?.stop();
          jobs[index] = undefined;
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
