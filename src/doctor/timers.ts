/**
 * Watches every timer the app creates, by replacing `setTimeout`, `setInterval`, their clears
 * and `timers/promises.setInterval` on `globalThis` and on the `node:timers` and
 * `node:timers/promises` module objects (then `syncBuiltinESMExports()`, so that ESM named
 * imports see the same functions as CommonJS `require`).
 *
 * The app keeps its timers as they are: the functions return Node's own `Timeout` objects,
 * with `ref`/`unref`/`hasRef`/`refresh`/`close` and `Symbol.toPrimitive` working as before
 * (the prototype's methods are wrapped only to keep the tally right); `clearTimeout(id)` with
 * a numeric id still clears; `util.promisify(setTimeout)` still gives `timers/promises`'
 * `setTimeout`. Callbacks throw what they throw; the doctor's own failures are recorded,
 * never thrown into the app.
 */
import { syncBuiltinESMExports } from 'node:module';
import timers from 'node:timers';
import timersPromises from 'node:timers/promises';
import { promisify } from 'node:util';
import type { RunWatch } from './runs.js';
import type { SiteFinder } from './sites.js';
import { SiteTally, TimerRecord, type TimerKind } from './timer-stats.js';

type Callback = (...args: unknown[]) => unknown;
/** A doctor wrapper: stack frames from it down are the doctor's, not the app's. */
type Wrapper = (...args: never[]) => unknown;
type TimerFunction = (callback: Callback, delay?: number, ...args: unknown[]) => unknown;
type ClearFunction = (timer: unknown) => void;
type PromisesInterval = (delay?: number, value?: unknown, options?: { signal?: AbortSignal; ref?: boolean }) => AsyncIterator<unknown>;

/** Node's timer functions as they were before the doctor: the doctor's own timers use these. */
export interface OriginalTimers {
  readonly setTimeout: TimerFunction;
  readonly setInterval: TimerFunction;
  readonly clearTimeout: ClearFunction;
  readonly clearInterval: ClearFunction;
}

/** What the watch needs from the doctor. */
export interface TimerWatchContext {
  readonly sites: SiteFinder;
  readonly runs: RunWatch;
  /** Milliseconds since the doctor started. */
  now(): number;
  /** Whether the app has said it is shutting down (SIGTERM/SIGINT seen). */
  shuttingDown(): boolean;
  onError(error: unknown): void;
}

const timersModule = timers as unknown as Record<string, unknown>;
const promisesModule = timersPromises as unknown as Record<string, unknown>;
const globals = globalThis as unknown as Record<string, unknown>;

/** The functions as they are now, before the doctor replaces them. */
export function currentTimers(): OriginalTimers {
  return {
    setTimeout: globals.setTimeout as TimerFunction,
    setInterval: globals.setInterval as TimerFunction,
    clearTimeout: globals.clearTimeout as ClearFunction,
    clearInterval: globals.clearInterval as ClearFunction,
  };
}

/** Describes a callback the way a reader would write it: `refresh` or `() => …`. */
function callbackName(callback: Callback): string {
  return callback.name === '' ? '() => …' : callback.name;
}

/** Per-site tallies and per-timer records, fed by the patched functions. */
export class TimerWatch {
  readonly #context: TimerWatchContext;
  readonly #original: OriginalTimers;
  readonly #tallies = new Map<string, SiteTally>();
  readonly #records = new WeakMap<object, TimerRecord>();
  /** Numeric ids handed out by `Symbol.toPrimitive`, for `clearTimeout(id)`. */
  readonly #byId = new Map<number, TimerRecord>();
  /** Armed intervals, to say which were left running at shutdown. */
  readonly #armedIntervals = new Set<TimerRecord>();
  #restore: (() => void) | undefined;
  #active = false;
  /** The timer whose callback is running: clearing itself there is tidy-up, not a stale stop. */
  #firing: TimerRecord | undefined;

  constructor(context: TimerWatchContext, original: OriginalTimers) {
    this.#context = context;
    this.#original = original;
  }

  /** Every site seen so far. */
  tallies(): SiteTally[] {
    return [...this.#tallies.values()];
  }

  /** Ref'd intervals created before shutdown and armed now, by site id. */
  armedIntervalsFromBeforeShutdown(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const record of this.#armedIntervals) {
      const timer = record.timer?.deref() as { hasRef?: () => boolean } | undefined;
      const refd = timer?.hasRef?.() ?? true;
      if (!record.createdBeforeShutdown || !refd) continue;
      const key = record.tally.site.id;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  }

  /** Replaces the timer functions; `uninstall()` puts the originals back. */
  install(): void {
    if (this.#restore !== undefined) return;
    this.#active = true;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the wrappers are plain functions: they keep the caller's `this` and a name of their own in stacks.
    const watch = this;
    const original = this.#original;
    const originalPromisesInterval = promisesModule.setInterval as PromisesInterval;

    function setTimeout(this: unknown, callback: Callback, delay?: number, ...args: unknown[]): unknown {
      return watch.#arm('setTimeout', original.setTimeout, setTimeout, callback, delay, args);
    }
    function setInterval(this: unknown, callback: Callback, delay?: number, ...args: unknown[]): unknown {
      return watch.#arm('setInterval', original.setInterval, setInterval, callback, delay, args);
    }
    function clearTimeout(this: unknown, timer: unknown): void {
      watch.#clearing(timer);
      original.clearTimeout(timer);
    }
    function clearInterval(this: unknown, timer: unknown): void {
      watch.#clearing(timer);
      original.clearInterval(timer);
    }
    // util.promisify(setTimeout) must keep giving the promise version, as it does without the
    // doctor; Node gives setInterval none (promisify makes its generic one), so neither does the doctor.
    Object.defineProperty(setTimeout, promisify.custom, { configurable: true, enumerable: false, get: () => promisesModule.setTimeout });
    function promisesSetInterval(this: unknown, delay?: number, value?: unknown, options?: { signal?: AbortSignal; ref?: boolean }): AsyncIterator<unknown> {
      const iterator = originalPromisesInterval(delay, value, options);
      watch.#watchIterator(iterator, delay, options, promisesSetInterval);
      return iterator;
    }

    const replaced: [Record<string | symbol, unknown>, string | symbol, unknown][] = [];
    const replace = (target: Record<string | symbol, unknown>, key: string | symbol, value: unknown): void => {
      replaced.push([target, key, target[key]]);
      target[key] = value;
    };
    for (const target of [globals, timersModule]) {
      replace(target, 'setTimeout', setTimeout);
      replace(target, 'setInterval', setInterval);
      replace(target, 'clearTimeout', clearTimeout);
      replace(target, 'clearInterval', clearInterval);
    }
    replace(promisesModule, 'setInterval', promisesSetInterval);
    this.#patchPrototype(replace);
    syncBuiltinESMExports();
    this.#restore = () => {
      for (const [target, key, value] of replaced.reverse()) target[key] = value;
      syncBuiltinESMExports();
    };
  }

  /** Puts the original functions back; timers created meanwhile keep being counted until they end. */
  uninstall(): void {
    this.#restore?.();
    this.#restore = undefined;
    this.#active = false;
  }

  /** The methods on Timeout's prototype that arm or clear a timer behind the functions' back. */
  #patchPrototype(replace: (target: Record<string, unknown>, key: string | symbol, value: unknown) => void): void {
    const probe = this.#original.setTimeout(() => undefined, 0) as object;
    this.#original.clearTimeout(probe);
    const proto = Object.getPrototypeOf(probe) as Record<string | symbol, unknown>;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the wrappers are plain functions: they keep the caller's `this` and a name of their own in stacks.
    const watch = this;
    const refresh = proto.refresh as (this: object) => unknown;
    const close = proto.close as (this: object) => unknown;
    const toPrimitive = proto[Symbol.toPrimitive] as ((this: object) => number) | undefined;
    const setOn = replace;
    setOn(proto, 'refresh', function refreshTimer(this: object): unknown {
      watch.#refreshing(this);
      return refresh.call(this);
    });
    setOn(proto, 'close', function closeTimer(this: object): unknown {
      watch.#clearing(this);
      return close.call(this);
    });
    if (toPrimitive !== undefined) {
      setOn(proto, Symbol.toPrimitive, function timerId(this: object): number {
        const id = toPrimitive.call(this);
        watch.#named(this, id);
        return id;
      });
    }
    const dispose = (Symbol as { dispose?: symbol }).dispose;
    const disposeTimer = dispose === undefined ? undefined : (proto[dispose] as ((this: object) => unknown) | undefined);
    if (dispose !== undefined && disposeTimer !== undefined) {
      setOn(proto, dispose, function disposeOfTimer(this: object): unknown {
        watch.#clearing(this);
        return disposeTimer.call(this);
      });
    }
  }

  #arm(kind: TimerKind, arm: TimerFunction, below: Wrapper, callback: Callback, delay: number | undefined, args: unknown[]): unknown {
    if (typeof callback !== 'function' || !this.#active) return arm(callback, delay, ...args);
    let record: TimerRecord | undefined;
    try {
      record = this.#created(kind, callbackName(callback), delay, below);
    } catch (error) {
      this.#context.onError(error);
    }
    if (record === undefined) return arm(callback, delay, ...args);
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the wrappers are plain functions: they keep the caller's `this` and a name of their own in stacks.
    const watch = this;
    const owned = record;
    const timer = arm(function (this: unknown, ...fireArgs: unknown[]): unknown {
      return watch.#fire(owned, callback, this, fireArgs);
    }, delay, ...args) as object;
    this.#records.set(timer, record);
    if (kind === 'setInterval') {
      record.timer = new WeakRef(timer);
      this.#armedIntervals.add(record);
    }
    return timer;
  }

  #created(kind: TimerKind, name: string, delay: number | undefined, below: Wrapper): TimerRecord {
    const site = this.#context.sites.find(below);
    const key = `${kind} ${site.id}`;
    let tally = this.#tallies.get(key);
    // As Node reads it: coerced to a number, 1 ms when not a finite one >= 1.
    const asNumber = Number(delay);
    const delayMs = Number.isFinite(asNumber) && asNumber >= 1 ? Math.round(asNumber) : 1;
    if (tally === undefined) {
      const call = kind === 'timers/promises.setInterval' ? `setInterval(${delayMs})` : `${kind}(${name}, ${delayMs})`;
      tally = new SiteTally(site, kind, call, delayMs);
      this.#tallies.set(key, tally);
    }
    const shuttingDown = this.#context.shuttingDown();
    tally.created += 1;
    tally.armed += 1;
    if (tally.armed > tally.peakArmed) tally.peakArmed = tally.armed;
    if (shuttingDown) {
      tally.createdAfterShutdown += 1;
      if (tally.staleClearAfterShutdown) tally.rearmedAfterStop += 1;
    }
    return new TimerRecord(tally, !shuttingDown);
  }

  #fire(record: TimerRecord, callback: Callback, thisArg: unknown, args: unknown[]): unknown {
    try {
      const tally = record.tally;
      tally.ticks += 1;
      if (tally.kind === 'setTimeout') this.#ended(record, 'fired');
    } catch (error) {
      this.#context.onError(error);
    }
    const outer = this.#firing;
    this.#firing = record;
    try {
      return this.#context.runs.run(record, callback, thisArg, args);
    } finally {
      this.#firing = outer;
    }
  }

  #clearing(timer: unknown): void {
    try {
      const record = typeof timer === 'object' && timer !== null
        ? this.#records.get(timer)
        : typeof timer === 'number' || typeof timer === 'string' ? this.#byId.get(Number(timer)) : undefined;
      if (record === undefined) return;
      if (record.state === 'armed') {
        this.#ended(record, 'cleared');
        return;
      }
      if (record === this.#firing) return;
      record.tally.staleClears += 1;
      if (this.#context.shuttingDown()) record.tally.staleClearAfterShutdown = true;
    } catch (error) {
      this.#context.onError(error);
    }
  }

  #refreshing(timer: object): void {
    try {
      const record = this.#records.get(timer);
      if (record === undefined || record.state !== 'fired') return;
      // refresh() re-arms a one-shot timer that already fired.
      record.state = 'armed';
      record.tally.armed += 1;
      if (record.tally.armed > record.tally.peakArmed) record.tally.peakArmed = record.tally.armed;
    } catch (error) {
      this.#context.onError(error);
    }
  }

  #named(timer: object, id: number): void {
    try {
      const record = this.#records.get(timer);
      if (record === undefined || record.state !== 'armed') return;
      record.id = id;
      this.#byId.set(id, record);
    } catch (error) {
      this.#context.onError(error);
    }
  }

  #ended(record: TimerRecord, how: 'fired' | 'cleared'): void {
    record.state = how;
    record.tally.armed -= 1;
    if (how === 'fired') record.tally.fired += 1;
    else record.tally.cleared += 1;
    this.#armedIntervals.delete(record);
    if (record.id !== undefined) this.#byId.delete(record.id);
  }

  /**
   * A `timers/promises` interval is armed until its iterator is returned or thrown into, or its
   * signal aborts. The doctor's own abort listener leaves with the iterator: a long-lived signal
   * shared by many short loops must not collect listeners that Node's own interval removes.
   */
  #watchIterator(iterator: AsyncIterator<unknown>, delay: number | undefined, options: { signal?: AbortSignal; ref?: boolean } | undefined, below: Wrapper): void {
    if (!this.#active) return;
    try {
      const record = this.#created('timers/promises.setInterval', '', delay, below);
      if (options?.ref !== false) this.#armedIntervals.add(record);
      const signal = options?.signal;
      const end = (): void => {
        signal?.removeEventListener('abort', end);
        if (record.state === 'armed') this.#ended(record, 'cleared');
      };
      for (const method of ['return', 'throw'] as const) {
        const original = iterator[method]?.bind(iterator);
        if (original === undefined) continue;
        iterator[method] = (value?: unknown) => {
          end();
          return original(value);
        };
      }
      if (signal?.aborted === true) end();
      else signal?.addEventListener('abort', end, { once: true });
    } catch (error) {
      this.#context.onError(error);
    }
  }
}
