/**
 * Mounting the admin handler in web frameworks (`tickguard/http`). The handler is a `node:http`
 * request listener, so the adapters only hand it the framework's raw `req`/`res` and tell it the
 * prefix it is mounted at; routing, the token check and the dashboard stay the handler's.
 *
 * - **Express** (and Connect) needs no adapter: `app.use('/admin', admin)` — Express strips
 *   the mount path from `req.url` itself.
 * - **Fastify**: `app.register(fastifyAdmin(admin), { prefix: '/admin' })`.
 * - **Koa**: `app.use(koaAdmin(admin, { prefix: '/admin' }))`.
 *
 * Tested against Express 5, Fastify 5 and Koa 3. The types below are the few members the
 * adapters use, so that neither framework is a dependency of tickguard; Fastify's and Koa's own
 * types satisfy them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidOptionError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import { serveMounted } from './admin-mount.js';
import { optionsObject } from './validate.js';

/** A `node:http` request listener, such as the handler of `createAdminHandler()`. */
type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** What the Fastify adapter reads of a request: its raw `node:http` request. */
export interface FastifyLikeRequest {
  readonly raw: IncomingMessage;
}

/** What the Fastify adapter uses of a reply: its raw response, and `hijack()` to write to it. */
export interface FastifyLikeReply {
  readonly raw: ServerResponse;
  hijack(): unknown;
}

/** What the Fastify plugin uses of the instance it is registered on; a `FastifyInstance` satisfies it. */
export interface FastifyLikeInstance {
  /** The prefix the plugin was registered with (`''` without one). */
  readonly prefix: string;
  all(path: string, handler: (request: FastifyLikeRequest, reply: FastifyLikeReply) => void): unknown;
  removeAllContentTypeParsers(): unknown;
  addContentTypeParser(contentType: string, parser: (request: unknown, payload: unknown, done: (error: Error | null, body?: unknown) => void) => void): unknown;
}

/** A Fastify plugin (callback style), to pass to `app.register()`. */
export type FastifyAdminPlugin = (instance: FastifyLikeInstance, options: unknown, done: (error?: Error) => void) => void;

/**
 * A Fastify plugin serving `admin` under the prefix it is registered with. Inside its own
 * encapsulation context it routes every method of `/` and `/*` to the handler, and takes request
 * bodies of any content type unparsed (the handler's actions ignore them), so that a `POST`
 * Fastify could not parse still reaches the token check.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { createAdminHandler, fastifyAdmin } from 'tickguard/http';
 *
 * const app = Fastify();
 * const admin = createAdminHandler(scheduler, { token: process.env.TICKGUARD_ADMIN_TOKEN ?? '' });
 * await app.register(fastifyAdmin(admin), { prefix: '/admin' });
 * app.addHook('onClose', async () => admin.dispose());
 * ```
 */
export function fastifyAdmin(admin: RequestListener): FastifyAdminPlugin {
  requireListener(admin, 'fastifyAdmin()');
  return (instance, _options, done) => {
    const prefix = instance.prefix;
    const route = (request: FastifyLikeRequest, reply: FastifyLikeReply): void => {
      reply.hijack();
      serveMounted(admin, request.raw, reply.raw, prefix);
    };
    instance.removeAllContentTypeParsers();
    instance.addContentTypeParser('*', (_request, _payload, parsed) => parsed(null));
    instance.all('/', route);
    instance.all('/*', route);
    done();
  };
}

/** What the Koa middleware uses of a context; a Koa `Context` satisfies it. */
export interface KoaLikeContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The request's path, without the query. */
  readonly path: string;
  /** Set to `false` so that Koa leaves the response to the handler. */
  respond?: boolean;
}

/** A Koa middleware, to pass to `app.use()`. */
export type KoaAdminMiddleware = (ctx: KoaLikeContext, next: () => Promise<unknown>) => Promise<void>;

/** Options of {@link koaAdmin}. */
export interface KoaAdminOptions {
  /** Where the admin endpoint lives, e.g. `'/admin'`; other paths go on to the next middleware. @default '': every request is the handler's */
  readonly prefix?: string | undefined;
}

/**
 * A Koa middleware serving `admin` under `prefix`; requests outside it go on to `next()`.
 * Koa's own response handling is turned off (`ctx.respond = false`) for the requests it serves,
 * and it resolves once the response is finished, so middleware that awaits `next()` (a logger,
 * a timer) sees the request end.
 *
 * @example
 * ```ts
 * import Koa from 'koa';
 * import { createAdminHandler, koaAdmin } from 'tickguard/http';
 *
 * const app = new Koa();
 * app.use(koaAdmin(createAdminHandler(scheduler, { token: process.env.TICKGUARD_ADMIN_TOKEN ?? '' }), { prefix: '/admin' }));
 * ```
 */
export function koaAdmin(admin: RequestListener, options?: KoaAdminOptions): KoaAdminMiddleware {
  requireListener(admin, 'koaAdmin()');
  const raw = optionsObject(options, ['prefix'] as const, 'koaAdmin()');
  const prefix = raw.prefix ?? '';
  if (typeof prefix !== 'string' || (prefix !== '' && (!prefix.startsWith('/') || prefix.endsWith('/') || /[?#\s]/.test(prefix)))) {
    throw new InvalidOptionError('prefix', prefix, `Expected \`prefix\` to be '' or a path such as '/admin' (leading '/', no trailing '/'), got ${describeValue(prefix)}`);
  }
  return async (ctx, next) => {
    const path = ctx.path;
    if (prefix !== '' && path !== prefix && !path.startsWith(`${prefix}/`)) {
      await next();
      return;
    }
    ctx.respond = false;
    const res = ctx.res;
    await new Promise<void>((resolve) => {
      res.once('close', resolve);
      serveMounted(admin, ctx.req, res, prefix);
    });
  };
}

function requireListener(admin: unknown, where: string): void {
  if (typeof admin !== 'function') {
    throw new InvalidOptionError('admin', admin, `Expected ${where} to be given the handler of createAdminHandler(), got ${describeValue(admin)}`);
  }
}
