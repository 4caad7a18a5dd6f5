/**
 * What the doctor costs: 10,000 intervals at 10 Hz (100,000 callbacks a second), with and
 * without `--import tickguard/doctor`, each case in its own child process, repeated and
 * alternated so that the machine's load falls on both alike. Per case: CPU per callback
 * (`process.cpuUsage()` over the measured window divided by the callbacks run), heap per timer
 * (heap after a full GC with the timers armed, minus before, divided by their number), creation
 * time per timer, and the callbacks actually run per second.
 *
 * Two callbacks: a sync one (`count += 1`) and an async one (`async () => { count += 1 }`),
 * whose promise the doctor tracks as a run in flight until it settles.
 *
 *   npm run bench:doctor [-- --timers 10000 --seconds 4 --repeat 3 --no-write]
 *
 * Children load the doctor from source through tsx (`--import tsx --import src/doctor/index.ts`);
 * tsx's hooks act when modules load, not on timer callbacks, and both sides load through it.
 * Results go to bench/results/doctor-<timestamp>.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

interface ChildResult {
  readonly timers: number;
  readonly callbacks: number;
  readonly seconds: number;
  readonly cpuMicros: number;
  readonly heapPerTimerBytes: number;
  readonly createMicrosPerTimer: number;
}

interface CaseRow {
  readonly callback: 'sync' | 'async';
  readonly doctor: boolean;
  readonly runs: readonly ChildResult[];
  readonly cpuNanosPerCallback: number;
  readonly heapPerTimerBytes: number;
  readonly createMicrosPerTimer: number;
  readonly callbacksPerSecond: number;
}

const SELF = fileURLToPath(import.meta.url);
const DOCTOR = pathToFileURL(fileURLToPath(new URL('../src/doctor/index.ts', import.meta.url))).href;
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const WARMUP_MS = 1_000;

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i < 0 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} expects a positive number, got ${process.argv[i + 1]}`);
  return value;
}

/** The measured side: arms the intervals, lets them warm up, measures, prints one JSON line. */
async function child(timers: number, seconds: number, kind: 'sync' | 'async'): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run the child with --expose-gc');
  let count = 0;
  const sync = (): void => {
    count += 1;
  };
  const async = async (): Promise<void> => {
    count += 1;
  };
  const callback = kind === 'sync' ? sync : async;
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const created = performance.now();
  const ids: ReturnType<typeof setInterval>[] = [];
  for (let i = 0; i < timers; i += 1) ids.push(setInterval(callback, 100));
  const createMs = performance.now() - created;
  gc();
  const heapAfter = process.memoryUsage().heapUsed;
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
  const startCount = count;
  const startCpu = process.cpuUsage();
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1_000));
  const cpu = process.cpuUsage(startCpu);
  const elapsed = (performance.now() - start) / 1_000;
  const callbacks = count - startCount;
  for (const id of ids) clearInterval(id);
  const result: ChildResult = {
    timers, callbacks, seconds: elapsed, cpuMicros: cpu.user + cpu.system,
    heapPerTimerBytes: (heapAfter - heapBefore) / timers, createMicrosPerTimer: (createMs * 1_000) / timers,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function runChild(timers: number, seconds: number, kind: 'sync' | 'async', doctor: boolean): Promise<ChildResult> {
  const args = ['--expose-gc', '--import', TSX, ...(doctor ? ['--import', DOCTOR] : []), SELF, '--child', kind, String(timers), String(seconds)];
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TICKGUARD_DOCTOR: 'quiet' } });
    let out = '';
    let err = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    proc.on('close', (code) => {
      if (code !== 0) return reject(new Error(`child exited with ${code}: ${err}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1)!) as ChildResult);
    });
  });
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function main(): Promise<void> {
  const timers = flag('timers', 10_000);
  const seconds = flag('seconds', 4);
  const repeat = flag('repeat', 3);
  const startedAt = new Date();
  const loadBefore = loadavg();
  const cases: { callback: 'sync' | 'async'; doctor: boolean; runs: ChildResult[] }[] = [];
  for (const callback of ['sync', 'async'] as const) for (const doctor of [false, true]) cases.push({ callback, doctor, runs: [] });
  for (let r = 0; r < repeat; r += 1) {
    for (const c of cases) {
      c.runs.push(await runChild(timers, seconds, c.callback, c.doctor));
      process.stderr.write('.');
    }
  }
  process.stderr.write('\n');
  const rows: CaseRow[] = cases.map((c) => ({
    ...c,
    cpuNanosPerCallback: median(c.runs.map((run) => (run.cpuMicros * 1_000) / run.callbacks)),
    heapPerTimerBytes: median(c.runs.map((run) => run.heapPerTimerBytes)),
    createMicrosPerTimer: median(c.runs.map((run) => run.createMicrosPerTimer)),
    callbacksPerSecond: median(c.runs.map((run) => run.callbacks / run.seconds)),
  }));
  const lines = ['| callback | doctor | CPU per callback | heap per timer | create per timer | callbacks/s |', '| --- | --- | ---: | ---: | ---: | ---: |'];
  for (const row of rows) {
    lines.push(`| ${row.callback} | ${row.doctor ? 'on' : 'off'} | ${Math.round(row.cpuNanosPerCallback)} ns | ${Math.round(row.heapPerTimerBytes)} B | ${row.createMicrosPerTimer.toFixed(2)} µs | ${Math.round(row.callbacksPerSecond)} |`);
  }
  for (const callback of ['sync', 'async'] as const) {
    const [off, on] = [rows.find((r) => r.callback === callback && !r.doctor)!, rows.find((r) => r.callback === callback && r.doctor)!];
    lines.push('', `${callback}: the doctor adds ${Math.round(on.cpuNanosPerCallback - off.cpuNanosPerCallback)} ns of CPU per callback (${((on.cpuNanosPerCallback / off.cpuNanosPerCallback - 1) * 100).toFixed(0)} %) and ${Math.round(on.heapPerTimerBytes - off.heapPerTimerBytes)} B of heap per timer.`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  if (process.argv.includes('--no-write')) return;
  const stamp = startedAt.toISOString().replace(/\.\d+Z$/, 'Z').replaceAll(':', '-');
  const path = fileURLToPath(new URL(`results/doctor-${stamp}.json`, import.meta.url));
  mkdirSync(fileURLToPath(new URL('results/', import.meta.url)), { recursive: true });
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryBytes: totalmem(), node: process.version, platform: `${process.platform}-${process.arch}` };
  writeFileSync(path, `${JSON.stringify({ tool: 'bench/doctor.ts', startedAt: startedAt.toISOString(), machine, loadBefore, loadAfter: loadavg(), settings: { timers, seconds, repeat, periodMs: 100, warmupMs: WARMUP_MS }, rows }, null, 2)}\n`);
  process.stdout.write(`\nwritten: bench/results/doctor-${stamp}.json\n`);
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  const [kind, timers, seconds] = process.argv.slice(childAt + 1);
  await child(Number(timers), Number(seconds), kind === 'async' ? 'async' : 'sync');
} else {
  await main();
}
