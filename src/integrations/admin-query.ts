/**
 * The query parameters of `GET /jobs` and `GET /history`: parsed and checked before anything is
 * looked up, so that a bad value gets a 400 naming the parameter, what was expected and what
 * was received — and never a large answer by accident.
 */
import type { JobState } from '../snapshot.js';
import { HttpError } from './admin-http-error.js';

/** Which jobs need attention: a run stuck past `stuckAfter`, a last run that failed, a pause after `maxConsecutiveFailures`; `any` is either of them. */
export type AttentionFilter = 'stuck' | 'failing' | 'paused-by-failures' | 'any';

/** A page of jobs, as the query of `GET /jobs` asks for it. */
export interface JobsQuery {
  /** Jobs on the page; `'all'` for every job that matches. */
  readonly limit: number | 'all';
  /** Matching jobs skipped before the page, in the order they were added. */
  readonly offset: number;
  /** A part of the job's name, compared without regard to case. */
  readonly name: string | undefined;
  /** Only the jobs in this state. */
  readonly state: JobState | undefined;
  /** Only the jobs that need this kind of attention. */
  readonly attention: AttentionFilter | undefined;
}

/** Jobs on a page when the query says nothing. */
export const DEFAULT_LIMIT = 100;
/** The largest page short of `limit=all`. */
export const MAX_LIMIT = 1_000;
const MAX_OFFSET = 1_000_000_000;
const MAX_NAME = 200;

const STATES: readonly JobState[] = ['active', 'paused', 'done', 'removed'];
const ATTENTION: readonly AttentionFilter[] = ['stuck', 'failing', 'paused-by-failures', 'any'];
const JOBS_KEYS = ['limit', 'offset', 'name', 'state', 'attention'] as const;

function badQuery(message: string): HttpError {
  return new HttpError(400, 'bad_query', message);
}

/** A value as the message quotes it: shortened, in JSON quotes. */
function quoted(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
}

function refuseUnknown(params: URLSearchParams, route: string, keys: readonly string[]): void {
  for (const key of params.keys()) {
    if (!keys.includes(key)) throw badQuery(`Unknown query parameter ${quoted(key)} for ${route}; expected ${keys.join(', ')}`);
  }
}

/** The one value of a parameter given at most once. */
function single(params: URLSearchParams, key: string): string | undefined {
  const values = params.getAll(key);
  if (values.length > 1) throw badQuery(`Expected \`${key}\` at most once, got it ${values.length} times`);
  return values[0];
}

function integer(value: string, key: string, min: number, max: number, extra = ''): number {
  const number = /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(number) || number < min || number > max) {
    throw badQuery(`Expected \`${key}\` to be an integer from ${min} to ${max}${extra}, got ${quoted(value)}`);
  }
  return number;
}

function oneOf<T extends string>(value: string | undefined, key: string, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw badQuery(`Expected \`${key}\` to be one of ${allowed.join(', ')}, got ${quoted(value)}`);
  return value as T;
}

function jobsQueryOf(params: URLSearchParams): JobsQuery {
  const limit = single(params, 'limit');
  const offset = single(params, 'offset');
  const name = single(params, 'name');
  if (name !== undefined && name.length > MAX_NAME) throw badQuery(`Expected \`name\` to be at most ${MAX_NAME} characters, got ${name.length}`);
  return {
    limit: limit === undefined ? DEFAULT_LIMIT : limit === 'all' ? 'all' : integer(limit, 'limit', 1, MAX_LIMIT, " or 'all'"),
    offset: offset === undefined ? 0 : integer(offset, 'offset', 0, MAX_OFFSET),
    name: name === '' ? undefined : name,
    state: oneOf(single(params, 'state'), 'state', STATES),
    attention: oneOf(single(params, 'attention'), 'attention', ATTENTION),
  };
}

/** The query of `GET /jobs`. @throws {HttpError} 400 for an unknown parameter or a bad value. */
export function parseJobsQuery(params: URLSearchParams): JobsQuery {
  refuseUnknown(params, 'GET /jobs', JOBS_KEYS);
  return jobsQueryOf(params);
}

/** What `GET /history` is asked for: the jobs named by `job`, or the page a `/jobs` query selects. */
export type HistoryQuery = { readonly names: readonly string[] } | { readonly page: JobsQuery };

/** The query of `GET /history`. @throws {HttpError} 400 for an unknown parameter, a bad value, `limit=all`, or `job` next to page parameters. */
export function parseHistoryQuery(params: URLSearchParams): HistoryQuery {
  refuseUnknown(params, 'GET /history', ['job', ...JOBS_KEYS]);
  const names = params.getAll('job');
  if (names.length === 0) {
    const page = jobsQueryOf(params);
    // Up to historySize runs of every job: at 100k jobs more than a string can hold.
    if (page.limit === 'all') throw badQuery(`Expected \`limit\` to be an integer from 1 to ${MAX_LIMIT} for GET /history (every job's runs at once can be hundreds of MB), got "all"; page with \`offset\``);
    return { page };
  }
  if ([...params.keys()].some((key) => key !== 'job')) throw badQuery('Expected either `job` (repeated) or the parameters of a page (limit, offset, name, state, attention) for GET /history, not both');
  if (names.length > MAX_LIMIT) throw badQuery(`Expected at most ${MAX_LIMIT} \`job\` parameters, got ${names.length}`);
  return { names };
}

/** The query string of a page: `?limit=…&offset=…` and the filters, to resolve against the URL it answers. */
export function queryString(query: JobsQuery): string {
  const params = new URLSearchParams({ limit: String(query.limit), offset: String(query.offset) });
  if (query.name !== undefined) params.set('name', query.name);
  if (query.state !== undefined) params.set('state', query.state);
  if (query.attention !== undefined) params.set('attention', query.attention);
  return `?${params.toString()}`;
}
