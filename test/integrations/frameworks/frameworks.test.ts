/**
 * The admin handler mounted at `/admin` in real Express, Fastify and Koa apps, each next to a
 * route of the app's own, exactly as the README shows it: the same requests get the same
 * answers in all three — the routes, the token check (missing, wrong, right; with a body the
 * framework would parse), a 404 inside the mount, the app's own route untouched — and the
 * dashboard page renders its jobs in headless Chromium (skipped with a notice where Chromium is
 * missing outside CI). The scheduler runs on the TestClock; only network I/O is waited for.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createScheduler, TestClock, type Scheduler } from '../../../src/index.js';
import { createAdminHandler, fastifyAdmin, koaAdmin, type AdminHandler } from '../../../src/integrations/http.js';
import { CHROMIUM_ARGS, findChromium } from '../../support/chromium.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const TOKEN = 'framework-token-0123456789abcdef';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const executablePath = findChromium('framework dashboard tests');
let browser: Browser | undefined;
beforeAll(async () => {
  if (executablePath !== undefined) browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
});
afterAll(async () => {
  await browser?.close();
});

async function listening(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Each framework's app: the admin handler at /admin (as in the README), and a route of its own at /hello. */
const FRAMEWORKS: Record<string, (admin: AdminHandler) => Promise<string>> = {
  express: async (admin) => {
    const app = express();
    app.use(express.json());
    app.use('/admin', admin);
    app.get('/hello', (_req, res) => void res.send('hello from express'));
    return listening(createServer(app));
  },
  fastify: async (admin) => {
    const app = Fastify();
    await app.register(fastifyAdmin(admin), { prefix: '/admin' });
    app.get('/hello', async () => 'hello from fastify');
    await app.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => app.close());
    return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  },
  koa: async (admin) => {
    const app = new Koa();
    app.use(koaAdmin(admin, { prefix: '/admin' }));
    app.use((ctx) => {
      if (ctx.path === '/hello') ctx.body = 'hello from koa';
    });
    return listening(createServer(app.callback()));
  },
};

async function start(framework: string): Promise<{ clock: TestClock; scheduler: Scheduler; origin: string; runs: () => number }> {
  const clock = new TestClock(T0);
  const scheduler = createScheduler({ clock });
  let runs = 0;
  scheduler.add({ name: 'refresh-cache', fixedRate: '10s', run: () => { runs += 1; } });
  cleanups.push(async () => {
    const stopping = scheduler.stop({ timeout: '1s' });
    await clock.advance(60_000);
    await stopping;
  });
  const admin = createAdminHandler(scheduler, { token: TOKEN });
  cleanups.push(() => admin.dispose());
  const origin = await FRAMEWORKS[framework]!(admin);
  return { clock, scheduler, origin, runs: () => runs };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const codeOf = async (response: Response) => ((await response.json()) as { error: { code: string } }).error.code;

describe.each(Object.keys(FRAMEWORKS))('the admin handler mounted in %s', (framework) => {
  it('serves the routes under /admin and leaves the app’s own routes alone', async () => {
    const { clock, origin } = await start(framework);
    await clock.advance(10_000);

    const jobs = await fetch(`${origin}/admin/jobs`);
    expect(jobs.status).toBe(200);
    expect(((await jobs.json()) as { jobs: { name: string; counters: { started: number } }[] }).jobs.map((j) => [j.name, j.counters.started])).toEqual([['refresh-cache', 1]]);
    expect((await fetch(`${origin}/admin/jobs/refresh-cache`)).status).toBe(200);
    const health = await fetch(`${origin}/admin/healthz`);
    expect([health.status, ((await health.json()) as { status: string }).status]).toEqual([200, 'ok']);

    const missing = await fetch(`${origin}/admin/nothing-here`);
    expect([missing.status, await codeOf(missing)]).toEqual([404, 'not_found']);
    expect(await (await fetch(`${origin}/hello`)).text()).toBe(`hello from ${framework}`);
  });

  it('passes the query through: pages, filters, next, a 400 for a repeated parameter, HEAD', async () => {
    const { scheduler, origin } = await start(framework);
    for (const name of ['a+b', 'A b', 'c&d', 'a?b']) scheduler.add({ name, fixedRate: '1h', run: () => {} });
    type Page = { matched: number; next: string | null; jobs: { name: string }[] };
    const url = `${origin}/admin/jobs?limit=1&name=${encodeURIComponent('B')}`;
    const first = (await (await fetch(url)).json()) as Page;
    expect([first.matched, first.jobs.map((job) => job.name), first.next]).toEqual([3, ['a+b'], '?limit=1&offset=1&name=B']);
    const second = (await (await fetch(new URL(first.next!, url))).json()) as Page;
    expect(second.jobs.map((job) => job.name)).toEqual(['A b']);
    const literal = (await (await fetch(`${origin}/admin/jobs?name=${encodeURIComponent('c&d')}`)).json()) as Page;
    expect(literal.jobs.map((job) => job.name)).toEqual(['c&d']);
    const history = (await (await fetch(`${origin}/admin/history?offset=4&limit=1`)).json()) as { jobs: { name: string }[] };
    expect(history.jobs.map((job) => job.name)).toEqual(['a?b']);
    const repeated = await fetch(`${origin}/admin/jobs?limit=1&limit=2`);
    expect([repeated.status, await codeOf(repeated)]).toEqual([400, 'bad_query']);
    const head = await fetch(`${origin}/admin/jobs?limit=1`, { method: 'HEAD' });
    expect([head.status, await head.text()]).toEqual([200, '']);
  });

  it('checks the token on actions: missing and wrong are refused, the right one triggers a run', async () => {
    const { origin, runs } = await start(framework);
    const trigger = `${origin}/admin/jobs/refresh-cache/trigger?wait=true`;

    const missing = await fetch(trigger, { method: 'POST' });
    expect([missing.status, await codeOf(missing)]).toEqual([401, 'unauthorized']);
    const wrong = await fetch(trigger, { method: 'POST', headers: bearer('not-the-token') });
    expect([wrong.status, await codeOf(wrong), wrong.headers.get('www-authenticate')]).toEqual([401, 'unauthorized', 'Bearer realm="tickguard", error="invalid_token"']);
    // A body of a type the framework would parse (or refuse) still reaches the token check.
    const withBody = await fetch(trigger, { method: 'POST', headers: { ...bearer('not-the-token'), 'content-type': 'application/x-www-form-urlencoded' }, body: 'x=1' });
    expect(withBody.status).toBe(401);
    expect(runs()).toBe(0);

    const right = await fetch(trigger, { method: 'POST', headers: { ...bearer(TOKEN), 'content-type': 'application/json' }, body: '{}' });
    expect(right.status).toBe(200);
    expect(await right.json()).toMatchObject({ job: 'refresh-cache', status: 'completed', outcome: 'success', attempts: 1 });
    expect(runs()).toBe(1);

    const pause = await fetch(`${origin}/admin/jobs/refresh-cache/pause`, { method: 'POST', headers: bearer(TOKEN) });
    expect([pause.status, ((await pause.json()) as { state: string }).state]).toEqual([200, 'paused']);
    const getAction = await fetch(`${origin}/admin/jobs/refresh-cache/resume`);
    expect([getAction.status, getAction.headers.get('allow')]).toEqual([405, 'POST']);
  });

  it('serves the dashboard page at /admin/ with its security headers', async () => {
    const { origin } = await start(framework);
    for (const path of ['/admin', '/admin/']) {
      const page = await fetch(`${origin}${path}`);
      expect(page.status, path).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(await page.text()).toContain('<tbody id="jobs">');
    }
  });

  it.skipIf(executablePath === undefined)('the dashboard renders the jobs in a browser, its requests staying under the mount', async () => {
    const { clock, origin } = await start(framework);
    await clock.advance(10_000);
    const context = await browser!.newContext();
    cleanups.push(() => context.close());
    const page = await context.newPage();
    const problems: string[] = [];
    const requested: string[] = [];
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console.error: ${message.text()}`);
    });
    page.on('request', (request) => requested.push(new URL(request.url()).pathname));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
    });
    await page.goto(`${origin}/admin/?refresh=100`);
    await page.locator('tbody#jobs tr[data-job="refresh-cache"]', { hasText: 'runs 1' }).waitFor();
    expect(problems).toEqual([]);
    expect(requested.length).toBeGreaterThan(1);
    expect(requested.filter((path) => !path.startsWith('/admin/'))).toEqual([]);
  });
});
