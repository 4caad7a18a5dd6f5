/**
 * A private `redis-server` a test starts, kills and restarts itself, on a port of its own, without
 * persistence (`--save '' --appendonly no`): a restart loses every key, as a Redis without AOF does.
 * `stop()` is safe to call whatever state it is in, so an `afterAll` can always call it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from './ports.js';

export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** Whether a server process is running. */
  readonly running: boolean;
  /** `kill -9` of the server: no shutdown, no save. */
  kill(): Promise<void>;
  /** Starts the server again on the same port, empty; resolves once it answers PING. */
  start(): Promise<void>;
  /** Kills whatever runs; idempotent. */
  stop(): Promise<void>;
}

/** Whether `redis-server` can be started here. */
export function redisServerInstalled(): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = spawn('redis-server', ['--version'], { stdio: 'ignore' });
    probe.once('error', () => resolve(false));
    probe.once('exit', (code) => resolve(code === 0));
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      answer += data.toString();
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}

export async function privateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const server: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return child !== undefined;
    },
    async start(): Promise<void> {
      if (child !== undefined) throw new Error('the private redis-server is already running');
      const made = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], { stdio: 'ignore' });
      child = made;
      exited = new Promise((resolve) => made.once('exit', () => resolve()));
      void exited.then(() => {
        if (child === made) child = undefined;
      });
      for (let i = 0; i < 200; i += 1) {
        if (await ping(port)) return;
        if (child !== made) throw new Error(`redis-server on port ${port} exited at start`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`redis-server on port ${port} did not answer PING within 5 s`);
    },
    async kill(): Promise<void> {
      const running = child;
      if (running === undefined) return;
      running.kill('SIGKILL');
      await exited;
    },
    stop(): Promise<void> {
      return server.kill();
    },
  };
  await server.start();
  return server;
}
