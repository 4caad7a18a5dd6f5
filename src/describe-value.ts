/** Renders a refused value for an error message: `"5x" (string)`, `NaN (number)`, `undefined`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'function') return 'a function';
  if (value instanceof Date) return `${Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()} (Date)`;
  if (typeof value === 'object') {
    let text: string;
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = Object.prototype.toString.call(value);
    }
    return `${text.length > 60 ? `${text.slice(0, 57)}...` : text} (${Array.isArray(value) ? 'array' : 'object'})`;
  }
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return `${text} (${typeof value})`;
}
