/**
 * CPU profile of the measured window only (not module loading or setup), through the
 * inspector: `--profile-window <dir>` on bench/run.ts. Summarise with bench/profile-summary.ts.
 */
import { Session } from 'node:inspector/promises';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Starts profiling; the returned function stops and writes `<dir>/<name>.cpuprofile`. */
export async function startWindowProfile(dir: string, name: string): Promise<() => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name.replace(/[^\w.-]+/g, '_')}.cpuprofile`), JSON.stringify(profile));
  };
}
