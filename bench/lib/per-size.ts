/**
 * What the observability benches share: each job count measured in a child process of its own
 * (the script re-run with `--child N --entry <bundle>`), and the two figures they take there.
 */
import { execFileSync } from 'node:child_process';
import { setTimeout as sleepFor } from 'node:timers/promises';

/** The middle value (the upper one of an even count): a figure robust to one slow call. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

/** The whole process's CPU over `windowMs`, in µs per run counted by `runs()` meanwhile. */
export async function cpuPerRun(windowMs: number, runs: () => number): Promise<number> {
  const before = runs();
  const start = process.cpuUsage();
  await sleepFor(windowMs);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / Math.max(1, runs() - before);
}

/**
 * In the child (`--child` and `--entry` given): measures, prints the row and exits; returns
 * false in the parent, which then calls {@link rowsBySize}.
 */
export async function runAsChild<Row>(values: { child?: string | undefined; entry?: string | undefined }, measure: (entry: string, jobs: number) => Promise<Row>): Promise<boolean> {
  if (values.child === undefined || values.entry === undefined) return false;
  process.stdout.write(`${JSON.stringify(await measure(values.entry, Number(values.child)))}\n`);
  process.exit(0);
}

/** Runs `script` once per job count in its own child on the `entry` bundle; prints and returns each row. */
export function rowsBySize<Row>(script: string, sizes: readonly number[], entry: string): Row[] {
  const rows: Row[] = [];
  for (const jobs of sizes) {
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, '--child', String(jobs), '--entry', entry], { encoding: 'utf8', maxBuffer: 1 << 24 });
    const row = JSON.parse(out.trim().split('\n').pop()!) as Row;
    rows.push(row);
    process.stdout.write(`${JSON.stringify(row)}\n`);
  }
  return rows;
}
