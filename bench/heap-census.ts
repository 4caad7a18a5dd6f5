/**
 * Which objects a tickguard job is made of: takes a heap snapshot before and after adding N
 * jobs (optionally after they ran for a while) and prints the difference in bytes per job by
 * constructor. `node --expose-gc --import tsx bench/heap-census.ts [--jobs 10000] [--run-ms 0] [--tickguard-src dir] [--via-tsx]`
 */
import { getHeapSnapshot } from 'node:v8';
import { parseArgs } from 'node:util';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTickguard } from './systems/tickguard.js';
import { buildBundles } from './lib/build.js';

interface Snapshot {
  readonly snapshot: { readonly meta: { readonly node_fields: readonly string[]; readonly node_types: readonly [readonly string[]] } };
  readonly nodes: readonly number[];
  readonly strings: readonly string[];
}

async function census(): Promise<Map<string, { count: number; bytes: number }>> {
  globalThis.gc?.();
  const chunks: Buffer[] = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(chunk as Buffer);
  const data = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Snapshot;
  const fields = data.snapshot.meta.node_fields;
  const types = data.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const totals = new Map<string, { count: number; bytes: number }>();
  for (let offset = 0; offset < data.nodes.length; offset += width) {
    const type = types[data.nodes[offset + typeAt]!] ?? '?';
    const rawName = data.strings[data.nodes[offset + nameAt]!] ?? '?';
    // Strings and numbers are grouped by type, objects by constructor, closures by function name.
    const name = type === "object" || type === "closure" || type === "array" ? `${type} ${rawName}` : `(${type})`;
    const entry = totals.get(name) ?? { count: 0, bytes: 0 };
    entry.count += 1;
    entry.bytes += data.nodes[offset + sizeAt]!;
    totals.set(name, entry);
  }
  return totals;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { jobs: { type: 'string' }, 'run-ms': { type: 'string' }, 'tickguard-src': { type: 'string' }, 'via-tsx': { type: 'boolean' }, top: { type: 'string' } },
  });
  const jobs = Number(values.jobs ?? 10_000);
  const runMs = Number(values['run-ms'] ?? 0);
  const srcDir = values['tickguard-src'] ?? fileURLToPath(new URL('../src/', import.meta.url));
  const entry = values['via-tsx'] === true ? join(srcDir, 'index.ts') : (await buildBundles(srcDir)).tickguard;
  const { createScheduler } = await loadTickguard({ tickguardEntry: entry });
  const warm = createScheduler();
  warm.add({ name: 'warm', fixedRate: 5, run: () => {} });
  await sleepFor(30);
  await warm.stop();

  const before = await census();
  const scheduler = createScheduler();
  const task = (): void => {};
  for (let index = 0; index < jobs; index++) scheduler.add({ name: `job-${index}`, fixedRate: 1_000, run: task });
  if (runMs > 0) await sleepFor(runMs);
  const after = await census();

  const rows = [...after].map(([name, { count, bytes }]) => {
    const base = before.get(name) ?? { count: 0, bytes: 0 };
    return { name, count: (count - base.count) / jobs, bytes: (bytes - base.bytes) / jobs };
  });
  rows.sort((a, b) => b.bytes - a.bytes);
  const total = rows.reduce((sum, row) => sum + row.bytes, 0);
  process.stdout.write(`${jobs} jobs${runMs > 0 ? ` after running ${runMs} ms` : ''}: ${total.toFixed(0)} B per job (shallow sizes)\n`);
  for (const row of rows.slice(0, Number(values.top ?? 30))) {
    if (Math.abs(row.bytes) < 1) continue;
    process.stdout.write(`${row.bytes.toFixed(1).padStart(8)} B  ${row.count.toFixed(2).padStart(6)}×  ${row.name}\n`);
  }
  await scheduler.stop();
}

await main();
