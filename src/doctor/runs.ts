/**
 * What a timer callback leaves running. A callback that returns a promise is in flight until
 * that promise settles. One that returns nothing but starts async work (`void refresh()`,
 * `refresh().catch(log)`) is in flight until the last promise its synchronous part created
 * settles: the end of the chain it started. The rule can only under-count (an `async` function
 * that awaits twice is seen until its first await settles), never invent an overlap.
 *
 * WHY promise hooks and not `.then()`: attaching a handler to the app's promise would mark a
 * rejection as handled and change what the app does with it; `v8.promiseHooks` only watch.
 * The hooks run for every promise of the process, so they do the least possible: note the
 * last promise created while a callback runs, and look a settled promise up in a WeakMap only
 * while some run is pending.
 */
import { promiseHooks } from 'node:v8';

/** Who owns a run: told when one starts and when it ends. */
export interface RunOwner {
  runStarted(): void;
  runEnded(): void;
}

/** Tracks the work timer callbacks leave pending. */
export class RunWatch {
  #depth = 0;
  #lastCreated: Promise<unknown> | undefined;
  /** Promises settled while a callback ran; allocated on the first one (sync callbacks make none). */
  #settledDuringTick: Promise<unknown>[] | undefined;
  readonly #pending = new WeakMap<Promise<unknown>, RunOwner>();
  #pendingCount = 0;
  #stopHooks: (() => void) | undefined;
  readonly #onError: (error: unknown) => void;

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  start(): void {
    this.#stopHooks ??= <() => void>promiseHooks.createHook({
      init: (promise) => {
        if (this.#depth > 0) this.#lastCreated = promise;
      },
      settled: (promise) => {
        if (this.#depth > 0) (this.#settledDuringTick ??= []).push(promise);
        if (this.#pendingCount === 0) return;
        const owner = this.#pending.get(promise);
        if (owner === undefined) return;
        this.#pending.delete(promise);
        this.#pendingCount -= 1;
        this.#safely(() => owner.runEnded());
      },
    });
  }

  stop(): void {
    this.#stopHooks?.();
    this.#stopHooks = undefined;
  }

  /** Calls `callback` as one tick of `owner` and returns what it returns, errors included, untouched. */
  run(owner: RunOwner, callback: (...args: unknown[]) => unknown, thisArg: unknown, args: unknown[]): unknown {
    const outerLast = this.#lastCreated;
    const outerSettled = this.#settledDuringTick;
    this.#lastCreated = undefined;
    this.#settledDuringTick = undefined;
    this.#depth += 1;
    let result: unknown;
    try {
      result = callback.apply(thisArg, args);
      return result;
    } finally {
      this.#depth -= 1;
      const work = result instanceof Promise ? result : this.#lastCreated;
      const settled = this.#settledDuringTick as Promise<unknown>[] | undefined;
      this.#lastCreated = outerLast;
      this.#settledDuringTick = outerSettled;
      if (work !== undefined && settled?.includes(work) !== true && !this.#pending.has(work)) {
        this.#pending.set(work, owner);
        this.#pendingCount += 1;
        this.#safely(() => owner.runStarted());
      }
    }
  }

  #safely(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.#onError(error);
    }
  }
}
