// Run with: npx tsx examples/cron-and-retries.ts
// A cron job with seconds in a time zone, retried with exponential backoff inside its slot,
// pausing itself after three failed runs in a row.
import { createScheduler } from '../src/index.js';

const scheduler = createScheduler();
scheduler.on('run:retry', (e) => console.log(`attempt ${e.attempt} of ${e.tickId} failed (${e.error.message}); retrying in ${e.delayMs} ms`));
scheduler.on('run:end', (e) => console.log(`${e.tickId}: ${e.outcome} after ${e.attempts} attempt(s)`));
scheduler.on('job:state', (e) => console.log(`job ${e.job}: ${e.from} -> ${e.to}${e.reason ? ` (${e.reason})` : ''}`));

let attempt = 0;
const job = scheduler.add({
  name: 'report',
  cron: '*/2 * * * * *', // every 2 seconds
  timezone: 'Europe/Berlin',
  retry: { attempts: 3, backoff: { initial: '100ms', factor: 2 } },
  maxConsecutiveFailures: 3,
  run: () => {
    attempt += 1;
    if (attempt % 4 !== 0) throw new Error(`flaky downstream (${attempt})`);
  },
});

console.log('next runs:', job.nextRuns(3).map((d) => d.toISOString()).join(', '));
setTimeout(() => void scheduler.stop().then(() => console.log('done')), 7_000);
