/**
 * `tickguard/doctor`: finds the tick avalanche and leaked timers in an app that does not use
 * tickguard yet. Preload it, and it watches from the first line of the app:
 *
 * ```sh
 * node --import tickguard/doctor app.js                 # ESM or CommonJS app
 * NODE_OPTIONS="--import tickguard/doctor" npm start
 * TICKGUARD_DOCTOR_REPORT=doctor.json node --import tickguard/doctor app.js
 * ```
 *
 * Loaded any other way (a plain `import`), it starts nothing until {@link startDoctor} is
 * called. `TICKGUARD_DOCTOR=off` keeps a preloaded doctor from starting.
 */
import { createDoctor, type Doctor } from './doctor.js';
import { doctorMode, resolveDoctorOptions, type DoctorOptions } from './options.js';

export type { Doctor } from './doctor.js';
export type { DoctorOptions, ResolvedDoctorOptions } from './options.js';
export type {
  ContextSample,
  DoctorFinding,
  DoctorFindingKind,
  DoctorListenerReport,
  DoctorReport,
  DoctorReportReason,
  DoctorSeverity,
  DoctorSiteReport,
  TimerKind,
} from './report.js';
export { renderDoctorTable } from './report-text.js';
export { renderDoctorHtml } from './report-html.js';

/** One doctor per process, shared by the ESM and CommonJS copies of this module. */
const RUNNING: unique symbol = Symbol.for('tickguard.doctor');
type Holder = { [RUNNING]?: Doctor };

/**
 * Starts the doctor, or returns the one already running in this process (its options are then
 * those it was started with). Throws `InvalidOptionError` for a bad option.
 *
 * @example
 * const doctor = startDoctor({ reportPath: 'doctor.json', reportOnExit: false });
 * // ... run the app ...
 * console.log(doctor.report().findings);
 * doctor.stop();
 */
export function startDoctor(options?: DoctorOptions): Doctor {
  const holder = globalThis as Holder;
  const running = holder[RUNNING];
  if (running !== undefined) return running;
  const doctor = createDoctor(resolveDoctorOptions(options));
  const stop = doctor.stop.bind(doctor);
  const shared: Doctor = {
    options: doctor.options,
    report: (reportOptions) => doctor.report(reportOptions),
    stop: () => {
      stop();
      if (holder[RUNNING] === shared) delete holder[RUNNING];
    },
  };
  holder[RUNNING] = shared;
  return shared;
}

/** Whether this module was preloaded (`--import`, `--require`) rather than imported by the app. */
function preloaded(): boolean {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    const flag = /^(--import|--require|-r|--loader|--experimental-loader)(=(.*))?$/.exec(arg);
    if (flag === null) continue;
    const value = flag[3] ?? args[i + 1] ?? '';
    if (/doctor/.test(value)) return true;
  }
  return false;
}

if (doctorMode() !== 'off' && preloaded()) {
  try {
    startDoctor();
  } catch (error) {
    // A preload has no caller to throw to: say why, and let the app run without the doctor.
    process.stderr.write(`tickguard doctor: not started: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}
