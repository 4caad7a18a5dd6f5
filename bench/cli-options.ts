/** Command-line flags of `npm run bench`, validated with messages that name the flag. */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { SCENARIOS, SYSTEMS, type ScenarioName, type SystemName } from './types.js';
import type { Mode } from './plan.js';

export const DEFAULT_OUT_DIR = fileURLToPath(new URL('./results/', import.meta.url));

export const USAGE = `Usage: npm run bench -- [options]

  --quick                 short windows (a few minutes in all)
  --smoke                 tiny sizes and windows, for CI (tens of seconds with --systems tickguard,setInterval)
  --only <list>           scenarios: ${SCENARIOS.join(',')}
  --systems <list>        systems: ${SYSTEMS.join(',')}
  --match <text>          only cases whose id (scenario/variant/system) contains <text>, e.g. '10k×10Hz'
  --out-dir <dir>         where <date>.json (and, for partial runs, <date>.md) go; default bench/results
  --tickguard-src <dir>   build tickguard from <dir>/index.ts instead of src/ (a patched scratch copy)
  --via-tsx               run children as TypeScript through tsx instead of tsup bundles (tsx's keepNames inflates closures)
  --baseline <git-ref>    also run every tickguard case against <git-ref>'s src/ (checked out into a temporary git
                          worktree, bundled the same way), each right after the current one; rows read
                          tickguard@<branch, tag or short hash> and the report opens with a before/after table
  --concurrency <n>       children at once (default 1: measurements want the machine to themselves)
  --repeat <n>            run each case n times and keep the median of each metric (default 1)
  --heap-cap <MB>         --max-old-space-size of each child (default 2048)
  --cpu-prof <dir>        write a .cpuprofile per child into <dir>
  --heap-prof <dir>       write a .heapprofile per child into <dir>
  --profile-window <dir>  write a CPU profile of each scale/throughput window into <dir>
  --report <file.json>    only render the report of an existing result file
  --help

A full, unfiltered run with the default --out-dir and no --baseline also rewrites bench/RESULTS.md.`;

export interface CliOptions {
  readonly mode: Mode;
  readonly scenarios: readonly ScenarioName[];
  readonly systems: readonly SystemName[];
  readonly match: string | undefined;
  /** Whether --only, --systems or --match narrowed the run. */
  readonly filtered: boolean;
  readonly outDir: string;
  readonly outDirGiven: boolean;
  readonly tickguardSrc: string | undefined;
  readonly viaTsx: boolean;
  /** The git ref to compare tickguard against, as given. */
  readonly baseline: string | undefined;
  readonly concurrency: number;
  readonly repeat: number;
  readonly heapCapMb: number;
  readonly cpuProfDir: string | undefined;
  readonly heapProfDir: string | undefined;
  readonly profileWindowDir: string | undefined;
  readonly reportOnly: string | undefined;
  readonly help: boolean;
}

function list<T extends string>(value: string | undefined, known: readonly T[], flag: string): T[] {
  if (value === undefined) return [...known];
  const items = value.split(',').map((item) => item.trim()).filter((item) => item !== '');
  for (const item of items) {
    if (!(known as readonly string[]).includes(item)) {
      throw new Error(`Expected \`${flag}\` to list some of ${known.join(', ')}, got \`${item}\``);
    }
  }
  return known.filter((item) => items.includes(item));
}

function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`Expected \`${flag}\` to be an integer >= 1, got \`${value}\``);
  return parsed;
}

/** Checks what can be checked without git; bench/lib/baseline.ts resolves the ref itself. */
function baselineRef(value: string | undefined, systems: readonly SystemName[], viaTsx: boolean): string | undefined {
  if (value === undefined) return undefined;
  // A leading dash would reach git as an option.
  if (value.trim() === '' || value.startsWith('-')) throw new Error(`Expected \`--baseline\` to name a git ref, got \`${value}\``);
  if (!systems.includes('tickguard')) throw new Error('Expected `--systems` to include tickguard with `--baseline`: only tickguard cases run twice');
  // The baseline is always a tsup bundle; tsx-run sources next to it would not compare like with like.
  if (viaTsx) throw new Error('Expected at most one of `--baseline` and `--via-tsx`');
  return value;
}

export function parseCli(argv: readonly string[]): CliOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      quick: { type: 'boolean' },
      smoke: { type: 'boolean' },
      only: { type: 'string' },
      systems: { type: 'string' },
      match: { type: 'string' },
      'out-dir': { type: 'string' },
      'tickguard-src': { type: 'string' },
      'via-tsx': { type: 'boolean' },
      baseline: { type: 'string' },
      concurrency: { type: 'string' },
      repeat: { type: 'string' },
      'heap-cap': { type: 'string' },
      'cpu-prof': { type: 'string' },
      'heap-prof': { type: 'string' },
      'profile-window': { type: 'string' },
      report: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.quick === true && values.smoke === true) throw new Error('Expected at most one of `--quick` and `--smoke`');
  const systems = list(values.systems, SYSTEMS, '--systems');
  const baseline = baselineRef(values.baseline, systems, values['via-tsx'] === true);
  return {
    mode: values.smoke === true ? 'smoke' : values.quick === true ? 'quick' : 'full',
    scenarios: list(values.only, SCENARIOS, '--only'),
    systems,
    match: values.match,
    filtered: values.only !== undefined || values.systems !== undefined || values.match !== undefined,
    outDir: values['out-dir'] ?? DEFAULT_OUT_DIR,
    outDirGiven: values['out-dir'] !== undefined,
    tickguardSrc: values['tickguard-src'],
    viaTsx: values['via-tsx'] === true,
    baseline,
    concurrency: positiveInt(values.concurrency, '--concurrency', 1),
    repeat: positiveInt(values.repeat, '--repeat', 1),
    heapCapMb: positiveInt(values['heap-cap'], '--heap-cap', 2048),
    cpuProfDir: values['cpu-prof'],
    heapProfDir: values['heap-prof'],
    profileWindowDir: values['profile-window'],
    reportOnly: values.report,
    help: values.help === true,
  };
}
