/**
 * What a running scheduler keeps of runs that ended: nothing the task was given, and nothing of a
 * removed job once its runs settled. (The scheduler keeps its last run and one context of its own
 * so that their hidden classes outlive idle time: neither may hold on to a task's context, its
 * signal or the listeners left on it, nor to a removed job's task.)
 */
import { describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createScheduler, TestClock } from '../src/index.js';
import { setup, T0 } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let round = 0; round < 10 && ref.deref() !== undefined; round++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
  return ref.deref() === undefined;
}

describe('what the scheduler keeps of ended runs', () => {
  it.each(['sync', 'async'] as const)('a %s task\'s context, signal and abort listener are collected once the run settled', async (kind) => {
    const { clock, scheduler } = setup();
    const refs: WeakRef<object>[] = [];
    const remember = (ctx: { readonly signal: AbortSignal }): void => {
      const listener = (): void => {};
      ctx.signal.addEventListener('abort', listener);
      refs.push(new WeakRef(ctx), new WeakRef(ctx.signal), new WeakRef(listener));
    };
    scheduler.add({
      name: 'once', fixedRate: '1s', maxRuns: 1,
      run: kind === 'sync' ? remember : async (ctx) => { remember(ctx); await clock.sleep(10); },
    });
    await clock.advance(1_100);
    expect(scheduler.inspect().jobs[0]).toMatchObject({ inFlight: 0, counters: { succeeded: 1 } });
    expect(scheduler.state).toBe('running');
    expect(refs).toHaveLength(3);
    for (const ref of refs) expect(await collected(ref)).toBe(true);
    await scheduler.stop();
  });
});

/** A scheduler on a TestClock with no listener of its own (one recording events would keep their errors). */
function bare(): { clock: TestClock; scheduler: ReturnType<typeof createScheduler> } {
  const clock = new TestClock(T0);
  return { clock, scheduler: createScheduler({ clock }) };
}

describe('what the scheduler keeps of a removed job', () => {
  it('its task and the error it threw are collected once its runs settled, while the scheduler runs on idle', async () => {
    const { clock, scheduler } = bare();
    const refs: WeakRef<object>[] = [];
    // Scoped so that nothing of the job stays on this test's stack.
    (() => {
      const failure = new Error('kept?');
      const task = (): void => {
        throw failure;
      };
      refs.push(new WeakRef(task), new WeakRef(failure));
      scheduler.add({ name: 'gone', fixedRate: '1s', run: task });
    })();
    await clock.advance(1_100);
    expect(scheduler.inspect().jobs[0]).toMatchObject({ inFlight: 0, counters: { failed: 1 } });
    await scheduler.get('gone')!.remove();
    expect(scheduler.summary().jobs.total).toBe(0);
    for (const ref of refs) expect(await collected(ref)).toBe(true);
    await scheduler.stop();
  });

  it('a job removed after the first run of the scheduler is not kept by the context kept for its shapes', async () => {
    const { clock, scheduler } = bare();
    const refs: WeakRef<object>[] = [];
    (() => {
      const task = (): void => {};
      refs.push(new WeakRef(task));
      scheduler.add({ name: 'first', fixedRate: '1s', maxRuns: 1, run: task });
    })();
    scheduler.add({ name: 'other', fixedRate: '1s', run: () => {} });
    await clock.advance(1_100);
    await scheduler.get('first')!.remove();
    // Later runs of another job replace the kept run; the kept context must not hold the first either.
    await clock.advance(2_000);
    expect(await collected(refs[0]!)).toBe(true);
    await scheduler.stop();
  });
});

describe('what the scheduler keeps of a run aborted between attempts', () => {
  it('the failure it was to retry after is collected once the run settled', async () => {
    const { clock, scheduler } = bare();
    const refs: WeakRef<object>[] = [];
    const aborts: string[] = [];
    scheduler.on('run:end', (event) => void aborts.push(`${event.outcome}:${event.abortCause ?? ''}`));
    (() => {
      let calls = 0;
      scheduler.add({
        name: 'retrying', fixedRate: '1s', overlap: 'cancel-other', retry: { attempts: 3, backoff: '10s' },
        run: () => {
          calls += 1;
          if (calls > 1) return;
          const failure = new Error('retry me');
          refs.push(new WeakRef(failure));
          throw failure;
        },
      });
    })();
    // The first run fails and waits to retry; the next tick aborts it (cancel-other) and runs.
    await clock.advance(2_100);
    expect(refs).toHaveLength(1);
    expect(aborts).toEqual(['aborted:cancel-other', 'success:']);
    expect(await collected(refs[0]!)).toBe(true);
    await scheduler.stop();
  });
});
