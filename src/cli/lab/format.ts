/** Number formats shared by the live view, the table and the HTML report. */

const MIB = 1024 * 1024;

/** `36700160` → `'35.0 MiB'`. */
export function formatBytes(bytes: number): string {
  if (bytes < MIB) return `${Math.round(bytes / 1024)} KiB`;
  return `${(bytes / MIB).toFixed(1)} MiB`;
}

/** `1500` → `'1.5s'`, `12.34` → `'12.3ms'`. */
export function formatMs(ms: number): string {
  if (ms >= 1_000) return `${Number((ms / 1_000).toFixed(1))}s`;
  if (ms >= 100 || Number.isInteger(ms)) return `${Math.round(ms)}ms`;
  return `${ms.toFixed(1)}ms`;
}

/** A count with its unit, singular when it is one: `plural(1, 'run')` → `'1 run'`. */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : nouns}`;
}

/** Requests per second arriving minus those the downstream can serve; positive means the queue grows. */
export function excessRatePerSecond(intervalMs: number, serviceTimeMs: number, capacity: number): number {
  return 1_000 / intervalMs - (capacity * 1_000) / serviceTimeMs;
}
