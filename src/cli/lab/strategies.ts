/**
 * The strategies the lab compares. Three are the patterns behind the avalanche, written the
 * way they are found in real code; three are the article's "atomic" schemes as tickguard
 * expresses them. Each gets the same counted task (one downstream request) and is stopped the
 * way its own pattern stops, so what differs between them is only the scheduling.
 */
import { getEventListeners } from 'node:events';
import { createScheduler, type JobOptions } from '../../index.js';
import type { LabTask } from './probe.js';
import type { EngineView, StrategyKind } from './protocol.js';

/** The strategies, in the order the lab runs and reports them. */
export const STRATEGY_NAMES = [
  'naive-setInterval',
  'naive-timer-leak',
  'naive-rearm-listener-leak',
  'tickguard-serial',
  'tickguard-pool-skip',
  'tickguard-fixed-delay',
] as const;

/** A strategy's name. */
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** What a strategy is given when it starts. */
export interface StrategyEnv {
  readonly intervalMs: number;
  /** The downstream's capacity, which the pool strategy sizes itself by. */
  readonly capacity: number;
  /** One downstream request; it rejects when `signal` aborts. */
  readonly task: LabTask;
  /** Where a hand-written strategy reports an error it caught, so none is swallowed unseen. */
  readonly onError: (error: unknown) => void;
}

/** What stopping reported. */
export interface StopResult {
  /** The engine's counters and stop report, for tickguard strategies. */
  readonly engine: EngineView | null;
}

/** A started strategy. */
export interface RunningStrategy {
  /** Ticks the strategy decided not to run. */
  skippedTicks(): number;
  /** `abort` listeners on the strategy's own signal, or `null` when it keeps none the lab can see. */
  abortListeners(): number | null;
  /** Stops it the way its pattern stops; resolves when the pattern considers itself stopped. */
  stop(): Promise<StopResult>;
}

/** A strategy: what it is, how to explain it, how to start it. */
export interface StrategyDefinition {
  readonly name: StrategyName;
  readonly kind: StrategyKind;
  /** Which of the article's schemes or traps it stands for. */
  readonly scheme: string;
  /** The heart of the pattern, as code. */
  readonly pattern: string;
  /** Why it behaves as it does, in plain words. */
  readonly explanation: string;
  /** The bound on overlapping runs it promises for a downstream of `capacity`, or `null`. */
  maxConcurrency(capacity: number): number | null;
  start(env: StrategyEnv): RunningStrategy;
}

/** A "request timeout" long enough never to fire during a lab run: the leaked timers pile up. */
const LEAKED_TIMEOUT_MS = 5 * 60_000;
/** How long tickguard's stop() waits for aborted runs. */
const STOP_TIMEOUT = '2s';

const naiveSetInterval: StrategyDefinition = {
  name: 'naive-setInterval',
  kind: 'naive',
  scheme: 'the avalanche',
  pattern: `setInterval(() => { task(); }, interval);
// stop: clearInterval(id)`,
  explanation:
    'Every tick starts a new call and nobody waits for the previous one. When the downstream is ' +
    'slower than the interval, calls pile up: runs in flight and the downstream queue grow without ' +
    'bound, and so does the memory each waiting call holds. clearInterval() is not a stop either: ' +
    'the calls already started keep running after it. This is the goroutine pile-up of the article.',
  maxConcurrency: () => null,
  start({ intervalMs, task }) {
    const id = setInterval(() => {
      // The pattern under study: fire and forget. The call never rejects here (no signal).
      void task();
    }, intervalMs);
    return {
      skippedTicks: () => 0,
      abortListeners: () => null,
      stop: () => {
        clearInterval(id);
        return Promise.resolve({ engine: null });
      },
    };
  },
};

const naiveTimerLeak: StrategyDefinition = {
  name: 'naive-timer-leak',
  kind: 'naive',
  scheme: 'the leaked ticker',
  pattern: `let busy = false;
setInterval(async () => {
  if (busy) return;              // overlap "fixed"...
  busy = true;
  try {
    // ...but this timeout timer is never cleared
    await Promise.race([task(), rejectAfter(300_000)]);
  } finally { busy = false; }
}, interval);`,
  explanation:
    'A busy flag skips ticks while a run is in flight, so runs no longer pile up. But each run races ' +
    'the call against a timeout made with setTimeout and never cleared. Every finished run leaves a ' +
    'Timeout behind: active handles grow by one per run, each keeping its closure alive, and they ' +
    'keep the process from exiting after the interval is cleared. This is the leaked ticker of the article.',
  maxConcurrency: () => null,
  start({ intervalMs, task, onError }) {
    let busy = false;
    let skipped = 0;
    const rejectAfter = (ms: number): Promise<never> =>
      new Promise<never>((_, reject) => {
        setTimeout(() => reject(new Error(`request timed out after ${ms}ms`)), ms);
      });
    const id = setInterval(() => {
      if (busy) {
        skipped += 1;
        return;
      }
      busy = true;
      Promise.race([task(), rejectAfter(LEAKED_TIMEOUT_MS)])
        .catch(onError)
        .finally(() => {
          busy = false;
        });
    }, intervalMs);
    return {
      skippedTicks: () => skipped,
      abortListeners: () => null,
      stop: () => {
        clearInterval(id);
        return Promise.resolve({ engine: null });
      },
    };
  },
};

const naiveRearmListenerLeak: StrategyDefinition = {
  name: 'naive-rearm-listener-leak',
  kind: 'naive',
  scheme: "a hand-written scheme 3, with the article's leak",
  pattern: `const controller = new AbortController();
function arm() {
  const timer = setTimeout(async () => {
    try { await task(controller.signal); }
    finally { arm(); }           // re-arms even if stop came during the await
  }, interval);
  // one more listener per re-arm, never removed
  controller.signal.addEventListener('abort', () => clearTimeout(timer));
}
// stop: controller.abort()`,
  explanation:
    'A timer re-armed after each run, cancelled through an AbortSignal. It has the two traps of the ' +
    "article's scheme 3. Each re-arm adds an 'abort' listener that is never removed: the listener " +
    'count grows by one per run and Node warns past ten (the watcher goroutine leaked per period). ' +
    'And the re-arm sits after the await: when stop comes while a run is in flight, the loop re-arms ' +
    'after stop and keeps starting runs (the Stop race). The lab stops every strategy while one of ' +
    'its runs is in flight, which is when the race happens in production too: on a deploy, under load.',
  maxConcurrency: () => null,
  start({ intervalMs, task, onError }) {
    const controller = new AbortController();
    const arm = (): void => {
      const timer = setTimeout(() => {
        task(controller.signal)
          .catch((error: unknown) => {
            // Aborted by stop: the hand-written loop treats it like any failed run.
            if (!controller.signal.aborted) onError(error);
          })
          .finally(arm);
      }, intervalMs);
      controller.signal.addEventListener('abort', () => clearTimeout(timer));
    };
    arm();
    return {
      skippedTicks: () => 0,
      abortListeners: () => countAbortListeners(controller.signal),
      stop: () => {
        controller.abort();
        return Promise.resolve({ engine: null });
      },
    };
  },
};

/** Starts one tickguard job on its own scheduler; stops it with `abort: true` and reads its counters back. */
function startTickguard(env: StrategyEnv, options: JobOptions): RunningStrategy {
  const scheduler = createScheduler();
  const job = scheduler.add(options);
  return {
    skippedTicks: () => job.inspect().counters.skipped,
    abortListeners: () => null,
    stop: async () => {
      const report = await scheduler.stop({ timeout: STOP_TIMEOUT, abort: true });
      const c = job.inspect().counters;
      return {
        engine: {
          ticks: c.ticks, started: c.started, skipped: c.skipped, buffered: c.buffered, dropped: c.dropped,
          missed: c.missed, succeeded: c.succeeded, aborted: c.aborted, failed: c.failed + c.timedOut,
          stopClean: report.clean, stopDurationMs: report.durationMs,
        },
      };
    },
  };
}

const tickguardSerial: StrategyDefinition = {
  name: 'tickguard-serial',
  kind: 'tickguard',
  scheme: 'scheme 1: one execution flow',
  pattern: `scheduler.add({
  name: 'refresh', fixedRate: interval,
  maxConcurrency: 1, overlap: 'buffer-one',
  run: ({ signal }) => task(signal),
});
// stop: await scheduler.stop({ abort: true })`,
  explanation:
    'One run at a time. A tick that finds the run busy waits as the one buffered tick and starts as ' +
    'soon as the run ends; further ticks while one is buffered are skipped and counted. The ' +
    'downstream never sees more than one call from us, so its queue, our memory and our handles stay ' +
    'flat. stop({ abort: true }) aborts the signal of the run in flight, the downstream drops the ' +
    'call, and the scheduler holds no timer afterwards.',
  maxConcurrency: () => 1,
  start: (env) =>
    startTickguard(env, {
      name: 'tickguard-serial', fixedRate: env.intervalMs, maxConcurrency: 1, overlap: 'buffer-one',
      run: ({ signal }) => env.task(signal),
    }),
};

const poolSize = (capacity: number): number => Math.max(2, capacity);

const tickguardPoolSkip: StrategyDefinition = {
  name: 'tickguard-pool-skip',
  kind: 'tickguard',
  scheme: 'scheme 2: a bounded pool, busy ticks skipped',
  pattern: `scheduler.add({
  name: 'refresh', fixedRate: interval,
  maxConcurrency: 2, overlap: 'skip',
  run: ({ signal }) => task(signal),
});`,
  explanation:
    'Up to N runs overlap (N is the larger of 2 and the downstream capacity); a tick that finds all ' +
    'N slots busy is skipped and counted. Runs beyond the downstream capacity wait in its queue, but ' +
    'never more than N of ours at once, so everything stays bounded. Unlike the channel version of ' +
    'the article, there is no worker loop to leave blocked when the pool is stopped.',
  maxConcurrency: poolSize,
  start: (env) =>
    startTickguard(env, {
      name: 'tickguard-pool-skip', fixedRate: env.intervalMs, maxConcurrency: poolSize(env.capacity), overlap: 'skip',
      run: ({ signal }) => env.task(signal),
    }),
};

const tickguardFixedDelay: StrategyDefinition = {
  name: 'tickguard-fixed-delay',
  kind: 'tickguard',
  scheme: 'scheme 3: a timer re-armed after each run',
  pattern: `scheduler.add({
  name: 'refresh', fixedDelay: interval,
  run: ({ signal }) => task(signal),
});`,
  explanation:
    'The next tick is due one interval after the previous run settled, so runs cannot overlap and no ' +
    'tick is ever skipped: the period simply stretches to interval + service time. The re-arm is an ' +
    "entry in the scheduler's single timer queue, with no listener added per period and no re-arm " +
    'once stop() has been called.',
  maxConcurrency: () => 1,
  start: (env) =>
    startTickguard(env, {
      name: 'tickguard-fixed-delay', fixedDelay: env.intervalMs,
      run: ({ signal }) => env.task(signal),
    }),
};

/** Every strategy, by name. */
export const STRATEGIES: Readonly<Record<StrategyName, StrategyDefinition>> = {
  'naive-setInterval': naiveSetInterval,
  'naive-timer-leak': naiveTimerLeak,
  'naive-rearm-listener-leak': naiveRearmListenerLeak,
  'tickguard-serial': tickguardSerial,
  'tickguard-pool-skip': tickguardPoolSkip,
  'tickguard-fixed-delay': tickguardFixedDelay,
};

/** Whether `name` is a strategy's name. */
export function isStrategyName(name: string): name is StrategyName {
  return (STRATEGY_NAMES as readonly string[]).includes(name);
}

function countAbortListeners(signal: AbortSignal): number {
  return getEventListeners(signal, 'abort').length;
}
