/**
 * One claim in flight at the coordinator: its signal, its deadline on the tick loop, and the
 * guarantee that it settles exactly once — won, refused, timed out, or abandoned by stop() or
 * remove(). A lease that arrives after the claim was given up on is released at once, so an
 * abandoned claim never leaves the job locked across the cluster.
 */
import type { Engine } from '../engine.js';
import type { Tick } from '../tick.js';
import { QueueEntry } from '../timer-queue.js';
import { ClaimTimeoutError } from '../errors.js';
import type { PendingClaimView } from '../snapshot.js';
import type { ClaimRequest, Lease } from './contract.js';
import { failureOf, verdictOf, type ClaimVerdict } from './claim-result.js';
import { PROMISE_THEN, thenOf } from '../thenable.js';

/** Receives a claim's verdict, once. */
export type ClaimSettled = (claim: PendingClaim, verdict: ClaimVerdict) => void;

export class PendingClaim extends QueueEntry {
  readonly tick: Tick;
  readonly #engine: Engine;
  readonly #controller = new AbortController();
  readonly #settled: ClaimSettled;
  readonly #timeoutMs: number;
  #startedAt = 0;
  #done = false;

  constructor(engine: Engine, tick: Tick, settled: ClaimSettled) {
    super();
    this.#engine = engine;
    this.tick = tick;
    this.#settled = settled;
    this.#timeoutMs = engine.claimTimeoutMs;
  }

  /** Sends the claim; the verdict may arrive synchronously. */
  send(request: ClaimRequest, ttlMs: number): void {
    const engine = this.#engine;
    this.#startedAt = engine.clock.now();
    engine.loop.schedule(this, this.#startedAt + this.#timeoutMs);
    let answer: unknown;
    try {
      answer = engine.coordinator!.claim(request, { signal: this.#controller.signal, ttlMs });
    } catch (error) {
      this.#settle(failureOf(error));
      return;
    }
    let then: ReturnType<typeof thenOf>;
    try {
      then = thenOf(answer);
      if (then === PROMISE_THEN) {
        PROMISE_THEN.call(answer, (value: unknown) => this.#answered(value), (error: unknown) => this.#failed(error));
        return;
      }
    } catch (error) {
      this.#settle(failureOf(error));
      return;
    }
    if (then !== undefined) {
      Promise.resolve(answer as PromiseLike<unknown>).then((value: unknown) => this.#answered(value), (error: unknown) => this.#failed(error));
    } else {
      this.#answered(answer);
    }
  }

  /** The deadline passed: the claim's signal aborts and the tick is skipped. */
  fire(): void {
    const error = new ClaimTimeoutError(this.tick.tickId, this.#timeoutMs);
    this.#controller.abort(error);
    this.#settle({ won: false, reason: 'claim-timeout', error });
  }

  /** The scheduler stops or the job is removed: the claim's signal aborts; no verdict is delivered. */
  abandon(reason: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.#engine.loop.cancel(this);
    this.#controller.abort(reason);
  }

  describe(now: number): PendingClaimView {
    return { job: this.tick.jobName, tickId: this.tick.tickId, scheduledAt: this.tick.scheduledAt, pendingForMs: now - this.#startedAt };
  }

  #answered(value: unknown): void {
    const verdict = verdictOf(value, this.#startedAt);
    if (this.#done) {
      if (verdict.won && verdict.lease !== undefined) releaseLease(this.#engine, verdict.lease, 'not-run');
      return;
    }
    this.#settle(verdict);
  }

  #failed(error: unknown): void {
    if (!this.#done) this.#settle(failureOf(error));
  }

  #settle(verdict: ClaimVerdict): void {
    if (this.#done) return;
    this.#done = true;
    this.#engine.loop.cancel(this);
    this.#settled(this, verdict);
  }
}

/** Releases `lease` with `outcome`, containing whatever the coordinator throws or rejects with. */
export function releaseLease(engine: Engine, lease: Lease, outcome: Parameters<Lease['release']>[0]): void {
  const report = (error: unknown): void => engine.contained(error, 'lease.release() failed; the lease will expire on its own', { token: lease.token });
  try {
    Promise.resolve(lease.release(outcome)).catch(report);
  } catch (error) {
    report(error);
  }
}
