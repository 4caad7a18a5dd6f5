/**
 * The doctor on real child processes (`node --import <doctor> app`): healthy patterns give no
 * finding, the timer API behaves as without it, it holds no ref'd handle, and it reports on
 * exit, on a signal the app does not handle (dying by it as Node does), on SIGUSR2 and live.
 * Real clock: the assertions are on counts and kinds, never on durations.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { escapeHtml } from '../../src/cli/lab/report-style.js';
import { fixture, readReport, runApp, siteOf } from './run-app.js';

const work = mkdtempSync(join(tmpdir(), 'tickguard-doctor-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const quiet = (report: string): Record<string, string> => ({ TICKGUARD_DOCTOR: 'quiet', TICKGUARD_DOCTOR_REPORT: report, TICKGUARD_DOCTOR_SAMPLE: '100ms' });

describe('the doctor on an unmodified ESM app', () => {
  it('finds the avalanche at the setInterval line, ranks it, and prints the fix on stderr', async () => {
    const path = join(work, 'avalanche.json');
    const run = await runApp(fixture('avalanche.mjs'), {
      env: { TICKGUARD_DOCTOR_REPORT: path, TICKGUARD_DOCTOR_SAMPLE: '100ms' },
      readyWhen: 'running',
      onReady: (pid) => process.kill(pid, 'SIGTERM'),
    });
    expect([run.code, run.signal]).toEqual([0, null]);
    const report = readReport(path);
    const site = siteOf('avalanche.mjs', 'const timer = setInterval(');
    expect(report.findings.map((f) => [f.kind, f.site])).toEqual([['overlap', site]]);
    const [overlap] = report.findings;
    // 20 ticks/s, each run 120 ms: two or three in flight at any time, and never more than a few.
    expect(overlap!.figures.peakInFlight).toBeGreaterThanOrEqual(2);
    expect(overlap!.figures.overlappedTicks).toBeGreaterThanOrEqual(10);
    expect(run.stderr).toContain(`overlap  ${site}  setInterval(() => …, 50)`);
    expect(run.stderr).toContain("→ scheduler.add({ name: 'job', fixedRate: 50, overlap: 'skip', run })");
    expect(run.stderr).toMatch(/; SIGTERM seen at \+\d+\.\ds\n/);
    // The HTML beside the JSON: the finding with its site and fix, the charts, nothing remote.
    const html = readFileSync(join(work, 'avalanche.html'), 'utf8');
    expect(html).toContain(`<code>${site}</code>`);
    expect(html).toContain(escapeHtml("scheduler.add({ name: 'job', fixedRate: 50, overlap: 'skip', run })"));
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).not.toMatch(/<script|<link|https?:/i);
  });
});

describe('the doctor on an unmodified CommonJS app', () => {
  it('finds emitter listener growth at its on() and an interval left armed at shutdown, not the shutdown\'s own timers', async () => {
    const path = join(work, 'leaks.json');
    const run = await runApp(fixture('leaks.cjs'), { env: quiet(path), readyWhen: 'running', onReady: (pid) => process.kill(pid, 'SIGTERM') });
    expect([run.code, run.signal]).toEqual([0, null]);
    const report = readReport(path);
    expect(report.findings.map((f) => [f.kind, f.site])).toEqual([
      ['listener-growth', siteOf('leaks.cjs', "bus.on('message'")],
      ['armed-at-shutdown', siteOf('leaks.cjs', 'setInterval(function heartbeat')],
    ]);
    const [growth, armed] = report.findings;
    expect(growth!.call).toBe("emitter.on('message', …)");
    expect(growth!.figures).toMatchObject({ limit: 10, addedAfterAbort: 0 });
    expect(growth!.figures.liveFromSite).toBeGreaterThanOrEqual(20);
    expect(armed!.call).toBe('setInterval(heartbeat, 1000)');
    expect(armed!.fix).toBe("scheduler.add({ name: 'heartbeat', fixedRate: 1000, run }) and await scheduler.stop() in the SIGTERM handler");
    // Node warned too, without the site: that is the warning the doctor replaces.
    expect(run.stderr).toContain('MaxListenersExceededWarning');
  });
});

describe('the doctor on healthy patterns', () => {
  it('reports nothing for a sync interval, an awaited loop, cleared intervals, a chain that stops on abort, per-request timeouts, per-run listeners', async () => {
    const path = join(work, 'healthy.json');
    const run = await runApp(fixture('healthy.mjs'), {
      env: quiet(path),
      readyWhen: 'running',
      onReady: (pid) => process.kill(pid, 'SIGTERM'),
    });
    // The app stopped its timers on SIGTERM and exited by itself: the doctor kept nothing alive.
    expect(run.stdout).toBe('running true\n');
    expect([run.code, run.signal]).toEqual([0, null]);
    const report = readReport(path);
    expect(report.reason).toBe('exit');
    expect(report.shutdown).toMatchObject({ signal: 'SIGTERM', handledByApp: true });
    expect(report.findings).toEqual([]);
    // It did watch them, so the empty list means something.
    const site = (code: string) => report.sites.find((s) => s.site === siteOf('healthy.mjs', code));
    expect(site('const sync = setInterval(')).toMatchObject({ kind: 'setInterval', cleared: 1, armed: 0 });
    expect(site('const sync = setInterval(')!.ticks).toBeGreaterThan(10);
    expect(site('every(10, undefined')).toMatchObject({ kind: 'timers/promises.setInterval', created: 1, armed: 0 });
    expect(site('setInterval(() => undefined, 1_000)')).toMatchObject({ kind: 'setInterval', created: 50, cleared: 50, armed: 0 });
    expect(site('link = setTimeout(')).toMatchObject({ kind: 'setTimeout', chain: true, overlappedTicks: 0 });
    expect(site('link = setTimeout(')!.asyncRuns).toBeGreaterThan(5);
    expect(site('const timeout = setTimeout(')!.cleared).toBeGreaterThan(5);
    expect(site('const deadline = setTimeout(')).toMatchObject({ kind: 'setTimeout', created: 20, chain: false });
    expect(report.doctorErrors).toEqual([]);
  });

  it('keeps the timer API as it is: identity, ref/unref/hasRef/refresh, numeric ids, promisify, errors (CommonJS)', async () => {
    const path = join(work, 'compat.json');
    const run = await runApp(fixture('compat.cjs'), { env: quiet(path) });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('ok\n');
    expect(run.code).toBe(0);
    const report = readReport(path);
    // The CommonJS app's timers were seen, at their own lines.
    expect(report.sites.map((s) => s.site)).toContain(siteOf('compat.cjs', 'const timer = setTimeout('));
    expect(report.findings).toEqual([]);
    expect(report.doctorErrors).toEqual([]);
  });
});

describe('the doctor holds no ref\'d handle and reports when the process ends', () => {
  it('lets an app that only uses the doctor exit by itself, and writes JSON and HTML on exit', async () => {
    const path = join(work, 'idle.json');
    const run = await runApp(fixture('idle.mjs'), { env: { TICKGUARD_DOCTOR_REPORT: path } });
    expect([run.code, run.signal, run.stdout]).toEqual([0, null, 'done\n']);
    expect(run.stderr).toMatch(/^tickguard doctor: no findings after \d+\.\ds \(1 timer site watched, pid \d+\)\.\n/);
    const report = readReport(path);
    expect(report).toMatchObject({ tool: 'tickguard doctor', reason: 'exit', shutdown: null, findings: [] });
    const html = readFileSync(join(work, 'idle.html'), 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|https?:/i);
  });

  it('keeps Node\'s default for a SIGTERM the app does not handle: the report is written, then the process dies by the signal', async () => {
    const path = join(work, 'forever.json');
    const run = await runApp(fixture('forever.mjs'), { env: quiet(path), readyWhen: 'running', onReady: (pid) => process.kill(pid, 'SIGTERM') });
    expect([run.code, run.signal]).toEqual([null, 'SIGTERM']);
    const report = readReport(path);
    expect(report.reason).toBe('signal');
    expect(report.shutdown).toMatchObject({ signal: 'SIGTERM', handledByApp: false });
    // It died by the signal with its interval: nothing was left running, so nothing to report.
    expect(report.findings).toEqual([]);
    expect(report.sites.find((s) => s.call === 'setInterval(poll, 1000)')?.armed).toBe(1);
  });

  it('lets a handler that raises the signal again when it is alone (as signal-exit does) see no listener of the doctor\'s', async () => {
    const path = join(work, 'exit-hook.json');
    const run = await runApp(fixture('exit-hook.cjs'), { env: quiet(path), readyWhen: 'running', onReady: (pid) => process.kill(pid, 'SIGTERM'), timeoutMs: 5_000 });
    expect([run.stdout, run.code, run.signal]).toEqual(['running\ncleanup\n', null, 'SIGTERM']);
    const report = readReport(path);
    expect(report.reason).toBe('signal');
    expect(report.shutdown).toMatchObject({ signal: 'SIGTERM', handledByApp: true });
    expect(report.doctorErrors).toEqual([]);
  });

  it('reports on SIGUSR2 without exiting, and prints a live line when TICKGUARD_DOCTOR=live', async () => {
    const path = join(work, 'usr2.json');
    let sent = false;
    const run = await runApp(fixture('forever.mjs'), {
      env: { TICKGUARD_DOCTOR: 'live', TICKGUARD_DOCTOR_LIVE: '100ms', TICKGUARD_DOCTOR_REPORT: path, TICKGUARD_DOCTOR_HTML: 'off' },
      readyWhen: 'running',
      onReady: (pid) => {
        process.kill(pid, 'SIGUSR2');
        // The report is there while the app runs on; then end it.
        const poll = setInterval(() => {
          try {
            const report = readReport(path);
            if (report.reason !== 'SIGUSR2' || sent) return;
            sent = true;
            clearInterval(poll);
            setTimeout(() => process.kill(pid, 'SIGTERM'), 300);
          } catch {
            // Not written yet: look again.
            return;
          }
        }, 20);
      },
    });
    expect(sent).toBe(true);
    expect(run.signal).toBe('SIGTERM');
    expect(run.stderr).toMatch(/tickguard doctor \+\d+s: no findings; event-loop delay p50 [\d.]+ms p99 [\d.]+ms; heap [\d.]+ MiB; 1 app timers armed; handles: /);
    expect(run.stderr).toContain('tickguard doctor: no findings after');
    expect(readReport(path).reason).toBe('signal');
  });
});
