/**
 * The doctor's options: one readonly object, validated when the doctor starts, with defaults
 * taken from the environment so that `node --import tickguard/doctor app.js` needs no code.
 */
import { describeValue } from '../describe-value.js';
import { type Duration, parseDuration } from '../duration.js';
import { InvalidOptionError } from '../errors.js';

/** Options of {@link startDoctor}. Every field has an environment default. */
export interface DoctorOptions {
  /**
   * Where to write the JSON report (on exit, on SIGUSR2), or `null` for none.
   * @default process.env.TICKGUARD_DOCTOR_REPORT, else none
   */
  readonly reportPath?: string | null;
  /**
   * Where to write the HTML report, or `null` for none.
   * @default process.env.TICKGUARD_DOCTOR_HTML (`off` for none), else `reportPath` with `.html` for its extension, else none
   */
  readonly htmlPath?: string | null;
  /**
   * Print the findings as a table on stderr with each report.
   * @default true, false when `TICKGUARD_DOCTOR=quiet`
   */
  readonly stderr?: boolean;
  /**
   * Print one line of findings and context on stderr this often, or `null` for never.
   * @default when `TICKGUARD_DOCTOR=live`, process.env.TICKGUARD_DOCTOR_LIVE or `'5s'`; else `null`
   * @example startDoctor({ live: '10s' })
   */
  readonly live?: Duration | null;
  /**
   * How often the context (event-loop delay, handles, heap, armed timers) is sampled.
   * @default process.env.TICKGUARD_DOCTOR_SAMPLE, else `'1s'`
   */
  readonly sample?: Duration;
  /**
   * Report when the process exits, and on SIGUSR2 (without exiting); watch SIGTERM and SIGINT
   * for shutdown. With `false`, reports are made by calling `doctor.report()` only.
   * @default true
   */
  readonly reportOnExit?: boolean;
}

/** The options with every default applied. */
export interface ResolvedDoctorOptions {
  readonly reportPath: string | null;
  readonly htmlPath: string | null;
  readonly stderr: boolean;
  readonly liveMs: number | null;
  readonly sampleMs: number;
  readonly reportOnExit: boolean;
}

const KNOWN = ['reportPath', 'htmlPath', 'stderr', 'live', 'sample', 'reportOnExit'];
const DEFAULT_LIVE_MS = 5_000;
const DEFAULT_SAMPLE_MS = 1_000;
/** The sampler's floor: below it the doctor's own cost would show in what it measures. */
const MIN_SAMPLE_MS = 50;

/** What `TICKGUARD_DOCTOR` asks for: `off`, `quiet`, `live`, or nothing special. */
export function doctorMode(env: NodeJS.ProcessEnv = process.env): 'off' | 'quiet' | 'live' | 'on' {
  const mode = (env.TICKGUARD_DOCTOR ?? '').trim().toLowerCase();
  if (mode === 'off' || mode === '0' || mode === 'false') return 'off';
  if (mode === 'quiet') return 'quiet';
  if (mode === 'live') return 'live';
  return 'on';
}

/** Validates `options` and fills in the defaults; throws {@link InvalidOptionError} naming the option. */
export function resolveDoctorOptions(options: DoctorOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedDoctorOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', options, `Expected the doctor's options to be an object, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.includes(key)) {
      throw new InvalidOptionError(key, (options as Record<string, unknown>)[key], `Unknown doctor option \`${key}\` (known: ${KNOWN.join(', ')})`);
    }
  }
  const mode = doctorMode(env);
  const reportPath = path('reportPath', options.reportPath, nonEmpty(env.TICKGUARD_DOCTOR_REPORT));
  const htmlEnv = nonEmpty(env.TICKGUARD_DOCTOR_HTML);
  const htmlDefault = htmlEnv?.toLowerCase() === 'off' ? null : htmlEnv ?? (reportPath === null ? null : `${reportPath.replace(/\.json$/i, '')}.html`);
  const htmlPath = path('htmlPath', options.htmlPath, htmlDefault);
  const stderr = flag('stderr', options.stderr, mode !== 'quiet');
  const reportOnExit = flag('reportOnExit', options.reportOnExit, true);
  const live = options.live === undefined ? (mode === 'live' ? nonEmpty(env.TICKGUARD_DOCTOR_LIVE) ?? DEFAULT_LIVE_MS : null) : options.live;
  const liveMs = live === null ? null : parseDuration(live, options.live === undefined ? 'TICKGUARD_DOCTOR_LIVE' : 'live');
  const sample = options.sample ?? nonEmpty(env.TICKGUARD_DOCTOR_SAMPLE) ?? DEFAULT_SAMPLE_MS;
  const sampleMs = parseDuration(sample, options.sample === undefined ? 'TICKGUARD_DOCTOR_SAMPLE' : 'sample');
  if (sampleMs < MIN_SAMPLE_MS) {
    throw new InvalidOptionError('sample', sample, `Expected \`sample\` to be at least ${MIN_SAMPLE_MS}ms, got ${describeValue(sample)}`);
  }
  return { reportPath, htmlPath, stderr, liveMs, sampleMs, reportOnExit };
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value.trim() === '' ? null : value;
}

function path(option: string, value: unknown, fallback: string | null): string | null {
  if (value === undefined) return fallback;
  if (value === null) return null;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidOptionError(option, value, `Expected \`${option}\` to be a file path or null, got ${describeValue(value)}`);
  }
  return value;
}

function flag(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidOptionError(option, value, `Expected \`${option}\` to be a boolean, got ${describeValue(value)}`);
  return value;
}
