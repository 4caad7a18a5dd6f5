/**
 * The in-memory coordinator: the reference implementation of the coordination contract, for
 * tests, docs, and a single process that wants lease semantics (fencing tokens, exclusive runs)
 * without a store. Several coordinators sharing one {@link MemoryCoordinationStore} behave like
 * replicas sharing Redis or PostgreSQL; the store's clock plays the store's own clock.
 */
import { systemClock, type Clock } from '../clock.js';
import type { ClaimOptions, ClaimRequest, Coordinator, CoordinatorStatus, Lease } from './contract.js';
import { InvalidOptionError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import { optionsObject } from '../options/validate.js';

interface HeldLease {
  readonly id: number;
  readonly token: number;
  expiresAt: number;
  readonly lost: AbortController;
}

/** The shared state of in-memory replicas: tick records, leases and fencing counters, per job. */
export class MemoryCoordinationStore {
  readonly clock: Clock;
  /** `${job}@${slot}` → when the record may be forgotten (on the store clock). */
  readonly #ticks = new Map<string, number>();
  readonly #leases = new Map<string, HeldLease>();
  readonly #fences = new Map<string, number>();
  #leaseIds = 0;

  /** @param clock the store's own clock, which leases expire on. @default the system clock */
  constructor(clock: Clock = systemClock) {
    this.clock = clock;
  }

  /** Tick records and leases currently held (expired ones are forgotten lazily). */
  get size(): { ticks: number; leases: number } {
    const now = this.clock.now();
    for (const [key, until] of this.#ticks) if (until <= now) this.#ticks.delete(key);
    for (const [job, held] of this.#leases) if (held.expiresAt <= now) this.#expire(job, held);
    return { ticks: this.#ticks.size, leases: this.#leases.size };
  }

  /** Claims as the contract says: a tick record and, for exclusive claims, the job's lease (with a fresh id per grant). */
  claim(request: ClaimRequest, ttlMs: number): { token: number; expiresAt: number; id: number | undefined; lost: AbortSignal | undefined } | null {
    const now = this.clock.now();
    this.#forgetOldTicks(now);
    const tickKey = request.slot === null ? undefined : `${request.jobName}@${request.slot}`;
    if (tickKey !== undefined && (this.#ticks.get(tickKey) ?? -Infinity) > now) return null;
    let held: HeldLease | undefined;
    if (request.mode === 'exclusive') {
      const current = this.#leases.get(request.jobName);
      if (current !== undefined && current.expiresAt > now) return null;
      current?.lost.abort(new Error('the lease expired and was taken over'));
      held = { id: ++this.#leaseIds, token: this.#nextFence(request.jobName), expiresAt: now + ttlMs, lost: new AbortController() };
      this.#leases.set(request.jobName, held);
    }
    if (tickKey !== undefined) {
      this.#ticks.delete(tickKey); // an expired record of the same slot: written anew, at the end of the order
      this.#ticks.set(tickKey, now + ttlMs);
    }
    const token = held?.token ?? this.#nextFence(request.jobName);
    return { token, expiresAt: now + ttlMs, id: held?.id, lost: held?.lost.signal };
  }

  /** Extends the lease `id` of `job`; false when it is no longer held. */
  renew(job: string, id: number, ttlMs: number): { expiresAt: number } | null {
    const now = this.clock.now();
    const held = this.#leases.get(job);
    if (held === undefined || held.id !== id || held.expiresAt <= now) {
      if (held?.id === id) {
        this.#leases.delete(job);
        held.lost.abort(new Error('the lease expired'));
      }
      return null;
    }
    held.expiresAt = now + ttlMs;
    return { expiresAt: held.expiresAt };
  }

  /** Frees the lease `id` of `job` if it still holds it; a stale holder frees nothing. */
  release(job: string, id: number): void {
    const held = this.#leases.get(job);
    if (held !== undefined && held.id === id) this.#leases.delete(job);
  }

  #nextFence(job: string): number {
    const token = (this.#fences.get(job) ?? 0) + 1;
    this.#fences.set(job, token);
    return token;
  }

  /**
   * Forgets expired tick records from the oldest on, stopping at the first live one: records are
   * kept in the order they were written, so each claim does a little work, not a scan of them all
   * (a record with a longer TTL holds back those behind it until it expires; a lookup checks expiry).
   */
  #forgetOldTicks(now: number): void {
    for (const [key, until] of this.#ticks) {
      if (until > now) return;
      this.#ticks.delete(key);
    }
  }

  #expire(job: string, held: HeldLease): void {
    this.#leases.delete(job);
    held.lost.abort(new Error('the lease expired'));
  }
}

/** Options of {@link createMemoryCoordinator}. */
export interface MemoryCoordinatorOptions {
  /** Share one store between several coordinators to simulate replicas. @default a store of its own */
  readonly store?: MemoryCoordinationStore;
  /** The store's clock, when no `store` is given: pass the scheduler's TestClock in tests. @default the system clock */
  readonly clock?: Clock;
}

/** An in-memory coordinator, and its store. */
export interface MemoryCoordinator extends Coordinator {
  readonly store: MemoryCoordinationStore;
  claim(tick: ClaimRequest, options: ClaimOptions): Lease | null;
  status(): CoordinatorStatus;
}

/**
 * Creates an in-memory coordinator: once-per-tick records, exclusive leases with renewal and
 * expiry, and fencing tokens strictly increasing per job — within one process.
 *
 * @example
 * ```ts
 * const store = new MemoryCoordinationStore(clock);
 * const a = createScheduler({ clock, coordinator: createMemoryCoordinator({ store }) });
 * const b = createScheduler({ clock, coordinator: createMemoryCoordinator({ store }) });
 * // the same job added to both runs each tick once
 * ```
 */
export function createMemoryCoordinator(options?: MemoryCoordinatorOptions): MemoryCoordinator {
  const raw = optionsObject(options, ['store', 'clock'], 'createMemoryCoordinator()');
  if (raw.store !== undefined && !(raw.store instanceof MemoryCoordinationStore)) {
    throw new InvalidOptionError('store', raw.store, `Expected \`store\` to be a MemoryCoordinationStore, got ${describeValue(raw.store)}`);
  }
  const store = (raw.store as MemoryCoordinationStore | undefined) ?? new MemoryCoordinationStore((raw.clock as Clock | undefined) ?? systemClock);
  const wallOf = (storeTime: number): Date => new Date(store.clock.wallNow() + (storeTime - store.clock.now()));
  return {
    store,
    // One process, one clock: always reachable, no skew.
    status: () => ({ store: 'memory', reachable: true, lastError: null, skewMs: 0, skewBoundMs: 0, skewExceeded: false }),
    claim(request: ClaimRequest, { signal, ttlMs }: ClaimOptions): Lease | null {
      if (signal.aborted) return null;
      const won = store.claim(request, ttlMs);
      if (won === null) return null;
      const { id } = won;
      let expiresAt = wallOf(won.expiresAt);
      return {
        token: won.token,
        get expiresAt() {
          return expiresAt;
        },
        ...(won.lost === undefined ? {} : { lost: won.lost }),
        async renew() {
          if (id === undefined) return true;
          const renewed = store.renew(request.jobName, id, ttlMs);
          if (renewed === null) return false;
          expiresAt = wallOf(renewed.expiresAt);
          return true;
        },
        async release() {
          if (id !== undefined) store.release(request.jobName, id);
        },
      };
    },
  };
}
