/**
 * Structured logs through a real pino logger whose destination is a stream we read back:
 * every line is parsed and asserted field by field. Time is the TestClock's, so durations and
 * lateness are exact.
 */
import { Writable } from 'node:stream';
import { pino, type Level } from 'pino';
import { describe, expect, it } from 'vitest';
import { createScheduler, TestClock, type Clock, type Logger, type LogFn, type Scheduler } from '../../src/index.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const iso = (offsetMs: number): string => new Date(T0 + offsetMs).toISOString();

const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

interface Line {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A pino logger writing JSON lines (no time, pid or hostname) into an array. */
function capture(level: Level = 'debug'): { logger: pino.Logger; lines: Line[] } {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text !== '') lines.push(JSON.parse(text) as Line);
      done();
    },
  });
  return { logger: pino({ level, base: null, timestamp: false }, stream), lines };
}

function setup(level: Level = 'debug'): { clock: TestClock; scheduler: Scheduler; lines: Line[] } {
  const { logger, lines } = capture(level);
  const clock = new TestClock(T0);
  return { clock, scheduler: createScheduler({ clock, logger }), lines };
}

async function stop(clock: TestClock, scheduler: Scheduler): Promise<void> {
  const stopping = scheduler.stop();
  await clock.advance(60_000);
  await stopping;
}

const byMsg = (lines: readonly Line[], msg: string): Line[] => lines.filter((line) => line.msg === msg);

/** End lines are compared without latenessMs here; the test of that field asserts its value. */
const withoutLateness = (lines: readonly Line[]): Line[] => lines.map(({ latenessMs: _latenessMs, ...rest }) => rest as Line);

/** The bindings every line of a run's child logger carries. */
const runBindings = (job: string, tick: number, dueOffsetMs: number, attempt: number) => ({
  job,
  tick,
  tickId: `${job}@${iso(dueOffsetMs)}`,
  scheduledAt: iso(dueOffsetMs),
  attempt,
});

describe('logs: runs', () => {
  it('logs run start and end at debug, on the run child logger, with lateness, duration and outcome', async () => {
    const { clock, scheduler, lines } = setup();
    scheduler.add({ name: 'report', fixedRate: '1s', run: async (ctx) => clock.sleep(250, ctx.signal) });
    await clock.advance(1_300);

    expect(byMsg(lines, 'run started')).toEqual([
      { level: LEVEL.debug, ...runBindings('report', 1, 1_000, 1), latenessMs: 0, msg: 'run started' },
    ]);
    expect(withoutLateness(byMsg(lines, 'run ended'))).toEqual([
      { level: LEVEL.debug, ...runBindings('report', 1, 1_000, 1), outcome: 'success', durationMs: 250, attempts: 1, msg: 'run ended' },
    ]);
    expect(lines).toHaveLength(2);
    await stop(clock, scheduler);
  });

  it('reports real lateness: a buffered tick starts when the slot frees up', async () => {
    const { clock, scheduler, lines } = setup();
    // Each run takes 1.5 s at a 1 s rate: tick 2 (due at 2 s) waits in the buffer until 2.5 s.
    scheduler.add({ name: 'slow', fixedRate: '1s', overlap: 'buffer-one', maxRuns: 2, run: async (ctx) => clock.sleep(1_500, ctx.signal) });
    await clock.advance(4_100);

    expect(byMsg(lines, 'run started')).toEqual([
      { level: LEVEL.debug, ...runBindings('slow', 1, 1_000, 1), latenessMs: 0, msg: 'run started' },
      { level: LEVEL.debug, ...runBindings('slow', 2, 2_000, 1), latenessMs: 500, msg: 'run started' },
    ]);
    expect(byMsg(lines, 'run ended').map((line) => [line.tick, line.outcome, line.durationMs])).toEqual([
      [1, 'success', 1_500],
      [2, 'success', 1_500],
    ]);
    await stop(clock, scheduler);
  });

  it('carries latenessMs on the "run ended" line too', async () => {
    const { clock, scheduler, lines } = setup();
    scheduler.add({ name: 'slow', fixedRate: '1s', overlap: 'buffer-one', maxRuns: 2, run: async (ctx) => clock.sleep(1_500, ctx.signal) });
    await clock.advance(4_100);

    expect(byMsg(lines, 'run ended').map((line) => [line.tick, line.latenessMs, line.durationMs])).toEqual([
      [1, 0, 1_500],
      [2, 500, 1_500],
    ]);
    await stop(clock, scheduler);
  });

  it('gives the task its run child logger as ctx.log, bound to job, tick, scheduledAt and attempt', async () => {
    const { clock, scheduler, lines } = setup();
    scheduler.add({
      name: 'sync',
      fixedRate: '1s',
      retry: { attempts: 2 },
      run: (ctx) => {
        ctx.log.info({ rows: 42 }, 'synced');
        if (ctx.attempt === 1) throw new Error('flaky');
      },
    });
    await clock.advance(1_000);

    expect(byMsg(lines, 'synced')).toEqual([
      { level: LEVEL.info, ...runBindings('sync', 1, 1_000, 1), rows: 42, msg: 'synced' },
      { level: LEVEL.info, ...runBindings('sync', 1, 1_000, 2), rows: 42, msg: 'synced' },
    ]);
    await stop(clock, scheduler);
  });

  it('binds manual ticks the same way', async () => {
    const { clock, scheduler, lines } = setup();
    const job = scheduler.add({ name: 'manual', fixedRate: '1h', run: (ctx) => ctx.log.info({ manual: ctx.manual }, 'hello') });
    await clock.advance(10);
    await job.trigger();

    // A manual tick's id carries a local suffix, so that two triggers in one millisecond stay distinct.
    expect(byMsg(lines, 'hello')).toEqual([
      { level: LEVEL.info, ...runBindings('manual', 1, 10, 1), tickId: `manual@${iso(10)}#manual-1`, manual: true, msg: 'hello' },
    ]);
    await stop(clock, scheduler);
  });
});

describe('logs: skips', () => {
  it('logs skipped ticks at debug with the reason', async () => {
    const { clock, scheduler, lines } = setup();
    const job = scheduler.add({ name: 'busy', fixedRate: '1s', run: async (ctx) => clock.sleep(1_500, ctx.signal) });
    await clock.advance(2_000); // tick 2 finds tick 1 still running
    job.pause();
    await clock.advance(1_000); // tick 3 finds the job paused

    expect(byMsg(lines, 'tick skipped')).toEqual([
      { level: LEVEL.debug, job: 'busy', tick: 2, tickId: `busy@${iso(2_000)}`, result: 'skipped', reason: 'busy', msg: 'tick skipped' },
      { level: LEVEL.debug, job: 'busy', tick: 3, tickId: `busy@${iso(3_000)}`, result: 'skipped', reason: 'paused', msg: 'tick skipped' },
    ]);
    await stop(clock, scheduler);
  });

  it('logs dropped ticks at debug with the reason', async () => {
    const { clock, scheduler, lines } = setup();
    scheduler.add({ name: 'queue', fixedRate: '1s', overlap: 'buffer-all', maxBuffered: 1, run: async (ctx) => clock.sleep(2_500, ctx.signal) });
    await clock.advance(3_000); // tick 2 buffered at 2 s, pushed out by tick 3 at 3 s

    expect(byMsg(lines, 'tick dropped')).toEqual([
      { level: LEVEL.debug, job: 'queue', tick: 2, tickId: `queue@${iso(2_000)}`, result: 'dropped', reason: 'buffer-full', msg: 'tick dropped' },
    ]);
    await stop(clock, scheduler);
  });
});

describe('logs: failures, stuck runs and self-pauses', () => {
  it('logs a retried attempt at warn and the failed run at error, with the error serialized', async () => {
    const { clock, scheduler, lines } = setup();
    scheduler.add({
      name: 'flaky',
      fixedRate: '1m',
      retry: { attempts: 2, backoff: '100ms' },
      run: async (ctx) => {
        await clock.sleep(50, ctx.signal);
        throw new Error(`failure ${ctx.attempt}`);
      },
    });
    await clock.advance(60_200);

    expect(byMsg(lines, 'attempt failed; retrying')).toEqual([
      {
        level: LEVEL.warn, ...runBindings('flaky', 1, 60_000, 1), delayMs: 100,
        err: { type: 'Error', message: 'failure 1', stack: expect.stringContaining('Error: failure 1') },
        msg: 'attempt failed; retrying',
      },
    ]);
    expect(withoutLateness(byMsg(lines, 'run failed'))).toEqual([
      {
        level: LEVEL.error, ...runBindings('flaky', 1, 60_000, 2), outcome: 'error', durationMs: 200, attempts: 2,
        err: { type: 'Error', message: 'failure 2', stack: expect.stringContaining('Error: failure 2') },
        msg: 'run failed',
      },
    ]);
    await stop(clock, scheduler);
  });

  it('logs a timed-out run at error with outcome timeout and the typed error', async () => {
    const { clock, scheduler, lines } = setup();
    scheduler.add({ name: 'slow', fixedRate: '1m', timeout: '2s', run: async (ctx) => clock.sleep(10_000, ctx.signal) });
    await clock.advance(62_000);

    expect(withoutLateness(byMsg(lines, 'run timed out'))).toEqual([
      {
        level: LEVEL.error, ...runBindings('slow', 1, 60_000, 1), outcome: 'timeout', durationMs: 2_000, attempts: 1,
        err: expect.objectContaining({ type: 'RunTimeoutError', code: 'ERR_TICKGUARD_RUN_TIMEOUT', abortCause: 'timeout', timeoutMs: 2_000 }),
        msg: 'run timed out',
      },
    ]);
    await stop(clock, scheduler);
  });

  it('logs a stuck run at warn with how long it has been running', async () => {
    const { clock, scheduler, lines } = setup();
    // The task ignores its signal: it stays in flight past the timeout, and past stuckAfter.
    scheduler.add({ name: 'stubborn', fixedRate: '1m', timeout: '1s', stuckAfter: '3s', run: async () => clock.sleep(5_000) });
    await clock.advance(63_000);

    expect(byMsg(lines, 'run is stuck: still in flight past stuckAfter')).toEqual([
      { level: LEVEL.warn, ...runBindings('stubborn', 1, 60_000, 1), runningForMs: 3_000, abortCause: 'timeout', msg: 'run is stuck: still in flight past stuckAfter' },
    ]);
    await stop(clock, scheduler);
  });

  it('logs a self-pause at warn on the job logger', async () => {
    const { clock, scheduler, lines } = setup();
    scheduler.add({ name: 'broken', fixedRate: '1s', maxConsecutiveFailures: 3, run: () => { throw new Error('down'); } });
    await clock.advance(5_000);

    expect(byMsg(lines, 'job paused itself after maxConsecutiveFailures failed runs in a row')).toEqual([
      { level: LEVEL.warn, job: 'broken', consecutiveFailures: 3, msg: 'job paused itself after maxConsecutiveFailures failed runs in a row' },
    ]);
    expect(byMsg(lines, 'run failed')).toHaveLength(3);
    expect(byMsg(lines, 'tick skipped').map((line) => line.reason)).toEqual(['paused', 'paused']);
    await stop(clock, scheduler);
  });

  it('logs a throwing event listener at error and goes on', async () => {
    const { clock, scheduler, lines } = setup('error');
    scheduler.on('run:end', () => {
      throw new Error('listener bug');
    });
    let runs = 0;
    scheduler.add({ name: 'ok', fixedRate: '1s', run: () => { runs += 1; } });
    await clock.advance(2_000);

    expect(runs).toBe(2);
    expect(lines).toEqual([
      { level: LEVEL.error, event: 'run:end', err: expect.objectContaining({ message: 'listener bug' }), msg: 'a scheduler event listener threw; ignored' },
      { level: LEVEL.error, event: 'run:end', err: expect.objectContaining({ message: 'listener bug' }), msg: 'a scheduler event listener threw; ignored' },
    ]);
    await stop(clock, scheduler);
  });
});

describe('logs: levels and cost', () => {
  it('writes nothing for healthy runs at level info, and only failures at warn and above', async () => {
    const { clock, scheduler, lines } = setup('info');
    let n = 0;
    scheduler.add({ name: 'mixed', fixedRate: '1s', run: () => { n += 1; if (n % 5 === 0) throw new Error(`run ${n}`); } });
    await clock.advance(10_000);

    expect(n).toBe(10);
    expect(lines.map((line) => [line.level, line.msg, line.tick])).toEqual([
      [LEVEL.error, 'run failed', 5],
      [LEVEL.error, 'run failed', 10],
    ]);
    await stop(clock, scheduler);
  });

  it('builds no field and no per-run child logger when debug is disabled (no hot-path cost)', async () => {
    const calls = { child: 0, debug: 0, info: 0, warn: 0, error: 0, levelChecks: 0 };
    const counting = (): Logger => {
      const count = (level: 'debug' | 'info' | 'warn' | 'error'): LogFn => () => { calls[level] += 1; };
      return {
        child: () => { calls.child += 1; return counting(); },
        debug: count('debug'),
        info: count('info'),
        warn: count('warn'),
        error: count('error'),
        isLevelEnabled: (level) => { calls.levelChecks += 1; return level === 'warn' || level === 'error'; },
      };
    };
    const clock = new TestClock(T0);
    const scheduler = createScheduler({ clock, logger: counting() });
    let runs = 0;
    scheduler.add({ name: 'hot', fixedRate: '10ms', run: () => { runs += 1; } });
    await clock.advance(1_000);

    expect(runs).toBe(100);
    expect(calls.levelChecks).toBeGreaterThan(0);
    // At most one child, for the job, made once; none per run, and not a single debug call.
    expect(calls.child).toBeLessThanOrEqual(1);
    expect(calls).toMatchObject({ debug: 0, info: 0, warn: 0, error: 0 });
    await stop(clock, scheduler);
  });
});

describe('logs: lateness of wall-clock schedules', () => {
  /** A clock whose wall time is 5 s ahead of its monotonic time, as after an NTP step. */
  function skewedClock(base: TestClock, skewMs: number): Clock {
    return {
      now: () => base.now(),
      wallNow: () => base.now() + skewMs,
      setTimer: (callback, delayMs) => base.setTimer(callback, delayMs),
      clearTimer: (handle) => base.clearTimer(handle),
    };
  }

  it('reports fixedRate lateness on the monotonic time line, unaffected by a wall-clock offset', async () => {
    const { logger, lines } = capture();
    const base = new TestClock(T0);
    const scheduler = createScheduler({ clock: skewedClock(base, 5_000), logger });
    scheduler.add({ name: 'rate', fixedRate: '10s', run: () => {} });
    await base.advance(10_000);

    expect(byMsg(lines, 'run started').map((line) => line.latenessMs)).toEqual([0]);
    const stopping = scheduler.stop();
    await base.advance(1_000);
    await stopping;
  });

  // A cron (or `at`) tick is due on the wall clock while a run's start is taken on the monotonic
  // clock: lateness must be measured on one time line, not as the offset between the two.
  it('reports a cron run that starts on time as 0 ms late even when wall and monotonic clocks differ', async () => {
    const { logger, lines } = capture();
    const base = new TestClock(T0);
    const scheduler = createScheduler({ clock: skewedClock(base, 5_000), logger });
    scheduler.add({ name: 'cron', cron: '*/10 * * * * *', run: () => {} });
    await base.advance(10_000);

    expect(byMsg(lines, 'run started').map((line) => line.latenessMs)).toEqual([0]);
    const stopping = scheduler.stop();
    await base.advance(1_000);
    await stopping;
  });
});
