/** Runs the `tickguard` CLI in a child process, from source through tsx or from a bundle. */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository's root. */
export const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** tsx's ESM loader, as an absolute URL so it resolves from any working directory. */
export const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** What a child process printed and how it ended. */
export interface ChildRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** What a CLI run printed and how it ended. */
export type CliResult = ChildRun;

/** Options of {@link runNode}. */
export interface NodeRunOptions {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Killed after this long: a hung child fails the test instead of hanging it. */
  readonly timeoutMs: number;
  /** Called with all of stdout so far, after each chunk. */
  readonly onStdout?: (stdout: string, pid: number) => void;
}

/** Runs `node ...nodeArgs` and resolves once it has exited. */
export function runNode(nodeArgs: readonly string[], options: NodeRunOptions): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs, { cwd: options.cwd ?? REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(stdout, child.pid!);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Options of {@link runCli}. */
export interface CliOptions {
  /** A built entry to run with plain node; by default src/cli/main.ts through tsx. */
  readonly entry?: string;
  readonly cwd?: string;
  /** Killed after this long: a hung CLI fails the test instead of hanging it. */
  readonly timeoutMs?: number;
}

/** Runs `tickguard ...args` and resolves once it has exited. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const nodeArgs = options.entry === undefined
    ? ['--import', TSX_LOADER, fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url)), ...args]
    : [options.entry, ...args];
  return runNode(nodeArgs, { ...(options.cwd === undefined ? {} : { cwd: options.cwd }), env: { NO_COLOR: '1' }, timeoutMs: options.timeoutMs ?? 60_000 });
}
