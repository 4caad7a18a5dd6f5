// Run with: npx tsx examples/graceful-shutdown.ts   (then press Ctrl-C, or wait 4 s)
// Stop means stop: on SIGINT/SIGTERM no new run starts, runs in flight get their signal
// aborted and 10 s to settle, and then the process exits by itself — nothing is left armed.
import { createScheduler } from '../src/index.js';

const scheduler = createScheduler();

scheduler.add({
  name: 'sync-orders',
  fixedDelay: '500ms', // the next run starts 500 ms after the previous one settled
  run: async ({ signal, tick }) => {
    console.log(`sync #${tick} started`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1_000);
      signal.addEventListener('abort', () => { clearTimeout(timer); console.log(`sync #${tick} aborted: ${(signal.reason as Error).message}`); resolve(); }, { once: true });
    });
  },
});

async function shutdown(reason: string): Promise<void> {
  console.log(`${reason}: stopping`);
  const report = await scheduler.stop({ timeout: '10s', abort: true });
  console.log(`stopped cleanly=${report.clean}, settled ${report.settled} run(s); the process now exits on its own`);
}

process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));
// Mid-way through the third run (3.5 s – 4.5 s), so the abort is visible.
setTimeout(() => void shutdown('demo over'), 4_000).unref();
