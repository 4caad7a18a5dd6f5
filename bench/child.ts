/**
 * One benchmark case in its own process, so heaps and timer handles of different systems
 * never mix. Started by bench/run.ts with `--expose-gc` and a heap cap; the case arrives as
 * JSON in argv[2] and the result leaves over IPC, after which the process exits at once
 * (peers may still hold timers).
 */
import { ADAPTERS } from './systems/index.js';
import { warmUp } from './lib/warm-up.js';
import { startWindowProfile } from './lib/window-profile.js';
import { runScale } from './scenarios/scale.js';
import { runThroughput } from './scenarios/throughput.js';
import { runChurn } from './scenarios/churn.js';
import { runAvalanche } from './scenarios/avalanche.js';
import type { ScenarioContext, ScenarioOutcome } from './scenarios/context.js';
import type { CaseSpec, ChildMessage } from './types.js';

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) {
      process.stdout.write(`${JSON.stringify(message)}\n`);
      resolve();
      return;
    }
    process.send(message, undefined, {}, () => resolve());
  });
}

async function runCase(spec: CaseSpec): Promise<ScenarioOutcome> {
  if (spec.scenario === 'avalanche') return runAvalanche(spec);
  const adapter = ADAPTERS[spec.system];
  const makeDriver = await adapter.load({ tickguardEntry: spec.tickguardEntry });
  const context: ScenarioContext = {
    makeDriver,
    warmUp: () => warmUp(makeDriver, adapter.subSecond),
    profileWindow: () => (spec.profileDir === undefined ? Promise.resolve(() => Promise.resolve()) : startWindowProfile(spec.profileDir, spec.id)),
    progress: (note) => void send({ kind: 'progress', note }),
  };
  switch (spec.scenario) {
    case 'scale':
      return runScale(spec, context);
    case 'throughput':
      return runThroughput(spec, context);
    case 'churn':
      return runChurn(spec, context, adapter.updateMethod);
  }
}

async function main(): Promise<void> {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('usage: child.ts <case JSON>');
  const spec = JSON.parse(raw) as CaseSpec;
  let outcome: ScenarioOutcome;
  try {
    outcome = await runCase(spec);
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    outcome = { kind: 'result', status: 'error', reason, metrics: {} };
  }
  await send(outcome);
  process.exit(0);
}

await main();
