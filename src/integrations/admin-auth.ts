/**
 * Bearer-token checks of the admin endpoint's actions. Both tokens are hashed first, so that
 * `timingSafeEqual` always compares two 32-byte digests: the comparison takes the same time
 * whatever the given token's length or content, and a wrong length is not an early exit.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { InvalidOptionError } from '../errors.js';
import { describeValue } from '../describe-value.js';

/** The result of checking a request's `Authorization` header. */
export type AuthResult = 'ok' | 'missing' | 'invalid';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;
/** Characters an HTTP header value can carry in a bearer token (RFC 6750 b64token, generously). */
const TOKEN = /^[\x21-\x7e]+$/;

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Checks bearer tokens against one secret. */
export class BearerAuth {
  readonly #expected: Buffer;

  /** @throws {InvalidOptionError} when `token` is not a non-empty string of visible ASCII characters. */
  constructor(token: unknown) {
    if (typeof token !== 'string' || !TOKEN.test(token)) {
      throw new InvalidOptionError('token', typeof token === 'string' ? '(redacted)' : token,
        `Expected \`token\` to be a non-empty string of visible ASCII characters (no spaces), got ${typeof token === 'string' ? `a string of length ${token.length} that is not` : describeValue(token)}`);
    }
    this.#expected = digest(token);
  }

  /** Checks an `Authorization` header value (as node:http gives it). */
  check(header: string | string[] | undefined): AuthResult {
    if (typeof header !== 'string' || header === '') return 'missing';
    const match = BEARER.exec(header);
    if (match === null) return 'invalid';
    return timingSafeEqual(digest(match[1]!), this.#expected) ? 'ok' : 'invalid';
  }
}
