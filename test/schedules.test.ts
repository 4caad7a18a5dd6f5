/** The pure due-time arithmetic of each schedule kind, on tables of fixed dates. */
import { describe, expect, it } from 'vitest';
import { createSchedule } from '../src/schedules/create.js';
import { catchUp } from '../src/schedules/catch-up.js';
import type { ScheduleKind } from '../src/schedules/schedule.js';

const utc = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const schedule = (kind: ScheduleKind, value: unknown, timezone?: string, phase?: unknown) => createSchedule({ kind, value, timezone, phase });

describe('fixedRate: epoch-aligned slots', () => {
  const rate = schedule('fixedRate', '10s');

  it('is due at the next slot after the add time, or the first slot at or after initialDelay', () => {
    expect(rate.first(1_000, undefined)).toBe(10_000);
    expect(rate.first(10_000, undefined)).toBe(20_000);
    expect(rate.first(1_000, 0)).toBe(10_000);
    expect(rate.first(10_000, 0)).toBe(10_000);
    expect(rate.first(1_000, 12_500)).toBe(20_000);
  });

  it('gives every process the same slots, whenever it started', () => {
    const a = schedule('fixedRate', '1m');
    const b = schedule('fixedRate', 60_000);
    expect(iso(a.first(utc('2026-01-01T00:00:01.347Z'), undefined))).toBe('2026-01-01T00:01:00.000Z');
    expect(iso(b.first(utc('2026-01-01T00:00:01.812Z'), undefined))).toBe('2026-01-01T00:01:00.000Z');
  });

  it('offsets its slots by phase', () => {
    const phased = schedule('fixedRate', '1m', undefined, '15s');
    expect(iso(phased.next(utc('2026-01-01T00:00:20Z')))).toBe('2026-01-01T00:01:15.000Z');
    expect(iso(phased.latest(utc('2026-01-01T00:00:20Z')))).toBe('2026-01-01T00:00:15.000Z');
    expect(phased.description).toBe('every 1m at +15s');
  });

  it.each([
    // due, now → fire, missed, next
    [10_000, 10_000, 10_000, 0, 20_000],
    [10_000, 19_999, 10_000, 0, 20_000],
    [10_000, 20_000, 20_000, 1, 30_000],
    [10_000, 45_000, 40_000, 3, 50_000],
  ])('a tick due at %d handled at %d fires the tick due at %d with %d missed', (due, now, fire, missed, next) => {
    expect({ ...catchUp(rate, due, now) }).toEqual({ fire, missed, next });
  });

  it('ends where a Date ends', () => {
    const huge = schedule('fixedRate', 8e15);
    expect(huge.next(0)).toBe(8e15);
    expect(huge.next(8e15)).toBeNull();
  });
});

describe('fixedDelay', () => {
  const delay = schedule('fixedDelay', 500);
  it('is due a delay after each settle and is chained, never caught up', () => {
    expect(delay.chained).toBe(true);
    expect(delay.first(0, undefined)).toBe(500);
    expect(delay.first(0, 50)).toBe(50);
    expect(delay.next(1_234)).toBe(1_734);
    expect(delay.latest(5_000)).toBeNull();
  });
});

describe('at', () => {
  it('is due once at its instant', () => {
    const at = schedule('at', new Date('2030-01-01T00:00:00Z'));
    expect(iso(at.first(0, undefined))).toBe('2030-01-01T00:00:00.000Z');
    expect(at.next(utc('2030-01-01T00:00:00Z'))).toBeNull();
    expect({ ...catchUp(at, utc('2030-01-01T00:00:00Z'), utc('2030-01-02T00:00:00Z')) }).toEqual({ fire: utc('2030-01-01T00:00:00Z'), missed: 0, next: null });
  });
});

describe('cron', () => {
  it('supports 6 fields with seconds', () => {
    const cron = schedule('cron', '*/15 * * * * *', 'UTC');
    expect(iso(cron.first(utc('2026-01-01T00:00:07Z'), undefined))).toBe('2026-01-01T00:00:15.000Z');
    expect(iso(cron.next(utc('2026-01-01T00:00:45Z')))).toBe('2026-01-01T00:01:00.000Z');
    expect(iso(cron.latest(utc('2026-01-01T00:00:45Z')))).toBe('2026-01-01T00:00:45.000Z');
  });

  it('supports 5 fields', () => {
    const cron = schedule('cron', '30 9 * * 1-5', 'UTC');
    // 2026-01-03 is a Saturday: the next weekday 09:30 is Monday the 5th.
    expect(iso(cron.first(utc('2026-01-03T12:00:00Z'), undefined))).toBe('2026-01-05T09:30:00.000Z');
  });

  const walk = (pattern: string, zone: string, from: string, count: number): (string | null)[] => {
    const cron = schedule('cron', pattern, zone);
    const got: (string | null)[] = [];
    let due = cron.first(utc(from), undefined);
    for (let i = 0; i < count; i += 1) {
      got.push(iso(due));
      due = due === null ? null : cron.next(due);
    }
    return got;
  };

  it.each([
    // Europe/Berlin springs forward at 2026-03-29 02:00 → 03:00 (CET → CEST).
    ['0 30 1 * * *', '2026-03-28T12:00:00Z', ['2026-03-29T00:30:00.000Z', '2026-03-29T23:30:00.000Z']],
    // 02:30 does not exist on that day: croner runs it at the first valid instant, and only once.
    ['0 30 2 * * *', '2026-03-28T12:00:00Z', ['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']],
    // Falls back at 2026-10-25 03:00 → 02:00: 02:30 happens twice but fires once.
    ['0 30 2 * * *', '2026-10-24T12:00:00Z', ['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']],
    // A list whose times include the repeated hour: still once, at the first 02:30 (CEST).
    ['30 2,4 * * *', '2026-10-24T12:00:00Z', ['2026-10-25T00:30:00.000Z', '2026-10-25T03:30:00.000Z', '2026-10-26T01:30:00.000Z']],
    // Hourly ticks (a wildcard hour) keep one hour apart in real time through the repeated hour.
    ['0 0 * * * *', '2026-10-24T23:30:00Z', ['2026-10-25T00:00:00.000Z', '2026-10-25T01:00:00.000Z', '2026-10-25T02:00:00.000Z']],
  ])('%s in Europe/Berlin from %s is correct across DST', (pattern, from, expected) => {
    expect(walk(pattern, 'Europe/Berlin', from, expected.length)).toEqual(expected);
  });

  // America/New_York falls back at 2026-11-01 02:00 EDT → 01:00 EST: 01:00–01:59 happens twice.
  it.each([
    ['30 1 * * *', ['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']],
    ['0,30 1 * * *', ['2026-11-01T05:00:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-02T06:00:00.000Z', '2026-11-02T06:30:00.000Z']],
    ['30 1-3 * * *', ['2026-11-01T05:30:00.000Z', '2026-11-01T07:30:00.000Z', '2026-11-01T08:30:00.000Z', '2026-11-02T06:30:00.000Z']],
    ['30 1,2 * * *', ['2026-11-01T05:30:00.000Z', '2026-11-01T07:30:00.000Z', '2026-11-02T06:30:00.000Z']],
    ['0 */20 1 * * *', ['2026-11-01T05:00:00.000Z', '2026-11-01T05:20:00.000Z', '2026-11-01T05:40:00.000Z', '2026-11-02T06:00:00.000Z']],
  ])('%s in America/New_York runs each wall time of the fall-back night once, at its first instant', (pattern, expected) => {
    expect(walk(pattern, 'America/New_York', '2026-11-01T00:00:00-04:00', expected.length)).toEqual(expected);
  });

  it('latest() skips the repeated instant too', () => {
    const cron = schedule('cron', '30 1,2 * * *', 'America/New_York');
    // 06:45Z is 01:45 EST: the latest 01:30 that ran is the EDT one.
    expect(iso(cron.latest(utc('2026-11-01T06:45:00Z')))).toBe('2026-11-01T05:30:00.000Z');
  });

  it('counts ticks missed in a stall and fires the latest', () => {
    const cron = schedule('cron', '* * * * * *', 'UTC');
    const due = utc('2026-01-01T00:00:00Z');
    expect({ ...catchUp(cron, due, due + 3_500) }).toEqual({ fire: due + 3_000, missed: 3, next: due + 4_000 });
  });
});
