/**
 * What a running scheduler keeps of runs that ended: nothing the task was given. (The scheduler
 * keeps its last run and one context of its own so that their hidden classes outlive idle time:
 * neither may hold on to a task's context, its signal or the listeners left on it.)
 */
import { describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { setup } from './helpers.js';

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
