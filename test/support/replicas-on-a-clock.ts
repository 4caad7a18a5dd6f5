/**
 * Replicas on one TestClock for coordination tests: each a scheduler with its own coordinator
 * over a shared MemoryCoordinationStore, its events recorded with the virtual time they came at,
 * and a Spy around a coordinator that records claims, renewals and releases and injects failures
 * (renewals refused or rejected, lost signals, a partitioned store, slow answers, slow releases).
 */
import {
  CoordinatorUnavailableError,
  createScheduler,
  TestClock,
  type ClaimOptions,
  type ClaimRequest,
  type ClaimResult,
  type Coordinator,
  type Duration,
  type Lease,
  type Logger,
  type RunContext,
  type RunEndEvent,
  type RunOutcome,
  type Scheduler,
  type TickEvent,
} from '../../src/index.js';
import { T0 } from '../helpers.js';

export const iso = (offsetMs: number): string => new Date(T0 + offsetMs).toISOString();
export const idOf = (job: string, offsetMs: number): string => `${job}@${iso(offsetMs)}`;

/** One replica: a scheduler on the shared clock, its events recorded with the virtual time they came at. */
export interface Replica {
  readonly scheduler: Scheduler;
  readonly ticks: (TickEvent & { at: number })[];
  readonly ends: RunEndEvent[];
}

export function replica(clock: TestClock, coordinator: Coordinator, extra: { claimTimeout?: Duration; logger?: Logger } = {}): Replica {
  const scheduler = createScheduler({ clock, coordinator, ...extra });
  const ticks: (TickEvent & { at: number })[] = [];
  const ends: RunEndEvent[] = [];
  scheduler.on('tick', (e) => ticks.push({ ...e, at: clock.now() - T0 }));
  scheduler.on('run:end', (e) => ends.push(e));
  return { scheduler, ticks, ends };
}

/** What the wrapper does to a lease's renew(): pass it through, refuse it, or fail as an unreachable store would. */
export type RenewMode = 'pass' | 'false' | 'reject';

/**
 * Wraps a coordinator: records every claim, every renew() (when, and what it answered) and every
 * release(); `renewMode`, `partitioned` and `lost` are switched by the test to inject failures.
 */
export class Spy implements Coordinator {
  readonly claims: ClaimRequest[] = [];
  readonly renewals: { token: number; at: number; answer: boolean | 'rejected' }[] = [];
  readonly releases: { token: number; outcome: RunOutcome | 'not-run' }[] = [];
  renewMode: RenewMode = 'pass';
  /** The store cannot be reached from this replica: claims throw, renewals and releases reject. */
  partitioned = false;
  /** When set, leases granted from now on carry this signal as `lost` instead of the store's. */
  lost: AbortSignal | undefined;
  /** Leases carry no `lost` signal, as from a store that cannot push (Redis, PostgreSQL). */
  withoutLost = false;
  /** The store answers at once, but the answer takes this long to arrive (a slow network). */
  answerDelayMs = 0;
  /** A renewal's answer takes this long to arrive. */
  renewDelayMs = 0;
  /** A release reaches the store this long after it was sent (`Infinity`: never answers). */
  releaseDelayMs = 0;
  /** Virtual times (ms after T0) at which releases reached the store. */
  readonly releasedAt: number[] = [];
  readonly #inner: Coordinator;
  readonly #clock: TestClock;

  constructor(inner: Coordinator, clock: TestClock) {
    this.#inner = inner;
    this.#clock = clock;
  }

  /** Answer synchronously, as the memory coordinator itself does (the inner one must too). */
  sync = false;

  claim(request: ClaimRequest, options: ClaimOptions): ClaimResult | Promise<ClaimResult> {
    this.claims.push(request);
    if (!this.sync) return this.#claimAsync(request, options);
    if (this.partitioned) throw new CoordinatorUnavailableError('store unreachable');
    const result = this.#inner.claim(request, options);
    if (result instanceof Promise) throw new Error('Spy: the inner coordinator answered asynchronously');
    return this.#wrapResult(result);
  }

  async #claimAsync(request: ClaimRequest, options: ClaimOptions): Promise<ClaimResult> {
    if (this.partitioned) throw new CoordinatorUnavailableError('store unreachable');
    const result = await this.#inner.claim(request, options);
    if (this.answerDelayMs > 0) await this.#clock.sleep(this.answerDelayMs);
    return this.#wrapResult(result);
  }

  #wrapResult(result: ClaimResult): ClaimResult {
    return typeof result === 'object' && result !== null ? this.#wrap(result) : result;
  }

  #wrap(inner: Lease): Lease {
    const lost = this.withoutLost ? undefined : (this.lost ?? inner.lost);
    return {
      token: inner.token,
      get expiresAt() {
        return inner.expiresAt;
      },
      ...(lost === undefined ? {} : { lost }),
      renew: async () => {
        const at = this.#clock.now() - T0;
        if (this.partitioned || this.renewMode === 'reject') {
          this.renewals.push({ token: inner.token, at, answer: 'rejected' });
          throw new CoordinatorUnavailableError('store unreachable');
        }
        if (this.renewDelayMs > 0) await this.#clock.sleep(this.renewDelayMs);
        const answer = this.renewMode === 'false' ? false : await inner.renew();
        this.renewals.push({ token: inner.token, at, answer });
        return answer;
      },
      release: async (outcome) => {
        this.releases.push({ token: inner.token, outcome });
        if (this.partitioned) throw new CoordinatorUnavailableError('store unreachable');
        if (this.releaseDelayMs === Infinity) await new Promise(() => {});
        if (this.releaseDelayMs > 0) await this.#clock.sleep(this.releaseDelayMs);
        await inner.release(outcome);
        this.releasedAt.push(this.#clock.now() - T0);
      },
    };
  }
}

/** A task that records its context and sleeps `ms` on the clock, settling promptly when its signal aborts. */
export function sleeper(clock: TestClock, ms: number, seen: RunContext[]): (ctx: RunContext) => Promise<void> {
  return async (ctx) => {
    seen.push(ctx);
    try {
      await clock.sleep(ms, ctx.signal);
    } catch {
      // aborted: end at once, as a well-behaved task does
    }
  };
}

export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export async function stopAll(clock: TestClock, replicas: readonly Replica[]): Promise<void> {
  const stopping = Promise.all(replicas.map((r) => r.scheduler.stop({ abort: true })));
  await clock.advance(60_000);
  await stopping;
}
