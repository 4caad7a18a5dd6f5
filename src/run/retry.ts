/** Whether a failed attempt is retried, and how long its backoff is: the retry policy of one run. */
import type { Logger } from '../logger.js';
import type { RetryConfig } from '../options/types.js';
import { toError } from '../errors.js';

/** Whether the attempt numbered `attempt` that failed with `error` gets another try. A throwing `retryIf` means no. */
export function shouldRetry(retry: RetryConfig, error: Error, attempt: number, log: () => Logger): boolean {
  if (attempt >= retry.attempts) return false;
  if (retry.retryIf === undefined) return true;
  try {
    return Boolean(retry.retryIf(error, attempt));
  } catch (predicateError) {
    log().error({ err: toError(predicateError) }, 'retry.retryIf threw; not retrying');
    return false;
  }
}
