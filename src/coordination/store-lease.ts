/**
 * The lease a store-backed coordinator hands out, whatever the store: its token, an expiry that
 * moves with each renewal, a `lost` signal, and idempotent release. Only the store calls differ,
 * so a coordinator passes those in.
 */
import type { Lease } from './contract.js';
import type { SkewMonitor } from './skew.js';

/** What a store does for one lease. */
export interface StoreLeaseCalls {
  /** Extends the exclusive lease by its TTL; resolves to the store's clock (ms), or `undefined` when the lease expired or was taken over. */
  readonly renew: () => Promise<number | undefined>;
  /** Gives the exclusive lease back. */
  readonly release: () => Promise<void>;
}

/** The parts of a lease won from a store. */
export interface StoreLeaseParts {
  readonly token: number;
  /** True for an exclusive (renewable) lease; a per-tick lease has nothing to renew or give back. */
  readonly exclusive: boolean;
  readonly expiresAtMs: number;
  readonly ttlMs: number;
  readonly skew: SkewMonitor;
  readonly calls: StoreLeaseCalls;
}

/** A lease on the store's record; `renew()` and `release()` call the store only for an exclusive lease. */
export function storeLease({ token, exclusive, expiresAtMs, ttlMs, skew, calls }: StoreLeaseParts): Lease {
  const lost = new AbortController();
  let expiresAt = new Date(expiresAtMs);
  let released = false;
  return {
    token,
    get expiresAt() {
      return expiresAt;
    },
    lost: lost.signal,
    async renew(): Promise<boolean> {
      if (!exclusive) return !released;
      if (released || lost.signal.aborted) return false;
      const sentAt = Date.now();
      const storeNow = await calls.renew();
      if (storeNow === undefined) {
        lost.abort(new Error('the lease expired or was taken over'));
        return false;
      }
      skew.observe(storeNow, sentAt, Date.now());
      expiresAt = new Date(sentAt + ttlMs);
      return true;
    },
    async release(): Promise<void> {
      if (released) return;
      released = true;
      // A tick's record stays: it must outlive the run. Only the exclusive lease is given back.
      if (exclusive) await calls.release();
    },
  };
}
