/**
 * `tickguard/http`: the admin handler behind a real `node:http` server on 127.0.0.1 (ephemeral
 * port), exercised with fetch and with raw sockets for requests fetch refuses to send. The
 * scheduler runs on the TestClock; only network I/O is waited for.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createScheduler, InvalidOptionError, TestClock, type Scheduler } from '../../src/index.js';
import { createAdminHandler, type AdminHandler, type AdminOptions } from '../../src/integrations/http.js';
import { registerMetrics } from '../../src/integrations/prometheus.js';
import { parseSamples, valueOf } from './prom-text.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const TOKEN = 's3cr3t-token-for-tests-0123456789';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Harness {
  clock: TestClock;
  scheduler: Scheduler;
  handler: AdminHandler;
  base: string;
  port: number;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return (server.address() as AddressInfo).port;
}

async function setup(options: AdminOptions = {}, clock = new TestClock(T0)): Promise<Harness> {
  const scheduler = createScheduler({ clock });
  cleanups.push(async () => {
    const stopping = scheduler.stop({ timeout: '1s' });
    await clock.advance(60_000);
    await stopping;
  });
  const handler = createAdminHandler(scheduler, options);
  cleanups.push(() => handler.dispose());
  const port = await listen(createServer(handler));
  return { clock, scheduler, handler, port, base: `http://127.0.0.1:${port}` };
}

const auth = (token = TOKEN) => ({ authorization: `Bearer ${token}` });
const post = (url: string, headers: Record<string, string> = {}, body?: string) => fetch(url, { method: 'POST', headers, ...(body === undefined ? {} : { body }) });

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  return body.error;
}

/** Sends bytes as they are on a fresh connection and returns the raw response. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => { data += chunk; });
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

/** A request with a path exactly as given (fetch would normalize or refuse it). */
function requestPath(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('GET /jobs', () => {
  it('serves the inspect() snapshot as JSON', async () => {
    const { clock, scheduler, base } = await setup();
    scheduler.add({ name: 'report', fixedRate: '1s', run: async (ctx) => clock.sleep(300, ctx.signal) });
    scheduler.add({ name: 'digest', cron: '0 8 * * *', run: () => {} });
    await clock.advance(2_100);

    const response = await fetch(`${base}/jobs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual(JSON.parse(JSON.stringify(scheduler.inspect())));
  });

  it('serves one job by its URL-encoded name, and 404 for an unknown one', async () => {
    const { scheduler, base } = await setup();
    scheduler.add({ name: 'reports/daily ü', fixedRate: '1h', run: () => {} });

    const response = await fetch(`${base}/jobs/${encodeURIComponent('reports/daily ü')}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ name: 'reports/daily ü', state: 'active', schedule: { kind: 'fixedRate' } });

    const missing = await fetch(`${base}/jobs/nope`);
    expect(missing.status).toBe(404);
    expect(await errorOf(missing)).toEqual({ code: 'job_not_found', message: 'No job named "nope"' });
  });

  it('answers HEAD like GET, without a body', async () => {
    const { base } = await setup();
    const response = await fetch(`${base}/jobs`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await response.text()).toBe('');
  });
});

describe('GET /metrics', () => {
  it('serves the registry\'s text, with counts equal to the runs counted by the tasks', async () => {
    const clock = new TestClock(T0);
    const registry = new Registry();
    const { scheduler, base } = await setup({ registry }, clock);
    const metrics = registerMetrics(scheduler, { registry });
    cleanups.push(() => metrics.unregister());
    const ran = { ok: 0, failing: 0 };
    scheduler.add({ name: 'ok', fixedRate: '1s', run: async (ctx) => { ran.ok += 1; await clock.sleep(200, ctx.signal); } });
    scheduler.add({ name: 'failing', fixedRate: '2s', run: () => { ran.failing += 1; throw new Error('nope'); } });
    await clock.advance(10_500);

    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(registry.contentType);
    const samples = parseSamples(await response.text());
    expect(ran).toEqual({ ok: 10, failing: 5 });
    expect(valueOf(samples, 'tickguard_runs_total', { job: 'ok', outcome: 'success' })).toBe(ran.ok);
    expect(valueOf(samples, 'tickguard_runs_total', { job: 'failing', outcome: 'error' })).toBe(ran.failing);
    expect(valueOf(samples, 'tickguard_ticks_total', { job: 'ok', result: 'started' })).toBe(ran.ok);
    expect(valueOf(samples, 'tickguard_run_duration_seconds_sum', { job: 'ok' })).toBeCloseTo(ran.ok * 0.2, 9);
    expect(valueOf(samples, 'tickguard_runs_in_flight', { job: 'ok' })).toBe(0);
  });

  it('answers 501 with a clear message when no registry was given', async () => {
    const { base } = await setup();
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(501);
    expect(await errorOf(response)).toEqual({
      code: 'metrics_not_configured',
      message: 'No metrics registry: pass createAdminHandler(scheduler, { registry }) with the registry given to registerMetrics()',
    });
  });

  it('answers 500 when the registry fails, and keeps serving', async () => {
    const failing = { contentType: 'text/plain', metrics: () => Promise.reject(new Error('collector exploded')) };
    const { base } = await setup({ registry: failing });
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(500);
    expect(await errorOf(response)).toEqual({ code: 'internal_error', message: 'tickguard admin handler failed: collector exploded' });
    expect((await fetch(`${base}/jobs`)).status).toBe(200);
  });
});

describe('GET /healthz', () => {
  it('is 200 while nothing is wrong, paused-by-hand jobs included', async () => {
    const { scheduler, base } = await setup();
    scheduler.add({ name: 'fine', fixedRate: '1s', run: () => {} }).pause();
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', scheduler: 'running', at: new Date(T0).toISOString(), reasons: [] });
  });

  it('is 503 with the reasons when a run is stuck or a job paused itself after failures', async () => {
    const { clock, scheduler, base } = await setup({ token: TOKEN });
    scheduler.add({ name: 'stubborn', fixedRate: '1m', timeout: '1s', stuckAfter: '5s', run: async () => clock.sleep(60_000) });
    scheduler.add({ name: 'broken', fixedRate: '1s', maxConsecutiveFailures: 3, run: () => { throw new Error('db down'); } });
    await clock.advance(66_000);

    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      status: 'unhealthy',
      scheduler: 'running',
      at: new Date(T0 + 66_000).toISOString(),
      reasons: [
        { job: 'stubborn', problem: 'stuck', message: 'Job "stubborn" has 1 run stuck past stuckAfter (the oldest running for 6000 ms)' },
        { job: 'broken', problem: 'paused-by-failures', message: 'Job "broken" paused itself after 3 failed runs in a row (last error: db down)' },
      ],
    });

    // Resuming the paused job clears one reason.
    expect((await post(`${base}/jobs/broken/resume`, auth())).status).toBe(200);
    const after = await fetch(`${base}/healthz`);
    expect(after.status).toBe(503);
    expect(((await after.json()) as { reasons: { problem: string }[] }).reasons.map((r) => r.problem)).toEqual(['stuck']);
  });
});

describe('POST /jobs/:name/trigger|pause|resume', () => {
  it('is disabled (403) without a configured token', async () => {
    const { scheduler, base } = await setup();
    scheduler.add({ name: 'a', fixedRate: '1h', run: () => {} });
    const response = await post(`${base}/jobs/a/trigger`, auth());
    expect(response.status).toBe(403);
    expect(await errorOf(response)).toEqual({
      code: 'actions_disabled',
      message: 'Admin actions are disabled: no token is configured (pass createAdminHandler(scheduler, { token }))',
    });
    expect(scheduler.inspect().jobs[0]?.counters.ticks).toBe(0);
  });

  it('answers 401 without a token, with a wrong one, or one of another length', async () => {
    const { scheduler, base } = await setup({ token: TOKEN });
    scheduler.add({ name: 'a', fixedRate: '1h', run: () => {} });
    const cases: [Record<string, string>, string][] = [
      [{}, 'Missing Authorization: Bearer <token> header'],
      [auth('x'), 'Invalid bearer token'],
      [auth(`${TOKEN}x`), 'Invalid bearer token'],
      [auth(TOKEN.replace('s', 'S')), 'Invalid bearer token'],
      [{ authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` }, 'Invalid bearer token'],
      [{ authorization: `Bearer ${TOKEN} extra` }, 'Invalid bearer token'],
    ];
    for (const [headers, message] of cases) {
      const response = await post(`${base}/jobs/a/pause`, headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="tickguard"/);
      expect((await errorOf(response)).message).toBe(message);
    }
    expect(scheduler.get('a')?.state).toBe('active');
  });

  it('checks the token before saying whether a job exists', async () => {
    const { base } = await setup({ token: TOKEN });
    expect((await post(`${base}/jobs/ghost/trigger`)).status).toBe(401);
    const response = await post(`${base}/jobs/ghost/trigger`, auth());
    expect(response.status).toBe(404);
    expect(await errorOf(response)).toEqual({ code: 'job_not_found', message: 'No job named "ghost"' });
  });

  it('trigger answers 202 at once, without waiting for the run to end', async () => {
    const { clock, scheduler, base } = await setup({ token: TOKEN });
    let started = 0;
    let ended = 0;
    scheduler.add({ name: 'long', fixedRate: '1h', run: async (ctx) => { started += 1; await clock.sleep(30_000, ctx.signal); ended += 1; } });

    const response = await post(`${base}/jobs/long/trigger`, auth());
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ job: 'long', status: 'accepted' });
    expect([started, ended]).toEqual([1, 0]);
    expect(scheduler.inspect().jobs[0]?.inFlight).toBe(1);

    await clock.advance(30_000);
    expect([started, ended]).toEqual([1, 1]);
    expect(scheduler.inspect().jobs[0]?.lastRun).toMatchObject({ outcome: 'success', durationMs: 30_000 });
  });

  it('trigger?wait=true answers with the outcome once the run ended', async () => {
    const { clock, scheduler, base } = await setup({ token: TOKEN });
    let started = false;
    scheduler.add({
      name: 'job', fixedRate: '1h',
      run: async (ctx) => {
        started = true;
        await clock.sleep(1_200, ctx.signal);
        throw new Error('it broke');
      },
    });

    const pending = post(`${base}/jobs/job/trigger?wait=true`, auth());
    await vi.waitFor(() => expect(started).toBe(true));
    await clock.advance(1_200);
    const response = await pending;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      job: 'job', status: 'completed', outcome: 'error', attempts: 1, durationMs: 1_200, error: { name: 'Error', message: 'it broke' },
    });
  });

  it('trigger answers 409 with the reason when the tick is skipped', async () => {
    const { clock, scheduler, base } = await setup({ token: TOKEN });
    const job = scheduler.add({ name: 'busy', fixedRate: '1s', run: async (ctx) => clock.sleep(5_000, ctx.signal) });
    await clock.advance(1_000);

    const busy = await post(`${base}/jobs/busy/trigger`, auth());
    expect(busy.status).toBe(409);
    expect(await busy.json()).toEqual({ job: 'busy', status: 'skipped', reason: 'busy' });

    job.pause();
    const paused = await post(`${base}/jobs/busy/trigger?wait=1`, auth());
    expect(paused.status).toBe(409);
    expect(await paused.json()).toEqual({ job: 'busy', status: 'skipped', reason: 'paused' });
  });

  it('pause and resume answer 200 with the job\'s snapshot', async () => {
    const { clock, scheduler, base } = await setup({ token: TOKEN });
    let runs = 0;
    scheduler.add({ name: 'a', fixedRate: '1s', run: () => { runs += 1; } });

    const paused = await post(`${base}/jobs/a/pause`, auth());
    expect(paused.status).toBe(200);
    expect(await paused.json()).toMatchObject({ name: 'a', state: 'paused', pauseReason: 'manual' });
    await clock.advance(3_000);
    expect(runs).toBe(0);

    const resumed = await post(`${base}/jobs/a/resume`, auth());
    expect(resumed.status).toBe(200);
    expect(await resumed.json()).toMatchObject({ name: 'a', state: 'active', pauseReason: null });
    await clock.advance(2_000);
    expect(runs).toBe(2);
  });

  it('answers 409 while the scheduler is stopping, 404 once it has stopped', async () => {
    const { clock, scheduler, base } = await setup({ token: TOKEN });
    scheduler.add({ name: 'a', fixedRate: '1s', run: async (ctx) => clock.sleep(5_000, ctx.signal) });
    await clock.advance(1_000);
    const stopping = scheduler.stop();

    const refused = await post(`${base}/jobs/a/trigger`, auth());
    expect(refused.status).toBe(409);
    expect(await errorOf(refused)).toEqual({ code: 'scheduler_stopped', message: 'The scheduler is stopping; no tick can start' });

    await clock.advance(5_000);
    await stopping;
    // A stopped scheduler holds no jobs any more.
    expect((await post(`${base}/jobs/a/trigger`, auth())).status).toBe(404);
  });

  it('drains a request body and keeps the connection usable', async () => {
    const { scheduler, base } = await setup({ token: TOKEN });
    scheduler.add({ name: 'a', fixedRate: '1h', run: () => {} });
    const response = await post(`${base}/jobs/a/pause`, { ...auth(), 'content-type': 'application/json' }, JSON.stringify({ ignored: 'x'.repeat(100_000) }));
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    expect((await fetch(`${base}/jobs/a`)).status).toBe(200);
  });
});

describe('routing and malformed input', () => {
  it('answers 405 with an Allow header for a wrong method', async () => {
    const { scheduler, base } = await setup({ token: TOKEN });
    scheduler.add({ name: 'a', fixedRate: '1h', run: () => {} });
    const cases: [string, string, string][] = [
      ['GET', '/jobs/a/trigger', 'POST'],
      ['DELETE', '/jobs/a/pause', 'POST'],
      ['POST', '/jobs', 'GET, HEAD'],
      ['PUT', '/metrics', 'GET, HEAD'],
      ['DELETE', '/jobs/a', 'GET, HEAD'],
      ['POST', '/', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const response = await fetch(`${base}${path}`, { method, headers: auth() });
      expect([method, path, response.status, response.headers.get('allow')]).toEqual([method, path, 405, allow]);
      expect((await errorOf(response)).code).toBe('method_not_allowed');
    }
  });

  it('answers 404 for unknown paths', async () => {
    const { base } = await setup();
    for (const path of ['/nope', '/jobs/a/explode', '/jobs/a/trigger/more', '/metrics/x']) {
      const response = await fetch(`${base}${path}`);
      expect([path, response.status]).toEqual([path, 404]);
    }
  });

  it('answers 400 for malformed percent-encoding, and never crashes', async () => {
    const { scheduler, port } = await setup({ token: TOKEN });
    scheduler.add({ name: 'a', fixedRate: '1h', run: () => {} });
    for (const path of ['/jobs/%E0%A4%A', '/jobs/%', '/jobs/%zz/pause', '/jobs/%C0%AF']) {
      const { status, body } = await requestPath(port, path);
      expect([path, status]).toEqual([path, 400]);
      expect(JSON.parse(body)).toMatchObject({ error: { code: 'bad_request' } });
    }
    // Oddities that decode fine are just names that do not exist.
    for (const path of ['/jobs/..%2F..%2Fetc%2Fpasswd', '/jobs/%00', '/jobs/' + 'a'.repeat(8_000)]) {
      expect((await requestPath(port, path)).status).toBe(404);
    }
    expect((await requestPath(port, '/jobs/a')).status).toBe(200);
  });

  it('answers 400 to a request target that is not a path, over a raw socket', async () => {
    const { port } = await setup();
    const asterisk = await rawRequest(port, 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(asterisk).toMatch(/^HTTP\/1\.1 400 /);
    const absolute = await rawRequest(port, 'GET http://evil.example/jobs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(absolute).toMatch(/^HTTP\/1\.1 400 /);
    const doubleSlash = await rawRequest(port, 'GET //jobs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(doubleSlash).toMatch(/^HTTP\/1\.1 404 /);
  });

  it('serves under a basePath and nowhere else', async () => {
    const { scheduler, base } = await setup({ basePath: '/admin' });
    scheduler.add({ name: 'a', fixedRate: '1h', run: () => {} });
    expect((await fetch(`${base}/admin/jobs`)).status).toBe(200);
    expect((await fetch(`${base}/admin/jobs/a`)).status).toBe(200);
    expect((await fetch(`${base}/admin`)).headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect((await fetch(`${base}/admin/`)).status).toBe(200);
    expect((await fetch(`${base}/jobs`)).status).toBe(404);
    expect((await fetch(`${base}/administrator/jobs`)).status).toBe(404);
  });
});

describe('dashboard and history', () => {
  it('serves the dashboard with a strict Content-Security-Policy and no remote resources', async () => {
    const { base } = await setup();
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*'/);
    expect(csp).toMatch(/connect-src 'self'/);
    const html = await response.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
  });

  it('can be turned off', async () => {
    const { base } = await setup({ dashboard: false });
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/jobs`)).status).toBe(200);
  });

  it('keeps the last historySize runs of each job', async () => {
    const { clock, scheduler, base } = await setup({ historySize: 3 });
    let n = 0;
    scheduler.add({ name: 'a', fixedRate: '1s', run: async (ctx) => { n += 1; await clock.sleep(n * 10, ctx.signal); if (n === 5) throw new Error('x'); } });
    await clock.advance(5_500);

    const response = await fetch(`${base}/history`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      at: new Date(T0 + 5_500).toISOString(),
      jobs: [{
        name: 'a',
        runs: [
          { tick: 3, endedAt: new Date(T0 + 3_030).toISOString(), durationMs: 30, outcome: 'success' },
          { tick: 4, endedAt: new Date(T0 + 4_040).toISOString(), durationMs: 40, outcome: 'success' },
          { tick: 5, endedAt: new Date(T0 + 5_050).toISOString(), durationMs: 50, outcome: 'error' },
        ],
      }],
    });
  });

  it('dispose() stops recording history', async () => {
    const { clock, scheduler, handler, base } = await setup();
    scheduler.add({ name: 'a', fixedRate: '1s', run: () => {} });
    await clock.advance(2_000);
    handler.dispose();
    handler.dispose();
    await clock.advance(2_000);
    const body = (await (await fetch(`${base}/history`)).json()) as { jobs: { runs: unknown[] }[] };
    expect(body.jobs[0]?.runs).toHaveLength(2);
  });
});

describe('createAdminHandler: options', () => {
  it('validates its options with messages that name the option', () => {
    const scheduler = createScheduler({ clock: new TestClock(T0) });
    expect(() => createAdminHandler(scheduler, { token: 'has space' })).toThrow(InvalidOptionError);
    expect(() => createAdminHandler(scheduler, { token: '' })).toThrow(/Expected `token` to be a non-empty string of visible ASCII characters/);
    expect(() => createAdminHandler(scheduler, { token: 42 as never })).toThrow(/got 42 \(number\)/);
    expect(() => createAdminHandler(scheduler, { basePath: '/admin/' })).toThrow(/Expected `basePath` to be '' or a path such as '\/admin'/);
    expect(() => createAdminHandler(scheduler, { historySize: 0 })).toThrow(/Expected `historySize` to be an integer from 1 to 10000, got 0 \(number\)/);
    expect(() => createAdminHandler(scheduler, { registry: {} as never })).toThrow(/Expected `registry` to be a prom-client Registry/);
    expect(() => createAdminHandler(scheduler, { tokn: 'x' } as never)).toThrow(/Unknown option `tokn`.*did you mean `token`/);
  });

  it('never puts the token in an error message', () => {
    const scheduler = createScheduler({ clock: new TestClock(T0) });
    try {
      createAdminHandler(scheduler, { token: 'super secret' });
      expect.unreachable();
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('super secret');
      expect((error as InvalidOptionError).value).toBe('(redacted)');
    }
  });
});
