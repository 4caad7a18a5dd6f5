/**
 * Progress while the lab runs. On a terminal: a compact table redrawn in place (the cursor
 * moves up over it and each line is cleared and rewritten). Elsewhere (a pipe, CI logs): plain
 * lines, one per strategy every few seconds, that read well in a log.
 */
import type { ReplicaGroup, ReplicaRun, Sample } from './protocol.js';
import type { RunnerListener, StrategyOutcome } from './runner.js';
import type { ReplicasListener, ReplicasOutcome } from './replicas.js';
import type { SceneWindow } from './replicas-count.js';
import type { StrategyName } from './strategies.js';
import { formatBytes, formatMs } from './format.js';

/** How progress is shown. */
export type LiveMode = 'tty' | 'lines' | 'off';

/** Where progress goes: a stream, with its width when it is a terminal. */
export interface LiveOutput {
  write(text: string): unknown;
  readonly columns?: number;
}

/** A runner listener that shows progress; `close()` draws the last frame and restores the cursor. */
export interface LiveView extends RunnerListener, ReplicasListener {
  close(): void;
}

/** Progress of the replicas scene. */
interface SceneRow {
  /** The store's name, for the label. */
  readonly store: string;
  status: 'starting' | 'running' | 'done' | 'failed';
  window: SceneWindow | undefined;
  killed: boolean;
  readonly runs: Record<ReplicaGroup, number>;
}

type Status = 'waiting' | 'running' | 'stopping' | 'done' | 'error';

interface Row {
  readonly name: StrategyName;
  status: Status;
  last: Sample | undefined;
  peakInFlight: number;
}

const REDRAW_MS = 200;
const LINE_EVERY_MS = 5_000;
const ESC = '\u001b[';

/** Creates the progress view for `mode`. */
export function createLiveView(mode: LiveMode, out: LiveOutput, strategies: readonly StrategyName[], sceneStore: string | null = null): LiveView {
  const rows = new Map<StrategyName, Row>(strategies.map((name) => [name, { name, status: 'waiting', last: undefined, peakInFlight: 0 }]));
  const scene: SceneRow | null = sceneStore === null
    ? null
    : { store: sceneStore, status: 'starting', window: undefined, killed: false, runs: { naive: 0, coordinated: 0 } };
  const sceneListener: ReplicasListener = {
    onReplicasStart: (window) => {
      if (scene === null) return;
      scene.status = 'running';
      scene.window = window;
      if (mode === 'lines') out.write(`[lab] replicas: 3 naive + 3 coordinated replicas ready (${scene.store}); counting ticks for ${formatMs(window.endMs - window.startMs)}\n`);
    },
    onReplicaRun: (run: ReplicaRun) => {
      const window = scene?.window;
      if (scene === null || window === undefined || run.slot < window.startMs || run.slot >= window.endMs) return;
      scene.runs[run.group] += 1;
    },
    onReplicasKill: () => {
      if (scene === null) return;
      scene.killed = true;
      if (mode === 'lines') out.write('[lab] replicas: replica 3 of each group killed (SIGKILL)\n');
    },
    onReplicasEnd: (outcome: ReplicasOutcome) => {
      if (scene === null) return;
      scene.status = outcome.error === null && outcome.ends.every((end) => end.error === null) ? 'done' : 'failed';
      if (mode === 'lines') out.write(`[lab] replicas: ${scene.status === 'done' ? 'done' : 'failed'}, ${sceneFigures(scene)}\n`);
    },
  };
  const listener: RunnerListener & ReplicasListener = {
    ...sceneListener,
    onStart: (name) => {
      const row = rows.get(name);
      if (row !== undefined) row.status = 'running';
      if (mode === 'lines') out.write(`[lab] ${name}: started\n`);
    },
    onSample: (name, sample) => {
      const row = rows.get(name);
      if (row === undefined) return;
      row.last = sample;
      row.peakInFlight = Math.max(row.peakInFlight, sample.inFlight);
      if (sample.stopping && row.status === 'running') row.status = 'stopping';
    },
    onEnd: (outcome: StrategyOutcome) => {
      const row = rows.get(outcome.name);
      if (row !== undefined) {
        row.status = outcome.result === null ? 'error' : 'done';
        // The exact peak, which a sample every 100 ms can miss.
        if (outcome.result !== null) row.peakInFlight = outcome.result.peakInFlight;
      }
      if (mode === 'lines') {
        out.write(outcome.result === null
          ? `[lab] ${outcome.name}: worker failed\n`
          : `[lab] ${outcome.name}: done, peak in-flight ${outcome.result.peakInFlight}\n`);
      }
    },
  };
  if (mode === 'off') return { ...listener, close: () => undefined };
  if (mode === 'lines') {
    const timer = setInterval(() => {
      for (const row of rows.values()) {
        if ((row.status === 'running' || row.status === 'stopping') && row.last !== undefined) out.write(`[lab] ${progressLine(row)}\n`);
      }
      if (scene?.status === 'running') out.write(`[lab] replicas: ${sceneFigures(scene)}\n`);
    }, LINE_EVERY_MS);
    timer.unref();
    return { ...listener, close: () => clearInterval(timer) };
  }

  let drawn = 0;
  const draw = (): void => {
    // A pseudo-terminal without a size reports 0 columns: treat it as unknown, not as tiny.
    const columns = out.columns !== undefined && out.columns > 0 ? out.columns : 120;
    const width = Math.max(40, columns - 1);
    const table = tableLines([...rows.values()]);
    if (scene !== null) table.push(sceneLine(scene));
    const lines = table.map((line) => (line.length > width ? line.slice(0, width) : line));
    let frame = drawn > 0 ? `${ESC}${drawn}A` : '';
    for (const line of lines) frame += `\r${ESC}2K${line}\n`;
    out.write(frame);
    drawn = lines.length;
  };
  const showCursor = (): void => {
    out.write(`${ESC}?25h`);
  };
  out.write(`${ESC}?25l`);
  process.once('exit', showCursor);
  draw();
  const timer = setInterval(draw, REDRAW_MS);
  timer.unref();
  return {
    ...listener,
    close: () => {
      clearInterval(timer);
      draw();
      showCursor();
      process.off('exit', showCursor);
    },
  };
}

const COLUMNS = ['strategy', 'state', 'in-flight', 'peak', 'done', 'skipped', 'queue', 'heap+ext', 'handles', 'loop p99'] as const;

function tableLines(rows: readonly Row[]): string[] {
  const cells = rows.map((row) => {
    const s = row.last;
    const state = row.status === 'running' && s !== undefined ? `running ${formatMs(s.t)}` : row.status;
    if (s === undefined) return [row.name, state, '', '', '', '', '', '', '', ''];
    return [
      row.name, state, String(s.inFlight), String(row.peakInFlight), String(s.completed), String(s.skipped),
      String(s.queue), formatBytes(s.heapBytes + s.externalBytes), String(s.handles), formatMs(s.eventLoopDelayP99Ms),
    ];
  });
  const widths = COLUMNS.map((header, i) => Math.max(header.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: readonly string[]): string =>
    row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(COLUMNS), ...cells.map(line)];
}

/** Runs so far against ticks so far, per group. */
function sceneFigures(scene: SceneRow): string {
  const window = scene.window;
  if (window === undefined) return 'starting the replicas';
  const elapsed = Math.floor((Math.min(Date.now(), window.endMs - 1) - window.startMs) / window.intervalMs) + 1;
  const ticks = Math.max(0, Math.min(Math.round((window.endMs - window.startMs) / window.intervalMs), elapsed));
  const killed = scene.killed ? ', replica 3 of each killed' : '';
  return `${ticks} ticks: naive ${scene.runs.naive} runs, coordinated ${scene.runs.coordinated} runs${killed}`;
}

function sceneLine(scene: SceneRow): string {
  const since = scene.window === undefined ? -1 : Date.now() - scene.window.startMs;
  const state = scene.status !== 'running' ? scene.status : since < 0 ? 'starting' : `running ${formatMs(since)}`;
  return `replicas (${scene.store}): ${state}; ${sceneFigures(scene)}`;
}

function progressLine(row: Row): string {
  const s = row.last!;
  return [
    `${formatMs(s.t).padStart(6)} ${row.name.padEnd(26)}`,
    `in-flight ${s.inFlight} (peak ${row.peakInFlight})`,
    `queue ${s.queue}`,
    `done ${s.completed}`,
    `skipped ${s.skipped}`,
    `heap+ext ${formatBytes(s.heapBytes + s.externalBytes)}`,
    `handles ${s.handles}`,
  ].join('  ');
}
