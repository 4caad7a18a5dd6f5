/**
 * The dashboard in headless Chromium (Debian's `chromium`, found on the PATH at run time; the
 * tests are skipped with a notice when it is missing outside CI). The scheduler runs on the TestClock; the
 * page polls on its own, so only the browser is waited for, never the schedule.
 *
 * `TICKGUARD_SCREENSHOT=1 npx vitest run test/integrations/dashboard.test.ts` also writes
 * docs/dashboard.png.
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createScheduler, TestClock, type Scheduler } from '../../src/index.js';
import { createAdminHandler } from '../../src/integrations/http.js';
import { DEFAULT_REFRESH_REQUESTS } from '../../src/integrations/dashboard-page.js';
import { CHROMIUM_ARGS, findChromium } from '../support/chromium.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

const executablePath = findChromium('dashboard tests');

let browser: Browser | undefined;
beforeAll(async () => {
  if (executablePath !== undefined) browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
});
afterAll(async () => {
  await browser?.close();
});

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(scheduler: Scheduler, clock: TestClock): Promise<string> {
  const handler = createAdminHandler(scheduler);
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    handler.dispose();
    const stopping = scheduler.stop({ timeout: '1s' });
    await clock.advance(60_000);
    await stopping;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Opens a page that records every console error, page error, failed or off-origin request. */
async function open(origin: string, path: string): Promise<{ page: Page; problems: string[] }> {
  const context = await browser!.newContext({ viewport: { width: 1360, height: 760 }, deviceScaleFactor: 1 });
  cleanups.push(() => context.close());
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console.${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`requestfailed: ${request.url()} ${request.failure()?.errorText ?? ''}`));
  page.on('request', (request) => {
    if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) problems.push(`remote request: ${request.url()}`);
  });
  await page.goto(`${origin}${path}`);
  return { page, problems };
}

/** Reloads the page; the fetches it cuts short are the reload's doing, not the page's, and are not problems. */
async function reload(page: Page, problems: string[]): Promise<void> {
  const before = problems.length;
  await page.reload();
  await page.waitForSelector('tbody#jobs tr[data-job]');
  const during = problems.splice(before);
  problems.push(...during.filter((problem) => !/^requestfailed: .* net::ERR_ABORTED$/.test(problem)));
}

const rowText = (page: Page, job: string) => page.locator(`tbody#jobs tr[data-job="${job}"]`).innerText();
// Code run in the page is passed as strings (evaluated through the DevTools protocol, which the
// page's CSP does not restrict): the tests are compiled without the DOM library.
const updates = async (page: Page): Promise<number> => Number(await page.evaluate('document.body.dataset.updates || 0'));

describe.skipIf(executablePath === undefined)('dashboard in headless Chromium', () => {
  it('renders the jobs, updates as the scheduler runs, and logs no errors', async () => {
    const clock = new TestClock(T0);
    const scheduler = createScheduler({ clock });
    scheduler.add({ name: 'refresh-cache', fixedRate: '10s', run: async (ctx) => clock.sleep(250 + (ctx.tick % 4) * 100, ctx.signal) });
    scheduler.add({ name: 'send-digest', cron: '0 8 * * *', timezone: 'UTC', run: () => {} });
    scheduler.add({ name: 'charge', fixedRate: '5s', maxConsecutiveFailures: 2, run: () => { throw new Error('card processor down'); } });
    const origin = await serve(scheduler, clock);
    await clock.advance(30_600);

    const { page, problems } = await open(origin, '/?refresh=150');
    await page.waitForSelector('tbody#jobs tr[data-job]');
    expect(await page.locator('tbody#jobs tr[data-job]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-job')))).toEqual([
      'refresh-cache', 'send-digest', 'charge',
    ]);
    const cache = await rowText(page, 'refresh-cache');
    expect(cache).toContain('every 10s');
    expect(cache).toContain('active');
    expect(cache).toContain('in 9.40 s');
    // Tick 3 took 250 + 3 × 100 ms and ended at 30.55 s.
    expect(cache).toMatch(/success\s+550 ms · 50 ms ago/);
    expect(cache).toMatch(/runs 3\s+ok 3\s+failed 0/);
    expect(await rowText(page, 'send-digest')).toMatch(/cron 0 8 \* \* \*[\s\S]*in 19h 59m[\s\S]*never ran/);
    expect(await rowText(page, 'charge')).toMatch(/paused\s+after 2 failures[\s\S]*error/);
    expect(await page.locator('#problems').isVisible()).toBe(true);
    expect(await page.locator('#problems').innerText()).toContain('Job "charge" paused itself after 2 failed runs in a row (last error: card processor down)');
    expect(await page.locator('#n-jobs').innerText()).toBe('3 (2 active)');
    expect(await page.locator('#n-paused').innerText()).toBe('1');
    expect(await page.locator('#n-failing').innerText()).toBe('1');
    expect(await page.locator('#range').innerText()).toBe('1–3 of 3');
    expect(await page.locator('#next').isDisabled()).toBe(true);
    // Successful runs draw a line; only the last point is marked.
    expect(await page.locator('tr[data-job="refresh-cache"] svg.spark circle').count()).toBe(1);
    expect(await page.locator('#live').getAttribute('class')).toBe('ok');

    // Time moves on the scheduler's clock; the page follows on its next polls.
    const before = await updates(page);
    await clock.advance(40_000);
    await page.locator('tr[data-job="refresh-cache"]', { hasText: 'runs 7' }).waitFor();
    expect(await updates(page)).toBeGreaterThan(before);
    expect(await rowText(page, 'refresh-cache')).toMatch(/runs 7\s+ok 7/);
    const points = await page.locator('tr[data-job="refresh-cache"] svg.spark polyline').getAttribute('points');
    expect(points?.split(' ')).toHaveLength(7);

    // Resolving the problem clears the banner.
    scheduler.get('charge')!.update({ run: () => {} });
    scheduler.get('charge')!.resume();
    await page.locator('#problems').waitFor({ state: 'hidden' });
    expect(problems).toEqual([]);
  });

  it('renders job names as text, never as HTML', async () => {
    const clock = new TestClock(T0);
    const scheduler = createScheduler({ clock });
    const name = '<img src=x onerror="window.__pwned=1">';
    scheduler.add({ name, fixedRate: '1s', run: () => {} });
    const origin = await serve(scheduler, clock);
    const { page, problems } = await open(origin, '/?refresh=150');
    await page.waitForSelector('tbody#jobs tr[data-job]');
    expect(await page.locator('tbody#jobs .name').innerText()).toBe(name);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await page.locator('tbody#jobs img').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('shows a disconnection instead of failing when the endpoint goes away', async () => {
    const clock = new TestClock(T0);
    const scheduler = createScheduler({ clock });
    scheduler.add({ name: 'a', fixedRate: '1s', run: () => {} });
    const handler = createAdminHandler(scheduler);
    let up = true;
    const server = createServer((req, res) => {
      if (up) handler(req, res);
      else res.writeHead(503).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await scheduler.stop();
    });
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { page, problems } = await open(origin, '/?refresh=150');
    await page.waitForSelector('#live.ok');
    up = false;
    await page.waitForSelector('#live.error');
    expect(await page.locator('#live').innerText()).toBe('disconnected: GET jobs: HTTP 503');
    // The browser reports the failed fetches themselves; the page's script throws nothing.
    expect(problems.filter((p) => !p.includes('503'))).toEqual([]);
    up = true;
    await page.waitForSelector('#live.ok');
  });

  it('stays one page a refresh at 20k jobs: totals of all, search, filter and pager work', async () => {
    const clock = new TestClock(T0);
    const scheduler = createScheduler({ clock });
    const JOBS = 20_000;
    for (let index = 0; index < JOBS; index++) scheduler.add({ name: `job-${index}`, fixedRate: '1h', run: () => {} });
    for (let index = 0; index < JOBS; index += 1_000) scheduler.get(`job-${index}`)!.pause();
    scheduler.add({ name: 'broken-a', fixedRate: '1s', maxConsecutiveFailures: 2, run: () => { throw new Error('db down'); } });
    scheduler.add({ name: 'hangs', fixedRate: '1m', stuckAfter: '2s', run: async () => clock.sleep(600_000) });
    scheduler.add({ name: 'broken-b', fixedRate: '1s', maxConsecutiveFailures: 2, run: () => { throw new Error('db down'); } });
    const origin = await serve(scheduler, clock);
    await clock.advance(63_000);

    const { page, problems } = await open(origin, '/?refresh=150');
    const requests: string[] = [];
    let largest = 0;
    page.on('request', (request) => requests.push(request.url().slice(origin.length + 1)));
    page.on('response', (response) => { largest = Math.max(largest, Number(response.headers()['content-length'] ?? 0)); });
    await reload(page, problems);
    // The page's first refresh is the one benchmarks replay.
    // (From the reloaded document on: the page before it may have polled meanwhile.)
    const loaded = requests.lastIndexOf('?refresh=150');
    expect(requests.slice(loaded, loaded + 3)).toEqual(['?refresh=150', ...DEFAULT_REFRESH_REQUESTS]);

    const rows = page.locator('tbody#jobs tr[data-job]');
    const rowNames = (): Promise<(string | null)[]> => rows.evaluateAll((all) => all.map((row) => row.getAttribute('data-job')));
    expect(await page.locator('#n-jobs').innerText()).toBe('20,003 (19,981 active)');
    expect(await page.locator('#n-paused').innerText()).toBe('22');
    expect(await page.locator('#n-stuck').innerText()).toBe('1');
    expect(await page.locator('#n-failing').innerText()).toBe('2');
    expect(await page.locator('#range').innerText()).toBe('1–100 of 20,003');
    expect(await rows.count()).toBe(100);
    expect((await rowNames())[0]).toBe('job-0');
    // Problems of jobs far from the page still show.
    expect(await page.locator('#problems li').allInnerTexts()).toEqual([
      'Job "broken-a" paused itself after 2 failed runs in a row (last error: db down)',
      expect.stringMatching(/^Job "hangs" has 1 run stuck past stuckAfter/),
      'Job "broken-b" paused itself after 2 failed runs in a row (last error: db down)',
    ]);

    await page.click('#next');
    await page.locator('#range', { hasText: '101–200 of 20,003' }).waitFor();
    expect((await rowNames())[0]).toBe('job-100');
    expect(await page.locator('#prev').isDisabled()).toBe(false);

    // A search goes back to its first page.
    await page.fill('#search', 'JOB-1234');
    await page.locator('#range', { hasText: '1–11 of 11' }).waitFor();
    expect(await rowNames()).toEqual(['job-1234', ...Array.from({ length: 10 }, (_, digit) => `job-1234${digit}`)]);
    expect(await page.locator('#next').isDisabled()).toBe(true);

    await page.fill('#search', '');
    await page.selectOption('#filter', 'attention=any');
    await page.locator('#range', { hasText: '1–3 of 3' }).waitFor();
    expect(await rowNames()).toEqual(['broken-a', 'hangs', 'broken-b']);
    await page.selectOption('#filter', 'state=paused');
    await page.locator('#range', { hasText: '1–22 of 22' }).waitFor();
    expect((await rowNames()).slice(0, 3)).toEqual(['job-0', 'job-1000', 'job-2000']);
    // The view is in the page's URL: a reload shows the same.
    await page.fill('#search', '000');
    await page.locator('#range', { hasText: '1–19 of 19' }).waitFor();
    expect(new URL(page.url()).search).toBe('?refresh=150&name=000&state=paused');
    await reload(page, problems);
    await page.locator('#range', { hasText: '1–19 of 19' }).waitFor();
    expect(await page.locator('#filter').inputValue()).toBe('state=paused');
    expect(await page.locator('#search').inputValue()).toBe('000');

    // Every answer was a page, not the scheduler: a full snapshot of 20k jobs is megabytes.
    expect(largest).toBeGreaterThan(0);
    expect(largest).toBeLessThan(200_000);
    expect(problems).toEqual([]);
  });

  it('screenshot: a realistic scheduler', async () => {
    const clock = new TestClock(Date.parse('2026-03-02T09:41:00.000Z'));
    const scheduler = createScheduler({ clock });
    // Deterministic "random" durations.
    let seed = 7;
    const random = () => ((seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647);
    scheduler.add({ name: 'refresh-cache', fixedRate: '10s', timeout: '5s', run: async (ctx) => clock.sleep(180 + random() * 700, ctx.signal) });
    scheduler.add({
      name: 'sync-inventory', fixedRate: '30s', retry: { attempts: 2, backoff: '2s' },
      run: async (ctx) => {
        await clock.sleep(900 + random() * 2_500, ctx.signal);
        if (random() < 0.2) throw new Error('upstream 502');
      },
    });
    scheduler.add({ name: 'reindex-search', fixedDelay: '1m', run: async (ctx) => clock.sleep(8_000 + random() * 14_000, ctx.signal) });
    scheduler.add({ name: 'export-ledger', fixedRate: '5m', timeout: '30s', stuckAfter: '45s', run: async (ctx) => clock.sleep(ctx.tick >= 4 ? 3_600_000 : 12_000 + random() * 6_000) });
    scheduler.add({ name: 'charge-subscriptions', fixedRate: '2m', maxConsecutiveFailures: 3, run: async (ctx) => { await clock.sleep(400, ctx.signal); if (ctx.tick > 5) throw new Error('payment gateway timeout'); } });
    scheduler.add({ name: 'send-digest', cron: '0 8 * * *', timezone: 'UTC', run: () => {} });
    const cleanup = scheduler.add({ name: 'cleanup-tmp', fixedRate: '15m', run: async (ctx) => clock.sleep(2_000, ctx.signal) });
    const origin = await serve(scheduler, clock);
    await clock.advance(20 * 60_000);
    cleanup.pause();
    await clock.advance(50_000);

    const { page, problems } = await open(origin, '/');
    await page.waitForSelector('tbody#jobs tr[data-job]');
    expect(await page.locator('tbody#jobs tr[data-job]').count()).toBe(7);
    // The banner says what GET /healthz says.
    const health = (await (await fetch(`${origin}/healthz`)).json()) as { reasons: { message: string }[] };
    expect(health.reasons.map((reason) => reason.message)).toEqual([
      expect.stringMatching(/^Job "export-ledger" has 1 run stuck past stuckAfter \(the oldest running for \d+ ms\)$/),
      'Job "charge-subscriptions" paused itself after 3 failed runs in a row (last error: payment gateway timeout)',
    ]);
    expect(await page.locator('#problems li').allInnerTexts()).toEqual(health.reasons.map((reason) => reason.message));
    if (process.env.TICKGUARD_SCREENSHOT) {
      mkdirSync('docs', { recursive: true });
      await page.screenshot({ path: 'docs/dashboard.png', fullPage: true });
    }
    expect(problems).toEqual([]);
  });
});
