/**
 * The oracle of the multi-process tests: reads the replicas' sinks (JSONL files outside the store
 * under test) and counts what must never happen — a tick run twice, a fencing token that goes
 * back, two exclusive runs at once — and what should rarely happen: a tick nobody ran.
 *
 * Everything here is a count over the recorded lines; nothing compares durations with a tolerance.
 * The one time bound used — a lease cannot expire at the store before `sent + ttl`, `sent` being
 * when the claim or renewal that set it was sent — is causal (the store processes a request after
 * it is sent, all processes read one machine's clock), so it holds however slow the machine is.
 */
import { existsSync, readFileSync } from 'node:fs';

/** One run, from its `start` line and (unless it was killed) its `end` line. */
export interface RunRecord {
  readonly replica: string;
  readonly tickId: string;
  /** The tick's due slot (epoch ms). */
  readonly slot: number;
  readonly token: number | null;
  /** When the claim that won the tick was sent (wall ms). */
  readonly claimSentAt: number | null;
  readonly start: number;
  readonly end: number | null;
  readonly outcome: string | null;
  readonly cause: string | null;
}

/** One renewal of a lease. */
export interface RenewRecord {
  readonly replica: string;
  readonly token: number;
  readonly sentAt: number;
  readonly ok: boolean | 'error';
}

export interface Sinks {
  readonly runs: RunRecord[];
  readonly renewals: RenewRecord[];
}

interface SinkLine {
  kind: string;
  replica: string;
  tickId: string;
  slot: number;
  token: number | null;
  claimSentAt: number | null;
  start: number;
  end: number;
  outcome: string;
  cause: string | null;
  sentAt: number;
  ok: boolean | 'error';
}

/** Reads the sinks; runs are ordered by start. A torn last line (a SIGKILL mid-write) is skipped. */
export function readSinks(paths: readonly string[]): Sinks {
  const runs = new Map<string, RunRecord>();
  const renewals: RenewRecord[] = [];
  for (const path of paths) {
    if (!existsSync(path)) continue;
    for (const text of readFileSync(path, 'utf8').split('\n')) {
      if (text === '') continue;
      let line: SinkLine;
      try {
        line = JSON.parse(text) as SinkLine;
      } catch {
        continue;
      }
      const key = `${line.replica} ${line.tickId}`;
      if (line.kind === 'start') {
        runs.set(key, { replica: line.replica, tickId: line.tickId, slot: line.slot, token: line.token, claimSentAt: line.claimSentAt, start: line.start, end: null, outcome: null, cause: null });
      } else if (line.kind === 'end') {
        // The end line repeats what the start line said: a start line lost to a torn write is rebuilt from it.
        runs.set(key, { replica: line.replica, tickId: line.tickId, slot: line.slot, token: line.token, claimSentAt: line.claimSentAt, start: line.start, end: line.end, outcome: line.outcome, cause: line.cause });
      } else if (line.kind === 'renew') {
        renewals.push({ replica: line.replica, token: line.token ?? Number.NaN, sentAt: line.sentAt, ok: line.ok });
      }
    }
  }
  return { runs: [...runs.values()].sort((a, b) => a.start - b.start), renewals };
}

/** Runs beyond the first of each tick: `count(*) - count(distinct tickId)`. */
export function duplicates(runs: readonly RunRecord[]): { count: number; tickIds: string[] } {
  const seen = new Map<string, number>();
  for (const run of runs) seen.set(run.tickId, (seen.get(run.tickId) ?? 0) + 1);
  const twice = [...seen].filter(([, n]) => n > 1).map(([tickId]) => tickId);
  return { count: runs.length - seen.size, tickIds: twice };
}

export interface Misses {
  /** Slots from the first run's slot to `to` that some replica should have run. */
  readonly expected: number;
  /** Of those, the slots no replica ran. */
  readonly missing: number;
  /** Slots of the window a scenario expected lost (an outage): not expected, whether run or not. */
  readonly excused: number;
  /** Of the excused slots, how many no replica ran. */
  readonly excusedMissing: number;
  readonly missingSlots: number[];
}

/**
 * The slots `first, first + period, …` up to `to` (the first being the earliest slot any replica
 * ran, and not before `from`), minus those `excused(slot)` says a scenario expects lost, and of them the ones no run covers.
 */
export function misses(runs: readonly RunRecord[], { periodMs, from = -Infinity, to, excused = () => false }: { periodMs: number; from?: number; to: number; excused?: (slot: number) => boolean }): Misses {
  const ran = new Set(runs.map((run) => run.slot));
  if (ran.size === 0) return { expected: 0, missing: 0, excused: 0, excusedMissing: 0, missingSlots: [] };
  const first = Math.max(Math.min(...ran), Math.ceil(from / periodMs) * periodMs);
  let expected = 0;
  let excusedCount = 0;
  let excusedMissing = 0;
  const missingSlots: number[] = [];
  for (let slot = first; slot <= to; slot += periodMs) {
    if (excused(slot)) {
      excusedCount += 1;
      if (!ran.has(slot)) excusedMissing += 1;
      continue;
    }
    expected += 1;
    if (!ran.has(slot)) missingSlots.push(slot);
  }
  return { expected, missing: missingSlots.length, excused: excusedCount, excusedMissing, missingSlots };
}

/** The misses a window of `expected` ticks allows: 1%, rounded up to a whole tick. */
export function allowedMisses(expected: number): number {
  return Math.ceil(expected * 0.01);
}

export interface TokenOrder {
  /** Runs without a token, or with a token another run also got. */
  readonly missingOrShared: number;
  /**
   * Pairs of runs where the later claim got the lower token: run B's claim was sent after run A
   * had started (so after A's claim was granted), yet B's token is not above A's.
   */
  readonly violations: { earlier: RunRecord; later: RunRecord }[];
  /** Consecutive runs, by start, whose tokens do not increase (for exclusive jobs this must be 0). */
  readonly inversionsByStart: number;
}

/**
 * Fencing tokens must increase with every grant. Two claims in flight at once are granted in an
 * order the parent cannot see, so among runs of different ticks that may overlap (per-tick) the
 * check is causal: a claim sent after another run started must get a higher token than it.
 */
export function tokenOrder(runs: readonly RunRecord[]): TokenOrder {
  const tokens = new Map<number, number>();
  let missingOrShared = 0;
  for (const run of runs) {
    if (run.token === null) missingOrShared += 1;
    else tokens.set(run.token, (tokens.get(run.token) ?? 0) + 1);
  }
  for (const n of tokens.values()) if (n > 1) missingOrShared += n;
  const violations: { earlier: RunRecord; later: RunRecord }[] = [];
  for (const earlier of runs) {
    for (const later of runs) {
      if (later === earlier || later.claimSentAt === null || earlier.token === null || later.token === null) continue;
      if (later.claimSentAt > earlier.start && later.token <= earlier.token) violations.push({ earlier, later });
    }
  }
  let inversionsByStart = 0;
  for (let i = 1; i < runs.length; i += 1) {
    const a = runs[i - 1]!.token;
    const b = runs[i]!.token;
    if (a !== null && b !== null && b <= a) inversionsByStart += 1;
  }
  return { missingOrShared, violations, inversionsByStart };
}

/**
 * The earliest the store may hand `run`'s lease to someone else: `ttl` after the claim or the
 * last successful renewal was sent.
 */
export function leaseValidEnd(run: RunRecord, renewals: readonly RenewRecord[], ttlMs: number): number {
  let sent = run.claimSentAt ?? run.start;
  for (const renewal of renewals) {
    if (renewal.replica === run.replica && renewal.token === run.token && renewal.ok === true && renewal.sentAt > sent) sent = renewal.sentAt;
  }
  return sent + ttlMs;
}

export interface Exclusion {
  /**
   * Pairs of runs whose intervals overlap, each run's interval being `[start, end]`, except that
   *  - a run that was killed (no `end`) holds until its lease may expire at the store;
   *  - a run aborted for `lease-lost` after that moment counts until that moment (if it started
   *    before it): its task did nothing after starting but wait, and any write it made later
   *    would carry a token the store had superseded (what the fencing token is for).
   */
  readonly overlaps: { first: RunRecord; second: RunRecord }[];
  /** The same with plain `[start, end]` (killed runs: until their lease may expire). */
  readonly rawOverlaps: { first: RunRecord; second: RunRecord }[];
  /** Runs that ended other than `lease-lost` after their lease may already have expired at the store. */
  readonly staleEnds: RunRecord[];
  /** Runs whose task was started when their lease may already have expired at the store. */
  readonly staleStarts: RunRecord[];
}

export function exclusion(runs: readonly RunRecord[], renewals: readonly RenewRecord[], ttlMs: number): Exclusion {
  const validEnd = new Map(runs.map((run) => [run, leaseValidEnd(run, renewals, ttlMs)]));
  const effective = (run: RunRecord): number => {
    const until = validEnd.get(run)!;
    if (run.end === null) return until;
    if (run.cause === 'lease-lost' && run.start < until) return Math.min(run.end, until);
    return run.end;
  };
  const raw = (run: RunRecord): number => run.end ?? validEnd.get(run)!;
  const pairs = (end: (run: RunRecord) => number): { first: RunRecord; second: RunRecord }[] => {
    const found: { first: RunRecord; second: RunRecord }[] = [];
    for (let i = 0; i < runs.length; i += 1) {
      for (let j = i + 1; j < runs.length; j += 1) {
        if (runs[j]!.start < end(runs[i]!)) found.push({ first: runs[i]!, second: runs[j]! });
      }
    }
    return found;
  };
  const staleEnds = runs.filter((run) => run.end !== null && run.cause !== 'lease-lost' && run.end > validEnd.get(run)!);
  const staleStarts = runs.filter((run) => run.start >= validEnd.get(run)!);
  return { overlaps: pairs(effective), rawOverlaps: pairs(raw), staleEnds, staleStarts };
}
