/**
 * Wall-clock questions about a time zone that croner does not answer: the UTC offset at an
 * instant, and whether an instant's local wall time already happened earlier (the repeated
 * hour when the clocks fall back).
 */

const FORMATTERS = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = FORMATTERS.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    FORMATTERS.set(timeZone, format);
  }
  return format;
}

/** The zone a cron schedule without `timezone` runs in: the process's own. */
export function localTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** The UTC offset of `timeZone` at `instant`, in ms (positive east of Greenwich). */
export function zoneOffsetMs(instant: number, timeZone: string): number {
  const whole = Math.floor(instant / 1000) * 1000;
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(whole))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const wallAsUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return wallAsUtc - whole;
}

/** Offsets change by at most 2 h at once (Antarctica/Troll); looking back 3 h covers every fall-back. */
const LOOK_BACK_MS = 3 * 3_600_000;

/**
 * Whether the local wall time of `instant` in `timeZone` already occurred at an earlier instant:
 * true for the second 01:30 on the night New York falls back. An offset that shrank by Δ within
 * the last hours means the wall time repeats; it repeats at `instant − Δ` exactly when that
 * earlier instant still had the larger offset.
 */
export function repeatsEarlierWallTime(instant: number, timeZone: string): boolean {
  const offset = zoneOffsetMs(instant, timeZone);
  const shrankBy = zoneOffsetMs(instant - LOOK_BACK_MS, timeZone) - offset;
  if (shrankBy <= 0) return false;
  return zoneOffsetMs(instant - shrankBy, timeZone) === offset + shrankBy;
}
