/**
 * tickguard logs through a pino-compatible logger: any object with `child`, `debug`, `info`,
 * `warn` and `error` taking `(fields, message)`. Without one it logs nothing.
 *
 * A user's logger is wrapped by {@link guardLogger}: a logger that throws — a JSON logger meeting
 * an error with a circular reference, a transport gone away — is contained exactly like a
 * throwing event listener, so a run's slot is always given back and the schedule goes on.
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

type Level = 'debug' | 'info' | 'warn' | 'error';

/** Whether `level` is worth building fields for. A logger without `isLevelEnabled` is asked every time. */
export function levelEnabled(logger: Logger, level: Level): boolean {
  return logger.isLevelEnabled === undefined || logger.isLevelEnabled(level);
}

/**
 * Wraps `logger` so that none of its calls can throw into the engine: a throwing call is
 * reported to `onFailure` and dropped. A throwing `child()` falls back to the parent with the
 * bindings merged into each line's fields; a throwing `isLevelEnabled()` counts as enabled.
 */
export function guardLogger(logger: Logger, onFailure: (error: unknown, method: string) => void): Logger {
  return new GuardedLogger(logger, undefined, onFailure);
}

class GuardedLogger implements Logger {
  readonly #inner: Logger;
  /** Bindings of a child the inner logger could not make: added to each line instead. */
  readonly #bindings: Record<string, unknown> | undefined;
  readonly #onFailure: (error: unknown, method: string) => void;

  constructor(inner: Logger, bindings: Record<string, unknown> | undefined, onFailure: (error: unknown, method: string) => void) {
    this.#inner = inner;
    this.#bindings = bindings;
    this.#onFailure = onFailure;
  }

  debug(fields: Record<string, unknown>, message?: string): void {
    this.#log('debug', fields, message);
  }

  info(fields: Record<string, unknown>, message?: string): void {
    this.#log('info', fields, message);
  }

  warn(fields: Record<string, unknown>, message?: string): void {
    this.#log('warn', fields, message);
  }

  error(fields: Record<string, unknown>, message?: string): void {
    this.#log('error', fields, message);
  }

  child(bindings: Record<string, unknown>): Logger {
    try {
      if (this.#bindings === undefined) return new GuardedLogger(this.#inner.child(bindings), undefined, this.#onFailure);
    } catch (error) {
      this.#onFailure(error, 'child');
    }
    return new GuardedLogger(this.#inner, { ...this.#bindings, ...bindings }, this.#onFailure);
  }

  isLevelEnabled(level: string): boolean {
    const inner = this.#inner;
    if (inner.isLevelEnabled === undefined) return true;
    try {
      return inner.isLevelEnabled(level);
    } catch (error) {
      this.#onFailure(error, 'isLevelEnabled');
      return true;
    }
  }

  #log(level: Level, fields: Record<string, unknown>, message: string | undefined): void {
    try {
      const merged = this.#bindings === undefined ? fields : { ...this.#bindings, ...fields };
      if (message === undefined) this.#inner[level](merged);
      else this.#inner[level](merged, message);
    } catch (error) {
      this.#onFailure(error, level);
    }
  }
}
