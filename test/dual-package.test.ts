/**
 * One app, two copies of tickguard: the app imports the ESM build while a dependency of it
 * `require()`s the CommonJS build — Node loads both, with two copies of every class. Errors
 * made by either copy pass `instanceof` against the other's classes (a brand checked by
 * `Symbol.hasInstance`), and carry the same `err.code`, the documented stable check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { buildPackage, type BuiltPackage } from './support/built-package.js';

let pkg: BuiltPackage;
beforeAll(async () => {
  pkg = await buildPackage('dual-package');
}, 60_000);
afterAll(() => pkg?.remove());

const DEPENDENCY = `
// A dependency of the app, written in CommonJS: it gets tickguard's CommonJS build.
const tickguard = require('tickguard');

/** The reason of a timed-out run's signal, made by this copy. */
async function timeoutReason() {
  const clock = new tickguard.TestClock(0);
  const scheduler = tickguard.createScheduler({ clock });
  let reason;
  scheduler.add({ name: 'slow', fixedRate: 1000, timeout: 100, maxRuns: 1, run: ({ signal }) => new Promise((resolve) => signal.addEventListener('abort', () => { reason = signal.reason; resolve(); })) });
  await clock.advance(1100);
  const stopping = scheduler.stop();
  await clock.advance(1);
  await stopping;
  return reason;
}

function invalidOption() {
  try { tickguard.createScheduler().add({ name: 'x', fixedRate: '10 seconds', run() {} }); } catch (error) { return error; }
}

module.exports = { tickguard, timeoutReason, invalidOption };
`;

const APP = `
import * as esm from 'tickguard';
import dependency from 'dependency';

const cjs = dependency.tickguard;
const timeout = await dependency.timeoutReason();
const invalid = dependency.invalidOption();
let esmInvalid;
try { esm.createScheduler().add({ name: 'x', fixedRate: -1, run() {} }); } catch (error) { esmInvalid = error; }

console.log(JSON.stringify({
  twoCopies: esm.RunTimeoutError !== cjs.RunTimeoutError && esm.TickguardError !== cjs.TickguardError,
  sameCopy: timeout instanceof cjs.RunTimeoutError,
  timeout: {
    code: timeout.code,
    RunTimeoutError: timeout instanceof esm.RunTimeoutError,
    RunAbortedError: timeout instanceof esm.RunAbortedError,
    TickguardError: timeout instanceof esm.TickguardError,
    Error: timeout instanceof Error,
    InvalidOptionError: timeout instanceof esm.InvalidOptionError,
  },
  invalid: {
    code: invalid.code,
    InvalidDurationError: invalid instanceof esm.InvalidDurationError,
    InvalidOptionError: invalid instanceof esm.InvalidOptionError,
    TickguardError: invalid instanceof esm.TickguardError,
    RunTimeoutError: invalid instanceof esm.RunTimeoutError,
  },
  esmInvalidAgainstCjs: {
    code: esmInvalid.code,
    InvalidDurationError: esmInvalid instanceof cjs.InvalidDurationError,
    TickguardError: esmInvalid instanceof cjs.TickguardError,
    RunAbortedError: esmInvalid instanceof cjs.RunAbortedError,
  },
  notErrors: [null, undefined, 42, {}, { code: 'ERR_TICKGUARD_RUN_TIMEOUT' }, new Error('plain')].some((v) => v instanceof esm.TickguardError || v instanceof cjs.RunTimeoutError),
  // Every exported error class, both ways: an instance of one copy's class against each class of
  // the other copy answers as it does against its own copy's classes.
  errorClasses: Object.keys(esm).filter((name) => name.endsWith('Error')).sort(),
  crossCopy: Object.keys(esm).filter((name) => name.endsWith('Error')).flatMap((made) => Object.keys(esm).filter((name) => name.endsWith('Error')).flatMap((against) => {
    const fromCjs = Object.create(cjs[made].prototype);
    const fromEsm = Object.create(esm[made].prototype);
    const own = fromEsm instanceof esm[against];
    return (fromCjs instanceof esm[against]) === own && (fromEsm instanceof cjs[against]) === own ? [] : [made + ' vs ' + against];
  })),
  unrelated: [new (class RunTimeoutError extends Error {})(), Object.assign(new Error('x'), { name: 'RunTimeoutError', code: 'ERR_TICKGUARD_RUN_TIMEOUT' }), Object.create(Error.prototype)]
    .some((v) => Object.keys(esm).filter((name) => name.endsWith('Error')).some((name) => v instanceof esm[name] || v instanceof cjs[name])),
}));
`;

describe('tickguard loaded as ESM and as CommonJS in one app', () => {
  it('errors of either copy are instanceof the other copy’s classes, and carry the same code', () => {
    const app = pkg.write({
      'node_modules/dependency/package.json': JSON.stringify({ name: 'dependency', main: 'index.cjs' }),
      'node_modules/dependency/index.cjs': DEPENDENCY,
      'app.mjs': APP,
    });
    const out = JSON.parse(execFileSync(process.execPath, [join(app, 'app.mjs')], { encoding: 'utf8', cwd: app })) as Record<string, unknown>;
    expect(out).toEqual({
      twoCopies: true,
      sameCopy: true,
      timeout: { code: 'ERR_TICKGUARD_RUN_TIMEOUT', RunTimeoutError: true, RunAbortedError: true, TickguardError: true, Error: true, InvalidOptionError: false },
      invalid: { code: 'ERR_TICKGUARD_INVALID_DURATION', InvalidDurationError: true, InvalidOptionError: true, TickguardError: true, RunTimeoutError: false },
      esmInvalidAgainstCjs: { code: 'ERR_TICKGUARD_INVALID_DURATION', InvalidDurationError: true, TickguardError: true, RunAbortedError: false },
      notErrors: false,
      errorClasses: [
        'TickguardError', 'InvalidOptionError', 'InvalidDurationError', 'InvalidCronError', 'DuplicateJobError', 'SchedulerStoppedError', 'JobRemovedError', 'JobDoneError',
        'RunAbortedError', 'RunTimeoutError', 'NonErrorThrownError', 'InvalidClaimResultError', 'ClaimTimeoutError', 'CoordinatorUnavailableError', 'ClockMisuseError',
      ].sort(),
      crossCopy: [],
      unrelated: false,
    });
  });

  it('a subclass of a tickguard error in the app keeps plain instanceof', async () => {
    const { RunAbortedError, TickguardError } = await import('../src/index.js');
    class AppError extends TickguardError {}
    const own = new AppError('ERR_TICKGUARD_CLOCK_MISUSE', 'mine');
    expect([own instanceof AppError, own instanceof TickguardError, new RunAbortedError('j', 'stop') instanceof AppError]).toEqual([true, true, false]);
  });
});
