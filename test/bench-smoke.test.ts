/**
 * The benchmark suite still runs end to end: `bench/run.ts --smoke` on tickguard and raw
 * setInterval must produce a well-formed result file with a row for every planned case, each
 * holding numbers or an explicit reason. Timings are deliberately not asserted: CI machines
 * are too noisy for that, and the figures belong in bench/RESULTS.md, not in a test.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPlan } from '../bench/plan.js';
import { SCENARIO_METRICS, validateRunFile } from '../bench/schema.js';
import { SCENARIOS, type RunFile } from '../bench/types.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SYSTEMS = ['tickguard', 'setInterval'] as const;

describe('bench --smoke', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'tickguard-bench-smoke-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('writes a well-formed result file with every scenario/system row', async () => {
    const args = ['--import', 'tsx', 'bench/run.ts', '--smoke', '--systems', SYSTEMS.join(','), '--out-dir', outDir, '--concurrency', '2'];
    await promisify(execFile)(process.execPath, args, { cwd: ROOT, timeout: 110_000, maxBuffer: 1 << 20 });

    const files = readdirSync(outDir);
    const json = files.filter((name) => name.endsWith('.json'));
    expect(json).toHaveLength(1);
    expect(files.filter((name) => name.endsWith('.md'))).toHaveLength(1);
    const file = JSON.parse(readFileSync(join(outDir, json[0]!), 'utf8')) as RunFile;

    const plan = buildPlan({ mode: 'smoke', scenarios: SCENARIOS, systems: SYSTEMS, tickguardEntry: undefined });
    const expectedIds = plan.map((planned) => (planned.kind === 'run' ? planned.spec.id : planned.result.id));
    expect(validateRunFile(file, expectedIds)).toEqual([]);
    expect(file.mode).toBe('smoke');
    for (const scenario of SCENARIOS) {
      for (const system of SYSTEMS) {
        const rows = file.results.filter((row) => row.scenario === scenario && row.system === system);
        // Avalanche compares tickguard's policies with raw setInterval: both systems have rows everywhere.
        expect(rows.length, `${scenario}/${system}`).toBeGreaterThan(0);
      }
    }
    expect(file.machine.cores).toBeGreaterThan(0);
  }, 120_000);

  it('plans n/a rows, without running anything, where a system cannot do a case', () => {
    const plan = buildPlan({ mode: 'smoke', scenarios: ['throughput'], systems: ['cron', 'node-cron', 'croner'], tickguardEntry: undefined });
    expect(plan.length).toBeGreaterThan(0);
    for (const planned of plan) {
      expect(planned.kind).toBe('fixed');
      if (planned.kind === 'fixed') expect(planned.result).toMatchObject({ status: 'n/a', reason: 'no sub-second schedule' });
    }
  });

  it('rejects a result row that lacks a metric', () => {
    const [planned] = buildPlan({ mode: 'smoke', scenarios: ['churn'], systems: ['setInterval'], tickguardEntry: undefined });
    if (planned?.kind !== 'run') throw new Error('expected a churn case to run');
    const metrics = Object.fromEntries(SCENARIO_METRICS.churn.map((def) => [def.key, 1]));
    const row = { id: planned.spec.id, scenario: 'churn', system: 'setInterval', variant: planned.spec.variant, status: 'ok', metrics, spec: planned.spec, wallMs: 1 } as const;
    const file = { schema: 1, results: [row] } as unknown as RunFile;
    expect(validateRunFile(file, [row.id])).toEqual([]);
    const { addOpsPerSec: _dropped, ...partial } = metrics;
    const broken = { schema: 1, results: [{ ...row, metrics: partial }] } as unknown as RunFile;
    expect(validateRunFile(broken, [row.id])).toEqual([expect.stringContaining('addOpsPerSec')]);
  });
});
