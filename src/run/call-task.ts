/**
 * Calling a task without trusting it: a sync throw, a rejection, a non-Error, a thenable that
 * calls back twice or never, and a return value whose `.then` getter throws (a revoked Proxy)
 * all end up as one call of `target.taskSettled()` with an `Error` or `undefined` — never as an
 * exception in the engine, never as a slot held forever. A sync task settles without any
 * closure or promise being made for it.
 */
import { toError } from '../errors.js';
import { PROMISE_THEN, thenOf } from '../thenable.js';

/** Receives how an attempt's task settled. */
export interface TaskTarget {
  taskSettled(attempt: number, error: Error | undefined): void;
}

/** Calls `task(ctx)` and reports how it settled to `target`, exactly once (possibly synchronously). */
export function callTask<C>(task: (ctx: C) => unknown, ctx: C, target: TaskTarget, attempt: number): void {
  let result: unknown;
  let then: ReturnType<typeof thenOf>;
  try {
    result = task(ctx);
    // Reading `.then` runs user code too (a getter, a Proxy trap): it fails the attempt like a throw.
    then = thenOf(result);
    if (then === PROMISE_THEN) {
      // A plain promise: subscribed to directly (a proxied one throws here, failing the attempt).
      PROMISE_THEN.call(result, () => target.taskSettled(attempt, undefined), (error: unknown) => target.taskSettled(attempt, toError(error)));
      return;
    }
  } catch (error) {
    target.taskSettled(attempt, toError(error));
    return;
  }
  if (then !== undefined) {
    // A foreign thenable is adopted through a native promise, which calls back at most once.
    new Promise<unknown>((resolve, reject) => {
      then.call(result, resolve, reject);
    }).then(() => target.taskSettled(attempt, undefined), (error: unknown) => target.taskSettled(attempt, toError(error)));
  } else {
    target.taskSettled(attempt, undefined);
  }
}
