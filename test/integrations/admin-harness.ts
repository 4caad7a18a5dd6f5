/**
 * An admin handler on a real loopback server over a scheduler on the TestClock, for the HTTP
 * tests; everything a test starts is stopped after it (`useAdminCleanups()` in the file).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { createScheduler, TestClock, type Scheduler } from '../../src/index.js';
import { createAdminHandler, type AdminHandler, type AdminOptions } from '../../src/integrations/http.js';

export const T0 = Date.parse('2026-03-01T12:00:00.000Z');

/** What a test gets: the clock, the scheduler, the handler and where it listens. */
export interface AdminHarness {
  clock: TestClock;
  scheduler: Scheduler;
  handler: AdminHandler;
  base: string;
  port: number;
}

const cleanups: (() => unknown)[] = [];

/** Registers the cleanup of what each test started (call once at a test file's top level). */
export function useAdminCleanups(): void {
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
}

/** Runs `cleanup` after the current test, in reverse order of registration. */
export function afterThisTest(cleanup: () => unknown): void {
  cleanups.push(cleanup);
}

/** Listens on a free loopback port; the server is closed after the test. */
export async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return (server.address() as AddressInfo).port;
}

/** A scheduler on `clock` with an admin handler served on loopback; both stopped after the test. */
export async function startAdmin(options: AdminOptions = {}, clock = new TestClock(T0)): Promise<AdminHarness> {
  const scheduler = createScheduler({ clock });
  cleanups.push(async () => {
    const stopping = scheduler.stop({ timeout: '1s' });
    await clock.advance(60_000);
    await stopping;
  });
  const handler = createAdminHandler(scheduler, options);
  cleanups.push(() => handler.dispose());
  const port = await listen(createServer(handler));
  return { clock, scheduler, handler, port, base: `http://127.0.0.1:${port}` };
}
