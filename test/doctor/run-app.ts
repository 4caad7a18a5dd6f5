/** Runs a fixture app as a real child process under the doctor: `node --import tsx --import src/doctor/index.ts app`. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DoctorReport } from '../../src/doctor/index.js';
import { REPO, TSX_LOADER, runNode, type ChildRun } from '../lab/run-cli.js';

/** The doctor's entry from source, as `--import` takes it. */
export const DOCTOR_IMPORT = pathToFileURL(fileURLToPath(new URL('../../src/doctor/index.ts', import.meta.url))).href;

/** A fixture's path. */
export const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/doctor/${name}`, import.meta.url));

/**
 * The site the doctor must name for the call in `code` of a fixture (or any repository file):
 * `path:line:column` of the callee's name, the last identifier before the first `(` in `code`;
 * the first such line at or after the one containing `after`.
 */
export function siteOf(file: string, code: string, path = `test/fixtures/doctor/${file}`, after?: string): string {
  const lines = readFileSync(join(REPO, path), 'utf8').split('\n');
  const from = after === undefined ? 0 : lines.findIndex((text) => text.includes(after));
  if (from < 0) throw new Error(`${path} has no line with ${JSON.stringify(after)}`);
  const line = lines.findIndex((text, i) => i >= from && text.includes(code));
  if (line < 0) throw new Error(`${path} has no line with ${JSON.stringify(code)}`);
  const callee = /([\w$]+)\($/.exec(code.slice(0, code.indexOf('(') + 1));
  if (callee === null) throw new Error(`no call in ${JSON.stringify(code)}`);
  const column = lines[line]!.indexOf(code) + callee.index;
  return `${path}:${line + 1}:${column + 1}`;
}

/** How a run ended. */
export type AppRun = ChildRun;

/** Options of {@link runApp}. */
export interface AppOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** When stdout shows this, `onReady` is called (to send a signal, say). */
  readonly readyWhen?: string;
  readonly onReady?: (pid: number) => void;
  /** Without the doctor, to compare. @default true */
  readonly doctor?: boolean;
  /** Killed after this long: a hung app fails the test instead of hanging it. */
  readonly timeoutMs?: number;
}

/** Runs `app` and resolves once it has exited. */
export function runApp(app: string, options: AppOptions = {}): Promise<AppRun> {
  const args = ['--import', TSX_LOADER, ...(options.doctor === false ? [] : ['--import', DOCTOR_IMPORT]), app];
  let ready = false;
  return runNode(args, {
    ...(options.env === undefined ? {} : { env: options.env }),
    timeoutMs: options.timeoutMs ?? 20_000,
    onStdout: (stdout, pid) => {
      if (ready || options.readyWhen === undefined || !stdout.includes(options.readyWhen)) return;
      ready = true;
      options.onReady?.(pid);
    },
  });
}

/** The JSON report at `path`, or a failure saying there is none. */
export function readReport(path: string): DoctorReport {
  if (!existsSync(path)) throw new Error(`the doctor wrote no report to ${path}`);
  return JSON.parse(readFileSync(path, 'utf8')) as DoctorReport;
}
