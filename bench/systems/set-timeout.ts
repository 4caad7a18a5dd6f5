import { now } from '../lib/lateness.js';
import type { BenchTask, SystemAdapter, SystemDriver } from './adapter.js';

/** A hand-written chain per job: the next timer is armed once the run settled, for `due + period`. */
interface Chain {
  next: number;
  periodMs: number;
  timer: NodeJS.Timeout | undefined;
  live: boolean;
}

/**
 * What a careful hand-rolled job looks like: never overlaps (the next timer is armed after the
 * run settles) and never drifts (it aims at first + k·period, skipping ticks it is too late for).
 */
export const setTimeoutSystem: SystemAdapter = {
  name: 'setTimeout',
  overlapProtection: 'next timer armed only after the run settled',
  subSecond: true,
  updateMethod: 'clearTimeout + re-arm with the new period',
  dueTime: 'add time + k·period, counted per job (ticks already past are skipped)',
  load() {
    return Promise.resolve((): SystemDriver => {
      const chains: (Chain | undefined)[] = [];
      const start = (periodMs: number, task: BenchTask): Chain => {
        const chain: Chain = { next: now() + periodMs, periodMs, timer: undefined, live: true };
        const rearm = (): void => {
          if (!chain.live) return;
          const at = now();
          chain.next += chain.periodMs;
          if (chain.next < at) chain.next += Math.ceil((at - chain.next) / chain.periodMs) * chain.periodMs;
          chain.timer = setTimeout(fire, Math.ceil(chain.next - at));
        };
        const fire = (): void => {
          const result = task(chain.next);
          if (result === undefined) rearm();
          else result.then(rearm, rearm);
        };
        chain.timer = setTimeout(fire, periodMs);
        return chain;
      };
      const cancel = (chain: Chain | undefined): void => {
        if (chain === undefined) return;
        chain.live = false;
        clearTimeout(chain.timer);
      };
      const tasks: (BenchTask | undefined)[] = [];
      return {
        add(index, periodMs, task) {
          tasks[index] = task;
          chains[index] = start(periodMs, task);
        },
        update(index, periodMs) {
          cancel(chains[index]);
          const task = tasks[index];
          if (task !== undefined) chains[index] = start(periodMs, task);
        },
        remove(index) {
          cancel(chains[index]);
          chains[index] = undefined;
          tasks[index] = undefined;
        },
        stop() {
          for (const chain of chains) cancel(chain);
          chains.length = 0;
          tasks.length = 0;
          return Promise.resolve();
        },
      };
    });
  },
};
