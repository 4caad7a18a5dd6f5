/**
 * One refresh of the admin dashboard, as the page makes it: the requests of
 * `DEFAULT_REFRESH_REQUESTS` (its first view: first page, no search, no filter), sent together
 * to `handler` behind a real `node:http` server on 127.0.0.1. Besides the bytes answered, it
 * reports how long the handler held the event loop: the synchronous part of each call, which for
 * these routes is all of the handler's work (it serializes and writes before returning).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_REFRESH_REQUESTS } from '../../src/integrations/dashboard-page.js';

/** What one refresh cost. */
export interface DashboardRefresh {
  /** Response bodies, all requests together. */
  readonly bytes: number;
  /** Time spent inside the handler's calls (the loop was blocked for it), all requests together. */
  readonly handlerMs: number;
  /** The paths requested. */
  readonly requests: readonly string[];
}

/** Makes the requests of one dashboard refresh against `handler` (mounted at `/`). */
export async function dashboardRefresh(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<DashboardRefresh> {
  let handlerMs = 0;
  const server = createServer((req, res) => {
    const start = performance.now();
    try {
      handler(req, res);
    } finally {
      handlerMs += performance.now() - start;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const sizes = await Promise.all(DEFAULT_REFRESH_REQUESTS.map(async (path) => {
      const response = await fetch(origin + path, { headers: { accept: 'application/json' } });
      const body = await response.arrayBuffer();
      if (!response.ok) throw new Error(`GET /${path}: HTTP ${response.status}`);
      return body.byteLength;
    }));
    return { bytes: sizes.reduce((sum, size) => sum + size, 0), handlerMs, requests: DEFAULT_REFRESH_REQUESTS };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
