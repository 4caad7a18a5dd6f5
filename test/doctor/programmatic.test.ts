/**
 * startDoctor() in this process: options validated at the call, one doctor per process, an
 * overlapping interval seen through the public API, and stop() puts Node's functions back.
 * Real timers, asserted on counts: the test waits for ticks, never for a duration.
 */
import { getEventListeners } from 'node:events';
import timers from 'node:timers';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/index.js';
import { startDoctor, type Doctor } from '../../src/doctor/index.js';

let doctor: Doctor | undefined;
afterEach(() => {
  doctor?.stop();
  doctor = undefined;
});

describe('startDoctor()', () => {
  it('refuses bad options with an error that names the option', () => {
    expect(() => startDoctor({ sample: '10ms' })).toThrow(InvalidOptionError);
    expect(() => startDoctor({ sample: '10ms' })).toThrow('Expected `sample` to be at least 50ms, got "10ms"');
    expect(() => startDoctor({ live: -1 })).toThrow(/Expected `live` to be a positive duration/);
    expect(() => startDoctor({ reportPath: '' })).toThrow('Expected `reportPath` to be a file path or null, got ""');
    expect(() => startDoctor({ stderr: 'yes' as unknown as boolean })).toThrow('Expected `stderr` to be a boolean, got "yes"');
    expect(() => startDoctor({ colour: true } as never)).toThrow(/Unknown doctor option `colour`/);
  });

  it('sees an interval whose runs overlap, names this file, and stop() restores the timer functions', async () => {
    const original = { setTimeout: globalThis.setTimeout, setInterval: globalThis.setInterval, module: timers.setInterval };
    doctor = startDoctor({ reportOnExit: false, stderr: false, reportPath: null });
    expect(startDoctor()).toBe(doctor);
    expect(globalThis.setInterval).not.toBe(original.setInterval);
    expect(timers.setInterval).toBe(globalThis.setInterval);

    const never: Promise<void>[] = [];
    let ticks = 0;
    let reached: () => void = () => undefined;
    const fiveTicks = new Promise<void>((resolve) => (reached = resolve));
    const id = setInterval(function refresh() {
      ticks += 1;
      // A run that never settles: every later tick overlaps it.
      never.push(new Promise<void>(() => undefined));
      if (ticks === 5) reached();
      return never.at(-1);
    }, 5);
    await fiveTicks;
    clearInterval(id);

    const report = doctor.report();
    const overlap = report.findings.find((finding) => finding.kind === 'overlap');
    expect(overlap?.site).toMatch(/^test\/doctor\/programmatic\.test\.ts:\d+:\d+$/);
    expect(overlap?.call).toBe('setInterval(refresh, 5)');
    expect(overlap?.figures).toMatchObject({ peakInFlight: 5, inFlight: 5, overlappedTicks: 4, ticks: 5 });
    expect(report.sites.find((site) => site.call === 'setInterval(refresh, 5)')).toMatchObject({ created: 1, cleared: 1, armed: 0 });

    doctor.stop();
    doctor = undefined;
    expect(globalThis.setTimeout).toBe(original.setTimeout);
    expect(globalThis.setInterval).toBe(original.setInterval);
    expect(timers.setInterval).toBe(original.module);
  });
});

describe('startDoctor() and the process\'s listeners', () => {
  it('leaves its own out of process.listeners() and rawListeners(), and takes that away on stop()', () => {
    const before = process.listenerCount('SIGTERM');
    doctor = startDoctor({ stderr: false, reportPath: null, htmlPath: null });
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    expect(process.listeners('SIGTERM')).toHaveLength(before);
    expect(Object.prototype.hasOwnProperty.call(process, 'listeners')).toBe(true);
    doctor.stop();
    doctor = undefined;
    expect(Object.prototype.hasOwnProperty.call(process, 'listeners')).toBe(false);
    expect(Object.prototype.hasOwnProperty.call(process, 'rawListeners')).toBe(false);
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});

describe('startDoctor() and timers/promises intervals', () => {
  it('leaves no listener of its own on the signal of an interval that is returned, and ends one that is thrown into', async () => {
    doctor = startDoctor({ reportOnExit: false, stderr: false, reportPath: null });
    const { setInterval: every } = await import('node:timers/promises');
    const controller = new AbortController();
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    try {
      // One long-lived signal shared by short loops: Node removes its own listener when each ends.
      for (let i = 0; i < 15; i += 1) {
        for await (const _ of every(1, undefined, { signal: controller.signal })) break;
      }
      const thrown = every(1, 'value');
      await thrown.next();
      await expect(thrown.throw!(new Error('stop'))).rejects.toThrow('stop');
      // A warning is emitted on a later turn of the loop.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(getEventListeners(controller.signal, 'abort')).toEqual([]);
    expect(warnings.map((warning) => warning.name)).toEqual([]);
    const report = doctor.report();
    expect(report.findings).toEqual([]);
    const sites = report.sites.filter((site) => site.kind === 'timers/promises.setInterval');
    expect(sites.map((site) => [site.created, site.armed])).toEqual([[15, 0], [1, 0]]);
  });
});
