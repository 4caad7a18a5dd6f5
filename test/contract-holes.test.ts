/**
 * Holes a hostile user found in the previous engine, one describe block per hole. Each test
 * reproduces its hole through the public API on the TestClock and asserts the contract of
 * /work/brief/api.md exactly.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createMemoryCoordinator,
  createScheduler,
  MemoryCoordinationStore,
  TestClock,
  type ClaimResult,
  type Lease,
  type LogFn,
  type Logger,
  type RunEndEvent,
  type SchedulerEventName,
  type StopReport,
  type TickEvent,
  type TriggerResult,
} from '../src/index.js';
import { concurrency, offsets, setup, stopAndAdvance, T0 } from './helpers.js';

// ─── helpers ──────────────────────────────────────────────────────────────────────────

type Level = 'debug' | 'info' | 'warn' | 'error';

interface LogLine {
  readonly level: Level;
  readonly msg: string | undefined;
  readonly fields: Record<string, unknown>;
}

type LoggerMethod = Level | 'child' | 'isLevelEnabled';

/**
 * A logger that records every line (child bindings merged in) and has every level enabled.
 * A method named in `faults` throws that error instead of doing its work.
 */
function recordingLogger(lines: LogLine[], faults: Partial<Record<LoggerMethod, Error>> = {}, bindings: Record<string, unknown> = {}): Logger {
  const method = (level: Level): LogFn => (fields, msg) => {
    const fault = faults[level];
    if (fault !== undefined) throw fault;
    lines.push({ level, msg, fields: { ...bindings, ...fields } });
  };
  return {
    child: (more) => {
      if (faults.child !== undefined) throw faults.child;
      return recordingLogger(lines, faults, { ...bindings, ...more });
    },
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
    isLevelEnabled: () => {
      if (faults.isLevelEnabled !== undefined) throw faults.isLevelEnabled;
      return true;
    },
  };
}

/** A plain JSON-lines logger, as many apps write by hand: it throws on a circular field. */
function jsonLogger(out: string[], bindings: Record<string, unknown> = {}): Logger {
  const method = (level: Level): LogFn => (fields, msg) => {
    out.push(JSON.stringify({ level, ...bindings, ...fields, msg }));
  };
  return {
    child: (more) => jsonLogger(out, { ...bindings, ...more }),
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
    isLevelEnabled: () => true,
  };
}

/** An error that `JSON.stringify` cannot serialise: it refers to itself through an enumerable field. */
function circularError(message: string): Error {
  const error = new Error(message) as Error & { context?: unknown };
  error.context = { error };
  return error;
}

/** What escaped to the process (uncaught exceptions, unhandled rejections) and the warnings it emitted. */
interface ProcessWatch {
  readonly escaped: unknown[];
  readonly warnings: Error[];
  /** The warnings with tickguard's contained-failure code. */
  contained(): Error[];
}

let watch: ProcessWatch;
let unwatch: () => void = () => {};

beforeEach(() => {
  const escaped: unknown[] = [];
  const warnings: Error[] = [];
  const onEscape = (error: unknown): void => void escaped.push(error);
  const onWarning = (warning: Error): void => void warnings.push(warning);
  process.on('unhandledRejection', onEscape);
  process.on('uncaughtException', onEscape);
  process.on('warning', onWarning);
  watch = {
    escaped,
    warnings,
    contained: () => warnings.filter((w) => (w as Error & { code?: unknown }).code === 'TICKGUARD_CONTAINED_FAILURE'),
  };
  unwatch = () => {
    process.off('unhandledRejection', onEscape);
    process.off('uncaughtException', onEscape);
    process.off('warning', onWarning);
  };
});

afterEach(() => unwatch());

/** Lets process-level events (unhandled rejections, warnings) that are queued be delivered. */
async function processTurn(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Follows a promise without awaiting it: `value` is set once it resolved (tests must not hang on a hole). */
function follow<T>(promise: Promise<T>): { value: T | undefined } {
  const state: { value: T | undefined } = { value: undefined };
  void promise.then((value) => {
    state.value = value;
  });
  return state;
}

/** A promise that never settles and ignores every signal. */
function hang(): Promise<void> {
  return new Promise<void>(() => {});
}

/** A settable promise, for a run that ignores its signal but is let go later. */
function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

const ISO = (ms: number): string => new Date(T0 + ms).toISOString();

// ─── 1. a logger that throws ──────────────────────────────────────────────────────────

describe('1. a throwing logger never breaks a run or the schedule', () => {
  it.each([
    ['fixedRate', 'rejects'],
    ['fixedDelay', 'rejects'],
    ['fixedDelay', 'throws'],
  ] as const)('(a) JSON logger, %s task that %s with a circular error: no crash, runs failed, the schedule goes on', async (kind, how) => {
    const out: string[] = [];
    const { clock, scheduler, ends } = setup({ logger: jsonLogger(out) });
    const error = circularError('cyclic failure');
    let calls = 0;
    const run = (): Promise<never> => {
      calls += 1;
      if (how === 'throws') throw error;
      return Promise.reject(error);
    };
    const job = kind === 'fixedRate' ? scheduler.add({ name: 'cyclic', fixedRate: '1s', run }) : scheduler.add({ name: 'cyclic', fixedDelay: '1s', run });
    await clock.advance(3_000);
    await processTurn();
    expect(watch.escaped).toEqual([]);
    // Ticks at 1 s, 2 s, 3 s: fixedDelay's chain goes on after each failure too.
    expect(calls).toBe(3);
    expect(ends.map((e) => [e.outcome, e.error])).toEqual([['error', error], ['error', error], ['error', error]]);
    expect(job.inspect().counters).toMatchObject({ started: 3, failed: 3, succeeded: 0 });
    // The logger worked for lines it could serialise.
    expect(out.length).toBeGreaterThan(0);
    expect(watch.contained()).toHaveLength(1);
  });

  it.each(['debug', 'child', 'isLevelEnabled', 'warn'] as const)('(b) a throwing %s(): ticks keep starting, trigger() completes, stop() is clean at once', async (method) => {
    const lines: LogLine[] = [];
    const { clock, scheduler, ticks, ends } = setup({ logger: recordingLogger(lines, { [method]: new Error(`${method} is broken`) }) });
    // warn() is written on the retry path: there each run's first attempt fails and is retried.
    const retrying = method === 'warn';
    let calls = 0;
    const job = scheduler.add({
      name: 'logged',
      fixedRate: '1s',
      ...(retrying ? { retry: { attempts: 2 } } : {}),
      run: (ctx) => {
        calls += 1;
        if (retrying && ctx.attempt === 1) throw new Error('first attempt fails');
      },
    });
    const attempts = retrying ? 2 : 1;
    await clock.advance(3_000);
    expect(calls).toBe(3 * attempts);
    expect(ticks.map((t) => [t.result, t.reason])).toEqual([['started', undefined], ['started', undefined], ['started', undefined]]);
    expect(ends.map((e) => [e.outcome, e.attempts])).toEqual([['success', attempts], ['success', attempts], ['success', attempts]]);
    const triggered = follow(job.trigger());
    await clock.flush();
    expect(triggered.value).toMatchObject({ status: 'completed', outcome: 'success', attempts });
    expect(calls).toBe(4 * attempts);
    const stopped = follow(scheduler.stop({ timeout: '10s' }));
    await clock.flush();
    expect(stopped.value).toMatchObject({ clean: true, settled: 0, stillRunning: [], durationMs: 0 });
    await processTurn();
    expect(watch.escaped).toEqual([]);
    expect(watch.contained()).toHaveLength(1);
  });

  it.each(['throws', 'rejects'] as const)('(c) a throwing error(): a fixedDelay chain whose task %s keeps going, another job keeps ticking', async (how) => {
    const lines: LogLine[] = [];
    const { clock, scheduler } = setup({ logger: recordingLogger(lines, { error: new Error('error() is broken') }) });
    const failing: number[] = [];
    const healthy: number[] = [];
    scheduler.add({
      name: 'failing',
      fixedDelay: '1s',
      run: () => {
        failing.push(clock.now());
        if (how === 'throws') throw new Error('task failed');
        return Promise.reject(new Error('task failed'));
      },
    });
    scheduler.add({ name: 'healthy', fixedRate: '1s', run: () => void healthy.push(clock.now()) });
    // The old engine let the logger's throw escape the timer callback, which rejects advance().
    await expect(clock.advance(5_000)).resolves.toBeUndefined();
    await processTurn();
    expect(offsets(failing)).toEqual([1_000, 2_000, 3_000, 4_000, 5_000]);
    expect(offsets(healthy)).toEqual([1_000, 2_000, 3_000, 4_000, 5_000]);
    expect(watch.escaped).toEqual([]);
    // Only the first failure of the scheduler is reported.
    expect(watch.contained()).toHaveLength(1);
    expect(watch.contained()[0]?.message).toContain('error() is broken');
  });
});

// ─── 2. an async listener that rejects ────────────────────────────────────────────────

describe('2. an async event listener that rejects is contained', () => {
  it.each(['tick', 'run:start', 'run:end', 'job:state'] as const)("a rejecting '%s' listener: no unhandled rejection, the schedule goes on, logged at error", async (name: SchedulerEventName) => {
    const lines: LogLine[] = [];
    const { clock, scheduler } = setup({ logger: recordingLogger(lines) });
    const thrown: Error[] = [];
    scheduler.on(name, async () => {
      const error = new Error(`${name} listener rejected`);
      thrown.push(error);
      throw error;
    });
    let calls = 0;
    const job = scheduler.add({ name: 'a', fixedRate: '1s', run: () => void calls++ });
    await clock.advance(1_500);
    job.pause(); // job:state events, too
    job.resume();
    await clock.advance(1_500);
    await processTurn();
    expect(watch.escaped).toEqual([]);
    expect(calls).toBe(3);
    expect(thrown.length).toBeGreaterThan(0);
    const logged = lines.filter((line) => line.msg === 'a scheduler event listener threw; ignored');
    expect(logged.map((line) => [line.level, line.fields.event, line.fields.err])).toEqual(thrown.map((error) => ['error', name, error]));
  });

  it('without a logger: one process warning per scheduler, no unhandled rejection', async () => {
    const { clock, scheduler } = setup();
    let rejections = 0;
    for (const name of ['tick', 'run:start', 'run:end', 'job:state'] as const) {
      scheduler.on(name, () => {
        rejections += 1;
        return Promise.reject(new Error(`${name} listener rejected`));
      });
    }
    let calls = 0;
    scheduler.add({ name: 'a', fixedRate: '1s', run: () => void calls++ });
    await clock.advance(3_000);
    await processTurn();
    expect(watch.escaped).toEqual([]);
    expect(calls).toBe(3);
    expect(rejections).toBe(1 + 3 * 3); // job:state 'added', then tick, run:start, run:end per run
    expect(watch.contained()).toHaveLength(1);
  });
});

// ─── 3. a return value whose .then throws ─────────────────────────────────────────────

describe('3. a task whose return value throws when .then is read', () => {
  const revoked = (): { value: unknown; check(error: Error | undefined): void } => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return {
      value: proxy,
      check: (error) => {
        expect(error).toBeInstanceOf(TypeError);
        expect(error?.message).toMatch(/revoked/);
      },
    };
  };
  const throwingGetter = (): { value: unknown; check(error: Error | undefined): void } => {
    const thrown = new Error('then getter threw');
    return {
      value: { get then(): never { throw thrown; } },
      check: (error) => expect(error).toBe(thrown),
    };
  };

  const throwingPromise = (): { value: unknown; check(error: Error | undefined): void } => {
    // A native promise is trusted to be one; an own `then` getter on it is user code all the same.
    const thrown = new Error('then getter of a promise threw');
    const promise = Promise.resolve();
    Object.defineProperty(promise, 'then', { get(): never { throw thrown; } });
    return { value: promise, check: (error) => expect(error).toBe(thrown) };
  };
  const proxiedPromise = (): { value: unknown; check(error: Error | undefined): void } => ({
    // Promise.prototype.then refuses a Proxy as its receiver: a TypeError, not a hang.
    value: new Proxy(Promise.resolve(), {}),
    check: (error) => expect(error).toBeInstanceOf(TypeError),
  });
  const makers = {
    'a revoked Proxy': revoked,
    'an object with a throwing then getter': throwingGetter,
    'a native promise with a throwing then getter': throwingPromise,
    'a Proxy around a promise': proxiedPromise,
  };

  it.each([
    ['a revoked Proxy', undefined],
    ['a revoked Proxy', '5s'],
    ['an object with a throwing then getter', undefined],
    ['an object with a throwing then getter', '5s'],
    ['a native promise with a throwing then getter', undefined],
    ['a native promise with a throwing then getter', '5s'],
    ['a Proxy around a promise', undefined],
  ] as const)('%s (timeout %s): the attempt fails and the slot is freed', async (label, timeout) => {
    const { clock, scheduler, ticks, ends } = setup();
    const bad = makers[label]();
    let calls = 0;
    const job = scheduler.add({
      name: 'bad-thenable',
      fixedRate: '1s',
      ...(timeout === undefined ? {} : { timeout }),
      run: () => (++calls === 1 ? bad.value : undefined),
    });
    await clock.advance(3_000);
    expect(calls).toBe(3);
    expect(ticks.map((t) => t.result)).toEqual(['started', 'started', 'started']);
    expect(ends.map((e) => e.outcome)).toEqual(['error', 'success', 'success']);
    bad.check(ends[0]?.error);
    expect(job.inspect()).toMatchObject({ inFlight: 0, counters: { failed: 1, succeeded: 2, timedOut: 0 } });
  });
});

// ─── 4. claims that are neither lease, null nor boolean ───────────────────────────────

describe('4. a claim resolving to anything but a lease, null or a boolean fails loudly', () => {
  const values: readonly (readonly [string, unknown])[] = [
    ["'OK'", 'OK'],
    ['1', 1],
    ['undefined', undefined],
    ['{}', {}],
    ['0', 0],
    ["'true'", 'true'],
  ];
  const cases = values.flatMap(([label, value]) => (['sync', 'async'] as const).map((mode) => [label, mode, value] as const));

  it.each(cases)('claim → %s (%s): skipped claim-failed, logged at error, never run', async (_label, mode, value) => {
    const lines: LogLine[] = [];
    const clock = new TestClock(T0);
    const answer = value as ClaimResult;
    const scheduler = createScheduler({
      clock,
      logger: recordingLogger(lines),
      coordinator: { claim: () => (mode === 'sync' ? answer : Promise.resolve(answer)) },
    });
    const ticks: TickEvent[] = [];
    scheduler.on('tick', (e) => ticks.push(e));
    let calls = 0;
    const job = scheduler.add({ name: 'claimed', fixedRate: '1s', run: () => void calls++ });
    await clock.advance(3_000);
    expect(calls).toBe(0);
    expect(ticks.map((t) => [t.result, t.reason])).toEqual([['skipped', 'claim-failed'], ['skipped', 'claim-failed'], ['skipped', 'claim-failed']]);
    expect(job.inspect().counters).toMatchObject({ ticks: 3, started: 0, skipped: 3 });
    const failures = lines.filter((line) => line.msg === 'coordinator.claim failed; tick skipped');
    expect(failures).toHaveLength(3);
    for (const line of failures) {
      expect(line.level).toBe('error');
      expect(line.fields.err).toBeInstanceOf(Error);
      expect((line.fields.err as Error & { code?: unknown }).code).toBe('ERR_TICKGUARD_INVALID_CLAIM_RESULT');
    }
    // Not a silent veto: nothing reads it as 'not-claimed', at debug or anywhere.
    expect(lines.filter((line) => line.fields.reason === 'not-claimed')).toEqual([]);
    await scheduler.stop();
  });

  it('a claim answering a promise whose then getter throws is a failed claim, not a wedged slot', async () => {
    const clock = new TestClock(T0);
    let claims = 0;
    const scheduler = createScheduler({
      clock,
      claimTimeout: '10s',
      coordinator: {
        claim: () => {
          claims += 1;
          if (claims > 1) return true;
          const answer = Promise.resolve(true);
          Object.defineProperty(answer, 'then', { get(): never { throw new Error('then getter threw'); } });
          return answer;
        },
      },
    });
    const ticks: TickEvent[] = [];
    scheduler.on('tick', (e) => ticks.push(e));
    let calls = 0;
    scheduler.add({ name: 'claimed', fixedRate: '1s', run: () => void calls++ });
    await clock.advance(3_000);
    expect(ticks.map((t) => [t.result, t.reason])).toEqual([['skipped', 'claim-failed'], ['started', undefined], ['started', undefined]]);
    expect(calls).toBe(2);
    await scheduler.stop();
  });
});

// ─── 5. remove() then stop() ──────────────────────────────────────────────────────────

describe('5. job.remove() then scheduler.stop() while remove waits for a run that ignores its signal', () => {
  it.each([
    ['stop times out first', '5s', '2s'],
    ['remove times out first', '1s', '3s'],
  ] as const)('%s: remove settles with the run, and stop reports it too', async (_label, removeTimeout, stopTimeout) => {
    const { clock, scheduler } = setup();
    const job = scheduler.add({ name: 'deaf', fixedRate: '1s', run: hang });
    await clock.advance(1_000);
    const removed = follow(job.remove({ timeout: removeTimeout }));
    const stopped = follow(scheduler.stop({ timeout: stopTimeout }));
    await clock.flush();
    // The old engine saw no run (the job had left the registry) and reported clean at once.
    expect(stopped.value).toBeUndefined();
    await clock.advance(5_000);
    const run = { job: 'deaf', tick: 1, tickId: `deaf@${ISO(1_000)}`, abortCause: 'remove' };
    expect(removed.value).toMatchObject({ clean: false, settled: 0 });
    expect(removed.value?.stillRunning).toEqual([expect.objectContaining(run)]);
    expect(stopped.value).toMatchObject({ clean: false, settled: 0, durationMs: Number.parseInt(stopTimeout, 10) * 1_000 });
    expect(stopped.value?.stillRunning).toEqual([expect.objectContaining(run)]);
    expect(scheduler.state).toBe('stopped');
    expect(clock.pendingTimers).toBe(0);
  });
});

// ─── 6. no timer left after remove() ──────────────────────────────────────────────────

describe('6. after job.remove() the job holds no timer', () => {
  it.each([
    ['a run aborted by remove that respects its signal', true],
    ['a run that finishes by itself (abort: false)', false],
  ] as const)('the only job, with %s: no leftover remove deadline', async (_label, abort) => {
    const { clock, scheduler } = setup();
    const job = scheduler.add({ name: 'only', fixedRate: '1s', run: (ctx) => clock.sleep(500, ctx.signal) });
    await clock.advance(1_200);
    const removing = job.remove({ abort, timeout: '10s' });
    await clock.advance(300);
    const report = await removing;
    expect(report).toMatchObject({ clean: true, settled: 1, stillRunning: [] });
    expect(clock.pendingTimers).toBe(0);
    expect(scheduler.inspect().jobs).toEqual([]);
  });

  it('every job removed while a run that ignores its signal goes on: no timer once remove resolved, and the run still counts when it settles', async () => {
    const { clock, scheduler } = setup();
    const release = gate();
    const stuck = scheduler.add({ name: 'stuck', fixedRate: '1s', timeout: '2s', stuckAfter: '3s', run: () => release.promise });
    const idle = scheduler.add({ name: 'idle', fixedRate: '1s', run: () => {} });
    await clock.advance(1_000);
    const removingStuck = follow(stuck.remove({ timeout: '1s' }));
    const removingIdle = follow(idle.remove());
    await clock.advance(1_000);
    expect(removingIdle.value).toMatchObject({ clean: true });
    expect(removingStuck.value).toMatchObject({ clean: false, durationMs: 1_000 });
    expect(removingStuck.value?.stillRunning).toEqual([expect.objectContaining({ job: 'stuck', tickId: `stuck@${ISO(1_000)}` })]);
    // Its timeout (at 3 s) and stuck check (at 4 s) were disarmed with the remove.
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(10_000);
    expect(clock.pendingTimers).toBe(0);
    release.open();
    await clock.flush();
    expect(stuck.inspect().counters).toMatchObject({ started: 1, aborted: 1 });
    expect(stuck.inspect()).toMatchObject({ inFlight: 0, lastRun: { outcome: 'aborted', tickId: `stuck@${ISO(1_000)}` } });
    expect(clock.pendingTimers).toBe(0);
  });

  it.each([
    ["a fixedRate job, coordination 'exclusive'", 'fixedRate'],
    ['a fixedDelay job (exclusive: leadership)', 'fixedDelay'],
  ] as const)('%s removed while its run ignores its signal: no lease renewal left once remove resolved', async (_label, kind) => {
    const clock = new TestClock(T0);
    const store = new MemoryCoordinationStore(clock);
    const scheduler = createScheduler({ clock, coordinator: createMemoryCoordinator({ store, clock }) });
    const release = gate();
    const options = { name: 'exclusive', leaseTtl: '30s', run: () => release.promise } as const;
    const job = kind === 'fixedRate'
      ? scheduler.add({ ...options, fixedRate: '1s', coordination: 'exclusive' })
      : scheduler.add({ ...options, fixedDelay: '1s' });
    await clock.advance(1_000);
    expect(job.inspect()).toMatchObject({ inFlight: 1, coordination: 'exclusive' });
    const removing = follow(job.remove({ timeout: '1s' }));
    await clock.advance(1_000);
    expect(removing.value).toMatchObject({ clean: false });
    expect(removing.value?.stillRunning).toEqual([expect.objectContaining({ job: 'exclusive', tickId: `exclusive@${ISO(1_000)}` })]);
    // The abandoned run's lease is not renewed by a job that is gone (as after stop(): it expires on its own).
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(60_000);
    expect(clock.pendingTimers).toBe(0);
    release.open();
    await clock.flush();
    expect(job.inspect()).toMatchObject({ inFlight: 0, counters: { started: 1, aborted: 1 } });
    expect(clock.pendingTimers).toBe(0);
  });
});

// ─── 7. abort requested by a listener of the run's own start ──────────────────────────

describe("7. an abort requested from a listener of the run's own start is not lost", () => {
  type Action = 'stop({ abort: true })' | 'stop()' | 'remove()';
  const cases: readonly (readonly [Action, 'tick' | 'run:start'])[] = [
    ['stop({ abort: true })', 'tick'],
    ['stop({ abort: true })', 'run:start'],
    ['stop()', 'tick'],
    ['stop()', 'run:start'],
    ['remove()', 'tick'],
    ['remove()', 'run:start'],
  ];

  it.each(cases)("%s from the run's %s listener: the body is never called, the run ends aborted", async (action, event) => {
    const { clock, scheduler, ends } = setup();
    let bodyCalls = 0;
    const job = scheduler.add({ name: 'a', fixedRate: '1s', run: () => void bodyCalls++ });
    let acting: { value: StopReport | undefined } | undefined;
    const act = (): void => {
      if (acting !== undefined) return;
      if (action === 'remove()') acting = follow(job.remove());
      else acting = follow(scheduler.stop(action === 'stop()' ? {} : { abort: true }));
    };
    if (event === 'tick') scheduler.on('tick', (e) => { if (e.result === 'started') act(); });
    else scheduler.on('run:start', act);
    await clock.advance(3_000);
    expect(bodyCalls).toBe(0);
    expect(ends.map((e) => [e.outcome, e.abortCause])).toEqual([['aborted', action === 'remove()' ? 'remove' : 'stop']]);
    expect(acting?.value).toMatchObject({ clean: true, settled: 1, stillRunning: [] });
  });

  it.each(['sync', 'async'] as const)("job.remove() from job:state 'done' (maxRuns: 1, %s body): the run is reported truthfully", async (body) => {
    const { clock, scheduler, ends } = setup();
    let bodyRan = false;
    let sawAbort = false;
    const job = scheduler.add({
      name: 'once',
      fixedRate: '1s',
      maxRuns: 1,
      run: (ctx) => {
        bodyRan = true;
        if (body === 'sync') {
          sawAbort = ctx.signal.aborted;
          return undefined;
        }
        return clock.sleep(500).then(() => {
          sawAbort = ctx.signal.aborted;
        });
      },
    });
    let removing: { value: StopReport | undefined } | undefined;
    scheduler.on('job:state', (e) => {
      if (e.job === 'once' && e.to === 'done') removing = follow(job.remove());
    });
    await clock.advance(3_000);
    expect(removing).toBeDefined();
    expect(removing?.value).toMatchObject({ clean: true, stillRunning: [] });
    expect(job.state).toBe('removed');
    expect(ends).toHaveLength(1);
    // Aborted only if it really was: its body never ran, or it saw its signal abort.
    expect(ends[0]?.outcome).toBe(bodyRan && !sawAbort ? 'success' : 'aborted');
  });
});

// ─── 8. a second stop() escalates ─────────────────────────────────────────────────────

describe('8. a second stop() escalates', () => {
  it('abort: true aborts a run that respects its signal; both calls resolve with the same report within 1 s', async () => {
    const { clock, scheduler } = setup();
    const reasons: unknown[] = [];
    scheduler.add({
      name: 'long',
      fixedRate: '1h',
      runOnStart: true,
      run: (ctx) => clock.sleep(600_000, ctx.signal).catch((error: unknown) => void reasons.push(error)),
    });
    await clock.flush();
    const first = follow(scheduler.stop({ timeout: '1m' }));
    await clock.advance(5_000);
    expect(first.value).toBeUndefined();
    const second = follow(scheduler.stop({ abort: true, timeout: '1s' }));
    await clock.advance(1_000);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatchObject({ abortCause: 'stop' });
    expect(first.value).toBeDefined();
    expect(second.value).toBe(first.value);
    // The run settled at once when aborted, 5 s after the first call.
    expect(first.value).toMatchObject({ clean: true, settled: 1, stillRunning: [], durationMs: 5_000 });
    expect(scheduler.state).toBe('stopped');
  });

  it.each([
    ['abort: true', { abort: true, timeout: '1s' }, true],
    ['no abort', { timeout: '1s' }, false],
  ] as const)("a run that ignores its signal (%s): the second call's 1 s timeout ends the stop", async (_label, options, aborts) => {
    const { clock, scheduler } = setup();
    let signal: AbortSignal | undefined;
    scheduler.add({
      name: 'deaf',
      fixedRate: '1h',
      runOnStart: true,
      run: (ctx) => {
        signal = ctx.signal;
        return hang();
      },
    });
    await clock.flush();
    const first = follow(scheduler.stop({ timeout: '1m' }));
    await clock.advance(5_000);
    const second = follow(scheduler.stop(options));
    await clock.advance(999);
    expect(first.value).toBeUndefined();
    await clock.advance(1);
    expect(signal?.aborted).toBe(aborts);
    expect(second.value).toBe(first.value);
    expect(first.value).toMatchObject({ clean: false, settled: 0, durationMs: 6_000 });
    expect(first.value?.stillRunning).toEqual([
      expect.objectContaining({ job: 'deaf', tick: 1, runningForMs: 6_000, abortCause: aborts ? 'stop' : null }),
    ]);
    expect(scheduler.state).toBe('stopped');
    expect(clock.pendingTimers).toBe(0);
  });
});

// ─── 9. self-waits ────────────────────────────────────────────────────────────────────

describe('9. stop()/remove() called from inside the run they would wait for', () => {
  it('await scheduler.stop() as the first statement of a task: resolves at once, lists the calling run, the scheduler ends stopped', async () => {
    const lines: LogLine[] = [];
    const { clock, scheduler } = setup({ logger: recordingLogger(lines) });
    const reports: StopReport[] = [];
    scheduler.add({
      name: 'self-stop',
      fixedRate: '1s',
      run: async () => {
        reports.push(await scheduler.stop({ timeout: '10s' }));
      },
    });
    await clock.advance(1_000);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ clean: false, settled: 0, durationMs: 0 });
    expect(reports[0]?.stillRunning).toEqual([expect.objectContaining({ job: 'self-stop', tickId: `self-stop@${ISO(1_000)}` })]);
    expect(scheduler.state).toBe('stopped');
    expect(clock.pendingTimers).toBe(0);
    expect(lines.filter((line) => line.level === 'warn' && line.fields.tickId === `self-stop@${ISO(1_000)}`)).toHaveLength(1);
  });

  it('await job.remove() inside its own run: resolves at once and lists the calling run', async () => {
    const { clock, scheduler } = setup();
    const reports: StopReport[] = [];
    const job = scheduler.add({
      name: 'self-remove',
      fixedRate: '1s',
      run: async () => {
        reports.push(await job.remove({ timeout: '10s' }));
      },
    });
    const other: number[] = [];
    scheduler.add({ name: 'other', fixedRate: '1s', run: () => void other.push(clock.now()) });
    await clock.advance(1_000);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ clean: false, settled: 0, durationMs: 0 });
    expect(reports[0]?.stillRunning).toEqual([expect.objectContaining({ job: 'self-remove', tickId: `self-remove@${ISO(1_000)}` })]);
    expect(job.state).toBe('removed');
    await clock.advance(2_000);
    // The scheduler and its other jobs go on.
    expect(offsets(other)).toEqual([1_000, 2_000, 3_000]);
    expect(scheduler.state).toBe('running');
  });

  it("documented: a job.trigger() called, not awaited, inside a run under 'buffer-one' runs after that run ends", async () => {
    const { clock, scheduler, ends } = setup();
    const starts: number[] = [];
    const results: TriggerResult[] = [];
    const job = scheduler.add({
      name: 'retrigger',
      fixedRate: '1h',
      overlap: 'buffer-one',
      run: async (ctx) => {
        starts.push(clock.now());
        if (!ctx.manual) void job.trigger().then((result) => void results.push(result));
        await clock.sleep(500);
      },
    });
    await clock.advanceTo(T0 + 3_600_000);
    await clock.advance(2_000);
    expect(starts.map((t) => t - T0)).toEqual([3_600_000, 3_600_500]);
    expect(ends.map((e: RunEndEvent) => [e.manual, e.outcome])).toEqual([[false, 'success'], [true, 'success']]);
    expect(results).toEqual([expect.objectContaining({ status: 'completed', outcome: 'success', durationMs: 500 })]);
  });
});

// ─── 10. pause / maxConcurrency while a claim is pending ──────────────────────────────

describe('10. a claim that wins is checked again against what changed meanwhile', () => {
  /** A lease of a v2 coordinator; records how it was released. */
  function fakeLease(clock: TestClock, released: string[]): Lease {
    return {
      token: 7,
      expiresAt: new Date(clock.wallNow() + 30_000),
      renew: async () => true,
      release: async (outcome) => void released.push(outcome),
    };
  }

  it.each(['true', 'a lease'] as const)("pause() while a claim is pending (it resolves %s after 500 ms): the tick is skipped 'paused', the task not called", async (verdict) => {
    const clock = new TestClock(T0);
    const released: string[] = [];
    let claims = 0;
    const scheduler = createScheduler({
      clock,
      coordinator: {
        claim: async () => {
          claims += 1;
          await clock.sleep(500);
          return verdict === 'true' ? true : fakeLease(clock, released);
        },
      },
    });
    const ticks: TickEvent[] = [];
    scheduler.on('tick', (e) => ticks.push(e));
    let calls = 0;
    const job = scheduler.add({ name: 'paused', fixedRate: '1s', run: () => void calls++ });
    await clock.advance(1_100); // the 1 s tick's claim is out
    job.pause();
    await clock.advance(1_900);
    expect(calls).toBe(0);
    expect(claims).toBe(1);
    expect(ticks.map((t) => [t.tick, t.result, t.reason])).toEqual([
      [1, 'skipped', 'paused'],
      [2, 'skipped', 'paused'],
      [3, 'skipped', 'paused'],
    ]);
    expect(released).toEqual(verdict === 'true' ? [] : ['not-run']);
    await scheduler.stop();
  });

  it("lowering maxConcurrency 2 → 1 while a claim is pending with one run in flight: the claimed tick is skipped 'busy', never an overlap", async () => {
    const clock = new TestClock(T0);
    const scheduler = createScheduler({
      clock,
      coordinator: { claim: async () => { await clock.sleep(500); return true; } },
    });
    const ticks: TickEvent[] = [];
    scheduler.on('tick', (e) => ticks.push(e));
    const slots = concurrency();
    const starts: number[] = [];
    const job = scheduler.add({
      name: 'narrowed',
      fixedRate: '1s',
      maxConcurrency: 2,
      run: () => {
        starts.push(clock.now());
        return slots.track(() => clock.sleep(3_000));
      },
    });
    // 1 s: claim → run from 1.5 s to 4.5 s. 2 s: a second slot is free, its claim is out until 2.5 s.
    await clock.advance(2_200);
    job.update({ maxConcurrency: 1 });
    await clock.advance(3_800);
    expect(slots.peak).toBe(1);
    expect(offsets(starts)).toEqual([1_500, 5_500]);
    expect(ticks.map((t) => [t.tick, t.result, t.reason])).toEqual([
      [1, 'started', undefined],
      [2, 'skipped', 'busy'],
      [3, 'skipped', 'busy'],
      [4, 'skipped', 'busy'],
      [5, 'started', undefined],
      [6, 'skipped', 'busy'],
    ]);
    expect(await stopAndAdvance(clock, scheduler)).toMatchObject({ clean: true });
  });
});
