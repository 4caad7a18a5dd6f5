/**
 * Promise-likes from user code, handled without trusting them: reading `.then` may throw (a
 * revoked Proxy, a throwing getter), and a foreign thenable may call back twice or never.
 */

/**
 * The intrinsic `Promise.prototype.then`: when a value's `then` is this one, callers subscribe
 * directly; any other `then` (a foreign thenable, a redefined one) is adopted through a native
 * promise. A Proxy around a promise makes it throw (incompatible receiver): a failure like any.
 */
export const PROMISE_THEN = Promise.prototype.then;

/** `value.then` when it is a function; throws whatever reading it throws. */
export function thenOf(value: unknown): ((onFulfilled: (v: unknown) => void, onRejected: (e: unknown) => void) => unknown) | undefined {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
  const then = (value as { then?: unknown }).then;
  return typeof then === 'function' ? (then as never) : undefined;
}

/** Reports a rejection of `value` (a promise or thenable a listener returned) to `onError`; anything else is ignored. */
export function catchRejection(value: unknown, onError: (error: unknown) => void): void {
  try {
    const then = thenOf(value);
    if (then === PROMISE_THEN) PROMISE_THEN.call(value, undefined, onError);
    else if (then !== undefined) Promise.resolve(value as PromiseLike<unknown>).catch(onError);
  } catch (error) {
    onError(error);
  }
}
