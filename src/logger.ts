/**
 * tickguard logs through a pino-compatible logger: any object with `child`, `debug`, `info`,
 * `warn` and `error` taking `(fields, message)`. Without one it logs nothing.
 */

/** A log method: structured fields first, then an optional message (pino's argument order). */
export type LogFn = (fields: Record<string, unknown>, message?: string) => void;

/** The logger shape tickguard accepts; pino's `Logger` satisfies it. */
export interface Logger {
  child(bindings: Record<string, unknown>): Logger;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  /** Optional (pino has it): lets tickguard skip building fields for a disabled level. */
  isLevelEnabled?(level: string): boolean;
}

const noop: LogFn = () => {};

/** A logger that discards everything; the default. */
export const silentLogger: Logger = {
  child: () => silentLogger,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  isLevelEnabled: () => false,
};

/** Whether `level` is worth building fields for. A logger without `isLevelEnabled` is asked every time. */
export function levelEnabled(logger: Logger, level: 'debug' | 'info' | 'warn' | 'error'): boolean {
  return logger.isLevelEnabled === undefined || logger.isLevelEnabled(level);
}
