/** Whose code a stack frame runs, by file: the app's, a library's, tickguard's engine, the doctor's, or Node's. */
import { describe, expect, it } from 'vitest';
import { classifyFrame, locateOwnFiles } from '../../src/doctor/sites.js';

describe('classifyFrame', () => {
  it.each([
    ['/srv/app/src/server.js', 'app'],
    ['file:///srv/app/src/server.mjs', 'app'],
    ['/srv/app/node_modules/pg/lib/client.js', 'library'],
    ['/srv/app/node_modules/tickguard/dist/chunk-ABC.js', 'tickguard'],
    ['/srv/app/node_modules/tickguard/dist/doctor.js', 'doctor'],
    // The lab plays an unmodified app, from an installed package too.
    ['/srv/app/node_modules/tickguard/dist/cli/main.js', 'app'],
    ['file:///srv/app/node_modules/tickguard/dist/cli/main.js', 'app'],
    ['node:internal/timers', 'internal'],
    ['', 'internal'],
  ] as const)('installed: %s is %s', (file, kind) => {
    expect(classifyFrame(file, locateOwnFiles('/srv/app/node_modules/tickguard/dist/doctor.js'))).toBe(kind);
  });

  it.each([
    ['/repo/src/clock.ts', 'tickguard'],
    ['/repo/src/doctor/timers.ts', 'doctor'],
    ['/repo/src/cli/lab/strategies.ts', 'app'],
    ['/repo/test/fixtures/doctor/healthy.mjs', 'app'],
  ] as const)('from source: %s is %s', (file, kind) => {
    expect(classifyFrame(file, locateOwnFiles('/repo/src/doctor/sites.ts'))).toBe(kind);
  });
});
