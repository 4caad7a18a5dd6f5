/**
 * The stores the coordination tests talk to — real Redis and PostgreSQL, never mocks. Outside
 * CI a store that is not running makes its tests skip with a notice; in CI (`CI=true`) it is an
 * error, since `.ci/run` starts them.
 */
import { connect } from 'node:net';

/** Where the test Redis is: `TICKGUARD_TEST_REDIS`, else the local one. */
export const REDIS_URL = process.env.TICKGUARD_TEST_REDIS ?? 'redis://127.0.0.1:6379';
/** Where the test PostgreSQL is: `TICKGUARD_TEST_POSTGRES`, else the local one (trust auth, database `test`). */
export const POSTGRES_URL = process.env.TICKGUARD_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Whether something accepts TCP connections at the URL's host and port. */
function listening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Whether the tests of `suite` can run against `url`; throws in CI when they cannot. */
export async function storeAvailable(suite: string, url: string): Promise<boolean> {
  if (await listening(url)) return true;
  const where = new URL(url).host;
  if (process.env.CI === 'true') throw new Error(`${suite}: nothing listens at ${where} in CI; .ci/run starts Redis and PostgreSQL`);
  console.warn(`${suite} skipped: nothing listens at ${where} (start the store, or set TICKGUARD_TEST_REDIS / TICKGUARD_TEST_POSTGRES)`);
  return false;
}
