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
import { leaseMarginMs } from './lease-keeper.js';

/** Receives a claim's verdict, once. */
export type ClaimSettled = (claim: PendingClaim, verdict: ClaimVerdict) => void;

export class PendingClaim extends QueueEntry {
  readonly tick: Tick;
  readonly #engine: Engine;
  readonly #controller = new AbortController();
  readonly #settled: ClaimSettled;
  #timeoutMs: number;
  #startedAt = 0;
  #done = false;
  /** Ends the count of this claim among the coordinator calls stop() and remove() wait for. */
  #endCall: (() => void) | undefined;

  constructor(engine: Engine, tick: Tick, settled: ClaimSettled) {
    super();
    this.#engine = engine;
    this.tick = tick;
    this.#settled = settled;
    this.#timeoutMs = engine.claimTimeoutMs;
  }

  /**
   * Sends the claim; the verdict may arrive synchronously. Its deadline is `claimTimeout`, or
   * sooner the instant the lease asked for (`ttlMs`, counted from now) could no longer be trusted.
   */
  send(request: ClaimRequest, ttlMs: number): void {
    const engine = this.#engine;
    this.#timeoutMs = Math.min(this.#timeoutMs, ttlMs - leaseMarginMs(ttlMs));
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
        this.#await(PROMISE_THEN.call(answer, (value: unknown) => this.#answered(value), (error: unknown) => this.#failed(error)));
        return;
      }
    } catch (error) {
      this.#settle(failureOf(error));
      return;
    }
    if (then !== undefined) {
      this.#await(Promise.resolve(answer as PromiseLike<unknown>).then((value: unknown) => this.#answered(value), (error: unknown) => this.#failed(error)));
    } else {
      this.#answered(answer);
    }
  }

  /**
   * The answer is awaited: stop() and remove() wait for it too (and for the release it may lead
   * to), until it comes or the claim's deadline passes.
   */
  #await(handled: Promise<unknown>): void {
    if (this.#done) return; // abandoned from inside claim() itself, its deadline already cancelled
    const end = this.#engine.calls.begin(this.tick.jobName);
    this.#endCall = end;
    handled.then(end, end);
  }

  /**
   * The deadline passed: the claim's signal aborts and the tick is skipped; an abandoned claim is
   * no longer waited for. An answer after this is still honoured: a lease it brings is released.
   */
  fire(): void {
    this.#endCall?.();
    if (this.#done) return;
    const error = new ClaimTimeoutError(this.tick.tickId, this.#timeoutMs);
    this.#controller.abort(error);
    this.#settle({ won: false, reason: 'claim-timeout', error });
  }

  /**
   * The scheduler stops or the job is removed: the claim's signal aborts; no verdict is delivered.
   * Its deadline stays armed: until then, or until the answer comes, the stop or remove waits for it.
   */
  abandon(reason: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.#controller.abort(reason);
    if (this.#endCall === undefined) this.#engine.loop.cancel(this);
  }

  /** The stop or remove is over: an abandoned claim is no longer waited for, and leaves nothing armed. */
  forget(): void {
    this.#engine.loop.cancel(this);
    this.#endCall?.();
  }

  describe(now: number): PendingClaimView {
    return { job: this.tick.jobName, tickId: this.tick.tickId, scheduledAt: this.tick.scheduledAt, pendingForMs: now - this.#startedAt };
  }

  #answered(value: unknown): void {
    const verdict = verdictOf(value, this.#startedAt);
    const late = this.#engine.clock.now() - this.#startedAt;
    if (!this.#done && late >= this.#timeoutMs && verdict.won) {
      // The answer reached us past the deadline (the event loop stalled, and ran this before the
      // deadline entry): the store may already have let the lease go to another replica.
      this.#settle({ won: false, reason: 'claim-timeout', error: new ClaimTimeoutError(this.tick.tickId, this.#timeoutMs, late) });
    }
    if (this.#done) {
      this.#engine.loop.cancel(this);
      if (verdict.won && verdict.lease !== undefined) releaseLease(this.#engine, this.tick.jobName, verdict.lease, 'not-run');
      return;
    }
    this.#settle(verdict);
  }

  #failed(error: unknown): void {
    if (this.#done) this.#engine.loop.cancel(this);
    else this.#settle(failureOf(error));
  }

  #settle(verdict: ClaimVerdict): void {
    if (this.#done) return;
    this.#done = true;
    this.#engine.loop.cancel(this);
    this.#settled(this, verdict);
  }
}

/**
 * Releases `lease` of `job` with `outcome`, containing whatever the coordinator throws or rejects
 * with; an asynchronous release is awaited by stop() and remove().
 */
export function releaseLease(engine: Engine, job: string, lease: Lease, outcome: Parameters<Lease['release']>[0]): void {
  const report = (error: unknown): void => engine.contained(error, 'lease.release() failed; the lease will expire on its own', { token: lease.token });
  let released: unknown;
  try {
    released = lease.release(outcome);
  } catch (error) {
    report(error);
    return;
  }
  try {
    if (thenOf(released) === undefined) return;
  } catch (error) {
    report(error);
    return;
  }
  engine.calls.track(job, Promise.resolve(released as PromiseLike<unknown>).catch(report));
}
