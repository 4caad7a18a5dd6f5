/**
 * The seams of the engine, seen from outside: what users hold exposes the public interface and
 * nothing else, integrations read the cheap stats path, and a job removed under a request is
 * not found.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createScheduler, TestClock, type Scheduler } from '../src/index.js';
import { registerMetrics } from '../src/integrations/prometheus.js';
import { createAdminHandler } from '../src/integrations/http.js';
import { setup, stopAndAdvance, T0 } from './helpers.js';

const JOB_MEMBERS = ['constructor', 'inspect', 'name', 'nextRuns', 'pause', 'remove', 'resume', 'state', 'toJSON', 'trigger', 'update'];
const SCHEDULER_MEMBERS = ['add', 'constructor', 'get', 'inspect', 'jobs', 'off', 'on', 'state', 'stats', 'stop', 'summary', 'toJSON'];

/** Every property name reachable on `value` short of Object.prototype, own and inherited. */
function reachable(value: object): string[] {
  const names = new Set<string>();
  for (let proto: object | null = value; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    for (const name of Object.getOwnPropertyNames(proto)) names.add(name);
  }
  return [...names].sort();
}

describe('what users hold is the public interface only', () => {
  it('a job handle has no internal method or field', async () => {
    const { clock, scheduler } = setup();
    const job = scheduler.add({ name: 'a', fixedRate: '1s', run: () => {} });
    expect(reachable(job)).toEqual(JOB_MEMBERS);
    for (const internal of ['schedule', 'runEnded', 'markStopped', 'fire', 'onDue', 'heapIndex', 'due', 'seq', 'executor']) {
      expect(internal in job).toBe(false);
    }
    expect(Object.keys(job)).toEqual([]);
    await stopAndAdvance(clock, scheduler);
  });

  it('a scheduler handle has no internal method or field', async () => {
    const { clock, scheduler } = setup();
    expect(reachable(scheduler)).toEqual(SCHEDULER_MEMBERS);
    for (const internal of ['detach', 'drain', 'runSettled', 'schedule', 'cancel', 'loop', 'events', 'clock', 'coordinator']) {
      expect(internal in scheduler).toBe(false);
    }
    await stopAndAdvance(clock, scheduler);
  });

  it('JSON.stringify gives snapshots, not heap fields', async () => {
    const { clock, scheduler } = setup();
    const job = scheduler.add({ name: 'a', fixedRate: '1s', run: () => {} });
    await clock.advance(1_000);
    expect(JSON.parse(JSON.stringify(job))).toEqual(JSON.parse(JSON.stringify(job.inspect())));
    expect(JSON.parse(JSON.stringify(scheduler))).toMatchObject({ state: 'running', jobs: [{ name: 'a', counters: { started: 1 } }] });
    await stopAndAdvance(clock, scheduler);
  });

  it('the same handle comes back from add(), get() and jobs()', async () => {
    const { clock, scheduler } = setup();
    const job = scheduler.add({ name: 'a', fixedRate: '1s', run: () => {} });
    expect(scheduler.get('a')).toBe(job);
    expect(scheduler.jobs()).toEqual([job]);
    await stopAndAdvance(clock, scheduler);
  });
});

describe('integrations read the cheap stats path', () => {
  /** The scheduler with its snapshot methods counted. */
  function counted(scheduler: Scheduler): { scheduler: Scheduler; calls: { inspect: number; stats: number; summary: number } } {
    const calls = { inspect: 0, stats: 0, summary: 0 };
    const proxy = new Proxy(scheduler, {
      get(target, key) {
        if (key === 'inspect' || key === 'stats' || key === 'summary') calls[key] += 1;
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    return { scheduler: proxy, calls };
  }

  it('a Prometheus scrape takes summary() once: no stats() over every job, no snapshot', async () => {
    const { clock, scheduler } = setup();
    for (let i = 0; i < 50; i += 1) scheduler.add({ name: `job-${i}`, fixedRate: '1s', run: () => {} });
    await clock.advance(3_000);
    const registry = new Registry();
    const watched = counted(scheduler);
    registerMetrics(watched.scheduler, { registry });
    Object.assign(watched.calls, { inspect: 0, stats: 0, summary: 0 });
    const text = await registry.metrics();
    expect(text).toContain('tickguard_runs_in_flight{job="job-49"} 0');
    expect(text).toContain('tickguard_jobs{state="active"} 50');
    expect(watched.calls).toEqual({ inspect: 0, stats: 0, summary: 1 });
    await registry.metrics();
    expect(watched.calls).toEqual({ inspect: 0, stats: 0, summary: 2 });
    await stopAndAdvance(clock, scheduler);
  });
});

describe('tickguard/http', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    server = undefined;
  });

  it('POST /jobs/:name/trigger answers 404 when the job is removed between its lookup and the trigger', async () => {
    const clock = new TestClock(T0);
    const real = createScheduler({ clock });
    real.add({ name: 'a', fixedRate: '1s', run: () => {} });
    // A lookup that races a removal: the handle is found, then the job is gone.
    const racing = new Proxy(real, {
      get(target, key) {
        if (key === 'get') {
          return (name: string) => {
            const job = target.get(name);
            void job?.remove();
            return job;
          };
        }
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const handler = createAdminHandler(racing, { token: 'a-long-enough-token-for-the-test' });
    server = createServer(handler);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/jobs/a/trigger`, { method: 'POST', headers: { authorization: 'Bearer a-long-enough-token-for-the-test' } });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('job_not_found');
    handler.dispose();
    await stopAndAdvance(clock, real);
  });
});

describe('fixedDelay ticks are local', () => {
  it('gives replicas started apart different tick ids: a delay has no shared slots', async () => {
    const ids: string[] = [];
    for (const startOffset of [100, 250]) {
      const { clock, scheduler } = setup();
      clock.blockFor(startOffset);
      scheduler.add({ name: 'chain', fixedDelay: '1s', maxRuns: 1, run: (ctx) => void ids.push(ctx.tickId) });
      await clock.advance(2_000);
      await scheduler.stop();
    }
    expect(ids).toEqual(['chain@2026-01-01T00:00:01.100Z', 'chain@2026-01-01T00:00:01.250Z']);
  });
});
