/**
 * The doctor itself: installs the watches, samples the process, and makes the report on exit,
 * on SIGUSR2, on request, and as a live line. It holds no ref'd handle (its sampler is
 * unref'd, signal handles are unref'd by Node), so an app exits as it would without it.
 *
 * Shutdown: SIGTERM and SIGINT are watched from the start, so the doctor hears them before the
 * app's own handlers run. When the app has no handler of its own, Node's default (die by the
 * signal) is kept: the doctor writes its report, removes its listener and raises the signal
 * again. The doctor's listeners are hidden from `process.listeners()` and `rawListeners()`:
 * code that lists them sees what it would without the doctor (signal-exit, for one, raises the
 * signal again only when its listener is the only one in that list).
 */
import { EventEmitter } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ContextSampler } from './context.js';
import { diagnose } from './findings.js';
import { ListenerWatch } from './listeners.js';
import type { ResolvedDoctorOptions } from './options.js';
import type { DoctorListenerReport, DoctorReport, DoctorReportReason, DoctorSiteReport } from './report.js';
import { renderDoctorHtml } from './report-html.js';
import { renderDoctorLine, renderDoctorTable } from './report-text.js';
import { RunWatch } from './runs.js';
import { SiteFinder, doctorFile } from './sites.js';
import { TimerWatch, currentTimers, type OriginalTimers } from './timers.js';

/** A running doctor. */
export interface Doctor {
  /** The options it runs with, defaults applied. */
  readonly options: ResolvedDoctorOptions;
  /**
   * Makes a report now. With `output: true` it is also written and printed as configured
   * (JSON file, HTML file, stderr table), as on exit.
   */
  report(options?: { readonly output?: boolean }): DoctorReport;
  /** Stops watching: puts the timer and listener functions back and removes its handlers. Idempotent. */
  stop(): void;
}

const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
const MAX_ERRORS = 10;

type Listener = (...args: unknown[]) => void;

/** Starts a doctor with resolved options. Use `startDoctor()` from the package, which keeps one per process. */
export function createDoctor(options: ResolvedDoctorOptions): Doctor {
  return new RunningDoctor(options);
}

class RunningDoctor implements Doctor {
  readonly options: ResolvedDoctorOptions;
  readonly #origin = performance.now();
  readonly #startedAt = new Date();
  readonly #original: OriginalTimers = currentTimers();
  // Taken before the listener watch wraps them: the doctor's own listeners are not the app's.
  readonly #on = EventEmitter.prototype.on as (this: EventEmitter, event: string, listener: Listener) => EventEmitter;
  readonly #off = EventEmitter.prototype.removeListener as (this: EventEmitter, event: string, listener: Listener) => EventEmitter;
  readonly #listenerCount = EventEmitter.prototype.listenerCount as (this: EventEmitter, event: string, listener?: Listener) => number;
  /** Own properties of `process` that hide the doctor's listeners, removed by stop() while still the doctor's. */
  readonly #shadows: [string, unknown][] = [];
  readonly #errors: string[] = [];
  readonly #sites = new SiteFinder();
  readonly #runs: RunWatch;
  readonly #timers: TimerWatch;
  readonly #listeners: ListenerWatch;
  readonly #context = new ContextSampler();
  readonly #handlers: [string, Listener][] = [];
  readonly #intervals: unknown[] = [];
  #shutdown: { signal: string; atMs: number; handledByApp: boolean } | null = null;
  #finalReportMade = false;
  #stopped = false;

  constructor(options: ResolvedDoctorOptions) {
    this.options = options;
    const onError = (error: unknown): void => this.#noteError(error);
    const now = (): number => performance.now() - this.#origin;
    this.#runs = new RunWatch(onError);
    this.#timers = new TimerWatch({ sites: this.#sites, runs: this.#runs, now, shuttingDown: () => this.#shutdown !== null, onError }, this.#original);
    this.#listeners = new ListenerWatch({ sites: this.#sites, now, onError });
    this.#runs.start();
    this.#timers.install();
    this.#listeners.install();
    this.#context.start();
    this.#every(options.sampleMs, () => this.#sample());
    if (options.liveMs !== null) this.#every(options.liveMs, () => this.#live());
    if (options.reportOnExit) this.#handleProcessEvents();
  }

  report(options: { readonly output?: boolean } = {}): DoctorReport {
    const report = this.#build('request');
    if (options.output === true) this.#output(report);
    return report;
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const interval of this.#intervals) this.#original.clearInterval(interval);
    const target = process as unknown as Record<string, unknown>;
    for (const [name, value] of this.#shadows) if (target[name] === value) delete target[name];
    this.#shadows.length = 0;
    for (const [event, listener] of this.#handlers) this.#off.call(process, event, listener);
    this.#handlers.length = 0;
    this.#listeners.uninstall();
    this.#timers.uninstall();
    this.#runs.stop();
    this.#context.stop();
  }

  #now(): number {
    return performance.now() - this.#origin;
  }

  #every(ms: number, action: () => void): void {
    const interval = this.#original.setInterval(() => this.#guard(action), ms) as { unref?: () => unknown };
    interval.unref?.();
    this.#intervals.push(interval);
  }

  #guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.#noteError(error);
    }
  }

  #noteError(error: unknown): void {
    if (this.#errors.length < MAX_ERRORS) this.#errors.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  }

  #armedTimers(): number {
    let armed = 0;
    for (const tally of this.#timers.tallies()) if (!tally.site.guarded) armed += tally.armed;
    return armed;
  }

  #sample(): void {
    const now = this.#now();
    for (const tally of this.#timers.tallies()) if (!tally.site.guarded) tally.addPoint(now);
    this.#context.sample(now, this.#armedTimers());
  }

  #live(): void {
    const report = this.#build('request');
    const latest = this.#context.samples.at(-1) ?? report.context;
    process.stderr.write(renderDoctorLine(report, latest));
  }

  #listen(event: string, listener: Listener): void {
    this.#on.call(process, event, listener);
    this.#handlers.push([event, listener]);
  }

  #isOwn(event: unknown, listener: unknown): boolean {
    return this.#handlers.some(([ownEvent, own]) => ownEvent === event && own === listener);
  }

  /**
   * Shadows `process.listeners()` and `rawListeners()` with ones that leave the doctor's listeners
   * out. Not `listenerCount()`: Node reads it to close a signal's handle when the last listener
   * goes, and the doctor's listener must keep that handle open until the doctor has reported.
   */
  #hideOwnListeners(): void {
    const target = process as unknown as Record<string, unknown>;
    const proto = EventEmitter.prototype as unknown as Record<string, (this: unknown, ...args: unknown[]) => unknown>;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the shadows are plain functions: they keep the caller's `this`.
    const doctor = this;
    const shadow = (name: string, value: (this: unknown, ...args: unknown[]) => unknown): void => {
      if (Object.prototype.hasOwnProperty.call(target, name)) return;
      Object.defineProperty(target, name, { configurable: true, writable: true, enumerable: false, value });
      this.#shadows.push([name, value]);
    };
    for (const name of ['listeners', 'rawListeners']) {
      const original = proto[name]!;
      shadow(name, function (this: unknown, event: unknown): unknown {
        const list = original.call(this, event) as unknown[];
        return this === process ? list.filter((listener) => !doctor.#isOwn(event, listener)) : list;
      });
    }
  }

  #handleProcessEvents(): void {
    this.#hideOwnListeners();
    this.#listen('exit', () => this.#guard(() => this.#finalReport('exit')));
    for (const signal of SHUTDOWN_SIGNALS) {
      const onSignal = (): void => {
        this.#guard(() => {
          const handledByApp = this.#listenerCount.call(process, signal) > 1;
          this.#shutdown ??= { signal, atMs: Math.round(this.#now()), handledByApp };
          // Only ours: Node's default is to die by the signal. Keep it, with the report written.
          if (!handledByApp) {
            this.#finalReport('signal');
            this.stop();
            process.kill(process.pid, signal);
          }
        });
      };
      this.#guard(() => this.#listen(signal, onSignal));
    }
    if (process.platform !== 'win32') {
      this.#guard(() => this.#listen('SIGUSR2', () => this.#guard(() => this.#output(this.#build('SIGUSR2')))));
    }
  }

  #finalReport(reason: DoctorReportReason): void {
    if (this.#finalReportMade) return;
    this.#finalReportMade = true;
    this.#output(this.#build(reason));
  }

  #output(report: DoctorReport): void {
    const { reportPath, htmlPath, stderr } = this.options;
    if (reportPath !== null) this.#write(reportPath, `${JSON.stringify(report, null, 2)}\n`);
    if (htmlPath !== null) this.#write(htmlPath, renderDoctorHtml(report));
    if (stderr) process.stderr.write(renderDoctorTable(report));
  }

  #write(path: string, text: string): void {
    try {
      // Sync on purpose: the 'exit' event gives no turn of the loop to finish anything else.
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    } catch (error) {
      this.#noteError(error);
      process.stderr.write(`tickguard doctor: cannot write ${path}: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }

  #build(reason: DoctorReportReason): DoctorReport {
    const now = this.#now();
    const armedIntervals = this.#timers.armedIntervalsFromBeforeShutdown();
    const sites: DoctorSiteReport[] = this.#timers.tallies().map((tally) => {
      if (!tally.site.guarded) tally.addPoint(now);
      return {
        site: tally.site.id, kind: tally.kind, call: tally.call, delayMs: tally.delayMs, guarded: tally.site.guarded, library: tally.site.library,
        created: tally.created, cleared: tally.cleared, fired: tally.fired, staleClears: tally.staleClears,
        armed: tally.armed, peakArmed: tally.peakArmed, ticks: tally.ticks, asyncRuns: tally.asyncRuns,
        inFlight: tally.inFlight, peakInFlight: tally.peakInFlight, overlappedTicks: tally.overlappedTicks,
        chain: tally.isChain, createdAfterShutdown: tally.createdAfterShutdown, rearmedAfterStop: tally.rearmedAfterStop,
        armedFromBeforeShutdown: tally.kind === 'setTimeout' ? 0 : (armedIntervals.get(tally.site.id) ?? 0),
        points: [...tally.points],
      };
    });
    const listeners: DoctorListenerReport[] = this.#listeners.tallies().map((tally) => ({
      site: tally.site.id, library: tally.site.library, target: tally.target, event: tally.event, limit: tally.limit, peak: tally.peak,
      live: ListenerWatch.liveCount(tally), liveFromSite: ListenerWatch.liveFromSite(tally), addsPastLimit: tally.addsPastLimit, addedAfterAbort: tally.addedAfterAbort,
      firstAtMs: Math.round(tally.firstAtMs), lastAtMs: Math.round(tally.lastAtMs),
    }));
    return {
      tool: 'tickguard doctor',
      version: packageVersion(),
      node: process.version,
      pid: process.pid,
      argv: [process.argv0, ...process.argv.slice(1)],
      startedAt: this.#startedAt.toISOString(),
      watchedMs: Math.round(now),
      reason,
      shutdown: this.#shutdown,
      findings: diagnose({ sites, listeners, shutdown: this.#shutdown, nowMs: now }),
      sites,
      listeners,
      samples: [...this.#context.samples],
      context: this.#context.current(now, this.#armedTimers()),
      doctorErrors: [...this.#errors],
    };
  }
}

let version: string | undefined;

/** tickguard's version, from the package.json above the doctor's file (src/doctor/ or dist/). */
function packageVersion(): string {
  if (version !== undefined) return version;
  version = 'unknown';
  for (let dir = dirname(doctorFile()), i = 0; i < 3; i += 1, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'tickguard' && typeof pkg.version === 'string') {
        version = pkg.version;
        break;
      }
    } catch {
      // No package.json at this level: look one higher.
      continue;
    }
  }
  return version;
}
