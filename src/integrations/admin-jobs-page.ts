/**
 * One page of `GET /jobs`: the jobs a query selects, in the order they were added, with the
 * totals of the whole scheduler. What a page costs does not grow with the page's neighbours:
 * snapshots are built for the page's jobs only (about 1.5 µs each); totals come from
 * `scheduler.summary()` and the attention index. A page without filters is read off the index's
 * order from the start (O(offset + limit)); a search by name or state walks every name (a few
 * ms at 100k jobs); a filter by attention walks only the jobs kept for it while they are few.
 *
 * A stopped scheduler has no jobs left, only its last snapshot: pages are cut from that.
 */
import type { Scheduler, SchedulerSummary } from '../scheduler.js';
import type { Job } from '../job.js';
import type { JobSnapshot, SchedulerSnapshot, SchedulerState } from '../snapshot.js';
import type { CoordinatorStatus } from '../coordination/contract.js';
import type { AttentionIndex, Attention } from './admin-attention.js';
import { queryString, type AttentionFilter, type JobsQuery } from './admin-query.js';
import { problemsOf, type HealthProblem } from './health.js';

/** Jobs that need attention, counted. */
export interface AttentionTotals {
  /** Jobs with a run stuck past `stuckAfter`. */
  readonly stuck: number;
  /** Jobs whose last run failed or timed out (`consecutiveFailures > 0`). */
  readonly failing: number;
  /** Jobs that paused themselves after `maxConsecutiveFailures`. */
  readonly pausedByFailures: number;
}

/** Totals of the whole scheduler, whatever the page. */
export interface JobsTotals {
  /** Jobs by state, as `scheduler.summary()` counts them. */
  readonly jobs: SchedulerSummary['jobs'];
  /** Runs in flight, of every job. */
  readonly inFlight: number;
  /** Runs in flight past their job's `stuckAfter`. */
  readonly stuckRuns: number;
  /** Jobs that need attention, by kind (a job can count under more than one). */
  readonly attention: AttentionTotals;
}

/** The body of `GET /jobs`. Its `state`, `at`, `coordinator` and `jobs` are those of `scheduler.inspect()`, for the page's jobs. */
export interface JobsPage {
  /** The scheduler's state. */
  readonly state: SchedulerState;
  /** When the page was taken (wall clock). */
  readonly at: Date;
  /** What the coordinator reports of its store (reachable, clock skew); `null` when it reports nothing. */
  readonly coordinator: CoordinatorStatus | null;
  /** Of the whole scheduler, whatever the page and its filters. */
  readonly totals: JobsTotals;
  /** The first few jobs with a stuck run or paused by failures (as `GET /healthz` words them), whatever the page. */
  readonly problems: readonly HealthProblem[];
  /** How many problems there are in all (`problems` shows at most {@link PROBLEMS_SHOWN}). */
  readonly problemCount: number;
  /** Jobs that match the query's filters, on this page or not. */
  readonly matched: number;
  readonly offset: number;
  /** The page's size as asked for (`null` for `limit=all`). */
  readonly limit: number | null;
  /** The query string of the next page (`?limit=…&offset=…`, filters kept), to resolve against this URL; `null` on the last page. */
  readonly next: string | null;
  /** The page's jobs, in the order they were added. */
  readonly jobs: readonly JobSnapshot[];
}

/** Problems a page lists. */
export const PROBLEMS_SHOWN = 10;

const ATTENTION_SETS: Readonly<Record<AttentionFilter, readonly Attention[]>> = {
  stuck: ['stuck'],
  failing: ['failing'],
  'paused-by-failures': ['paused-by-failures'],
  any: ['stuck', 'failing', 'paused-by-failures'],
};

/** Case-insensitive substring match, without building a lowered copy of every name. */
function nameMatcher(part: string): (name: string) => boolean {
  const pattern = new RegExp(part.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&'), 'iu');
  return (name) => pattern.test(name);
}

/** Counts the matches and keeps those from `offset`, `limit` of them. */
function cut<T>(items: readonly T[], test: ((item: T) => boolean) | undefined, query: JobsQuery): { matched: number; page: T[] } {
  const end = query.limit === 'all' ? Infinity : query.offset + query.limit;
  if (test === undefined) return { matched: items.length, page: items.slice(query.offset, end) };
  const page: T[] = [];
  let matched = 0;
  for (const item of items) {
    if (!test(item)) continue;
    if (matched >= query.offset && matched < end) page.push(item);
    matched += 1;
  }
  return { matched, page };
}

function pageOf(query: JobsQuery, matched: number, jobs: readonly JobSnapshot[], summary: SchedulerSummary, totals: JobsTotals, problems: readonly HealthProblem[], problemCount: number): JobsPage {
  const limit = query.limit === 'all' ? null : query.limit;
  const nextOffset = query.offset + jobs.length;
  const next = limit !== null && nextOffset < matched && jobs.length > 0 ? queryString({ ...query, offset: nextOffset }) : null;
  return { state: summary.state, at: summary.at, coordinator: summary.coordinator, totals, problems, problemCount, matched, offset: query.offset, limit, next, jobs };
}

/**
 * The jobs of a live scheduler's page, and how many match. Jobs are walked by name in the
 * index's order; a job's handle is looked up only to test its state, or once it matched.
 */
export function livePageJobs(scheduler: Scheduler, index: AttentionIndex, query: JobsQuery): { matched: number; page: Job[] } {
  const byName = query.name === undefined ? undefined : nameMatcher(query.name);
  const state = query.state;
  if (byName === undefined && state === undefined && query.attention === undefined) {
    // No filter: the page is read off the index's order, the count is the scheduler's.
    const matched = scheduler.summary().jobs.total;
    return { matched, page: index.slice(query.offset, query.limit === 'all' ? matched : query.limit) };
  }
  const end = query.limit === 'all' ? Infinity : query.offset + query.limit;
  if (byName === undefined && state === undefined && query.attention !== undefined) {
    // By attention alone: the index counts the matches, and the walk stops at the page's end.
    const page: Job[] = [];
    let at = 0;
    for (const name of index.candidates(ATTENTION_SETS[query.attention])) {
      if (at >= end) break;
      const job = scheduler.get(name);
      if (job === undefined) continue;
      if (at >= query.offset) page.push(job);
      at += 1;
    }
    return { matched: index.union(ATTENTION_SETS[query.attention]), page };
  }
  // Filtered by attention, the candidates are the index's; otherwise every job.
  const names: Iterable<string> = query.attention === undefined ? index.ordered() : index.candidates(ATTENTION_SETS[query.attention]);
  const page: Job[] = [];
  const stale: string[] = [];
  let matched = 0;
  for (const name of names) {
    if (byName !== undefined && !byName(name)) continue;
    const job = scheduler.get(name);
    if (job === undefined) {
      stale.push(name);
      continue;
    }
    if (state !== undefined && job.state !== state) continue;
    if (matched >= query.offset && matched < end) page.push(job);
    matched += 1;
  }
  for (const name of stale) index.forgetStale(name);
  return { matched, page };
}

/** A page of a running (or stopping) scheduler's jobs. */
export function livePage(scheduler: Scheduler, index: AttentionIndex, query: JobsQuery): JobsPage {
  const summary = scheduler.summary();
  const { matched, page } = livePageJobs(scheduler, index, query);
  const { problems, count } = liveProblems(scheduler, index, PROBLEMS_SHOWN);
  const totals: JobsTotals = {
    jobs: summary.jobs,
    inFlight: summary.inFlight,
    stuckRuns: summary.stuck,
    attention: { stuck: index.count('stuck'), failing: index.count('failing'), pausedByFailures: index.count('paused-by-failures') },
  };
  return pageOf(query, matched, page.map((job) => job.inspect()), summary, totals, problems, count);
}

/**
 * The first `max` problems (stuck runs, pauses by failures) of a live scheduler in the order
 * jobs were added, and how many there are: snapshots only of the jobs shown.
 */
export function liveProblems(scheduler: Scheduler, index: AttentionIndex, max: number): { problems: HealthProblem[]; count: number } {
  const problems: HealthProblem[] = [];
  for (const name of index.candidates(['stuck', 'paused-by-failures'])) {
    if (problems.length >= max) break;
    const job = scheduler.get(name);
    if (job === undefined) continue;
    for (const problem of problemsOf(job.inspect())) if (problems.length < max) problems.push(problem);
  }
  // One problem per kind per job: the index counts them without their snapshots.
  return { problems, count: index.count('stuck') + index.count('paused-by-failures') };
}

/** The snapshots of a stopped scheduler's page, cut from its last snapshot, and how many match. */
export function finalPageJobs(snapshot: SchedulerSnapshot, query: JobsQuery): { matched: number; page: JobSnapshot[] } {
  const byName = query.name === undefined ? undefined : nameMatcher(query.name);
  const attention = query.attention;
  const needs = (job: JobSnapshot): boolean =>
    attention === undefined ||
    ((attention === 'stuck' || attention === 'any') && job.stuck > 0) ||
    ((attention === 'failing' || attention === 'any') && job.consecutiveFailures > 0) ||
    ((attention === 'paused-by-failures' || attention === 'any') && isPausedByFailures(job));
  return cut(snapshot.jobs, (job) => (query.state === undefined || job.state === query.state) && (byName === undefined || byName(job.name)) && needs(job), query);
}

function isPausedByFailures(job: JobSnapshot): boolean {
  return job.state === 'paused' && job.pauseReason === 'failures';
}

/** A page of a stopped scheduler, from its last snapshot (built when it stopped; reading it builds nothing). */
export function finalPage(scheduler: Scheduler, query: JobsQuery): JobsPage {
  const summary = scheduler.summary();
  const snapshot = scheduler.inspect();
  const { matched, page } = finalPageJobs(snapshot, query);
  const all = snapshot.jobs.flatMap(problemsOf);
  const count = (test: (job: JobSnapshot) => boolean): number => snapshot.jobs.reduce((n, job) => n + (test(job) ? 1 : 0), 0);
  const totals: JobsTotals = {
    jobs: summary.jobs,
    inFlight: summary.inFlight,
    stuckRuns: summary.stuck,
    attention: { stuck: count((job) => job.stuck > 0), failing: count((job) => job.consecutiveFailures > 0), pausedByFailures: count(isPausedByFailures) },
  };
  return pageOf(query, matched, page, summary, totals, all.slice(0, PROBLEMS_SHOWN), all.length);
}
