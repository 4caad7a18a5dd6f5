/**
 * What a run measures: the presets (full, quick, smoke) and the list of cases they expand to
 * for the selected scenarios and systems. A case a system cannot do becomes an `n/a` row here,
 * without starting a process, so every table has a row for every system it names.
 */
import { ADAPTERS } from './systems/index.js';
import { count } from './scenarios/context.js';
import {
  AVALANCHE_POLICIES,
  type AvalanchePolicy,
  type CaseResult,
  type CaseSpec,
  type ScenarioName,
  type SystemName,
  type TaskKind,
  systemLabel,
} from './types.js';

export type Mode = 'full' | 'quick' | 'smoke';

export interface Preset {
  readonly scale: { readonly sizes: readonly number[]; readonly periodMs: number; readonly windowMs: number; readonly setupLimitMs: number };
  readonly throughput: {
    readonly loads: readonly { readonly jobs: number; readonly periodMs: number }[];
    readonly tasks: readonly TaskKind[];
    readonly warmupMs: number;
    readonly windowMs: number;
    readonly setupLimitMs: number;
  };
  readonly churn: { readonly jobs: number; readonly phaseLimitMs: number };
  readonly avalanche: { readonly jobs: number; readonly intervalMs: number; readonly serviceMs: number; readonly durationMs: number };
}

export const PRESETS: Readonly<Record<Mode, Preset>> = {
  full: {
    scale: { sizes: [1_000, 10_000, 100_000], periodMs: 1_000, windowMs: 10_000, setupLimitMs: 60_000 },
    throughput: {
      loads: [{ jobs: 10_000, periodMs: 100 }, { jobs: 1_000, periodMs: 10 }],
      tasks: ['sync', 'async'],
      warmupMs: 1_000,
      windowMs: 5_000,
      setupLimitMs: 60_000,
    },
    churn: { jobs: 100_000, phaseLimitMs: 60_000 },
    avalanche: { jobs: 100, intervalMs: 100, serviceMs: 150, durationMs: 30_000 },
  },
  quick: {
    scale: { sizes: [1_000, 10_000, 100_000], periodMs: 1_000, windowMs: 3_000, setupLimitMs: 20_000 },
    throughput: {
      loads: [{ jobs: 10_000, periodMs: 100 }, { jobs: 1_000, periodMs: 10 }],
      tasks: ['sync', 'async'],
      warmupMs: 500,
      windowMs: 2_000,
      setupLimitMs: 20_000,
    },
    churn: { jobs: 100_000, phaseLimitMs: 20_000 },
    avalanche: { jobs: 100, intervalMs: 100, serviceMs: 150, durationMs: 3_000 },
  },
  smoke: {
    scale: { sizes: [1_000], periodMs: 1_000, windowMs: 1_000, setupLimitMs: 10_000 },
    throughput: {
      loads: [{ jobs: 1_000, periodMs: 100 }, { jobs: 100, periodMs: 10 }],
      tasks: ['sync', 'async'],
      warmupMs: 300,
      windowMs: 700,
      setupLimitMs: 10_000,
    },
    churn: { jobs: 2_000, phaseLimitMs: 10_000 },
    avalanche: { jobs: 10, intervalMs: 100, serviceMs: 150, durationMs: 1_000 },
  },
};

export interface PlanOptions {
  readonly mode: Mode;
  readonly scenarios: readonly ScenarioName[];
  readonly systems: readonly SystemName[];
  readonly tickguardEntry: string | undefined;
  readonly profileDir?: string | undefined;
  /** `--baseline`: the bundle of the baseline commit and its row label; every tickguard case then runs against it too. */
  readonly baseline?: { readonly entry: string; readonly name: string } | undefined;
}

/** A case to run in a child, or a row already decided. */
export type PlannedCase = { readonly kind: 'run'; readonly spec: CaseSpec } | { readonly kind: 'fixed'; readonly result: CaseResult };

function hz(periodMs: number): string {
  return `${1000 / periodMs}Hz`;
}

function notApplicable(spec: CaseSpec, reason: string): PlannedCase {
  return {
    kind: 'fixed',
    result: {
      id: spec.id,
      scenario: spec.scenario,
      system: spec.system,
      variant: spec.variant,
      ...(spec.baseline === undefined ? {} : { baseline: spec.baseline }),
      status: 'n/a',
      reason,
      metrics: {},
      spec,
      wallMs: 0,
    },
  };
}

/** The same case against the baseline bundle: its own id and entry, everything else equal. */
function baselineSpec(spec: CaseSpec, baseline: { readonly entry: string; readonly name: string }): CaseSpec {
  const id = `${spec.scenario}/${spec.variant}/${systemLabel({ system: spec.system, baseline: baseline.name })}`;
  return { ...spec, id, tickguardEntry: baseline.entry, baseline: baseline.name };
}

/** A tickguard case's baseline twin, planned the same way (run, or the same n/a row). */
function baselineTwin(planned: PlannedCase, baseline: PlanOptions['baseline']): PlannedCase | undefined {
  const spec = planned.kind === 'run' ? planned.spec : planned.result.spec;
  if (baseline === undefined || spec === null || spec.system !== 'tickguard') return undefined;
  const twin = baselineSpec(spec, baseline);
  return planned.kind === 'run' ? { kind: 'run', spec: twin } : notApplicable(twin, planned.result.reason ?? '');
}

export function buildPlan(options: PlanOptions): PlannedCase[] {
  const preset = PRESETS[options.mode];
  const src = {
    ...(options.tickguardEntry === undefined ? {} : { tickguardEntry: options.tickguardEntry }),
    ...(options.profileDir === undefined ? {} : { profileDir: options.profileDir }),
  };
  const plan: PlannedCase[] = [];
  // A baseline twin runs right after its case, so drift of the machine over the run hits both alike.
  const push = (planned: PlannedCase): void => {
    plan.push(planned);
    const twin = baselineTwin(planned, options.baseline);
    if (twin !== undefined) plan.push(twin);
  };
  const wants = (scenario: ScenarioName): boolean => options.scenarios.includes(scenario);

  if (wants('scale')) {
    const { sizes, periodMs, windowMs, setupLimitMs } = preset.scale;
    for (const jobs of sizes) {
      const variant = `N=${count(jobs)}`;
      for (const system of options.systems) {
        push({ kind: 'run', spec: { id: `scale/${variant}/${system}`, scenario: 'scale', system, variant, jobs, periodMs, windowMs, setupLimitMs, ...src } });
      }
    }
  }

  if (wants('throughput')) {
    const { loads, tasks, warmupMs, windowMs, setupLimitMs } = preset.throughput;
    for (const { jobs, periodMs } of loads) {
      for (const task of tasks) {
        const variant = `${count(jobs)}×${hz(periodMs)} ${task}`;
        for (const system of options.systems) {
          const spec: CaseSpec = { id: `throughput/${variant}/${system}`, scenario: 'throughput', system, variant, jobs, periodMs, task, warmupMs, windowMs, setupLimitMs, ...src };
          push(periodMs < 1000 && !ADAPTERS[system].subSecond ? notApplicable(spec, 'no sub-second schedule') : { kind: 'run', spec });
        }
      }
    }
  }

  if (wants('churn')) {
    const { jobs, phaseLimitMs } = preset.churn;
    const variant = `N=${count(jobs)}`;
    for (const system of options.systems) {
      push({ kind: 'run', spec: { id: `churn/${variant}/${system}`, scenario: 'churn', system, variant, jobs, phaseLimitMs, ...src } });
    }
  }

  if (wants('avalanche')) {
    const { jobs, intervalMs, serviceMs, durationMs } = preset.avalanche;
    const rows: { system: 'tickguard' | 'setInterval'; policy: AvalanchePolicy }[] = [];
    for (const policy of AVALANCHE_POLICIES) {
      const system = policy === 'none' ? 'setInterval' : 'tickguard';
      if (options.systems.includes(system)) rows.push({ system, policy });
    }
    for (const { system, policy } of rows) {
      const variant = policy === 'none' ? 'no policy' : policy;
      push({
        kind: 'run',
        spec: { id: `avalanche/${variant}/${system}`, scenario: 'avalanche', system, variant, policy, jobs, intervalMs, serviceMs, durationMs, ...src },
      });
    }
  }
  return plan;
}

/** How long a child may take before it is killed and its row reads `timeout`. */
export function wallLimitMs(spec: CaseSpec): number {
  const grace = 30_000;
  switch (spec.scenario) {
    case 'scale':
      return spec.setupLimitMs + spec.periodMs + spec.windowMs + grace;
    case 'throughput':
      return spec.setupLimitMs + spec.warmupMs + spec.windowMs + grace;
    case 'churn':
      return 3 * spec.phaseLimitMs + grace;
    case 'avalanche':
      return spec.durationMs + grace;
  }
}
