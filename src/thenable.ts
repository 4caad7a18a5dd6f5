/**
 * Promise-likes from user code, handled without trusting them: reading `.then` may throw (a
 * revoked Proxy, a throwing getter), and a foreign thenable may call back twice or never.
 */

/** `value.then` when it is a function; throws whatever reading it throws. */
export function thenOf(value: unknown): ((onFulfilled: (v: unknown) => void, onRejected: (e: unknown) => void) => unknown) | undefined {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
  const then = (value as { then?: unknown }).then;
  return typeof then === 'function' ? (then as never) : undefined;
}

/** Reports a rejection of `value` (a promise or thenable a listener returned) to `onError`; anything else is ignored. */
export function catchRejection(value: unknown, onError: (error: unknown) => void): void {
  try {
    if (value instanceof Promise) {
      value.catch(onError);
      return;
    }
    if (thenOf(value) !== undefined) Promise.resolve(value as PromiseLike<unknown>).catch(onError);
  } catch (error) {
    onError(error);
  }
}
