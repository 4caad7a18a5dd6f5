/**
 * An admin endpoint for a scheduler (`tickguard/http`): a request handler for `node:http`
 * (or anything that passes Node's `req`/`res`, such as Express; Fastify and Koa through the
 * adapters of `http-frameworks.ts`) serving metrics, snapshots, health, a few authenticated
 * actions and a live dashboard.
 *
 * | route | |
 * |---|---|
 * | `GET /` | the dashboard (HTML, inline CSS/JS, no remote resources) |
 * | `GET /metrics` | Prometheus text from the `registry` option; 501 without one |
 * | `GET /jobs` | a page of job snapshots with the scheduler's totals ({@link JobsPage}): `?limit=` (1–1000, default 100, or `all`), `&offset=`, `&name=` (part of the name, any case), `&state=active\|paused\|done`, `&attention=stuck\|failing\|paused-by-failures\|any`; `next` is the next page's query |
 * | `GET /jobs/:name` | one job's snapshot |
 * | `GET /history` | the last runs (duration, outcome) of the jobs named by `?job=` (repeated), or of the page the `/jobs` parameters select, 1000 jobs at most (`limit=all` is a 400) ({@link HistoryResponse}) |
 * | `GET /healthz` | 200, or 503 with the reasons when a run is stuck or a job paused itself after failures (the first 100, `omitted` counts the rest) |
 * | `POST /jobs/:name/trigger` | 202 at once (`?wait=true`: 200 with the outcome once the run ended); 409 if the tick was skipped |
 * | `POST /jobs/:name/pause`, `…/resume` | 200 with the job's snapshot |
 *
 * What the reads cost does not grow with the number of jobs beyond a scan of names and states:
 * snapshots are built for a page's jobs only, totals come from `scheduler.summary()`, and the
 * jobs that need attention are kept from the scheduler's events as they happen. `GET /jobs`
 * without parameters is the first page, not every job: an unauthenticated request must not be
 * able to make the process build and serialize 100k snapshots (most of a second of blocked event
 * loop and tens of MB). `?limit=all` still answers every job, for a caller who asks for that
 * cost — on `/jobs` only: every job's history at once could be hundreds of MB. Unknown
 * parameters and bad values get a 400.
 *
 * Actions need `Authorization: Bearer <token>`; without a configured `token` they are disabled
 * (403). The handler never throws: malformed requests get a 4xx, its own failures a 500, and
 * every error body is `{ "error": { "code", "message" } }`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Scheduler } from '../scheduler.js';
import type { Job } from '../job.js';
import type { TriggerResult } from '../snapshot.js';
import { InvalidOptionError, JobRemovedError, toError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import { BearerAuth } from './admin-auth.js';
import { DASHBOARD_CSP, DASHBOARD_HTML } from './dashboard-page.js';
import { healthOf, healthReport, MAX_REASONS, type HealthReport } from './health.js';
import { RunHistory, type JobHistory } from './run-history.js';
import { HttpError } from './admin-http-error.js';
import { AttentionIndex } from './admin-attention.js';
import { parseHistoryQuery, parseJobsQuery } from './admin-query.js';
import { finalPage, finalPageJobs, liveProblems, livePage, livePageJobs } from './admin-jobs-page.js';
import { optionsObject, requireMethods, requireScheduler } from './validate.js';
import { registerMount } from './admin-mount.js';

export type { HealthProblem, HealthReport } from './health.js';
export type { JobHistory, RecentRun } from './run-history.js';
export type { AttentionFilter, JobsQuery } from './admin-query.js';
export { DEFAULT_LIMIT, MAX_LIMIT } from './admin-query.js';
export type { AttentionTotals, JobsPage, JobsTotals } from './admin-jobs-page.js';
export { PROBLEMS_SHOWN } from './admin-jobs-page.js';
export { MAX_REASONS } from './health.js';
export { fastifyAdmin, koaAdmin, type FastifyAdminPlugin, type FastifyLikeInstance, type FastifyLikeReply, type FastifyLikeRequest, type KoaAdminOptions, type KoaLikeContext, type KoaAdminMiddleware } from './http-frameworks.js';

/** Where `GET /metrics` comes from: a prom-client `Registry` fits. */
export interface MetricsSource {
  /** The exposition text. */
  metrics(): Promise<string> | string;
  /** Its `Content-Type`. */
  readonly contentType: string;
}

/**
 * Options of {@link createAdminHandler}. An option given as `undefined` takes its default, so
 * `token: process.env.TICKGUARD_ADMIN_TOKEN` compiles under `exactOptionalPropertyTypes` — and an
 * unset variable leaves the actions disabled.
 */
export interface AdminOptions {
  /** Served on `GET /metrics`, e.g. the registry given to `registerMetrics()`. @default none: `/metrics` answers 501 */
  readonly registry?: MetricsSource | undefined;
  /**
   * Enables `POST /jobs/:name/trigger|pause|resume` for requests bearing it
   * (`Authorization: Bearer <token>`). Use a long random string, e.g. `crypto.randomBytes(32).toString('base64url')`.
   * @default none: actions answer 403
   */
  readonly token?: string | undefined;
  /**
   * The path the handler is mounted at on a shared server, e.g. `'/admin'`: requests outside it
   * get 404. Leave it out when a router already strips the prefix (Express's `app.use('/admin', …)`).
   * @default ''
   */
  readonly basePath?: string | undefined;
  /**
   * Runs kept per job for `GET /history` and the dashboard's sparklines. Memory: about 24 bytes a
   * run plus 350 a job, for jobs that have run: 1.8 KB a job at 60, so about 175 MB at 100k jobs;
   * lower it for very many jobs (10: about 56 MB at 100k jobs).
   * @default 60
   */
  readonly historySize?: number | undefined;
  /** Serve the dashboard on `GET /`. @default true */
  readonly dashboard?: boolean | undefined;
}

/** The body of `GET /history`: recent runs of the jobs asked for, in the order asked (a page's: the order of add()). */
export interface HistoryResponse {
  /** When it was taken (wall clock). */
  readonly at: Date;
  /** One entry per job asked for, an unknown name included (with no runs). */
  readonly jobs: readonly JobHistory[];
}

/** A `node:http` request listener that also releases what it holds on the scheduler. */
export interface AdminHandler extends Disposable {
  (req: IncomingMessage, res: ServerResponse): void;
  /** Removes the handler's event listeners (the run history stops growing). Idempotent. */
  dispose(): void;
}

const OPTION_KEYS = ['registry', 'token', 'basePath', 'historySize', 'dashboard'] as const;
const ACTIONS = ['trigger', 'pause', 'resume'] as const;
type Action = (typeof ACTIONS)[number];
const READ = 'GET, HEAD';

const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

/** A route: what the path names, and which methods it takes. */
type Route =
  | { readonly kind: 'dashboard' | 'metrics' | 'jobs' | 'history' | 'healthz'; readonly allow: string }
  | { readonly kind: 'job'; readonly name: string; readonly allow: string }
  | { readonly kind: 'action'; readonly name: string; readonly action: Action; readonly allow: string };

function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...COMMON_HEADERS, 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value)}\n`, headers);
}

function sendError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, { error: { code: error.code, message: error.message } }, error.headers);
}

/** Splits `/a/b%2Fc/` into `['a', 'b/c']`. @throws {HttpError} 400 on malformed percent-encoding. */
function segments(path: string): string[] {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  if (trimmed === '/' || trimmed === '') return [];
  return trimmed.slice(1).split('/').map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      throw new HttpError(400, 'bad_request', `Malformed percent-encoding in the URL path segment ${JSON.stringify(segment.slice(0, 100))}`);
    }
  });
}

function route(parts: readonly string[]): Route | undefined {
  const [first, name, action, ...rest] = parts;
  if (first === undefined) return { kind: 'dashboard', allow: READ };
  if (name === undefined) {
    if (first === 'metrics' || first === 'jobs' || first === 'history' || first === 'healthz') return { kind: first, allow: READ };
    return undefined;
  }
  if (first !== 'jobs' || rest.length > 0) return undefined;
  if (action === undefined) return { kind: 'job', name, allow: READ };
  return (ACTIONS as readonly string[]).includes(action) ? { kind: 'action', name, action: action as Action, allow: 'POST' } : undefined;
}

function nextTurn(): Promise<undefined> {
  return new Promise((resolve) => setImmediate(resolve, undefined));
}

function isTrue(value: string | null): boolean {
  return value !== null && ['', '1', 'true', 'yes'].includes(value.toLowerCase());
}

/** `TriggerResult` as JSON: an `Error` becomes `{ name, message }`. */
function triggerBody(job: string, result: TriggerResult): Record<string, unknown> {
  if (result.status !== 'completed') return { job, ...result };
  const { error, ...rest } = result;
  return { job, ...rest, ...(error === undefined ? {} : { error: { name: error.name, message: error.message } }) };
}

/**
 * Creates the admin handler of a scheduler. It listens to `run:end`, `run:stuck`, `run:retry`
 * and `job:state` from then on (run history, and which jobs need attention); jobs already there
 * are read once, with `scheduler.stats()` (O(jobs): tens of ms at 100k jobs; nothing when the
 * handler is created before the jobs are added).
 *
 * @throws {InvalidOptionError} for invalid options.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { Registry } from 'prom-client';
 * import { registerMetrics } from 'tickguard/prometheus';
 * import { createAdminHandler } from 'tickguard/http';
 *
 * const registry = new Registry();
 * registerMetrics(scheduler, { registry });
 * const admin = createAdminHandler(scheduler, { registry, token: process.env.TICKGUARD_ADMIN_TOKEN });
 * createServer(admin).listen(9464, '127.0.0.1');
 * ```
 */
export function createAdminHandler(scheduler: Scheduler, options?: AdminOptions): AdminHandler {
  requireScheduler(scheduler, 'createAdminHandler()');
  const raw = optionsObject(options, OPTION_KEYS, 'createAdminHandler()');
  const registry = raw.registry as MetricsSource | undefined;
  if (registry !== undefined) {
    requireMethods(registry, ['metrics'], 'registry', 'a prom-client Registry (with metrics() and contentType)');
  }
  const auth = raw.token === undefined ? undefined : new BearerAuth(raw.token);
  const basePath = raw.basePath ?? '';
  if (typeof basePath !== 'string' || (basePath !== '' && (!basePath.startsWith('/') || basePath.endsWith('/') || /[?#\s]/.test(basePath)))) {
    throw new InvalidOptionError('basePath', basePath, `Expected \`basePath\` to be '' or a path such as '/admin' (leading '/', no trailing '/'), got ${describeValue(basePath)}`);
  }
  const historySize = raw.historySize ?? 60;
  if (typeof historySize !== 'number' || !Number.isInteger(historySize) || historySize < 1 || historySize > 10_000) {
    throw new InvalidOptionError('historySize', historySize, `Expected \`historySize\` to be an integer from 1 to 10000, got ${describeValue(historySize)}`);
  }
  const dashboard = raw.dashboard ?? true;
  if (typeof dashboard !== 'boolean') {
    throw new InvalidOptionError('dashboard', dashboard, `Expected \`dashboard\` to be a boolean, got ${describeValue(dashboard)}`);
  }

  const history = new RunHistory(historySize);
  const attention = new AttentionIndex(scheduler);
  // One listener per event: `run:end` is on the path of every run of every job.
  const offs = [
    scheduler.on('run:end', (event) => {
      history.record(event);
      attention.runEnd(event);
    }),
    scheduler.on('run:stuck', (event) => attention.runStuck(event)),
    scheduler.on('run:retry', (event) => attention.runRetry(event)),
    scheduler.on('job:state', (event) => {
      attention.jobState(event);
      if (event.to === 'removed' && event.reason === 'removed') history.forget(event.job);
    }),
  ];
  // A stopped scheduler has no jobs left, only its last snapshot, which it keeps.
  const stopped = (): boolean => scheduler.state === 'stopped';

  /** The history of the jobs asked for: named, or those of a page. */
  const historyOf = (query: URLSearchParams): JobHistory[] => {
    const asked = parseHistoryQuery(query);
    if ('names' in asked) return history.of(asked.names);
    if (stopped()) return history.of(finalPageJobs(scheduler.inspect(), asked.page).page.map((job) => job.name));
    return history.of(livePageJobs(scheduler, attention, asked.page).page.map((job) => job.name));
  };

  const health = (): HealthReport => {
    if (stopped()) return healthOf(scheduler.inspect());
    const summary = scheduler.summary();
    const { problems, count } = liveProblems(scheduler, attention, MAX_REASONS);
    return healthReport(summary.state, summary.at, problems, count);
  };

  const jobOr404 = (name: string): Job => {
    const job = scheduler.get(name);
    if (job === undefined) throw new HttpError(404, 'job_not_found', `No job named ${JSON.stringify(name)}`);
    return job;
  };

  const authorize = (req: IncomingMessage): void => {
    if (auth === undefined) {
      throw new HttpError(403, 'actions_disabled', 'Admin actions are disabled: no token is configured (pass createAdminHandler(scheduler, { token }))');
    }
    const result = auth.check(req.headers.authorization);
    if (result !== 'ok') {
      throw new HttpError(401, 'unauthorized', result === 'missing' ? 'Missing Authorization: Bearer <token> header' : 'Invalid bearer token', {
        'www-authenticate': `Bearer realm="tickguard"${result === 'invalid' ? ', error="invalid_token"' : ''}`,
      });
    }
  };

  const trigger = async (res: ServerResponse, name: string, wait: boolean): Promise<void> => {
    const job = jobOr404(name);
    if (scheduler.state !== 'running') throw new HttpError(409, 'scheduler_stopped', `The scheduler is ${scheduler.state}; no tick can start`);
    const pending = job.trigger();
    // Whatever the response, the outcome is observed: a rejection must not go unhandled.
    const settled = pending.then((result) => ({ result }), (error: unknown) => ({ error: toError(error) }));
    // A tick that was skipped or dropped (or ran synchronously) settles within the current turn;
    // one that started does not. One turn of the event loop tells the two apart.
    const early = wait ? await settled : await Promise.race([settled, nextTurn()]);
    if (early === undefined) {
      sendJson(res, 202, { job: name, status: 'accepted' });
      return;
    }
    if ('error' in early) {
      // Removed (or stopped) between the lookup and the trigger: the job is not there any more.
      if (early.error instanceof JobRemovedError) throw new HttpError(404, 'job_not_found', early.error.message);
      throw new HttpError(409, 'trigger_refused', early.error.message);
    }
    sendJson(res, early.result.status === 'completed' ? 200 : 409, triggerBody(name, early.result));
  };

  /** `prefix`: where a framework adapter mounted the handler, in front of `basePath`. */
  const serve = async (req: IncomingMessage, res: ServerResponse, prefix: string): Promise<void> => {
    const url = req.url ?? '';
    if (!url.startsWith('/')) throw new HttpError(400, 'bad_request', 'Expected a request target in origin form (starting with /)');
    const queryAt = url.indexOf('?');
    let path = queryAt === -1 ? url : url.slice(0, queryAt);
    const query = new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
    const base = prefix + basePath;
    if (base !== '') {
      if (path !== base && !path.startsWith(`${base}/`)) throw new HttpError(404, 'not_found', `Not found: the admin endpoint is under ${base}`);
      path = path.slice(base.length) || '/';
    }
    const target = route(segments(path));
    if (target === undefined || (target.kind === 'dashboard' && !dashboard)) {
      throw new HttpError(404, 'not_found', `Not found: ${path.slice(0, 200)}`);
    }
    const method = req.method ?? 'GET';
    if (!target.allow.split(', ').includes(method)) {
      throw new HttpError(405, 'method_not_allowed', `${method} is not allowed here; use ${target.allow}`, { allow: target.allow });
    }
    switch (target.kind) {
      case 'dashboard':
        send(res, 200, 'text/html; charset=utf-8', DASHBOARD_HTML, {
          'content-security-policy': DASHBOARD_CSP,
          'x-frame-options': 'DENY',
          'referrer-policy': 'no-referrer',
        });
        return;
      case 'metrics': {
        if (registry === undefined) {
          throw new HttpError(501, 'metrics_not_configured', 'No metrics registry: pass createAdminHandler(scheduler, { registry }) with the registry given to registerMetrics()');
        }
        const text = await registry.metrics();
        send(res, 200, registry.contentType || 'text/plain; version=0.0.4; charset=utf-8', text);
        return;
      }
      case 'jobs': {
        const page = parseJobsQuery(query);
        sendJson(res, 200, stopped() ? finalPage(scheduler, page) : livePage(scheduler, attention, page));
        return;
      }
      case 'job':
        sendJson(res, 200, jobOr404(target.name).inspect());
        return;
      case 'history':
        sendJson(res, 200, { at: scheduler.summary().at, jobs: historyOf(query) } satisfies HistoryResponse);
        return;
      case 'healthz': {
        const report = health();
        sendJson(res, report.status === 'ok' ? 200 : 503, report);
        return;
      }
      case 'action': {
        // The body means nothing here; read it away so that keep-alive connections stay usable.
        req.resume();
        authorize(req);
        if (target.action === 'trigger') {
          await trigger(res, target.name, isTrue(query.get('wait')));
          return;
        }
        const job = jobOr404(target.name);
        try {
          if (target.action === 'pause') job.pause();
          else job.resume();
        } catch (error) {
          throw new HttpError(404, 'job_not_found', toError(error).message);
        }
        sendJson(res, 200, job.inspect());
        return;
      }
    }
  };

  const serveOrFail = (req: IncomingMessage, res: ServerResponse, prefix: string): void => {
    serve(req, res, prefix).catch((caught: unknown) => {
      const error = caught instanceof HttpError ? caught : new HttpError(500, 'internal_error', `tickguard admin handler failed: ${toError(caught).message}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      try {
        sendError(res, error);
      } catch {
        // Writing failed too (the socket is gone): nothing is left to tell.
        res.destroy();
      }
    });
  };
  const handler = ((req: IncomingMessage, res: ServerResponse): void => serveOrFail(req, res, '')) as AdminHandler;
  registerMount(handler, serveOrFail);

  let disposed = false;
  handler.dispose = (): void => {
    if (disposed) return;
    disposed = true;
    for (const off of offs) off();
  };
  handler[Symbol.dispose] = handler.dispose;
  return handler;
}
