/**
 * Progress while the lab runs. On a terminal: a compact table redrawn in place (the cursor
 * moves up over it and each line is cleared and rewritten). Elsewhere (a pipe, CI logs): plain
 * lines, one per strategy every few seconds, that read well in a log.
 */
import type { Sample } from './protocol.js';
import type { RunnerListener, StrategyOutcome } from './runner.js';
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
export interface LiveView extends RunnerListener {
  close(): void;
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
export function createLiveView(mode: LiveMode, out: LiveOutput, strategies: readonly StrategyName[]): LiveView {
  const rows = new Map<StrategyName, Row>(strategies.map((name) => [name, { name, status: 'waiting', last: undefined, peakInFlight: 0 }]));
  const listener: RunnerListener = {
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
    }, LINE_EVERY_MS);
    timer.unref();
    return { ...listener, close: () => clearInterval(timer) };
  }

  let drawn = 0;
  const draw = (): void => {
    // A pseudo-terminal without a size reports 0 columns: treat it as unknown, not as tiny.
    const columns = out.columns !== undefined && out.columns > 0 ? out.columns : 120;
    const width = Math.max(40, columns - 1);
    const lines = tableLines([...rows.values()]).map((line) => (line.length > width ? line.slice(0, width) : line));
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
