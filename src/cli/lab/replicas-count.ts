/**
 * Counting for the replicas scene, from the run records the replicas sent: how many runs each
 * tick of the window had, which ticks ran twice or not at all, before and after the kill, and
 * whether the fencing tokens rose from tick to tick. Pure: the same records give the same figures.
 */
import type { GroupFigures, PerTickSpread, ReplicaGroup, ReplicaRun, TickRuns, TokenCheck, TokenPoint } from './protocol.js';

/** The ticks that count, in epoch ms: due at `startMs + k × intervalMs`, before `endMs`. */
export interface SceneWindow {
  readonly startMs: number;
  readonly endMs: number;
  readonly intervalMs: number;
  /** When a replica of each group was killed: ticks due before it are "before the kill". */
  readonly killAtMs: number;
}

/**
 * Where the scene's window goes, given the moment every replica is ready: it opens on the first
 * tick at least `leadMs` later, holds `durationMs` worth of ticks, and the kill and the stop both
 * fall between two ticks, once the run of the tick before has ended (`runMs`), so that neither
 * races a claim or cuts a run short.
 */
export function planWindow(readyAtMs: number, intervalMs: number, durationMs: number, runMs: number, leadMs: number): SceneWindow & { readonly stopAtMs: number } {
  const startMs = Math.ceil((readyAtMs + leadMs) / intervalMs) * intervalMs;
  const ticks = Math.max(2, Math.floor(durationMs / intervalMs));
  const endMs = startMs + ticks * intervalMs;
  const between = Math.round(runMs + (intervalMs - runMs) / 2);
  return {
    startMs,
    endMs,
    intervalMs,
    killAtMs: startMs + Math.floor(ticks / 2) * intervalMs - intervalMs + between,
    stopAtMs: endMs - intervalMs + between,
  };
}

/** The figures of one group from every run record (of any group: the others are ignored). */
export function countGroup(group: ReplicaGroup, replicas: number, records: readonly ReplicaRun[], window: SceneWindow): GroupFigures {
  const { startMs, endMs, intervalMs, killAtMs } = window;
  const ticks = Math.max(0, Math.ceil((endMs - startMs) / intervalMs));
  const byTick: number[][] = Array.from({ length: ticks }, () => []);
  const runsByReplica = Array.from({ length: replicas }, () => 0);
  const inWindow: ReplicaRun[] = [];
  for (const record of records) {
    if (record.group !== group) continue;
    const offset = record.slot - startMs;
    // A slot off the grid is not one of the job's ticks: it cannot be a fixedRate slot of this interval.
    if (offset < 0 || record.slot >= endMs || offset % intervalMs !== 0) continue;
    byTick[offset / intervalMs]!.push(record.replica);
    if (record.replica >= 1 && record.replica <= replicas) runsByReplica[record.replica - 1]! += 1;
    inWindow.push(record);
  }
  const perTick: TickRuns[] = byTick.map((who, k) => ({ t: k * intervalMs, replicas: [...who].sort((a, b) => a - b) }));
  const counts = perTick.map((tick) => tick.replicas.length);
  const runs = counts.reduce((sum, n) => sum + n, 0);
  const before = counts.filter((_, k) => startMs + k * intervalMs < killAtMs);
  const after = counts.filter((_, k) => startMs + k * intervalMs > killAtMs);
  const tokens = group === 'coordinated' ? checkTokens(inWindow, startMs) : null;
  const tokenPoints: TokenPoint[] = group === 'coordinated'
    ? inRunOrder(inWindow).filter((run) => run.token !== null).map((run) => ({ t: run.slot - startMs, token: run.token!, replica: run.replica }))
    : [];
  return {
    group,
    replicas,
    ticks,
    runs,
    duplicateTicks: counts.filter((n) => n > 1).length,
    extraRuns: counts.reduce((sum, n) => sum + Math.max(0, n - 1), 0),
    missedTicks: counts.filter((n) => n === 0).length,
    beforeKill: spread(before),
    afterKill: spread(after),
    runsByReplica,
    tokens,
    perTick,
    tokenPoints,
  };
}

/** Runs in tick order, ties (a tick run twice) by token. */
function inRunOrder(runs: readonly ReplicaRun[]): ReplicaRun[] {
  return [...runs].sort((a, b) => a.slot - b.slot || (a.token ?? 0) - (b.token ?? 0));
}

/**
 * Whether each run's token is above the previous run's, in tick order: the promise of a fencing
 * token (strictly increasing per job across the cluster), seen from the runs themselves.
 */
export function checkTokens(runs: readonly ReplicaRun[], startMs: number): TokenCheck {
  const ordered = inRunOrder(runs);
  let previous: number | null = null;
  let firstDecreaseAtMs: number | null = null;
  let count = 0;
  let first: number | null = null;
  for (const run of ordered) {
    if (run.token === null) continue;
    count += 1;
    first ??= run.token;
    if (previous !== null && run.token <= previous && firstDecreaseAtMs === null) firstDecreaseAtMs = run.slot - startMs;
    previous = run.token;
  }
  return {
    count,
    missing: ordered.length - count,
    increasing: firstDecreaseAtMs === null,
    firstDecreaseAtMs,
    first,
    last: previous,
  };
}

function spread(counts: readonly number[]): PerTickSpread {
  if (counts.length === 0) return { ticks: 0, min: 0, max: 0, mean: 0 };
  const sum = counts.reduce((a, b) => a + b, 0);
  return { ticks: counts.length, min: Math.min(...counts), max: Math.max(...counts), mean: Math.round((sum / counts.length) * 100) / 100 };
}

/** Runs per tick in a few characters: `3`, or `2–3 (avg 2.9)` when they varied; `-` over no tick. */
export function formatSpread(spread: PerTickSpread): string {
  if (spread.ticks === 0) return '-';
  if (spread.min === spread.max) return String(spread.min);
  return `${spread.min}–${spread.max} (avg ${Number(spread.mean.toFixed(1))})`;
}
