/**
 * Keeps a lease alive while it is needed: renews it in the background at a third of its TTL,
 * and declares it lost — so that the run holding it is aborted with `'lease-lost'` — when the
 * coordinator says so (`renew()` resolving `false`, the lease's `lost` signal) or when no
 * renewal succeeded before the lease would expire.
 *
 * Expiry is judged conservatively on this process's monotonic line: a claim or renewal that
 * succeeds extends the lease to `when the request was sent + ttl`, which is never later than the
 * store's own expiry (the store counts from when it processed the request), and the lease is
 * given up a margin before that (a tenth of the TTL, at most a second), so that the run is told to
 * stop before another replica can be granted the lease. A renewal that fails for a transient
 * reason (the store unreachable) is retried until then.
 */
import type { Engine } from '../engine.js';
import { QueueEntry } from '../timer-queue.js';
import { toError } from '../errors.js';
import type { Lease } from './contract.js';

/** Hears what becomes of a kept lease. */
export type LeaseReport = (lease: Lease, result: 'renewed' | 'renewal-failed' | 'lost', why: string | undefined) => void;

/** The margin before expiry is a tenth of the TTL, but never more than this. */
const MAX_MARGIN_MS = 1_000;

/** How long before a lease of `ttlMs` would expire at the store it is no longer trusted here. */
export function leaseMarginMs(ttlMs: number): number {
  return Math.min(ttlMs / 10, MAX_MARGIN_MS);
}

export class LeaseKeeper extends QueueEntry {
  readonly lease: Lease;
  readonly #engine: Engine;
  readonly #job: string;
  readonly #ttlMs: number;
  readonly #onLost: (why: string) => void;
  readonly #report: LeaseReport;
  /** Monotonic instant after which the lease can no longer be trusted. */
  #validUntil: number;
  #renewing = false;
  #stopped = false;
  readonly #lostListener = (): void => this.#lose('the coordinator reported the lease lost');

  /** How long before the store's expiry the lease is given up. */
  readonly #marginMs: number;

  /**
   * @param sentAt when the claim that won the lease was sent (monotonic); `NaN`: now.
   * @param report told of each renewal, failed renewal and loss (for events and metrics).
   */
  constructor(engine: Engine, job: string, lease: Lease, ttlMs: number, sentAt: number, onLost: (why: string) => void, report: LeaseReport) {
    super();
    this.#engine = engine;
    this.#job = job;
    this.lease = lease;
    this.#ttlMs = ttlMs;
    this.#onLost = onLost;
    this.#report = report;
    this.#marginMs = leaseMarginMs(ttlMs);
    this.#validUntil = (Number.isNaN(sentAt) ? engine.clock.now() : sentAt) + ttlMs - this.#marginMs;
  }

  /** Starts renewing; reports the lease lost at once if its signal already aborted. */
  start(): void {
    const lost = this.lease.lost;
    if (lost?.aborted === true) {
      this.#lose('the coordinator reported the lease lost');
      return;
    }
    lost?.addEventListener('abort', this.#lostListener, { once: true });
    this.#scheduleRenewal(this.#engine.clock.now());
  }

  /** Stops renewing (the run ended, or the scheduler let go of the lease). */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#engine.loop.cancel(this);
    this.lease.lost?.removeEventListener('abort', this.#lostListener);
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /**
   * Whether the lease can still be trusted at `now`, checked before something starts under it: after
   * an event-loop stall the start may come before this keeper's own deadline fires. A lease past its
   * deadline is declared lost here and then.
   */
  holds(now: number): boolean {
    if (this.#stopped) return false;
    if (now < this.#validUntil) return true;
    this.#lose(`no renewal succeeded within the lease's ${this.#ttlMs} ms`);
    return false;
  }

  /** Renewal is due, or (while one is in flight) the lease's deadline came. */
  fire(now: number): void {
    if (this.#stopped) return;
    if (now >= this.#validUntil) {
      this.#lose(`no renewal succeeded within the lease's ${this.#ttlMs} ms`);
      return;
    }
    if (this.#renewing) {
      this.#engine.loop.schedule(this, this.#validUntil);
      return;
    }
    this.#renew(now);
  }

  #renew(startedAt: number): void {
    this.#renewing = true;
    this.#engine.loop.schedule(this, this.#validUntil);
    let renewal: Promise<boolean>;
    try {
      renewal = Promise.resolve(this.lease.renew());
    } catch (error) {
      renewal = Promise.reject(error);
    }
    const handled = renewal.then(
      (held) => {
        this.#renewing = false;
        if (this.#stopped) return;
        if (held !== true) {
          this.#lose('the coordinator refused the renewal');
          return;
        }
        this.#validUntil = startedAt + this.#ttlMs - this.#marginMs;
        this.#report(this.lease, 'renewed', undefined);
        this.#scheduleRenewal(this.#engine.clock.now());
      },
      (error: unknown) => {
        this.#renewing = false;
        if (this.#stopped) return;
        this.#engine.log.warn({ err: toError(error), token: this.lease.token }, 'lease renewal failed; retrying until the lease would expire');
        this.#report(this.lease, 'renewal-failed', toError(error).message);
        this.#scheduleRenewal(this.#engine.clock.now());
      },
    );
    this.#engine.calls.track(this.#job, handled);
  }

  #scheduleRenewal(now: number): void {
    this.#engine.loop.schedule(this, Math.min(now + this.#ttlMs / 3, this.#validUntil));
  }

  #lose(why: string): void {
    if (this.#stopped) return;
    this.stop();
    this.#report(this.lease, 'lost', why);
    this.#onLost(why);
  }
}
