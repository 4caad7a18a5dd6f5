/**
 * What a store-backed coordinator measures of its store: whether it is reachable, and the offset
 * between the store's clock and this process's wall clock — read from the time the store puts in
 * its answers, against the middle of the round trip. Beyond the bound it warns (once per
 * excursion), because tick records and leases are timed on the store's clock while this process
 * fires on its own.
 */
import { toError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CoordinatorContext, CoordinatorStatus } from './contract.js';

export class SkewMonitor {
  readonly #store: string;
  readonly #boundMs: number;
  #log: Logger | undefined;
  #skewMs: number | null = null;
  #exceeded = false;
  #reachable = true;
  #lastError: string | null = null;

  constructor(store: string, boundMs: number) {
    this.#store = store;
    this.#boundMs = boundMs;
  }

  attach(context: CoordinatorContext): void {
    this.#log ??= context.log;
  }

  /** The store answered at `storeNowMs` (its clock) a request sent at `sentAt` and answered at `receivedAt` (ours). */
  observe(storeNowMs: number, sentAt: number, receivedAt: number): void {
    this.#reachable = true;
    this.#lastError = null;
    const skew = storeNowMs - (sentAt + receivedAt) / 2;
    this.#skewMs = Math.round(skew);
    // Half the round trip is the measurement's own uncertainty.
    const exceeded = Math.abs(skew) - (receivedAt - sentAt) / 2 > this.#boundMs;
    if (exceeded && !this.#exceeded) {
      this.#log?.warn({ store: this.#store, skewMs: this.#skewMs, skewBoundMs: this.#boundMs }, `the clocks of this replica and ${this.#store} differ by more than the skew bound: tick records and leases may not protect ticks as promised`);
    } else if (!exceeded && this.#exceeded) {
      this.#log?.info({ store: this.#store, skewMs: this.#skewMs }, `the clocks of this replica and ${this.#store} agree within the skew bound again`);
    }
    this.#exceeded = exceeded;
  }

  /** A command did not reach the store. */
  failed(error: unknown): void {
    this.#reachable = false;
    this.#lastError = toError(error).message;
  }

  status(): CoordinatorStatus {
    return { store: this.#store, reachable: this.#reachable, lastError: this.#lastError, skewMs: this.#skewMs, skewBoundMs: this.#boundMs, skewExceeded: this.#exceeded };
  }
}
