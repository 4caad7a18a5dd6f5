import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RunAbortedError, SchedulerStoppedError, createScheduler } from '../src/index.js';
import { setup, stopAndAdvance } from './helpers.js';

describe('stop()', () => {
  it('starts no run after stop(), not even a tick already due', async () => {
    const { clock, scheduler } = setup();
    let runs = 0;
    scheduler.add({ name: 'a', fixedRate: '1s', run: () => void runs++ });
    await clock.advance(2_000);
    clock.blockFor(5_000); // the next ticks are overdue: their timer "has fired" but not run yet
    const report = scheduler.stop();
    await clock.flush();
    expect(runs).toBe(2);
    expect(await report).toMatchObject({ clean: true, settled: 0, stillRunning: [] });
  });

  it('drops buffered ticks instead of running them', async () => {
    const { clock, scheduler, ticks } = setup();
    let runs = 0;
    scheduler.add({ name: 'a', fixedRate: '1s', overlap: 'buffer-all', run: async () => { runs++; await clock.sleep(5_000); } });
    await clock.advance(3_000); // one running, two buffered
    const report = await stopAndAdvance(clock, scheduler);
    expect(runs).toBe(1);
    expect(report).toMatchObject({ clean: true, settled: 1, droppedTicks: 2 });
    expect(ticks.filter((t) => t.result === 'dropped' && t.reason === 'stopped')).toHaveLength(2);
  });

  it('resolves when in-flight runs have settled', async () => {
    const { clock, scheduler } = setup();
    let settledAt = 0;
    scheduler.add({ name: 'a', fixedRate: '1s', run: async () => { await clock.sleep(1_500); settledAt = clock.now(); } });
    await clock.advance(1_200);
    let resolvedAt = 0;
    const stopping = scheduler.stop().then((r) => { resolvedAt = clock.now(); return r; });
    await clock.advance(5_000);
    const report = await stopping;
    expect(report.clean).toBe(true);
    expect(resolvedAt).toBe(settledAt);
    expect(scheduler.state).toBe('stopped');
  });

  it('gives up at its timeout and reports the runs still in flight', async () => {
    const { clock, scheduler } = setup();
    scheduler.add({ name: 'hang', fixedRate: '1s', run: () => new Promise(() => {}) });
    await clock.advance(1_000);
    const report = await stopAndAdvance(clock, scheduler, 3_000, { timeout: '2s' });
    expect(report.clean).toBe(false);
    expect(report.durationMs).toBe(2_000);
    expect(report.stillRunning).toHaveLength(1);
    expect(report.stillRunning[0]).toMatchObject({ job: 'hang', attempt: 1, runningForMs: 2_000 });
  });

  it('with abort: true aborts in-flight signals with reason "stop"', async () => {
    const { clock, scheduler } = setup();
    const reasons: unknown[] = [];
    scheduler.add({
      name: 'a',
      fixedRate: '1s',
      run: (ctx) => new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => { reasons.push(ctx.signal.reason); resolve(); }, { once: true })),
    });
    await clock.advance(1_000);
    const report = await stopAndAdvance(clock, scheduler, 0, { abort: true });
    expect(report.clean).toBe(true);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBeInstanceOf(RunAbortedError);
    expect((reasons[0] as RunAbortedError).abortCause).toBe('stop');
    expect(scheduler.inspect().jobs[0]?.counters.aborted).toBe(1);
  });

  it('leaves no timer, job or listener behind, and refuses new work', async () => {
    const { clock, scheduler } = setup();
    for (let i = 0; i < 50; i += 1) scheduler.add({ name: `j${i}`, fixedRate: 100 + i, timeout: '1s', run: async () => clock.sleep(50) });
    await clock.advance(1_000);
    await stopAndAdvance(clock, scheduler, 1_000);
    expect(clock.pendingTimers).toBe(0);
    expect(scheduler.jobs()).toEqual([]);
    expect(() => scheduler.add({ name: 'late', fixedRate: 1, run: () => {} })).toThrow(SchedulerStoppedError);
    // The final snapshot is kept for inspection; the jobs went with the scheduler.
    expect(scheduler.inspect().state).toBe('stopped');
    expect(scheduler.inspect().jobs).toHaveLength(50);
    expect(scheduler.inspect().jobs.every((j) => j.state === 'removed')).toBe(true);
  });

  it('leaves job handles removed: they refuse further calls', async () => {
    const { clock, scheduler } = setup();
    const job = scheduler.add({ name: 'a', fixedRate: '1s', run: () => {} });
    await stopAndAdvance(clock, scheduler, 0);
    expect(job.state).toBe('removed');
    expect(() => job.pause()).toThrow(/removed/);
    await expect(job.trigger()).rejects.toThrow(/removed/);
  });

  it('is idempotent, and await using stops the scheduler', async () => {
    const { clock, scheduler } = setup();
    const first = scheduler.stop();
    expect(scheduler.stop()).toBe(first);
    await first;
    let runs = 0;
    {
      await using scoped = createScheduler({ clock });
      scoped.add({ name: 'a', fixedRate: 10, run: () => void runs++ });
      await clock.advance(35);
    }
    await clock.advance(1_000);
    expect(runs).toBe(3);
    expect(clock.pendingTimers).toBe(0);
  });

  it('lets a process whose only work was the scheduler exit by itself', () => {
    const script = fileURLToPath(new URL('./fixtures/exit-after-stop.ts', import.meta.url));
    const result = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 20_000 });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('runs=');
    expect(result.stdout).toContain('timers-after-stop=0');
  });

  it('with unref: true lets the process exit while only the scheduler waits', () => {
    const script = fileURLToPath(new URL('./fixtures/unref-exits.ts', import.meta.url));
    const result = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 20_000 });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('exited-with-job-armed');
  });
});
