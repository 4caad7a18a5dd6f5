/** `tickguard/testing` is not tied to vitest: the same suite runs under node:test in a child process. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { coordinatorConformance } from '../src/coordination/conformance.js';
import { createMemoryCoordinator } from '../src/index.js';

const run = promisify(execFile);
const FIXTURE = fileURLToPath(new URL('./fixtures/conformance-node.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('tickguard/testing under node:test', () => {
  it('passes every check of the suite in a node --test process', async () => {
    const checks = coordinatorConformance({ name: 'count', create: () => createMemoryCoordinator() }).length;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', FIXTURE], { cwd: ROOT, timeout: 60_000 });
    expect(stdout).toMatch(new RegExp(`^# pass ${checks}$`, 'm'));
    expect(stdout).toMatch(/^# fail 0$/m);
  }, 70_000);
});
