/**
 * Listener growth on `EventEmitter`s and `AbortSignal`s, attributed to the line that adds the
 * listeners: what `MaxListenersExceededWarning` tells, with the site instead of a guess.
 *
 * Adding a listener is frequent and must stay cheap, so nothing is captured while a target's
 * count is within its limit (`getMaxListeners()`, 10 by default). Past the limit each add
 * captures its site (cached, see sites.ts). An emitter's count is exact (`listenerCount`); an
 * AbortSignal's is counted on the way in and out and checked against `getEventListeners` at
 * doubling points, because `{ once: true }` listeners leave without a call the doctor sees.
 */
import { EventEmitter, getEventListeners, getMaxListeners } from 'node:events';
import type { Site, SiteFinder } from './sites.js';

/** What was seen at one site adding listeners for one event. */
export interface ListenerTally {
  readonly site: Site;
  /** `AbortSignal`, or the emitter's constructor name. */
  readonly target: string;
  readonly event: string;
  /** The target's limit when it was passed. */
  limit: number;
  /** The most listeners seen on one target this site added to. */
  peak: number;
  /** Adds past the limit. */
  addsPastLimit: number;
  /** Adds to a signal that had already aborted: listeners that will never run. */
  addedAfterAbort: number;
  firstAtMs: number;
  lastAtMs: number;
  /** The target that reached `peak`, to count its listeners again when reporting. */
  targetRef: WeakRef<object>;
  /** The listeners this site added past the limit (the first few hundred), with their targets. */
  readonly added: { readonly target: WeakRef<object>; readonly listener: WeakRef<object> }[];
}

/** Listeners remembered per site: enough to tell growth, bounded in memory. */
const MAX_REMEMBERED = 500;

/** What the watch needs from the doctor. */
export interface ListenerWatchContext {
  readonly sites: SiteFinder;
  now(): number;
  onError(error: unknown): void;
}

type AddListener = (this: unknown, ...args: unknown[]) => unknown;

interface SignalCount {
  approx: number;
  nextCheck: number;
}

/** Watches listener adds. */
export class ListenerWatch {
  readonly #context: ListenerWatchContext;
  readonly #tallies = new Map<string, ListenerTally>();
  readonly #signalCounts = new WeakMap<object, Map<string, SignalCount>>();
  #restore: (() => void) | undefined;

  constructor(context: ListenerWatchContext) {
    this.#context = context;
  }

  tallies(): ListenerTally[] {
    return [...this.#tallies.values()];
  }

  /** Listeners on the tally's target now, or 0 when the target is gone. */
  static liveCount(tally: ListenerTally): number {
    const target = tally.targetRef.deref();
    if (target === undefined) return 0;
    if (target instanceof EventEmitter) return EventEmitter.prototype.listenerCount.call(target, tally.event);
    return getEventListeners(target as EventTarget, tally.event).length;
  }

  /** Of the listeners the site added past the limit, how many are still attached. */
  static liveFromSite(tally: ListenerTally): number {
    const attached = new Map<object, Set<unknown>>();
    let live = 0;
    for (const entry of tally.added) {
      const target = entry.target.deref();
      const listener = entry.listener.deref();
      if (target === undefined || listener === undefined) continue;
      let current = attached.get(target);
      if (current === undefined) {
        current = new Set(target instanceof EventEmitter ? target.listeners(tally.event) : getEventListeners(target as EventTarget, tally.event));
        attached.set(target, current);
      }
      if (current.has(listener)) live += 1;
    }
    return live;
  }

  install(): void {
    if (this.#restore !== undefined) return;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the wrappers are plain functions: they keep the caller's `this` and a name of their own in stacks.
    const watch = this;
    const emitter = EventEmitter.prototype as unknown as Record<string, AddListener>;
    const target = EventTarget.prototype as unknown as Record<string, AddListener>;
    const replaced: [Record<string, AddListener>, string, AddListener][] = [];
    const wrapEmitter = (name: string): void => {
      const original = emitter[name]!;
      replaced.push([emitter, name, original]);
      emitter[name] = function addListener(this: unknown, ...args: unknown[]): unknown {
        const result = original.apply(this, args);
        watch.#emitterAdded(this, args[0], args[1], addListener);
        return result;
      };
    };
    // `once` and `prependOnceListener` go through `on` and `prependListener`.
    wrapEmitter('addListener');
    wrapEmitter('on');
    wrapEmitter('prependListener');
    const add = target.addEventListener!;
    const remove = target.removeEventListener!;
    replaced.push([target, 'addEventListener', add], [target, 'removeEventListener', remove]);
    target.addEventListener = function addEventListener(this: unknown, ...args: unknown[]): unknown {
      const result = add.apply(this, args);
      watch.#signalAdded(this, args[0], args[1], addEventListener);
      return result;
    };
    target.removeEventListener = function removeEventListener(this: unknown, ...args: unknown[]): unknown {
      watch.#signalRemoved(this, args[0]);
      return remove.apply(this, args);
    };
    this.#restore = () => {
      for (const [object, key, value] of replaced.reverse()) object[key] = value;
    };
  }

  uninstall(): void {
    this.#restore?.();
    this.#restore = undefined;
  }

  #emitterAdded(emitter: unknown, event: unknown, listener: unknown, below: AddListener): void {
    try {
      if (!(emitter instanceof EventEmitter) || (typeof event !== 'string' && typeof event !== 'symbol')) return;
      const limit = EventEmitter.prototype.getMaxListeners.call(emitter);
      if (limit === 0 || limit === Infinity) return;
      const count = EventEmitter.prototype.listenerCount.call(emitter, event);
      if (count <= limit) return;
      this.#record(emitter, emitter.constructor.name || 'EventEmitter', String(event), listener, count, limit, false, below);
    } catch (error) {
      this.#context.onError(error);
    }
  }

  #signalAdded(signal: unknown, event: unknown, listener: unknown, below: AddListener): void {
    try {
      if (!(signal instanceof AbortSignal) || typeof event !== 'string') return;
      let counts = this.#signalCounts.get(signal);
      if (counts === undefined) {
        counts = new Map();
        this.#signalCounts.set(signal, counts);
      }
      const limit = getMaxListeners(signal);
      let count = counts.get(event);
      if (count === undefined) {
        count = { approx: 0, nextCheck: limit + 1 };
        counts.set(event, count);
      }
      count.approx += 1;
      if (count.approx <= limit || limit === 0) return;
      if (count.approx >= count.nextCheck) {
        count.approx = getEventListeners(signal, event).length;
        count.nextCheck = Math.max(limit + 1, count.approx * 2);
        if (count.approx <= limit) return;
      }
      this.#record(signal, 'AbortSignal', event, listener, count.approx, limit, signal.aborted, below);
    } catch (error) {
      this.#context.onError(error);
    }
  }

  #signalRemoved(signal: unknown, event: unknown): void {
    try {
      if (!(signal instanceof AbortSignal) || typeof event !== 'string') return;
      const count = this.#signalCounts.get(signal)?.get(event);
      if (count !== undefined && count.approx > 0) count.approx -= 1;
    } catch (error) {
      this.#context.onError(error);
    }
  }

  #record(target: object, targetName: string, event: string, listener: unknown, count: number, limit: number, aborted: boolean, below: AddListener): void {
    const site = this.#context.sites.find(below);
    if (site.guarded) return;
    const key = `${site.id} ${targetName} ${event}`;
    const now = this.#context.now();
    let tally = this.#tallies.get(key);
    if (tally === undefined) {
      tally = { site, target: targetName, event, limit, peak: 0, addsPastLimit: 0, addedAfterAbort: 0, firstAtMs: now, lastAtMs: now, targetRef: new WeakRef(target), added: [] };
      this.#tallies.set(key, tally);
    }
    tally.addsPastLimit += 1;
    tally.lastAtMs = now;
    tally.limit = limit;
    if (aborted) tally.addedAfterAbort += 1;
    if (tally.added.length < MAX_REMEMBERED && (typeof listener === 'function' || (typeof listener === 'object' && listener !== null))) {
      tally.added.push({ target: new WeakRef(target), listener: new WeakRef(listener) });
    }
    if (count > tally.peak) {
      tally.peak = count;
      tally.targetRef = new WeakRef(target);
    }
  }
}
