/**
 * `tickguard/http` at the edges an operator meets: jobs removed while their runs are in flight
 * and added again under the same name, runs stuck then finished, jobs that become `done`, a
 * stopped scheduler; pages past the end, filters with special characters, repeated parameters,
 * HEAD, a `basePath`. Each step compares the pages, the totals and `/healthz` with what the
 * scheduler itself says (`stats()`, `summary()`, every snapshot).
 */
import { describe, expect, it } from 'vitest';
import { createScheduler, TestClock, type Scheduler } from '../../src/index.js';
import { createAdminHandler, type AdminOptions, type JobsPage } from '../../src/integrations/http.js';
import { healthOf } from '../../src/integrations/health.js';
import { startAdmin, T0, useAdminCleanups } from './admin-harness.js';

useAdminCleanups();
const setup = (options: AdminOptions = {}) => startAdmin(options);

type Body = Omit<JobsPage, 'at' | 'jobs'> & { jobs: { name: string }[] };

async function page(url: string): Promise<Body> {
  const response = await fetch(url);
  expect(response.status, url).toBe(200);
  return (await response.json()) as Body;
}

const names = (body: Body): string[] => body.jobs.map((job) => job.name);

/** The pages by attention, the totals and /healthz against what the scheduler says. */
async function expectAsScheduler(base: string, scheduler: Scheduler, step: string): Promise<void> {
  const stats = scheduler.stats().jobs;
  const stuck = stats.filter((job) => job.stuck > 0).map((job) => job.name);
  const failing = stats.filter((job) => job.consecutiveFailures > 0).map((job) => job.name);
  const paused = stats.filter((job) => job.state === 'paused' && job.pauseReason === 'failures').map((job) => job.name);
  expect(names(await page(`${base}/jobs?attention=stuck&limit=all`)), `${step}: stuck`).toEqual(stuck);
  expect(names(await page(`${base}/jobs?attention=failing&limit=all`)), `${step}: failing`).toEqual(failing);
  expect(names(await page(`${base}/jobs?attention=paused-by-failures&limit=all`)), `${step}: paused`).toEqual(paused);
  const first = await page(`${base}/jobs?limit=1`);
  expect(first.totals.attention, step).toEqual({ stuck: stuck.length, failing: failing.length, pausedByFailures: paused.length });
  const summary = scheduler.summary();
  expect(first.totals.jobs, `${step}: totals`).toEqual(summary.jobs);
  expect(first.totals.inFlight, `${step}: inFlight`).toBe(summary.inFlight);
  expect(first.totals.stuckRuns, `${step}: stuckRuns`).toBe(summary.stuck);
  const health = await fetch(`${base}/healthz`);
  expect(await health.json(), `${step}: healthz`).toEqual(JSON.parse(JSON.stringify(healthOf(scheduler.inspect()))));
}

describe('the attention index against the scheduler', () => {
  it('forgets a job removed while its run is stuck, and does not count that run for a job added under its name', async () => {
    const { clock, scheduler, base } = await setup();
    const add = (fails: boolean) => scheduler.add({
      name: 'reused',
      fixedRate: '1m',
      stuckAfter: '1s',
      run: async () => {
        // The first job's run ignores its signal: it outlives its job.
        await clock.sleep(5_000);
        if (fails) throw new Error('old run fails');
      },
    });
    add(true);
    scheduler.add({ name: 'other', fixedRate: '1m', run: () => {} });
    await clock.advance(60_000 + 500);
    // Removed before its run is stuck; the run becomes stuck after a job took the name again.
    const removing = scheduler.get('reused')!.remove();
    await expectAsScheduler(base, scheduler, 'removed, run in flight');
    add(false);
    await expectAsScheduler(base, scheduler, 'added again');
    for (let step = 0; step < 6; step++) {
      await clock.advance(1_000);
      await expectAsScheduler(base, scheduler, `old run at ${step + 1.5}s`);
    }
    await removing;
    await clock.advance(50_000);
    // The new job's own runs are stuck, then not: the index follows them as well.
    let stuckSteps = 0;
    for (let step = 0; step < 14; step++) {
      await clock.advance(1_000);
      if (scheduler.get('reused')!.inspect().stuck > 0) stuckSteps += 1;
      await expectAsScheduler(base, scheduler, `new job at ${step}`);
    }
    expect(stuckSteps).toBeGreaterThan(0);
  });

  it('keeps a new job\'s stuck run when a removed job\'s run of the same tick id ends', async () => {
    const { clock, scheduler, base } = await setup();
    const add = (ms: number) => scheduler.add({ name: 'reused', fixedRate: '1m', runOnStart: true, stuckAfter: '1s', run: () => clock.sleep(ms) });
    add(5_000);
    await clock.advance(2_000);
    const removing = scheduler.get('reused')!.remove();
    add(20_000);
    await clock.advance(2_000);
    const [running] = scheduler.get('reused')!.inspect().runs;
    expect(running?.stuck).toBe(true);
    await expectAsScheduler(base, scheduler, 'both stuck');
    // The old run ends: the new one, of the same tick id, is still stuck.
    await clock.advance(2_000);
    await removing;
    await expectAsScheduler(base, scheduler, 'old run ended');
    await clock.advance(20_000);
    await expectAsScheduler(base, scheduler, 'new run ended');
  });

  it('follows a job paused by failures and resumed, a stuck run that finishes, a job that becomes done', async () => {
    const { clock, scheduler, base } = await setup();
    let failing = true;
    scheduler.add({ name: 'flaky', fixedRate: '1s', maxConsecutiveFailures: 2, run: () => { if (failing) throw new Error('no'); } });
    scheduler.add({ name: 'slow', fixedRate: '1m', runOnStart: true, stuckAfter: '2s', run: () => clock.sleep(5_000) });
    scheduler.add({ name: 'twice', fixedRate: '1s', maxRuns: 2, run: () => { throw new Error('always'); } });
    for (let step = 0; step < 8; step++) {
      await clock.advance(1_000);
      await expectAsScheduler(base, scheduler, `t=${step + 1}s`);
    }
    failing = false;
    scheduler.get('flaky')!.resume();
    await expectAsScheduler(base, scheduler, 'resumed');
    for (let step = 0; step < 60; step += 10) {
      await clock.advance(10_000);
      await expectAsScheduler(base, scheduler, `later ${step}`);
    }
  });

  it('follows the jobs while the scheduler is stopping', async () => {
    const { clock, scheduler, base } = await setup();
    scheduler.add({ name: 'broken', fixedRate: '1s', maxConsecutiveFailures: 1, run: () => { throw new Error('x'); } });
    scheduler.add({ name: 'flaky', fixedRate: '1s', run: () => { throw new Error('y'); } });
    scheduler.add({ name: 'slow', fixedRate: '1m', runOnStart: true, stuckAfter: '1s', run: () => clock.sleep(10_000) });
    await clock.advance(3_000);
    const stopping = scheduler.stop({ timeout: '20s' });
    expect(scheduler.state).toBe('stopping');
    await expectAsScheduler(base, scheduler, 'stopping');
    // Still listed, one of each kind of attention: the step above compared something.
    expect(scheduler.stats().jobs.map((job) => [job.name, job.stuck > 0 || job.consecutiveFailures > 0])).toEqual([['broken', true], ['flaky', true], ['slow', true]]);
    await clock.advance(3_000);
    await expectAsScheduler(base, scheduler, 'still stopping');
    await clock.advance(10_000);
    await stopping;
    expect(scheduler.state).toBe('stopped');
  });

  it('serves a stopped scheduler as it was when it stopped', async () => {
    const { clock, scheduler, base } = await setup();
    scheduler.add({ name: 'broken', fixedRate: '1s', maxConsecutiveFailures: 1, run: () => { throw new Error('x'); } });
    scheduler.add({ name: 'fine', fixedRate: '1s', run: () => {} });
    await clock.advance(3_000);
    const stopping = scheduler.stop({ timeout: '1s' });
    await clock.advance(2_000);
    await stopping;
    const body = await page(`${base}/jobs`);
    expect(body.state).toBe('stopped');
    expect(body.totals.jobs).toEqual(scheduler.summary().jobs);
    expect(names(await page(`${base}/jobs?attention=any`))).toEqual(['broken']);
    const health = await fetch(`${base}/healthz`);
    expect(await health.json()).toEqual(JSON.parse(JSON.stringify(healthOf(scheduler.inspect()))));
  });
});

describe('pages at the edges', () => {
  it('answers an empty last page past the end, with next null', async () => {
    const { scheduler, base } = await setup();
    for (const name of ['a', 'b', 'c']) scheduler.add({ name, fixedRate: '1h', run: () => {} });
    for (const query of ['offset=3', 'offset=99', 'offset=99&name=a', 'offset=5&state=active', 'offset=5&attention=any']) {
      const body = await page(`${base}/jobs?${query}`);
      expect(body.jobs, query).toEqual([]);
      expect(body.next, query).toBeNull();
    }
    const limits = [['limit=0', 400], ['limit=1001', 400], ['limit=-1', 400], ['limit=1.5', 400], ['limit=', 400], ['limit=1000', 200], ['limit=1', 200], ['offset=-1', 400], ['limit=ALL', 400]] as const;
    for (const [query, status] of limits) expect((await fetch(`${base}/jobs?${query}`)).status, query).toBe(status);
  });

  it('keeps the filters in next, and next leads through every match exactly once', async () => {
    const { scheduler, base } = await setup({ basePath: '/admin' });
    for (let index = 0; index < 23; index++) scheduler.add({ name: `job ${index % 2 === 0 ? 'even' : 'odd'} ${index}`, fixedRate: '1h', run: () => {} });
    scheduler.get('job odd 5')!.pause();
    const seen: string[] = [];
    let url: string | null = `${base}/admin/jobs?limit=4&name=${encodeURIComponent('ODD ')}&state=active`;
    while (url !== null) {
      const body: Body = await page(url);
      expect(body.matched).toBe(10);
      seen.push(...names(body));
      url = body.next === null ? null : new URL(body.next, url).toString();
    }
    expect(seen).toEqual(scheduler.stats().jobs.filter((job) => job.name.includes('odd') && job.state === 'active').map((job) => job.name));
  });

  it('takes the name literally: regex metacharacters, unicode, an empty name', async () => {
    const { scheduler, base } = await setup();
    const all = ['a.b', 'axb', 'c(d)*', '[e]', 'f\\g', 'Ünïcödé', 'ünïcödé-2', '東京 job', 'emoji 🚀', '$^|?+{}'];
    for (const name of all) scheduler.add({ name, fixedRate: '1h', run: () => {} });
    const search = async (part: string): Promise<string[]> => names(await page(`${base}/jobs?name=${encodeURIComponent(part)}`));
    expect(await search('.')).toEqual(['a.b']);
    expect(await search('(d)*')).toEqual(['c(d)*']);
    expect(await search('[e]')).toEqual(['[e]']);
    expect(await search('\\')).toEqual(['f\\g']);
    expect(await search('ÜNÏ')).toEqual(['Ünïcödé', 'ünïcödé-2']);
    expect(await search('東京')).toEqual(['東京 job']);
    expect(await search('🚀')).toEqual(['emoji 🚀']);
    expect(await search('$^|?+{}')).toEqual(['$^|?+{}']);
    expect(await search('')).toEqual(all);
    // A lone surrogate, as a browser may send it: no match, not a 500.
    expect((await fetch(`${base}/jobs?name=%ED%A0%80`)).status).toBe(200);
  });

  it('answers 400 naming the parameter when one is repeated or unknown, on /jobs and /history', async () => {
    const { base } = await setup();
    for (const [path, word] of [['/jobs?limit=1&limit=2', '`limit` at most once'], ['/jobs?name=a&name=b', '`name` at most once'], ['/jobs?sort=name', '"sort"'], ['/history?job=a&limit=3', 'not both'], ['/history?offset=1&offset=2', '`offset` at most once'], ['/jobs?Limit=1', '"Limit"']] as const) {
      const response = await fetch(`${base}${path}`);
      expect(response.status, path).toBe(400);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code, path).toBe('bad_query');
      expect(body.error.message, path).toContain(word);
    }
  });

  it('answers /history a page at a time: limit=all is refused there, with the way to page', async () => {
    const { scheduler, base } = await setup();
    for (const name of ['a', 'b']) scheduler.add({ name, fixedRate: '1h', run: () => {} });
    for (const query of ['limit=all', 'limit=all&attention=any', 'limit=all&name=a']) {
      const response = await fetch(`${base}/history?${query}`);
      expect(response.status, query).toBe(400);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error, query).toEqual({ code: 'bad_query', message: 'Expected `limit` to be an integer from 1 to 1000 for GET /history (every job\'s runs at once can be hundreds of MB), got "all"; page with `offset`' });
    }
    expect((await page(`${base}/jobs?limit=all`)).jobs).toHaveLength(2);
  });

  it('answers HEAD on every read route without a body, with the GET status', async () => {
    const { scheduler, base, clock } = await setup();
    scheduler.add({ name: 'broken', fixedRate: '1s', maxConsecutiveFailures: 1, run: () => { throw new Error('x'); } });
    await clock.advance(1_000);
    for (const [path, status] of [['/', 200], ['/jobs', 200], ['/jobs/broken', 200], ['/history', 200], ['/healthz', 503], ['/jobs?limit=0', 400], ['/jobs/nope', 404]] as const) {
      const response = await fetch(`${base}${path}`, { method: 'HEAD' });
      expect(response.status, path).toBe(status);
      expect(await response.text(), path).toBe('');
    }
  });
});

describe('the run history', () => {
  it('keeps each outcome with its tick across the ring\'s wrap, historySize 1 included', async () => {
    for (const historySize of [1, 4, 10_000]) {
      const { clock, scheduler, base } = await setup({ historySize });
      let n = 0;
      const outcomes = ['success', 'timeout', 'error', 'success', 'success', 'error'];
      scheduler.add({
        name: 'a',
        fixedRate: '1s',
        timeout: '100ms',
        run: async (ctx) => {
          n += 1;
          const wanted = outcomes[n - 1];
          if (wanted === 'timeout') await clock.sleep(500, ctx.signal);
          if (wanted === 'error') throw new Error('x');
        },
      });
      await clock.advance(6_500);
      const body = (await (await fetch(`${base}/history?job=a`)).json()) as { jobs: { runs: { tick: number; outcome: string }[] }[] };
      const expected = outcomes.map((outcome, at) => ({ tick: at + 1, outcome })).slice(-historySize);
      expect(body.jobs[0]!.runs.map(({ tick, outcome }) => ({ tick, outcome })), `historySize ${historySize}`).toEqual(expected);
    }
  });

  it('takes historySize from 1 to 10000 and refuses the rest', () => {
    const scheduler = createScheduler({ clock: new TestClock(T0) });
    for (const historySize of [0, 10_001, 1.5, -1, Number.NaN]) {
      expect(() => createAdminHandler(scheduler, { historySize }), String(historySize)).toThrow(/historySize.*from 1 to 10000/);
    }
    for (const historySize of [1, 10_000]) createAdminHandler(scheduler, { historySize }).dispose();
  });
});
