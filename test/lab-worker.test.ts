import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Downstream } from '../src/cli/lab/downstream.js';
import { RunProbe } from '../src/cli/lab/probe.js';
import { checkTickguard } from '../src/cli/lab/strategy-worker.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const options = { capacity: 1, serviceTimeMs: 100, bytesPerRequest: 1_000, memoryCapBytes: 1_000_000 };

/** Tracks a promise's fate without awaiting it. */
function track(promise: Promise<void>): { state: () => string } {
  let state = 'pending';
  promise.then(() => (state = 'resolved'), (error: unknown) => (state = `rejected: ${String(error)}`));
  return { state: () => state };
}

describe('lab downstream', () => {
  it('serves `capacity` requests at once, in arrival order, and queues the rest', async () => {
    const downstream = new Downstream(options);
    const calls = [track(downstream.request()), track(downstream.request()), track(downstream.request())];
    expect([downstream.inService, downstream.queueLength, downstream.heldBytes]).toEqual([1, 2, 3_000]);
    await vi.advanceTimersByTimeAsync(99);
    expect(calls.map((c) => c.state())).toEqual(['pending', 'pending', 'pending']);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.map((c) => c.state())).toEqual(['resolved', 'pending', 'pending']);
    expect([downstream.inService, downstream.queueLength]).toEqual([1, 1]);
    await vi.advanceTimersByTimeAsync(200);
    expect(calls.map((c) => c.state())).toEqual(['resolved', 'resolved', 'resolved']);
    expect([downstream.served, downstream.peakQueue, downstream.heldBytes]).toEqual([3, 2, 0]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('drops an aborted request, waiting or in service, and releases its timer and listener', async () => {
    const downstream = new Downstream({ ...options, capacity: 1 });
    const first = new AbortController();
    const second = new AbortController();
    const a = track(downstream.request(first.signal));
    const b = track(downstream.request(second.signal));
    const c = track(downstream.request());
    second.abort(new Error('queued one aborted'));
    await vi.advanceTimersByTimeAsync(0);
    expect(b.state()).toBe('rejected: Error: queued one aborted');
    expect(downstream.queueLength).toBe(1);
    first.abort(new Error('served one aborted'));
    await vi.advanceTimersByTimeAsync(0);
    expect(a.state()).toBe('rejected: Error: served one aborted');
    // The slot went to the next in line at once, not after the aborted one's service time.
    expect([downstream.inService, downstream.queueLength]).toEqual([1, 0]);
    await vi.advanceTimersByTimeAsync(100);
    expect(c.state()).toBe('resolved');
    expect(downstream.aborted).toBe(2);
    expect(getEventListeners(first.signal, 'abort')).toHaveLength(0);
    expect(getEventListeners(second.signal, 'abort')).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses a request whose signal already aborted, without queueing it', async () => {
    const downstream = new Downstream(options);
    const call = track(downstream.request(AbortSignal.abort(new Error('too late'))));
    await vi.advanceTimersByTimeAsync(0);
    expect(call.state()).toBe('rejected: Error: too late');
    expect([downstream.inService, downstream.queueLength, vi.getTimerCount()]).toEqual([0, 0, 0]);
  });

  it('stops holding memory past its cap and says so', () => {
    const downstream = new Downstream({ ...options, bytesPerRequest: 10, memoryCapBytes: 25 });
    for (let i = 0; i < 5; i += 1) void downstream.request();
    expect(downstream.heldBytes).toBe(20);
    expect(downstream.memoryCapped).toBe(true);
    expect(downstream.queueLength).toBe(4);
  });
});

describe('lab run probe', () => {
  it('counts runs around the task and records every moment the limit was exceeded', async () => {
    let now = 0;
    const probe = new RunProbe(1, () => now);
    let release: () => void = () => undefined;
    const task = probe.wrap(() => new Promise<void>((resolve) => (release = resolve)));
    const first = task();
    now = 120;
    const second = task();
    expect([probe.inFlight, probe.peakInFlight, probe.started]).toEqual([2, 2, 2]);
    expect(probe.overruns).toEqual([{ atMs: 120, inFlight: 2 }]);
    release();
    await second;
    probe.markStopRequested();
    const failing = probe.wrap(() => Promise.reject(new Error('boom')));
    await expect(failing()).rejects.toThrow('boom');
    expect([probe.completed, probe.failed, probe.startedAfterStop, probe.inFlight]).toEqual([1, 1, 1, 1]);
    void first;
  });

  it('records no overrun for a strategy that promises no bound', () => {
    const probe = new RunProbe(null, () => 0);
    const task = probe.wrap(() => new Promise<void>(() => undefined));
    for (let i = 0; i < 5; i += 1) void task();
    expect(probe.peakInFlight).toBe(5);
    expect(probe.overruns).toEqual([]);
  });

  it('whenInFlight resolves once a run has started, or at its timeout when none does', async () => {
    const probe = new RunProbe(1, () => 0);
    const seen: string[] = [];
    const task = probe.wrap(() => {
      seen.push('task called');
      return new Promise<void>(() => undefined);
    });
    const waiting = probe.whenInFlight(1_000).then(() => seen.push('resolved'));
    await vi.advanceTimersByTimeAsync(500);
    expect(seen).toEqual([]);
    void task();
    await waiting;
    // The task was already called (its request with the downstream) when the wait resolved.
    expect(seen).toEqual(['task called', 'resolved']);
    expect(vi.getTimerCount()).toBe(0);
    await probe.whenInFlight(10);

    const idle = new RunProbe(null, () => 0);
    let timedOut = false;
    void idle.whenInFlight(300).then(() => (timedOut = true));
    await vi.advanceTimersByTimeAsync(299);
    expect(timedOut).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(timedOut).toBe(true);
  });
});

describe('lab self-check of a tickguard strategy', () => {
  const engine = {
    ticks: 10, started: 6, skipped: 3, buffered: 2, dropped: 1, missed: 0, succeeded: 5, aborted: 1, failed: 0,
    stopClean: true, stopDurationMs: 1,
  };
  const cleanProbe = { overruns: [], startedAfterStop: 0, inFlight: 0, started: 6 };

  it('passes a strategy that kept its promise', () => {
    expect(checkTickguard('s', 1, cleanProbe, { handlesByType: { PipeWrap: 3 } }, engine)).toEqual([]);
  });

  it('reports each broken promise as its own violation', () => {
    const violations = checkTickguard(
      's',
      1,
      { overruns: [{ atMs: 250, inFlight: 2 }], startedAfterStop: 1, inFlight: 1, started: 7 },
      { handlesByType: { PipeWrap: 3, Timeout: 2 } },
      { ...engine, stopClean: false, ticks: 11 },
    );
    expect(violations.map((v) => v.kind)).toEqual([
      'max-concurrency', 'run-after-stop', 'handle-left', 'stop-unclean', 'stop-unclean', 'engine-counters', 'engine-counters',
    ]);
    expect(violations[0]?.message).toBe('2 runs in flight at 250ms, above maxConcurrency 1');
    expect(violations[2]?.message).toBe('2 Timeout handle(s) still active after scheduler.stop() resolved');
    expect(violations[5]?.message).toBe('the engine counted 6 started runs, the task saw 7');
  });

  it('reports missing engine counters and runs that never ended', () => {
    expect(checkTickguard('s', 1, cleanProbe, { handlesByType: {} }, null).map((v) => v.kind)).toEqual(['engine-counters']);
    const unended = checkTickguard('s', 1, cleanProbe, { handlesByType: {} }, { ...engine, succeeded: 4 });
    expect(unended.map((v) => v.message)).toEqual(['6 runs started but 5 ended (succeeded + aborted + failed)']);
  });
});
