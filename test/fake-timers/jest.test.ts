// jest's modern fake timers: jest 30 itself, run on a small project in a child process, and jest
// 29's fake timers (its `@jest/fake-timers`) with jest's defaults, in a plain Node child process.
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCommonJsBundle } from './bundle.js';
import { EXPECTED_CRON_AND_FIXED_DELAY, EXPECTED_FIXED_RATE, EXPECTED_TEST_CLOCK_RUNS } from './scenarios.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

let env: NodeJS.ProcessEnv;
beforeAll(() => {
  env = { ...process.env, TICKGUARD_BUNDLE: buildCommonJsBundle(), TICKGUARD_SCENARIOS: buildCommonJsBundle('test/fake-timers/scenarios.ts') };
});

interface JestReport {
  readonly testResults: readonly { readonly assertionResults: readonly { readonly fullName: string; readonly status: string; readonly failureMessages: readonly string[] }[] }[];
}

describe('jest 30', () => {
  let run: SpawnSyncReturns<string>;
  let report: JestReport;
  beforeAll(() => {
    const outputFile = join(mkdtempSync(join(tmpdir(), 'tickguard-jest-')), 'report.json');
    const jest = createRequire(import.meta.url).resolve('jest/bin/jest');
    run = spawnSync(process.execPath, [jest, '--config', here('jest-project/jest.config.json'), '--ci', '--json', '--outputFile', outputFile], {
      cwd: here('jest-project'), env, encoding: 'utf8', timeout: 60_000,
    });
    report = JSON.parse(readFileSync(outputFile, 'utf8')) as JestReport;
  }, 60_000);

  it('modern fake timers, per test and enabled globally, give the expected runs; a TestClock advances under them', () => {
    const statuses = Object.fromEntries(report.testResults.flatMap((file) => file.assertionResults.map((test) => [test.fullName, test.status === 'passed' ? 'passed' : test.failureMessages.join('\n')])));
    expect(statuses).toEqual({
      'jest.useFakeTimers(): default one period gives one run; 1000 ms of a 100 ms job gives 10, on the fake Date': 'passed',
      'jest.useFakeTimers(): default cron follows the fake Date; fixedDelay waits on the fake clock': 'passed',
      'jest.useFakeTimers(): performance not faked one period gives one run; 1000 ms of a 100 ms job gives 10, on the fake Date': 'passed',
      'jest.useFakeTimers(): performance not faked cron follows the fake Date; fixedDelay waits on the fake clock': 'passed',
      'legacy fake timers: schedules cannot follow them (warned, on stderr)': 'passed',
      'a TestClock advances while fake timers are on': 'passed',
      'one period gives one run; 1000 ms of a 100 ms job gives 10, on the fake Date': 'passed',
    });
    expect(run.status).toBe(0);
  });

  it('legacy fake timers are warned about once, naming modern fake timers', () => {
    const warnings = run.stderr.match(/\[TICKGUARD_LEGACY_FAKE_TIMERS\][^\n]*/g) ?? [];
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/legacyFakeTimers/);
    expect(run.stderr).not.toMatch(/TICKGUARD_FAKE_TIMERS_WITHOUT_DATE/);
  });
});

describe('jest 29 modern fake timers (defaults)', () => {
  it('give the expected runs, also without performance; a TestClock advances when the package loads under them', () => {
    const run = spawnSync(process.execPath, [here('jest-29.cjs')], { env, encoding: 'utf8', timeout: 30_000 });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      'default: fixedRate': EXPECTED_FIXED_RATE,
      'default: cron and fixedDelay': EXPECTED_CRON_AND_FIXED_DELAY,
      'performance not faked: fixedRate': EXPECTED_FIXED_RATE,
      'performance not faked: cron and fixedDelay': EXPECTED_CRON_AND_FIXED_DELAY,
      'loaded while installed: TestClock': EXPECTED_TEST_CLOCK_RUNS,
      'loaded while installed: fixedRate': EXPECTED_FIXED_RATE,
    });
  });
});
