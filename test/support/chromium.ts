import { execFileSync } from 'node:child_process';

/** Launch flags for headless Chromium on a machine with no network beyond loopback. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Debian's Chromium, found at run time (`.ci/run` installs it; never a downloaded browser).
 * Missing outside CI: `undefined`, and the browser tests skip with a notice. Missing in CI
 * (`CI=true`): an error, since there they must run.
 */
export function findChromium(suite: string): string | undefined {
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const path = execFileSync('which', [name], { encoding: 'utf8' }).trim();
      if (path !== '') return path;
    } catch {
      // `which` exits 1 when the name is not on PATH: try the next one.
      continue;
    }
  }
  if (process.env.CI === 'true') throw new Error(`${suite}: Chromium not found on PATH in CI; install it with \`apt-get install -y chromium\``);
  console.warn(`${suite} skipped: no \`chromium\` on the PATH (apt-get install -y chromium)`);
  return undefined;
}
