/**
 * `tickguard/testing`: the conformance suite every coordinator must pass — the in-memory one,
 * and any backed by a store (Redis, PostgreSQL, your own). One list of named async checks, so
 * it runs under vitest, jest, node:test or a plain script; `describeConformance()` registers
 * them with a `describe`/`it` pair.
 *
 * Each check makes two or three coordinators with `subject.create()` — they stand for replicas
 * and must share one store — and uses job names of its own, so checks never see each other's
 * data. Expiry checks wait on the real clock for a few hundred milliseconds and assert outcomes,
 * not durations.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * import { describeConformance } from 'tickguard/testing';
 * describeConformance({ name: 'redis', create: () => redisCoordinator({ client }) }, { describe, it });
 * ```
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import type { ClaimRequest, ClaimResult, Coordinator } from './contract.js';
import { isLease } from './claim-result.js';

/** The coordinator implementation under test. */
export interface ConformanceSubject {
  /** Names the implementation in check titles. */
  readonly name: string;
  /** A coordinator on the shared store: every call must reach the same data, as replicas do. */
  create(): Coordinator | Promise<Coordinator>;
}

/** One check of the suite. */
export interface ConformanceCheck {
  readonly name: string;
  /** Resolves when the check passes; rejects with an explanation when it fails. */
  run(): Promise<void>;
}

/** What {@link describeConformance} needs of a test framework (vitest, jest and node:test have these). */
export interface TestFunctions {
  describe(name: string, body: () => void): unknown;
  it(name: string, body: () => Promise<void>, timeoutMs?: number): unknown;
}

/** How long a claim in a check may take: a store round trip, with room for a slow CI machine. */
const CLAIM_OPTIONS_TTL_MS = 10_000;
const SHORT_TTL_MS = 300;

class ConformanceError extends Error {
  override name = 'ConformanceError';
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new ConformanceError(message);
}

/** The checks, for `subject`. */
export function coordinatorConformance(subject: ConformanceSubject): readonly ConformanceCheck[] {
  const job = (what: string): string => `conformance-${what}-${randomUUID().slice(0, 8)}`;
  const replicas = async (count: number): Promise<Coordinator[]> => Promise.all(Array.from({ length: count }, () => subject.create()));

  return [
    {
      name: 'a tick slot is won by exactly one of two replicas claiming it at once',
      async run() {
        const [a, b] = await replicas(2);
        const name = job('once');
        const results = await Promise.all([claim(a!, request(name, 1_000)), claim(b!, request(name, 1_000))]);
        check(results.filter(isLease).length === 1, `expected exactly one lease, got ${describe(results)}`);
      },
    },
    {
      name: 'a tick record outlives its run: a late replica cannot win the same slot again',
      async run() {
        const [a, b] = await replicas(2);
        const name = job('outlives');
        const first = await claim(a!, request(name, 2_000));
        check(isLease(first), `expected the first claim to win, got ${describe([first])}`);
        await first.release('success');
        const late = await claim(b!, request(name, 2_000));
        check(late === null || late === false, `expected the slot to stay claimed after release, got ${describe([late])}`);
      },
    },
    {
      name: 'different slots of a job are claimed independently',
      async run() {
        const [a, b] = await replicas(2);
        const name = job('slots');
        const one = await claim(a!, request(name, 1_000));
        const two = await claim(b!, request(name, 2_000));
        check(isLease(one) && isLease(two), `expected both slots to be won, got ${describe([one, two])}`);
      },
    },
    {
      name: 'fencing tokens strictly increase per job across replicas',
      async run() {
        const [a, b] = await replicas(2);
        const name = job('fence');
        const tokens: number[] = [];
        for (let slot = 1; slot <= 6; slot += 1) {
          const won = await claim(slot % 2 === 0 ? a! : b!, request(name, slot * 1_000));
          check(isLease(won), `expected slot ${slot} to be won, got ${describe([won])}`);
          tokens.push(won.token);
          await won.release('success');
        }
        check(tokens.every((token, i) => i === 0 || token > tokens[i - 1]!), `expected strictly increasing tokens, got ${tokens.join(', ')}`);
      },
    },
    {
      name: 'an exclusive lease keeps other replicas from running the job until it is released',
      async run() {
        const [a, b] = await replicas(2);
        const name = job('exclusive');
        const held = await claim(a!, request(name, 1_000, 'exclusive'));
        check(isLease(held), `expected the exclusive claim to win, got ${describe([held])}`);
        const blocked = await claim(b!, request(name, 2_000, 'exclusive'));
        check(blocked === null || blocked === false, `expected another tick's exclusive claim to lose while the lease is held, got ${describe([blocked])}`);
        await held.release('success');
        const next = await claim(b!, request(name, 3_000, 'exclusive'));
        check(isLease(next), `expected the next tick to be won after release, got ${describe([next])}`);
        check(next.token > held.token, `expected the next token (${next.token}) above the released one (${held.token})`);
        await next.release('success');
      },
    },
    {
      name: 'leadership without a slot: one leader at a time, the next after it lets go',
      async run() {
        const [a, b] = await replicas(2);
        const name = job('leader');
        const leader = await claim(a!, request(name, null, 'exclusive'));
        check(isLease(leader), `expected the first leadership claim to win, got ${describe([leader])}`);
        const follower = await claim(b!, request(name, null, 'exclusive'));
        check(follower === null || follower === false, `expected a second leader to be refused, got ${describe([follower])}`);
        await leader.release('not-run');
        const next = await claim(b!, request(name, null, 'exclusive'));
        check(isLease(next), `expected leadership to pass on after release, got ${describe([next])}`);
        await next.release('not-run');
      },
    },
    {
      name: 'renewing keeps an exclusive lease past its TTL',
      async run() {
        const [a, b] = await replicas(2);
        const name = job('renew');
        const held = await claim(a!, request(name, 1_000, 'exclusive'), SHORT_TTL_MS * 2);
        check(isLease(held), `expected the claim to win, got ${describe([held])}`);
        for (let i = 0; i < 4; i += 1) {
          await sleep(SHORT_TTL_MS / 2);
          check((await held.renew()) === true, `expected renewal ${i + 1} to succeed`);
        }
        const other = await claim(b!, request(name, 2_000, 'exclusive'));
        check(other === null || other === false, `expected the renewed lease to still exclude others, got ${describe([other])}`);
        await held.release('success');
      },
    },
    {
      name: 'an expired lease is taken over with a higher token, and its old holder can neither renew nor release it',
      async run() {
        const [a, b, c] = await replicas(3);
        const name = job('expiry');
        const old = await claim(a!, request(name, 1_000, 'exclusive'), SHORT_TTL_MS);
        check(isLease(old), `expected the claim to win, got ${describe([old])}`);
        await sleep(SHORT_TTL_MS * 2);
        const taker = await claim(b!, request(name, 2_000, 'exclusive'));
        check(isLease(taker), `expected the expired lease to be taken over, got ${describe([taker])}`);
        check(taker.token > old.token, `expected the new token (${taker.token}) above the expired one (${old.token})`);
        check((await old.renew()) === false, 'expected the old holder\'s renew() to resolve false');
        if (old.lost !== undefined) check(old.lost.aborted, 'expected the old lease\'s `lost` signal to have aborted');
        await old.release('aborted');
        const third = await claim(c!, request(name, 3_000, 'exclusive'));
        check(third === null || third === false, `expected the stale release to leave the new lease in place, got ${describe([third])}`);
        await taker.release('success');
      },
    },
    {
      name: 'a claim whose signal already aborted wins nothing',
      async run() {
        const [a] = await replicas(1);
        let result: ClaimResult | undefined;
        try {
          result = await a!.claim(request(job('aborted'), 1_000), { signal: AbortSignal.abort(), ttlMs: CLAIM_OPTIONS_TTL_MS });
        } catch {
          return; // rejecting is allowed
        }
        check(!isLease(result) && result !== true, `expected null or a rejection, got ${describe([result])}`);
      },
    },
    {
      name: 'jobs do not share tick records or leases',
      async run() {
        const [a, b] = await replicas(2);
        const x = await claim(a!, request(job('x'), 1_000, 'exclusive'));
        const y = await claim(b!, request(job('y'), 1_000, 'exclusive'));
        check(isLease(x) && isLease(y), `expected both jobs' claims to win, got ${describe([x, y])}`);
        await x.release('success');
        await y.release('success');
      },
    },
    {
      name: 'a lease expires about its TTL from now',
      async run() {
        const [a] = await replicas(1);
        const before = Date.now();
        const held = await claim(a!, request(job('expires'), 1_000, 'exclusive'));
        check(isLease(held), `expected the claim to win, got ${describe([held])}`);
        const ahead = held.expiresAt.getTime() - before;
        // The store's clock may differ from this one: allow a few seconds either way.
        check(ahead > CLAIM_OPTIONS_TTL_MS - 5_000 && ahead < CLAIM_OPTIONS_TTL_MS + 5_000, `expected expiresAt about ${CLAIM_OPTIONS_TTL_MS} ms ahead, got ${ahead} ms`);
        await held.release('success');
      },
    },
  ];
}

/** Registers the suite with a test framework: one `it` per check inside a `describe`. */
export function describeConformance(subject: ConformanceSubject, test: TestFunctions): void {
  test.describe(`coordinator conformance: ${subject.name}`, () => {
    for (const conformance of coordinatorConformance(subject)) test.it(conformance.name, () => conformance.run(), 20_000);
  });
}

function request(jobName: string, slot: number | null, mode: ClaimRequest['mode'] = 'per-tick'): ClaimRequest {
  const scheduledAt = new Date(slot ?? Date.now());
  return { jobName, scheduledAt, tickId: `${jobName}@${scheduledAt.toISOString()}`, manual: false, mode, slot };
}

async function claim(coordinator: Coordinator, tick: ClaimRequest, ttlMs = CLAIM_OPTIONS_TTL_MS): Promise<ClaimResult> {
  return coordinator.claim(tick, { signal: new AbortController().signal, ttlMs });
}

function describe(results: readonly unknown[]): string {
  return `[${results.map((r) => (isLease(r) ? `lease(token ${r.token})` : JSON.stringify(r) ?? String(r))).join(', ')}]`;
}

