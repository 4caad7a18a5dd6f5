/**
 * How framework adapters serve an admin handler mounted under a prefix: the adapter knows the
 * prefix the framework routed by (Fastify's `prefix`, the Koa adapter's own), the handler strips
 * it before its own routing — the request is never rewritten, unlike Express's `req.url`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Serves `req` as if the handler's `basePath` were preceded by `prefix`. */
export type MountedServe = (req: IncomingMessage, res: ServerResponse, prefix: string) => void;

const mounts = new WeakMap<object, MountedServe>();

/** Records how `handler` serves under a prefix (called by `createAdminHandler()`). */
export function registerMount(handler: object, serve: MountedServe): void {
  mounts.set(handler, serve);
}

/**
 * Serves `req` through `handler` mounted at `prefix`. A handler made by another copy of tickguard
 * is not known here: it gets the request as is, and answers for the paths under its `basePath`.
 */
export function serveMounted(handler: (req: IncomingMessage, res: ServerResponse) => void, req: IncomingMessage, res: ServerResponse, prefix: string): void {
  const serve = mounts.get(handler);
  if (serve === undefined) handler(req, res);
  else serve(req, res, prefix);
}
