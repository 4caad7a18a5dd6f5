// Run with: npx tsx examples/quick-start.ts
// A cache refresh every second against a downstream that sometimes takes 2.5 s: tickguard
// never starts a second refresh while one is in flight, and reports each skipped tick.
import { createScheduler } from '../src/index.js';

const scheduler = createScheduler();

scheduler.on('tick', (e) => {
  if (e.result === 'skipped') console.log(`tick ${e.tick} skipped (${e.reason}): a refresh is still running`);
});
scheduler.on('run:end', (e) => console.log(`refresh #${e.tick} ${e.outcome} in ${Math.round(e.durationMs)} ms`));

let calls = 0;
scheduler.add({
  name: 'refresh-cache',
  fixedRate: '1s',
  timeout: '5s',
  run: async ({ signal }) => {
    const slow = ++calls % 3 === 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, slow ? 2_500 : 200);
      signal.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason); }, { once: true });
    });
  },
});

setTimeout(async () => {
  const report = await scheduler.stop({ timeout: '3s', abort: true });
  console.log('stopped:', report);
  console.log(JSON.stringify(scheduler.inspect().jobs[0]?.counters));
}, 6_500);
