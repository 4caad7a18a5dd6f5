import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The examples are documentation: each must run to completion and exit by itself. */
function runExample(name: string) {
  const file = fileURLToPath(new URL(`../examples/${name}`, import.meta.url));
  return spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 30_000 });
}

describe('examples', () => {
  it('quick-start skips busy ticks and stops cleanly', () => {
    const result = runExample('quick-start.ts');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/skipped \(busy\)/);
    expect(result.stdout).toMatch(/clean: true/);
  });

  it('graceful-shutdown aborts the run in flight and exits on its own', () => {
    const result = runExample('graceful-shutdown.ts');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/aborted: .*stopped with abort: true/);
    expect(result.stdout).toMatch(/stopped cleanly=true/);
  });

  it('cron-and-retries retries inside the slot', () => {
    const result = runExample('cron-and-retries.ts');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/retrying in 100 ms/);
    expect(result.stdout).toMatch(/success after \d attempt/);
  });
});
