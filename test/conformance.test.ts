/**
 * The coordinator conformance suite (`tickguard/testing`): the in-memory reference coordinator
 * passes it, and coordinators broken on purpose fail exactly the checks that guard what they
 * break — so the suite is one that can fail. Real clock, as the suite itself uses (short TTLs).
 */
import { describe, expect, it } from 'vitest';
import { createMemoryCoordinator, MemoryCoordinationStore, type ClaimOptions, type ClaimRequest, type Coordinator, type Lease } from '../src/index.js';
import { coordinatorConformance, describeConformance, type ConformanceSubject } from '../src/coordination/conformance.js';

// One shared store on the system clock: every coordinator the suite creates is a replica of it.
const store = new MemoryCoordinationStore();
describeConformance({ name: 'memory', create: () => createMemoryCoordinator({ store }) }, { describe, it });

const CHECKS = {
  once: 'a tick slot is won by exactly one of two replicas claiming it at once',
  outlives: 'a tick record outlives its run: a late replica cannot win the same slot again',
  slots: 'different slots of a job are claimed independently',
  fence: 'fencing tokens strictly increase per job across replicas',
  exclusive: 'an exclusive lease keeps other replicas from running the job until it is released',
  leadership: 'leadership without a slot: one leader at a time, the next after it lets go',
  renew: 'renewing keeps an exclusive lease past its TTL',
  expiry: 'an expired lease is taken over with a higher token, and its old holder can neither renew nor release it',
  aborted: 'a claim whose signal already aborted wins nothing',
  jobs: 'jobs do not share tick records or leases',
  expires: 'a lease expires about its TTL from now',
} as const;

/**
 * Runs every check of the suite against `subject` (at once: each check uses job names of its
 * own); returns the failures by check name, as `ErrorName: message`.
 */
async function failures(subject: ConformanceSubject): Promise<Record<string, string>> {
  const failed: Record<string, string> = {};
  await Promise.all(coordinatorConformance(subject).map(async (check) => {
    try {
      await check.run();
    } catch (error) {
      failed[check.name] = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
  }));
  return failed;
}

/** Wraps a correct coordinator, changing each lease it grants. */
function wrapped(inner: Coordinator, lease: (granted: Lease) => Lease, signal?: (options: ClaimOptions) => AbortSignal): Coordinator {
  return {
    async claim(request: ClaimRequest, options: ClaimOptions) {
      const result = await inner.claim(request, { ...options, signal: signal?.(options) ?? options.signal });
      return typeof result === 'object' && result !== null ? lease(result) : result;
    },
  };
}

describe('the conformance suite can fail', () => {
  it('registers one it() per check, in one describe named after the subject, each with a 20 s timeout', () => {
    const registered: { describe: string; it: string; timeout: number | undefined }[] = [];
    let current = '';
    describeConformance({ name: 'probe', create: () => createMemoryCoordinator() }, {
      describe: (name, body) => {
        current = name;
        body();
      },
      it: (name, _body, timeout) => void registered.push({ describe: current, it: name, timeout }),
    });
    expect(registered).toEqual(Object.values(CHECKS).map((name) => ({ describe: 'coordinator conformance: probe', it: name, timeout: 20_000 })));
  });

  it('the memory coordinator passes every check when run directly', async () => {
    const own = new MemoryCoordinationStore();
    expect(await failures({ name: 'memory', create: () => createMemoryCoordinator({ store: own }) })).toEqual({});
  });

  it('a coordinator whose fencing token is always 1 fails exactly the token checks', async () => {
    const own = new MemoryCoordinationStore();
    const failed = await failures({
      name: 'constant-token',
      create: () => wrapped(createMemoryCoordinator({ store: own }), (lease) => ({
        token: 1,
        get expiresAt() {
          return lease.expiresAt;
        },
        ...(lease.lost === undefined ? {} : { lost: lease.lost }),
        renew: () => lease.renew(),
        release: (outcome) => lease.release(outcome),
      })),
    });
    expect(Object.keys(failed).sort()).toEqual([CHECKS.fence, CHECKS.exclusive, CHECKS.expiry].sort());
    expect(failed[CHECKS.fence]).toBe('ConformanceError: expected strictly increasing tokens, got 1, 1, 1, 1, 1, 1');
    expect(failed[CHECKS.exclusive]).toBe('ConformanceError: expected the next token (1) above the released one (1)');
    expect(failed[CHECKS.expiry]).toBe('ConformanceError: expected the new token (1) above the expired one (1)');
  });

  it('a coordinator that never dedupes (every claim wins) fails every exclusion check', async () => {
    let fence = 0;
    const grantAll: Coordinator = {
      claim: (_request, { ttlMs }) => ({
        token: ++fence,
        expiresAt: new Date(Date.now() + ttlMs),
        renew: async () => true,
        release: async () => {},
      }),
    };
    const failed = await failures({ name: 'grant-all', create: () => grantAll });
    expect(Object.keys(failed).sort()).toEqual([
      CHECKS.once, CHECKS.outlives, CHECKS.exclusive, CHECKS.leadership, CHECKS.renew, CHECKS.expiry, CHECKS.aborted,
    ].sort());
    for (const message of Object.values(failed)) expect(message).toMatch(/^ConformanceError: expected /);
    expect(failed[CHECKS.once]).toMatch(/^ConformanceError: expected exactly one lease, got \[lease\(token \d+\), lease\(token \d+\)\]$/);
  });

  it('a coordinator that ignores the claim signal fails exactly the aborted-signal check', async () => {
    const own = new MemoryCoordinationStore();
    const failed = await failures({
      name: 'deaf',
      create: () => wrapped(createMemoryCoordinator({ store: own }), (lease) => lease, () => new AbortController().signal),
    });
    expect(Object.keys(failed)).toEqual([CHECKS.aborted]);
    expect(failed[CHECKS.aborted]).toMatch(/^ConformanceError: expected null or a rejection, got \[lease\(token \d+\)\]$/);
  });

  it('a coordinator whose leases never expire fails the expiry check', async () => {
    // Its store's clock stands still: leases granted are never seen to expire.
    const frozen = new MemoryCoordinationStore({ now: () => 0, wallNow: () => Date.now(), setTimer: () => ({}), clearTimer: () => {} });
    const failed = await failures({ name: 'frozen', create: () => createMemoryCoordinator({ store: frozen }) });
    expect(Object.keys(failed)).toEqual([CHECKS.expiry]);
    expect(failed[CHECKS.expiry]).toBe('ConformanceError: expected the expired lease to be taken over, got [null]');
  });
});
