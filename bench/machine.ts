import { cpus, loadavg, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The machine the numbers come from. */
export function describeMachine(): { cpuModel: string; cores: number; memoryBytes: number; node: string; platform: string } {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryBytes: totalmem(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

export function loadNow(): number[] {
  return loadavg().map((value) => Math.round(value * 100) / 100);
}

/** Installed versions of the systems under test (from node_modules), and tickguard's own. */
export function libraryVersions(): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const name of ['tickguard', 'croner', 'cron', 'node-cron', 'toad-scheduler']) {
    const path = name === 'tickguard' ? '../package.json' : `../node_modules/${name}/package.json`;
    try {
      const json = JSON.parse(readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8')) as { version?: unknown };
      versions[name] = typeof json.version === 'string' ? json.version : 'unknown';
    } catch {
      versions[name] = 'not installed';
    }
  }
  return versions;
}
