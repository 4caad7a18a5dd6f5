/**
 * tickguard logs through a pino-compatible logger: any object with `child`, `debug`, `info`,
 * `warn` and `error` taking `(fields, message)`, as pino's do. Without one it logs nothing.
 *
 * A user's logger is wrapped by {@link guardLogger}: a logger that throws — a JSON logger meeting
 * an error with a circular reference, a transport gone away — is contained exactly like a
 * throwing event listener, so a run's slot is always given back and the schedule goes on. The
 * wrapper is also what a task gets as `ctx.log`: a {@link RunLogger} that takes pino's other call
 * shapes too (`log.info('message')`, `log.info('took %d ms', ms)`) and hands each to the user's
 * logger fields first, so a logger written for `(fields, message)` receives every line alike.
 */

/** A log method of the logger you pass: structured fields first, then an optional message and its interpolation arguments (pino's order). */
export type LogFn = (fields: Record<string, unknown>, message?: string, ...args: unknown[]) => void;

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

/**
 * A log method of `ctx.log`, with pino's call shapes: `log.info('message')`,
 * `log.info({ id }, 'message')`, `log.info('took %d ms', ms)` and `log.error(err, 'message')`.
 */
export interface RunLogFn {
  /** A message, its `%s`/`%d`/`%o` placeholders filled from `args` by your logger. */
  (message: string, ...args: unknown[]): void;
  /** Structured fields (or an `Error`, logged as `err`) first, then an optional message and its arguments. */
  (fields: object, message?: string, ...args: unknown[]): void;
}

/** The logger a task gets as `ctx.log`: bound to job, tick and attempt, never throwing, with pino's call shapes. */
export interface RunLogger {
  /** A child bound to more fields. */
  child(bindings: Record<string, unknown>): RunLogger;
  debug: RunLogFn;
  info: RunLogFn;
  warn: RunLogFn;
  error: RunLogFn;
  /** Whether `level` is enabled (true when your logger cannot say). */
  isLevelEnabled(level: string): boolean;
}

const noop: RunLogFn = () => {};

/** A logger that discards everything; the default. */
export const silentLogger: RunLogger = {
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
export function guardLogger(logger: Logger, onFailure: (error: unknown, method: string) => void): RunLogger {
  return new GuardedLogger(logger, undefined, onFailure);
}

class GuardedLogger implements RunLogger {
  readonly #inner: Logger;
  /** Bindings of a child the inner logger could not make: added to each line instead. */
  readonly #bindings: Record<string, unknown> | undefined;
  readonly #onFailure: (error: unknown, method: string) => void;

  constructor(inner: Logger, bindings: Record<string, unknown> | undefined, onFailure: (error: unknown, method: string) => void) {
    this.#inner = inner;
    this.#bindings = bindings;
    this.#onFailure = onFailure;
  }

  debug(first: object | string, ...rest: unknown[]): void {
    this.#log('debug', first, rest);
  }

  info(first: object | string, ...rest: unknown[]): void {
    this.#log('info', first, rest);
  }

  warn(first: object | string, ...rest: unknown[]): void {
    this.#log('warn', first, rest);
  }

  error(first: object | string, ...rest: unknown[]): void {
    this.#log('error', first, rest);
  }

  child(bindings: Record<string, unknown>): RunLogger {
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

  /**
   * Hands the call to the user's logger fields first: `('message', ...args)` becomes
   * `({}, 'message', ...args)`, which pino prints alike. Bindings a failed `child()` could not
   * attach go into the fields; an `Error` given as the fields goes in as `err`.
   */
  #log(level: Level, first: object | string, rest: unknown[]): void {
    try {
      const bindings = this.#bindings;
      const inner = this.#inner;
      const log = inner[level] as (this: Logger, ...args: unknown[]) => void;
      if (typeof first === 'string') log.call(inner, bindings ?? {}, first, ...rest);
      else if (bindings === undefined) log.call(inner, first, ...rest);
      else log.call(inner, mergeFields(bindings, first), ...rest);
    } catch (error) {
      this.#onFailure(error, level);
    }
  }
}

/** `fields` with `bindings` under them; an `Error` stays whole, as pino's `err`. */
function mergeFields(bindings: Record<string, unknown>, fields: object): Record<string, unknown> {
  return fields instanceof Error ? { ...bindings, err: fields } : { ...bindings, ...fields };
}
