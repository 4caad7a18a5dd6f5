import { describe, expect, it } from 'vitest';
import { createTrigger } from '../src/triggers/trigger.js';

const utc = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

describe('fixedRate', () => {
  const trigger = createTrigger('fixedRate', '10s', undefined);

  it('is due one period after the start, or after initialDelay', () => {
    expect(trigger.first(1_000, undefined)).toBe(11_000);
    expect(trigger.first(1_000, 0)).toBe(1_000);
    expect(trigger.first(1_000, 2_500)).toBe(3_500);
  });

  it.each([
    // due, now → fire, missed, next
    [10_000, 10_000, 10_000, 0, 20_000],
    [10_000, 19_999, 10_000, 0, 20_000],
    [10_000, 20_000, 20_000, 1, 30_000],
    [10_000, 45_000, 40_000, 3, 50_000],
  ])('a tick due at %d handled at %d fires the tick due at %d with %d missed', (due, now, fire, missed, next) => {
    expect(trigger.catchUp(due, now)).toEqual({ fire, missed, next });
  });

  it('rebases from the last tick, never before now', () => {
    expect(trigger.rebase(10_000, 12_000)).toBe(20_000);
    expect(trigger.rebase(10_000, 25_000)).toBe(25_000);
  });
});

describe('fixedDelay', () => {
  const trigger = createTrigger('fixedDelay', 500, undefined);
  it('is due a delay after each settle and never catches up', () => {
    expect(trigger.first(0, undefined)).toBe(500);
    expect(trigger.afterSettle(1_234)).toBe(1_734);
    expect(trigger.catchUp(500, 5_000)).toEqual({ fire: 500, missed: 0, next: null });
  });
});

describe('at', () => {
  it('is due once at its instant', () => {
    const trigger = createTrigger('at', new Date('2030-01-01T00:00:00Z'), undefined);
    expect(iso(trigger.first(0, undefined))).toBe('2030-01-01T00:00:00.000Z');
    expect(trigger.catchUp(utc('2030-01-01T00:00:00Z'), utc('2030-01-02T00:00:00Z')).next).toBeNull();
  });
});

describe('cron', () => {
  it('supports 6 fields with seconds', () => {
    const trigger = createTrigger('cron', '*/15 * * * * *', 'UTC');
    expect(iso(trigger.first(utc('2026-01-01T00:00:07Z'), undefined))).toBe('2026-01-01T00:00:15.000Z');
    expect(iso(trigger.following(utc('2026-01-01T00:00:45Z')))).toBe('2026-01-01T00:01:00.000Z');
  });

  it('supports 5 fields', () => {
    const trigger = createTrigger('cron', '30 9 * * 1-5', 'UTC');
    // 2026-01-03 is a Saturday: the next weekday 09:30 is Monday the 5th.
    expect(iso(trigger.first(utc('2026-01-03T12:00:00Z'), undefined))).toBe('2026-01-05T09:30:00.000Z');
  });

  it.each([
    // Europe/Berlin springs forward at 2026-03-29 02:00 → 03:00 (CET → CEST).
    ['0 30 1 * * *', '2026-03-28T12:00:00Z', ['2026-03-29T00:30:00.000Z', '2026-03-29T23:30:00.000Z']],
    // 02:30 does not exist on that day: croner runs it at the first valid instant, and only once.
    ['0 30 2 * * *', '2026-03-28T12:00:00Z', ['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']],
    // Falls back at 2026-10-25 03:00 → 02:00: 02:30 happens twice but fires once.
    ['0 30 2 * * *', '2026-10-24T12:00:00Z', ['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']],
    // Hourly ticks through the repeated hour stay one hour apart in real time.
    ['0 0 * * * *', '2026-10-24T23:30:00Z', ['2026-10-25T00:00:00.000Z', '2026-10-25T01:00:00.000Z', '2026-10-25T02:00:00.000Z']],
  ])('%s in Europe/Berlin from %s is correct across DST', (pattern, from, expected) => {
    const trigger = createTrigger('cron', pattern, 'Europe/Berlin');
    const got: (string | null)[] = [];
    let due = trigger.first(utc(from), undefined);
    for (let i = 0; i < expected.length; i += 1) {
      got.push(iso(due));
      due = due === null ? null : trigger.following(due);
    }
    expect(got).toEqual(expected);
  });

  it('counts ticks missed in a stall and fires the latest', () => {
    const trigger = createTrigger('cron', '* * * * * *', 'UTC');
    const due = utc('2026-01-01T00:00:00Z');
    expect(trigger.catchUp(due, due + 3_500)).toEqual({ fire: due + 3_000, missed: 3, next: due + 4_000 });
  });
});
