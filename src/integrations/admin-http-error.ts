/**
 * The admin handler's answer to a request it will not serve: an HTTP status, a stable `code`
 * and a message for humans, sent as `{ "error": { "code", "message" } }`.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}
