/**
 * Runs one case in a child process: `process.execPath` on the bundled child harness (or, with
 * `--via-tsx`, on child.ts with the parent's execArgv so tsx's loader carries over), with
 * `--expose-gc`, a heap cap, and a wall-clock limit. A child that dies
 * is classified, so its row says `timeout`, `OOM` or the error instead of leaving a hole.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { wallLimitMs } from './plan.js';
import type { CaseResult, CaseSpec, ChildMessage } from './types.js';

const CHILD_TS = fileURLToPath(new URL('./child.ts', import.meta.url));
const TAIL_CHARS = 4_000;

export interface SpawnOptions {
  /** The bundled child harness; undefined to run child.ts through tsx with the parent's execArgv. */
  readonly childBundle: string | undefined;
  readonly heapCapMb: number;
  /** Extra node flags for the child, e.g. `--cpu-prof`. */
  readonly extraNodeArgs: readonly string[];
}

function appendTail(tail: string, chunk: Buffer): string {
  const next = tail + chunk.toString('utf8');
  return next.length > TAIL_CHARS ? next.slice(-TAIL_CHARS) : next;
}

export function spawnCase(spec: CaseSpec, options: SpawnOptions): Promise<CaseResult> {
  const limitMs = wallLimitMs(spec);
  const entry = options.childBundle === undefined ? [...process.execArgv, CHILD_TS] : [options.childBundle];
  const flags = ['--expose-gc', `--max-old-space-size=${options.heapCapMb}`, ...options.extraNodeArgs];
  const args = [...flags, ...entry, JSON.stringify(spec)];
  const started = performance.now();
  const baseline = spec.baseline === undefined ? {} : { baseline: spec.baseline };
  const base = { id: spec.id, scenario: spec.scenario, system: spec.system, variant: spec.variant, ...baseline, spec, load1: loadavg()[0] ?? 0 };

  return new Promise<CaseResult>((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let output = '';
    let lastProgress = '';
    let result: Extract<ChildMessage, { kind: 'result' }> | undefined;
    let killedForTime = false;
    child.stdout?.on('data', (chunk: Buffer) => (output = appendTail(output, chunk)));
    child.stderr?.on('data', (chunk: Buffer) => (output = appendTail(output, chunk)));
    child.on('message', (message: ChildMessage) => {
      if (message.kind === 'progress') lastProgress = message.note;
      else result = message;
    });
    const timer = setTimeout(() => {
      killedForTime = true;
      child.kill('SIGKILL');
    }, limitMs);

    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      if (result !== undefined) {
        resolve({ ...base, status: result.status, ...(result.reason === undefined ? {} : { reason: result.reason }), metrics: result.metrics, ...(result.notes === undefined ? {} : { notes: result.notes }), wallMs });
        return;
      }
      const progress = lastProgress === '' ? '' : ` (last: ${lastProgress})`;
      if (killedForTime) {
        resolve({ ...base, status: 'timeout', reason: `no result within ${Math.round(limitMs / 1000)} s${progress}`, metrics: {}, wallMs });
      } else if (/heap out of memory|Reached heap limit|Allocation failed/i.test(output)) {
        resolve({ ...base, status: 'oom', reason: `out of memory at --max-old-space-size=${options.heapCapMb}${progress}`, metrics: {}, wallMs });
      } else {
        const last = output.trim().split('\n').slice(-3).join(' | ');
        resolve({ ...base, status: 'error', reason: `child exited with ${signal ?? `code ${String(code)}`}${progress}: ${last}`, metrics: {}, wallMs });
      }
    });
  });
}
