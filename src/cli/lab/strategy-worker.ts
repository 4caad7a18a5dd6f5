/**
 * The child-process side of the lab: runs one strategy against its own downstream, samples
 * the process every `sampleMs`, stops the strategy, and reports over IPC. One strategy per
 * process keeps their memory, handles and event loops apart, so each one's figures are its own.
 *
 * Each strategy is stopped while one of its runs is in flight (the worker waits up to two
 * periods for one after the duration), because that is where a stop races with the run it
 * should end: a loop that re-arms after its await shows its bug every time, not by chance.
 *
 * After stop the worker waits `graceMs` (late runs would show there), clears its own sampler
 * and lets one turn of the loop pass; only then does it count active resources, so a Timeout
 * left at that point belongs to the strategy, not to the lab.
 */
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import { setImmediate as nextTurn, setTimeout as delay } from 'node:timers/promises';
import { Downstream } from './downstream.js';
import { RunProbe } from './probe.js';
import { STRATEGIES, isStrategyName, type RunningStrategy, type StopResult, type StrategyDefinition } from './strategies.js';
import type { EngineView, Sample, Violation, WorkerConfig, WorkerMessage, WorkerResult } from './protocol.js';

/** Resolution of the event-loop delay histograms; the excess over it is what is reported. */
const LOOP_RESOLUTION_MS = 10;
/** The worker ends its run early past this much memory beyond the downstream's cap. */
const MEMORY_HEADROOM_BYTES = 192 * 1024 * 1024;
const MAX_WARNINGS = 10;

/**
 * Entry of the hidden `__lab-worker` command: `argv[0]` is the {@link WorkerConfig} as JSON.
 * Resolves with the exit code once the result has been sent.
 */
export async function runStrategyWorker(argv: readonly string[]): Promise<number> {
  const send = process.send?.bind(process);
  if (send === undefined) {
    process.stderr.write('__lab-worker is internal to `tickguard lab`, which runs it in a child process with an IPC channel.\n');
    return 2;
  }
  const config = parseWorkerConfig(argv[0]);
  const definition = STRATEGIES[config.strategy as keyof typeof STRATEGIES];
  // The parent is gone: nobody would read the result, and naive strategies never end by themselves.
  process.once('disconnect', () => process.exit(0));
  const result = await runOne(config, definition, (message) => send(message));
  await new Promise<void>((resolve) => send({ type: 'result', result } satisfies WorkerMessage, undefined, {}, () => resolve()));
  return 0;
}

function parseWorkerConfig(text: string | undefined): WorkerConfig {
  let value: unknown;
  try {
    value = JSON.parse(text ?? '');
  } catch (error) {
    throw new Error(`__lab-worker expects its configuration as JSON, got ${JSON.stringify(text)}`, { cause: error });
  }
  const config = value as WorkerConfig;
  if (typeof config !== 'object' || config === null || typeof config.strategy !== 'string' || !isStrategyName(config.strategy)) {
    throw new Error(`__lab-worker got no known strategy in ${JSON.stringify(text)}`);
  }
  const numbers = ['durationMs', 'intervalMs', 'serviceTimeMs', 'capacity', 'sampleMs', 'bytesPerRequest', 'memoryCapBytes', 'graceMs'] as const;
  for (const key of numbers) {
    if (typeof config[key] !== 'number' || !Number.isFinite(config[key]) || config[key] < 0) {
      throw new Error(`__lab-worker: expected \`${key}\` to be a finite number >= 0, got ${JSON.stringify(config[key])}`);
    }
  }
  return config;
}

/** Peaks of what the samples saw. */
interface Peaks {
  heap: number;
  external: number;
  memory: number;
  handles: number;
  timeouts: number;
  listeners: number | null;
}

async function runOne(
  config: WorkerConfig,
  definition: StrategyDefinition,
  post: (message: WorkerMessage) => void,
): Promise<WorkerResult> {
  const origin = performance.now();
  const sinceStart = (): number => performance.now() - origin;
  const limit = definition.maxConcurrency(config.capacity);
  const probe = new RunProbe(definition.kind === 'tickguard' ? limit : null, sinceStart);
  const downstream = new Downstream(config);
  const warnings = new Set<string>();
  const note = (text: string): void => {
    if (warnings.size < MAX_WARNINGS) warnings.add(text);
  };
  process.on('warning', (warning) => note(`${warning.name}: ${warning.message}`));
  const onError = (error: unknown): void => note(`caught by the strategy: ${error instanceof Error ? error.message : String(error)}`);

  const wholeRun = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  const window = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  wholeRun.enable();
  window.enable();

  const peaks: Peaks = { heap: 0, external: 0, memory: 0, handles: 0, timeouts: 0, listeners: null };
  let stopping = false;
  const running = definition.start({
    intervalMs: config.intervalMs,
    capacity: config.capacity,
    task: probe.wrap((signal) => downstream.request(signal)),
    onError,
  });

  const takeSample = (): Sample => {
    const memory = process.memoryUsage();
    const handlesByType = countByType(process.getActiveResourcesInfo());
    const handles = Object.values(handlesByType).reduce((sum, n) => sum + n, 0);
    const listeners = running.abortListeners();
    peaks.heap = Math.max(peaks.heap, memory.heapUsed);
    peaks.external = Math.max(peaks.external, memory.external);
    peaks.memory = Math.max(peaks.memory, memory.heapUsed + memory.external);
    peaks.handles = Math.max(peaks.handles, handles);
    peaks.timeouts = Math.max(peaks.timeouts, handlesByType.Timeout ?? 0);
    if (listeners !== null) peaks.listeners = Math.max(peaks.listeners ?? 0, listeners);
    const sample: Sample = {
      t: Math.round(sinceStart()),
      stopping,
      inFlight: probe.inFlight,
      started: probe.started,
      completed: probe.completed,
      skipped: running.skippedTicks(),
      queue: downstream.queueLength,
      handles,
      handlesByType,
      heapBytes: memory.heapUsed,
      externalBytes: memory.external,
      eventLoopDelayP99Ms: loopDelayMs(window),
      abortListeners: listeners,
    };
    window.reset();
    return sample;
  };

  // Ends the run early when the process grows past what the demo machine should give it.
  let endEarly: () => void = () => undefined;
  let endedEarly = false;
  const early = new Promise<void>((resolve) => {
    endEarly = resolve;
  });
  const sampler = setInterval(() => {
    const sample = takeSample();
    post({ type: 'sample', sample });
    if (!stopping && sample.heapBytes + sample.externalBytes > config.memoryCapBytes + MEMORY_HEADROOM_BYTES) {
      endedEarly = true;
      note(`ended early at ${sample.t}ms: the process held ${Math.round((sample.heapBytes + sample.externalBytes) / 2 ** 20)} MiB`);
      endEarly();
    }
  }, config.sampleMs);

  const duration = new AbortController();
  await Promise.race([delay(config.durationMs, undefined, { signal: duration.signal }).catch(() => undefined), early]);
  duration.abort();
  if (!endedEarly) await probe.whenInFlight(2 * (config.intervalMs + config.serviceTimeMs));

  stopping = true;
  const stoppedAtMs = Math.round(sinceStart());
  // Marked when stop() is called, in the signal's handler: a run that starts while the signal is
  // on its way started before stop(), and is no violation.
  const { engine } = await stopOnSigterm(running, () => probe.markStopRequested());
  await delay(config.graceMs);
  clearInterval(sampler);
  // The timer that just fired is listed until its callback has returned: let the loop turn once.
  await nextTurn();
  const last = takeSample();
  post({ type: 'sample', sample: last });
  wholeRun.disable();
  window.disable();

  const violations = definition.kind === 'tickguard'
    ? checkTickguard(definition.name, limit, probe, last, engine)
    : [];
  return {
    peakInFlight: probe.peakInFlight,
    startedRuns: probe.started,
    completedRuns: probe.completed,
    failedRuns: probe.failed,
    skippedTicks: running.skippedTicks(),
    peakQueue: downstream.peakQueue,
    peakHeapBytes: peaks.heap,
    peakExternalBytes: peaks.external,
    peakMemoryBytes: peaks.memory,
    peakHandles: peaks.handles,
    peakTimeouts: peaks.timeouts,
    peakAbortListeners: peaks.listeners,
    eventLoopDelayP99Ms: loopDelayMs(wholeRun),
    stoppedAtMs,
    startedAfterStop: probe.startedAfterStop,
    inFlightAfterStop: probe.inFlight,
    handlesAfterStop: last.handlesByType,
    memoryCapped: downstream.memoryCapped,
    endedEarly,
    engine,
    violations,
    warnings: [...warnings],
  };
}

/**
 * Stops the strategy the way a deploy stops a service: from a SIGTERM handler. The worker sends
 * the signal to itself, so that the doctor, when it watches the worker, sees the app say it is
 * shutting down before the strategy's own stop runs. (On Windows a signal would kill the
 * process outright: the strategy is stopped directly there.)
 */
function stopOnSigterm(running: RunningStrategy, stopping: () => void): Promise<StopResult> {
  if (process.platform === 'win32') {
    stopping();
    return running.stop();
  }
  return new Promise<StopResult>((resolve, reject) => {
    process.once('SIGTERM', () => {
      stopping();
      running.stop().then(resolve, reject);
    });
    process.kill(process.pid, 'SIGTERM');
  });
}

/**
 * The self-check of a tickguard strategy: what its promise was, and what the task saw.
 * `last` is the sample taken after stop and the grace period, with the lab's own timers gone.
 */
export function checkTickguard(
  strategy: string,
  limit: number | null,
  probe: Pick<RunProbe, 'overruns' | 'startedAfterStop' | 'inFlight' | 'started'>,
  last: Pick<Sample, 'handlesByType'>,
  engine: EngineView | null,
): Violation[] {
  const violations: Violation[] = [];
  const add = (kind: Violation['kind'], message: string): void => {
    violations.push({ strategy, kind, message });
  };
  for (const overrun of probe.overruns) {
    add('max-concurrency', `${overrun.inFlight} runs in flight at ${overrun.atMs}ms, above maxConcurrency ${String(limit)}`);
  }
  if (probe.startedAfterStop > 0) {
    add('run-after-stop', `${probe.startedAfterStop} run(s) started after scheduler.stop() was called`);
  }
  const timeouts = last.handlesByType.Timeout ?? 0;
  if (timeouts > 0) {
    add('handle-left', `${timeouts} Timeout handle(s) still active after scheduler.stop() resolved`);
  }
  if (probe.inFlight > 0) {
    add('stop-unclean', `${probe.inFlight} run(s) still in flight after stop({ abort: true }) resolved`);
  }
  if (engine === null) {
    add('engine-counters', 'the tickguard strategy reported no engine counters');
    return violations;
  }
  if (!engine.stopClean) add('stop-unclean', `stop({ abort: true }) reported runs still running after ${engine.stopDurationMs}ms`);
  if (engine.started !== probe.started) {
    add('engine-counters', `the engine counted ${engine.started} started runs, the task saw ${probe.started}`);
  }
  const accounted = engine.started + engine.skipped + engine.dropped + engine.missed;
  if (engine.ticks !== accounted) {
    add('engine-counters', `ticks do not add up: ${engine.ticks} ticks vs ${accounted} started + skipped + dropped + missed`);
  }
  const ended = engine.succeeded + engine.aborted + engine.failed;
  if (ended !== engine.started) {
    add('engine-counters', `${engine.started} runs started but ${ended} ended (succeeded + aborted + failed)`);
  }
  return violations;
}

function countByType(resources: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of resources) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** The histogram's p99 minus its resolution: how late the loop was, not how often it was asked. */
function loopDelayMs(histogram: IntervalHistogram): number {
  if (histogram.count === 0) return 0;
  const ms = histogram.percentile(99) / 1e6 - LOOP_RESOLUTION_MS;
  return Math.max(0, Math.round(ms * 10) / 10);
}
