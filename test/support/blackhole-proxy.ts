/**
 * A TCP proxy in the test process that can be cut like a network partition: `blackhole()` stops
 * forwarding in both directions *without closing anything* — no FIN, no RST, as when packets are
 * dropped on the way — so the client only learns of it from its own timeouts. Connections made
 * meanwhile are accepted but not forwarded. `heal()` forwards again, what was held back included.
 * After pg-boss's `halfOpenProxy` (test/halfOpenProxy.ts); unlike Redis `CLIENT PAUSE`, the store
 * keeps running, and expiring keys, meanwhile. When either side closes, so does the other.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface BlackholeProxy {
  /** Where clients connect. */
  readonly port: number;
  /** Whether traffic is being held back. */
  readonly blackholed: boolean;
  /** Stops forwarding both ways, keeping every connection open. */
  blackhole(): void;
  /** Forwards again, both ways. */
  heal(): void;
  /** Closes the listener and every connection. */
  close(): Promise<void>;
}

interface Pair {
  readonly client: Socket;
  upstream: Socket | undefined;
}

export async function blackholeProxy(target: { host: string; port: number }): Promise<BlackholeProxy> {
  const pairs = new Set<Pair>();
  let blackholed = false;
  const quiet = (socket: Socket): void => {
    // A peer that goes away mid-test is not the test's failure; its pair is closed with it.
    socket.on('error', () => socket.destroy());
  };
  const forward = (pair: Pair): void => {
    if (pair.upstream === undefined) {
      const upstream = connect(target);
      quiet(upstream);
      pair.upstream = upstream;
      upstream.on('close', () => pair.client.destroy());
      pair.client.on('close', () => upstream.destroy());
    }
    pair.client.pipe(pair.upstream);
    pair.upstream.pipe(pair.client);
  };
  const server: Server = createServer((client) => {
    quiet(client);
    const pair: Pair = { client, upstream: undefined };
    pairs.add(pair);
    client.on('close', () => pairs.delete(pair));
    if (blackholed) client.pause();
    else forward(pair);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    get blackholed() {
      return blackholed;
    },
    blackhole(): void {
      blackholed = true;
      for (const { client, upstream } of pairs) {
        client.unpipe();
        client.pause();
        upstream?.unpipe();
        upstream?.pause();
      }
    },
    heal(): void {
      blackholed = false;
      for (const pair of pairs) if (!pair.client.destroyed) forward(pair);
    },
    close(): Promise<void> {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream?.destroy();
      }
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
