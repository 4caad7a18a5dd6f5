/**
 * The overlap policies as values: what a tick becomes when all of a job's slots are busy (or
 * ticks already wait in its buffer). This is the one place that knows each policy's buffer
 * bound; the executor carries the decision out.
 */
import type { OverlapPolicy } from './options/types.js';

/** What a tick that cannot start now becomes. */
export type BusyDecision =
  /** Skipped and counted (`reason: 'busy'`). */
  | 'skip'
  /** Waits in the buffer. */
  | 'buffer'
  /** The oldest waiting tick is dropped (`'buffer-full'`), then this one waits. */
  | 'drop-oldest'
  /** The oldest run is aborted, a waiting tick is dropped (`'replaced'`), and this one waits. */
  | 'cancel-oldest';

interface PolicyRule {
  /** How many ticks may wait in the buffer. */
  capacity(maxBuffered: number): number;
  /** The decision for a tick that finds the job busy with `buffered` ticks already waiting. */
  onBusy(buffered: number, maxBuffered: number): BusyDecision;
}

const RULES: Readonly<Record<OverlapPolicy, PolicyRule>> = {
  skip: {
    capacity: () => 0,
    onBusy: () => 'skip',
  },
  'buffer-one': {
    capacity: () => 1,
    onBusy: (buffered) => (buffered === 0 ? 'buffer' : 'skip'),
  },
  'buffer-all': {
    capacity: (maxBuffered) => maxBuffered,
    onBusy: (buffered, maxBuffered) => (buffered < maxBuffered ? 'buffer' : 'drop-oldest'),
  },
  'cancel-other': {
    capacity: () => 1,
    onBusy: () => 'cancel-oldest',
  },
};

/** What a tick that cannot start at once becomes under `policy`. */
export function onBusy(policy: OverlapPolicy, buffered: number, maxBuffered: number): BusyDecision {
  return RULES[policy].onBusy(buffered, maxBuffered);
}

/** How many ticks `policy` lets wait in the buffer. */
export function bufferCapacity(policy: OverlapPolicy, maxBuffered: number): number {
  return RULES[policy].capacity(maxBuffered);
}
