/**
 * `tickguard/http`: the admin handler behind a real `node:http` server on 127.0.0.1 (ephemeral
 * port), exercised with fetch and with raw sockets for requests fetch refuses to send. The
 * scheduler runs on the TestClock; only network I/O is waited for.
 */
import { createServer, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { createScheduler, InvalidOptionError, TestClock, type Scheduler } from '../../src/index.js';
import { createAdminHandler } from '../../src/integrations/http.js';
import { registerMetrics } from '../../src/integrations/prometheus.js';
import { healthOf } from '../../src/integrations/health.js';
import { parseSamples, valueOf } from './prom-text.js';
import { afterThisTest, listen, startAdmin, T0, useAdminCleanups } from './admin-harness.js';

const TOKEN = 's3cr3t-token-for-tests-0123456789';

useAdminCleanups();
const setup = startAdmin;

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
  it('serves a page of inspect() snapshots with the scheduler\'s totals', async () => {
    const { clock, scheduler, base } = await setup();
    scheduler.add({ name: 'report', fixedRate: '1s', run: async (ctx) => clock.sleep(300, ctx.signal) });
    scheduler.add({ name: 'digest', cron: '0 8 * * *', run: () => {} });
    await clock.advance(2_100);

    const response = await fetch(`${base}/jobs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const snapshot = scheduler.inspect();
    expect(await response.json()).toEqual(JSON.parse(JSON.stringify({
      state: snapshot.state,
      at: snapshot.at,
      coordinator: snapshot.coordinator,
      totals: { jobs: { total: 2, active: 2, paused: 0, done: 0, removed: 0 }, inFlight: 1, stuckRuns: 0, attention: { stuck: 0, failing: 0, pausedByFailures: 0 } },
      problems: [],
      problemCount: 0,
      matched: 2,
      offset: 0,
      limit: 100,
      next: null,
      jobs: snapshot.jobs,
    })));
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

interface PageBody {
  matched: number;
  offset: number;
  limit: number | null;
  next: string | null;
  jobs: { name: string; state: string }[];
  totals: { jobs: Record<string, number>; inFlight: number; stuckRuns: number; attention: { stuck: number; failing: number; pausedByFailures: number } };
  problems: { job: string; problem: string; message: string }[];
  problemCount: number;
}

async function page(url: string): Promise<PageBody> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return (await response.json()) as PageBody;
}

const names = (body: { jobs: { name: string }[] }): string[] => body.jobs.map((job) => job.name);

describe('GET /jobs: pages and filters', () => {
  it('pages through the jobs in the order they were added, following `next`', async () => {
    const { scheduler, base } = await setup();
    for (const name of ['a', 'b', 'c', 'd', 'e']) scheduler.add({ name, fixedRate: '1h', run: () => {} });

    const seen: string[][] = [];
    let url: string | null = `${base}/jobs?limit=2`;
    while (url !== null) {
      const body = await page(url);
      expect(body.matched).toBe(5);
      expect(body.limit).toBe(2);
      seen.push(names(body));
      url = body.next === null ? null : new URL(body.next, url).href;
    }
    expect(seen).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect((await page(`${base}/jobs?limit=2&offset=2`)).next).toBe('?limit=2&offset=4');
    // Past the end: an empty page, still with the count.
    expect(await page(`${base}/jobs?offset=9`)).toMatchObject({ matched: 5, offset: 9, jobs: [], next: null });
  });

  it('keeps the order of add() across removals and a name added again', async () => {
    const { clock, scheduler, base } = await setup();
    for (const name of ['a', 'b', 'c']) scheduler.add({ name, fixedRate: '1h', run: () => {} });
    const removing = scheduler.get('a')!.remove();
    await clock.advance(10);
    await removing;
    scheduler.add({ name: 'a', fixedRate: '1h', run: () => {} });
    expect(names(await page(`${base}/jobs`))).toEqual(scheduler.inspect().jobs.map((job) => job.name));
    expect(names(await page(`${base}/jobs`))).toEqual(['b', 'c', 'a']);
    expect(names(await page(`${base}/jobs?limit=1&offset=2`))).toEqual(['a']);
  });

  it('filters by a part of the name (any case, taken literally) and by state, paging the matches', async () => {
    const { scheduler, base } = await setup();
    for (const name of ['Reports.daily', 'reportsXdaily', 'cleanup', 'REPORTS.weekly', 'digest (reports.)']) {
      scheduler.add({ name, fixedRate: '1h', run: () => {} });
    }
    scheduler.get('REPORTS.weekly')!.pause();
    scheduler.get('cleanup')!.pause();

    expect(names(await page(`${base}/jobs?name=reports.`))).toEqual(['Reports.daily', 'REPORTS.weekly', 'digest (reports.)']);
    expect(names(await page(`${base}/jobs?name=${encodeURIComponent('(reports')}`))).toEqual(['digest (reports.)']);
    expect(names(await page(`${base}/jobs?state=paused`))).toEqual(['cleanup', 'REPORTS.weekly']);
    const both = await page(`${base}/jobs?state=active&name=REPORTS&limit=1`);
    expect(both).toMatchObject({ matched: 3, next: '?limit=1&offset=1&name=REPORTS&state=active' });
    expect(names(both)).toEqual(['Reports.daily']);
    expect(names(await page(new URL(both.next!, `${base}/jobs`).href))).toEqual(['reportsXdaily']);
    expect((await page(`${base}/jobs?name=nothing`)).matched).toBe(0);
    // The totals are the scheduler's, whatever the filter.
    expect((await page(`${base}/jobs?name=nothing`)).totals.jobs).toEqual({ total: 5, active: 3, paused: 2, done: 0, removed: 0 });
  });

  it('answers every job only when asked for all of them', async () => {
    const { scheduler, base } = await setup();
    for (let index = 0; index < 250; index++) scheduler.add({ name: `job-${index}`, fixedRate: '1h', run: () => {} });
    const first = await page(`${base}/jobs`);
    expect(first).toMatchObject({ matched: 250, limit: 100, next: '?limit=100&offset=100' });
    expect(first.jobs).toHaveLength(100);
    const all = await page(`${base}/jobs?limit=all`);
    expect(all).toMatchObject({ matched: 250, limit: null, next: null });
    expect(names(all)).toEqual(scheduler.inspect().jobs.map((job) => job.name));
    expect(names(await page(`${base}/jobs?limit=all&offset=240`))).toHaveLength(10);
  });

  it('answers 400 naming the parameter for a bad query', async () => {
    const { base } = await setup();
    const cases: [string, string][] = [
      ['limit=0', "Expected `limit` to be an integer from 1 to 1000 or 'all', got \"0\""],
      ['limit=1001', "Expected `limit` to be an integer from 1 to 1000 or 'all', got \"1001\""],
      ['limit=ten', "Expected `limit` to be an integer from 1 to 1000 or 'all', got \"ten\""],
      ['limit=1.5', "Expected `limit` to be an integer from 1 to 1000 or 'all', got \"1.5\""],
      ['offset=-1', 'Expected `offset` to be an integer from 0 to 1000000000, got "-1"'],
      ['offset=', 'Expected `offset` to be an integer from 0 to 1000000000, got ""'],
      ['state=sleeping', 'Expected `state` to be one of active, paused, done, removed, got "sleeping"'],
      ['attention=broken', 'Expected `attention` to be one of stuck, failing, paused-by-failures, any, got "broken"'],
      ['limit=5&limit=6', 'Expected `limit` at most once, got it 2 times'],
      ['page=2', 'Unknown query parameter "page" for GET /jobs; expected limit, offset, name, state, attention'],
      [`name=${'x'.repeat(201)}`, 'Expected `name` to be at most 200 characters, got 201'],
    ];
    for (const [query, message] of cases) {
      const response = await fetch(`${base}/jobs?${query}`);
      expect(response.status, query).toBe(400);
      expect(await errorOf(response), query).toEqual({ code: 'bad_query', message });
    }
  });

  it('serves the pages of a stopped scheduler from its last snapshot', async () => {
    const { clock, scheduler, base } = await setup();
    for (const name of ['a', 'b', 'c']) scheduler.add({ name, fixedRate: '1s', run: () => { throw new Error('no'); } });
    await clock.advance(1_000);
    const stopping = scheduler.stop();
    await clock.advance(10);
    await stopping;
    const body = await page(`${base}/jobs?limit=2&attention=failing`);
    expect(body).toMatchObject({ matched: 3, next: '?limit=2&offset=2&attention=failing', totals: { jobs: { total: 3, removed: 3 }, attention: { failing: 3 } } });
    expect(names(body)).toEqual(['a', 'b']);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});

/** A deterministic pseudo-random sequence (Park–Miller). */
function random(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 16_807) % 2_147_483_647) / 2_147_483_647;
}

describe('GET /jobs: the attention filter follows the jobs', () => {
  type Mode = 'ok' | 'fail' | 'hang';

  /** Steps at which each kind of attention was seen: a run that never saw one tests nothing of it. */
  const seen = { stuck: 0, failing: 0, 'paused-by-failures': 0 };

  async function expectIndexMatches(base: string, scheduler: Scheduler, step: string): Promise<void> {
    const stats = scheduler.stats().jobs;
    const expected = {
      stuck: stats.filter((job) => job.stuck > 0).map((job) => job.name),
      failing: stats.filter((job) => job.consecutiveFailures > 0).map((job) => job.name),
      'paused-by-failures': stats.filter((job) => job.state === 'paused' && job.pauseReason === 'failures').map((job) => job.name),
    };
    for (const kind of ['stuck', 'failing', 'paused-by-failures'] as const) if (expected[kind].length > 0) seen[kind] += 1;
    const any = stats.filter((job) => [expected.stuck, expected.failing, expected['paused-by-failures']].some((list) => list.includes(job.name))).map((job) => job.name);
    for (const [filter, list] of [...Object.entries(expected), ['any', any] as const]) {
      const body = await page(`${base}/jobs?attention=${filter}&limit=all`);
      expect(names(body), `${step}: attention=${filter}`).toEqual(list);
      expect(body.matched, `${step}: attention=${filter}`).toBe(list.length);
    }
    const body = await page(`${base}/jobs?limit=1`);
    expect(body.totals.attention, step).toEqual({ stuck: expected.stuck.length, failing: expected.failing.length, pausedByFailures: expected['paused-by-failures'].length });
    // And /healthz says what a report computed from every snapshot says.
    const health = await fetch(`${base}/healthz`);
    expect(await health.json(), step).toEqual(JSON.parse(JSON.stringify(healthOf(scheduler.inspect()))));
  }

  for (const seed of [1, 7, 42]) {
    it(`matches stats() after every step of a random run (seed ${seed})`, async () => {
      const { clock, scheduler, base } = await setup({ token: TOKEN });
      const next = random(seed);
      const modes = new Map<string, Mode>();
      let added = 0;
      const add = (): void => {
        const name = `job-${added++}`;
        modes.set(name, 'ok');
        const options = next();
        scheduler.add({
          name,
          fixedRate: '1s',
          stuckAfter: '1500ms',
          ...(options < 0.4 ? { maxConsecutiveFailures: 2 } : {}),
          ...(options > 0.6 ? { retry: { attempts: 2, backoff: '300ms' } } : {}),
          run: async (ctx) => {
            const mode = modes.get(name);
            if (mode === 'hang') await clock.sleep(2_500, ctx.signal);
            if (mode !== 'ok') throw new Error(`${name} failed`);
          },
        });
      };
      for (const kind of Object.keys(seen) as (keyof typeof seen)[]) seen[kind] = 0;
      for (let index = 0; index < 8; index++) add();
      const live = (): string[] => scheduler.inspect().jobs.map((job) => job.name);
      const pick = (): string => { const list = live(); return list[Math.floor(next() * list.length)]!; };

      for (let step = 0; step < 40; step++) {
        const roll = next();
        let action: string;
        if (roll < 0.35) {
          const job = pick();
          const mode: Mode = (['ok', 'fail', 'hang'] as const)[Math.floor(next() * 3)]!;
          modes.set(job, mode);
          action = `${job} → ${mode}`;
        } else if (roll < 0.5) {
          const job = pick();
          const handle = scheduler.get(job)!;
          if (handle.state === 'paused') handle.resume();
          else handle.pause();
          action = `toggle ${job}`;
        } else if (roll < 0.58) {
          const job = pick();
          const removing = scheduler.get(job)!.remove();
          await clock.advance(3_000);
          await removing;
          action = `remove ${job}`;
        } else if (roll < 0.65) {
          add();
          action = 'add';
        } else {
          const ms = 100 + Math.floor(next() * 2_400);
          await clock.advance(ms);
          action = `advance ${ms}`;
        }
        await expectIndexMatches(base, scheduler, `step ${step} (${action})`);
      }
      expect(Object.values(seen).every((steps) => steps > 0), JSON.stringify(seen)).toBe(true);
    });
  }

  it('knows the jobs that needed attention before the handler was created', async () => {
    const clock = new TestClock(T0);
    const scheduler = createScheduler({ clock });
    afterThisTest(async () => {
      const stopping = scheduler.stop({ timeout: '1s' });
      await clock.advance(60_000);
      await stopping;
    });
    scheduler.add({ name: 'fine', fixedRate: '1s', run: () => {} });
    scheduler.add({ name: 'hangs', fixedRate: '1m', stuckAfter: '2s', run: async () => clock.sleep(30_000) });
    scheduler.add({ name: 'flaky', fixedRate: '1s', run: () => { throw new Error('flaky'); } });
    scheduler.add({ name: 'broken', fixedRate: '1s', maxConsecutiveFailures: 2, run: () => { throw new Error('broken'); } });
    await clock.advance(63_000);
    const handler = createAdminHandler(scheduler);
    afterThisTest(() => handler.dispose());
    const base = `http://127.0.0.1:${await listen(createServer(handler))}`;
    await expectIndexMatches(base, scheduler, 'at creation');
    expect(names(await page(`${base}/jobs?attention=any`))).toEqual(['hangs', 'flaky', 'broken']);
    await clock.advance(30_000);
    await expectIndexMatches(base, scheduler, 'later');
  });
});

describe('GET /metrics', () => {
  it('serves the registry\'s text, with counts equal to the runs counted by the tasks', async () => {
    const clock = new TestClock(T0);
    const registry = new Registry();
    const { scheduler, base } = await setup({ registry }, clock);
    const metrics = registerMetrics(scheduler, { registry });
    afterThisTest(() => metrics.unregister());
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

  it('lists the first 100 reasons in the order jobs were added, and counts the others', async () => {
    const { clock, scheduler, base } = await setup();
    for (let index = 0; index < 150; index++) {
      scheduler.add({ name: `job-${index}`, fixedRate: '1s', maxConsecutiveFailures: 1, run: () => { throw new Error('down'); } });
    }
    await clock.advance(1_000);
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { reasons: { job: string }[]; omitted: number };
    expect(body.reasons.map((reason) => reason.job)).toEqual(Array.from({ length: 100 }, (_, index) => `job-${index}`));
    expect(body.omitted).toBe(50);
    const first = await page(`${base}/jobs?limit=1`);
    expect(first.problems.map((problem) => problem.job)).toEqual(Array.from({ length: 10 }, (_, index) => `job-${index}`));
    expect(first.problemCount).toBe(150);
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

  it('serves the history of the jobs named, or of a page, not of every job', async () => {
    const { clock, scheduler, base } = await setup({ historySize: 2 });
    for (const name of ['a', 'b', 'c', 'd']) scheduler.add({ name, fixedRate: '1s', run: async (ctx) => clock.sleep(10, ctx.signal) });
    scheduler.add({ name: 'idle', fixedRate: '1h', run: () => {} });
    await clock.advance(3_500);
    const runsOf = (tick: number): unknown[] => [tick - 1, tick].map((t) => ({ tick: t, endedAt: new Date(T0 + t * 1_000 + 10).toISOString(), durationMs: 10, outcome: 'success' }));
    const get = async (query: string): Promise<{ at: string; jobs: { name: string; runs: unknown[] }[] }> => {
      const response = await fetch(`${base}/history${query}`);
      expect(response.status, query).toBe(200);
      return (await response.json()) as { at: string; jobs: { name: string; runs: unknown[] }[] };
    };

    expect(await get('?job=c&job=idle&job=a')).toEqual({
      at: new Date(T0 + 3_500).toISOString(),
      jobs: [{ name: 'c', runs: runsOf(3) }, { name: 'idle', runs: [] }, { name: 'a', runs: runsOf(3) }],
    });
    // The same query as a page of /jobs: the history of that page's jobs.
    expect((await get('?limit=2&offset=1')).jobs.map((job) => job.name)).toEqual(['b', 'c']);
    expect((await get('?name=c')).jobs).toEqual([{ name: 'c', runs: runsOf(3) }]);
    expect((await get('')).jobs.map((job) => job.name)).toEqual(['a', 'b', 'c', 'd', 'idle']);

    const mixed = await fetch(`${base}/history?job=a&limit=2`);
    expect(mixed.status).toBe(400);
    expect((await errorOf(mixed)).message).toMatch(/either `job` \(repeated\) or the parameters of a page/);
    const unknown = await fetch(`${base}/history?jobs=a`);
    expect(unknown.status).toBe(400);
    expect((await errorOf(unknown)).message).toBe('Unknown query parameter "jobs" for GET /history; expected job, limit, offset, name, state, attention');
  });

  it('keeps a ring per job across growing and wrapping', async () => {
    const { clock, scheduler, base } = await setup({ historySize: 6 });
    let n = 0;
    scheduler.add({ name: 'a', fixedRate: '1s', run: async (ctx) => { n += 1; await clock.sleep(n, ctx.signal); if (n % 3 === 0) throw new Error('x'); } });
    for (const [seconds, ticks] of [[2, [1, 2]], [5, [1, 2, 3, 4, 5]], [6, [1, 2, 3, 4, 5, 6]], [13, [8, 9, 10, 11, 12, 13]]] as const) {
      await clock.advance(seconds * 1_000 + 500 - (clock.now() - T0));
      const body = (await (await fetch(`${base}/history?job=a`)).json()) as { jobs: { runs: { tick: number; durationMs: number; outcome: string }[] }[] };
      expect(body.jobs[0]!.runs).toEqual(ticks.map((tick) => ({ tick, endedAt: expect.any(String), durationMs: tick, outcome: tick % 3 === 0 ? 'error' : 'success' })));
    }
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
