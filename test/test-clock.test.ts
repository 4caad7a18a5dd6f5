import { describe, expect, it } from 'vitest';
import { TestClock } from '../src/index.js';

describe('TestClock', () => {
  it('fires due timers in order, the end point included, ties in arming order', async () => {
    const clock = new TestClock(1_000);
    const fired: string[] = [];
    clock.setTimer(() => fired.push('c@300'), 300);
    clock.setTimer(() => fired.push('a@100'), 100);
    clock.setTimer(() => fired.push('b@100'), 100);
    clock.setTimer(() => fired.push('d@301'), 301);
    await clock.advance(300);
    expect(fired).toEqual(['a@100', 'b@100', 'c@300']);
    expect(clock.now()).toBe(1_300);
  });

  it('lets async work progress between firings', async () => {
    const clock = new TestClock();
    const log: string[] = [];
    clock.setTimer(async () => {
      await Promise.resolve();
      await null;
      log.push(`async work done at ${clock.now()}`);
      clock.setTimer(() => log.push(`chained at ${clock.now()}`), 10);
    }, 5);
    await clock.advance(20);
    expect(log).toEqual(['async work done at 5', 'chained at 15']);
  });

  it('advanceTo accepts a Date, and cleared timers never fire', async () => {
    const clock = new TestClock(new Date('2026-01-01T00:00:00Z'));
    let fired = 0;
    const handle = clock.setTimer(() => fired++, 50);
    clock.clearTimer(handle);
    await clock.advanceTo(new Date('2026-01-01T00:00:01Z'));
    expect(fired).toBe(0);
    expect(clock.date.toISOString()).toBe('2026-01-01T00:00:01.000Z');
    expect(clock.pendingTimers).toBe(0);
  });

  it('sleep() resolves in virtual time and rejects on abort with the reason', async () => {
    const clock = new TestClock();
    const controller = new AbortController();
    const slept = clock.sleep(100);
    const aborted = clock.sleep(100, controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(aborted).rejects.toThrow('cancelled');
    await clock.advance(100);
    await expect(slept).resolves.toBeUndefined();
  });

  it('blockFor() moves time without firing; the next flush fires what is overdue', async () => {
    const clock = new TestClock();
    const fired: number[] = [];
    clock.setTimer(() => fired.push(clock.now()), 10);
    clock.blockFor(50);
    expect(fired).toEqual([]);
    await clock.flush();
    expect(fired).toEqual([50]);
  });

  it('refuses bad arguments', async () => {
    expect(() => new TestClock(NaN)).toThrow(/start/);
    const clock = new TestClock();
    await expect(clock.advance(-1)).rejects.toThrow(/finite number >= 0/);
    await expect(clock.advanceTo(new Date('x'))).rejects.toThrow(/target/);
  });
});
