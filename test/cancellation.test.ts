import { describe, expect, it } from 'vitest';
import { getEventListeners } from 'node:events';
import { RunAbortedError, RunTimeoutError } from '../src/index.js';
import { concurrency, setup } from './helpers.js';

describe('cancellation', () => {
  it('aborts ctx.signal at the timeout with a RunTimeoutError', async () => {
    const { clock, scheduler, ends } = setup();
    const reasons: unknown[] = [];
    scheduler.add({
      name: 'slow',
      fixedRate: '10s',
      timeout: '2s',
      run: async (ctx) => {
        try {
          await clock.sleep(5_000, ctx.signal);
        } catch (error) {
          reasons.push(error);
          throw error;
        }
      },
    });
    await clock.advance(12_000);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBeInstanceOf(RunTimeoutError);
    expect((reasons[0] as RunTimeoutError).abortCause).toBe('timeout');
    expect(ends[0]).toMatchObject({ outcome: 'timeout', durationMs: 2_000, abortCause: 'timeout' });
  });

  it('aborts ctx.signal on remove() with reason "remove" and waits for the run', async () => {
    const { clock, scheduler } = setup();
    let reason: unknown;
    const job = scheduler.add({
      name: 'a',
      fixedRate: '1s',
      run: async (ctx) => {
        await clock.sleep(10_000, ctx.signal).catch((e: unknown) => { reason = e; });
      },
    });
    await clock.advance(1_000);
    const report = await job.remove();
    expect(report).toMatchObject({ clean: true, settled: 1 });
    expect(reason).toBeInstanceOf(RunAbortedError);
    expect((reason as RunAbortedError).abortCause).toBe('remove');
    expect(job.state).toBe('removed');
    expect(scheduler.get('a')).toBeUndefined();
    expect(() => job.pause()).toThrow(/removed/);
    // The name is free again.
    scheduler.add({ name: 'a', fixedRate: '1s', run: () => {} });
    await clock.advance(5_000);
  });

  it('leaves no listener on the run signal and no timer after many runs', async () => {
    const { clock, scheduler } = setup();
    const signals: AbortSignal[] = [];
    let warnings = 0;
    const onWarning = (w: Error) => { if (w.name === 'MaxListenersExceededWarning') warnings++; };
    process.on('warning', onWarning);
    const job = scheduler.add({
      name: 'many',
      fixedRate: 1,
      timeout: '1s',
      run: async (ctx) => {
        if (signals.length < 3) signals.push(ctx.signal);
        await clock.sleep(0, ctx.signal);
      },
    });
    await clock.advance(20_000);
    process.off('warning', onWarning);
    expect(job.inspect().counters.started).toBeGreaterThan(9_000);
    expect(warnings).toBe(0);
    for (const signal of signals) expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    await job.remove();
    expect(clock.pendingTimers).toBe(0);
  });

  it('a timed-out run that ignores its signal keeps its slot until it settles, and is reported stuck', async () => {
    const { clock, scheduler } = setup();
    const stuck: string[] = [];
    scheduler.on('run:stuck', (e) => stuck.push(`${e.tickId}:${e.runningForMs}`));
    const slots = concurrency();
    const job = scheduler.add({
      name: 'deaf',
      fixedRate: '1s',
      timeout: '500ms',
      run: () => slots.track(() => clock.sleep(4_000)), // ignores the signal
    });
    await clock.advance(3_000);
    const snapshot = job.inspect();
    expect(snapshot.inFlight).toBe(1);
    expect(snapshot.stuck).toBe(1);
    expect(snapshot.runs[0]).toMatchObject({ stuck: true, abortCause: 'timeout' });
    expect(stuck).toEqual(['deaf@2026-01-01T00:00:01.000Z:1500']);
    await clock.advance(10_000);
    expect(slots.peak).toBe(1);
    expect(job.inspect().counters.timedOut).toBeGreaterThan(1);
  });
});
