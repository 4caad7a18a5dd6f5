/**
 * HOW AND WHY
 *
 * Every due time of a scheduler — each job's next tick, each run's timeout, stuck check,
 * retry backoff and lease renewal, the deadlines of claims and stops — is an entry in one
 * queue. The tick loop arms a single clock timer for the earliest due time, whatever the number
 * of jobs: 100k jobs cost 100k queue entries, not 100k timer handles.
 *
 * Entries due at the same instant share one *slot*: a list of entries in the order they were
 * queued, like the per-duration lists of Node's own timers (`lib/internal/timers.js`). The
 * slots, one per distinct due time, sit in a binary min-heap by due time, with a map from due
 * time to slot. fixedRate slots are epoch-aligned, so every job of a period is due at the same
 * instants: when they fire, each one re-arms into the same next slot, and queueing or firing an
 * entry is an append or an unlink — O(1), whatever the job count — instead of a heap pop and
 * push per job.
 *
 *      heap of slots (by due)             each slot: its entries, oldest first
 *     [ 1000 , 1500 , 2000 ]   1000 ──▶ job a ⇄ job b ⇄ … ⇄ job z
 *        │                     1500 ──▶ timeout of run r
 *        └── one clock timer   2000 ──▶ job a' …
 *
 * Invariants, kept by the methods below:
 *  - an entry is queued exactly when `queueSlot` is set; it is then linked into that slot's
 *    list, whose due time is the entry's `due`;
 *  - a slot is in the heap and the map exactly while its list is non-empty (`heapIndex >= 0`);
 *    an emptied slot leaves both at once, and may be reused for another due time;
 *  - entries due at the same instant fire in the order they were queued: each slot's list is
 *    sorted by appending, because all its entries share one due time (ticks of jobs with the
 *    same period keep the order they were added, as the binary heap's insertion counter did).
 * Entries are private objects of the jobs and runs that own them; only the loop fires them.
 */

/** Something that fires at a due time. Subclasses implement `fire`. */
export abstract class QueueEntry {
  /** When it is due, on the clock's monotonic `now()` line. */
  due = 0;
  /** The slot whose list holds the entry; `undefined` when it is not queued. */
  queueSlot: Slot | undefined = undefined;
  /** The entry queued after this one in its slot. */
  queueNext: QueueEntry | undefined = undefined;
  /** The entry queued before this one in its slot. */
  queuePrev: QueueEntry | undefined = undefined;

  /** Called once when `due` has come; `now` is the time the batch was taken. */
  abstract fire(now: number): void;

  /** Whether the entry is waiting in a queue. */
  get queued(): boolean {
    return this.queueSlot !== undefined;
  }
}

/** The entries due at one instant, oldest first (exported as a type for {@link QueueEntry.queueSlot} only). */
export class Slot {
  due = 0;
  first: QueueEntry | undefined = undefined;
  last: QueueEntry | undefined = undefined;
  /** Position in the heap of slots, -1 when the slot is empty and out of it. */
  heapIndex = -1;
}

/** Emptied slots kept for reuse: a timeout per run would otherwise make a slot per run. */
const MAX_SPARE_SLOTS = 64;

/** Due entries by (due, order of queueing): slots of equal due times in a min-heap. */
export class TimerQueue {
  readonly #heap: Slot[] = [];
  readonly #byDue = new Map<number, Slot>();
  readonly #spare: Slot[] = [];
  /** The slot appended to last: a batch of ticks re-arming for the same instant finds it without a lookup. */
  #recent: Slot | undefined;
  #size = 0;

  /** How many entries are queued. */
  get size(): number {
    return this.#size;
  }

  /** The earliest due time, or `Infinity` when nothing is queued. */
  get nextDue(): number {
    const head = this.#heap[0];
    return head === undefined ? Infinity : head.due;
  }

  /** Queues `entry` at `due`, moving it if it was already queued. */
  schedule(entry: QueueEntry, due: number): void {
    if (entry.queueSlot !== undefined) this.cancel(entry);
    const recent = this.#recent;
    const slot = recent !== undefined && recent.due === due && recent.heapIndex >= 0 ? recent : this.#slotAt(due);
    this.#recent = slot;
    entry.due = due;
    entry.queueSlot = slot;
    entry.queueNext = undefined;
    const last = slot.last;
    entry.queuePrev = last;
    if (last === undefined) slot.first = entry;
    else last.queueNext = entry;
    slot.last = entry;
    this.#size += 1;
  }

  /** Removes `entry` if queued. */
  cancel(entry: QueueEntry): void {
    const slot = entry.queueSlot;
    if (slot === undefined) return;
    const prev = entry.queuePrev;
    const next = entry.queueNext;
    if (prev === undefined) slot.first = next;
    else prev.queueNext = next;
    if (next === undefined) slot.last = prev;
    else next.queuePrev = prev;
    entry.queueSlot = undefined;
    entry.queuePrev = undefined;
    entry.queueNext = undefined;
    this.#size -= 1;
    if (slot.first === undefined) this.#release(slot);
  }

  /** Removes and returns the entry due first if it is due at `now`. */
  popDue(now: number): QueueEntry | undefined {
    const slot = this.#heap[0];
    if (slot === undefined || slot.due > now) return undefined;
    // The first entry of the earliest slot, unlinked here rather than through cancel(): this is
    // the loop's hottest path, and a shared one kept V8 re-optimizing it when slots empty often
    // (jobs spread over many instants).
    const entry = slot.first!;
    const next = entry.queueNext;
    slot.first = next;
    if (next === undefined) slot.last = undefined;
    else next.queuePrev = undefined;
    entry.queueSlot = undefined;
    entry.queueNext = undefined;
    this.#size -= 1;
    if (next === undefined) this.#release(slot);
    return entry;
  }

  /** Empties the queue. */
  clear(): void {
    for (const slot of this.#heap) {
      for (let entry = slot.first; entry !== undefined; ) {
        const next = entry.queueNext;
        entry.queueSlot = undefined;
        entry.queuePrev = undefined;
        entry.queueNext = undefined;
        entry = next;
      }
      slot.first = undefined;
      slot.last = undefined;
      slot.heapIndex = -1;
    }
    this.#heap.length = 0;
    this.#byDue.clear();
    this.#recent = undefined;
    this.#size = 0;
  }

  /** The slot of `due`, made (or taken from the spares) and put in the heap when there is none. */
  #slotAt(due: number): Slot {
    const known = this.#byDue.get(due);
    if (known !== undefined) return known;
    const slot = this.#spare.pop() ?? new Slot();
    slot.due = due;
    this.#byDue.set(due, slot);
    slot.heapIndex = this.#heap.length;
    this.#heap.push(slot);
    this.#up(slot.heapIndex);
    return slot;
  }

  /** An emptied slot leaves the heap and the map. */
  #release(slot: Slot): void {
    const index = slot.heapIndex;
    const heap = this.#heap;
    slot.heapIndex = -1;
    slot.last = undefined;
    this.#byDue.delete(slot.due);
    if (this.#recent === slot) this.#recent = undefined;
    if (this.#spare.length < MAX_SPARE_SLOTS) this.#spare.push(slot);
    const moved = heap.pop()!;
    if (index === heap.length) return;
    heap[index] = moved;
    moved.heapIndex = index;
    this.#down(index);
    this.#up(moved.heapIndex);
  }

  #up(index: number): void {
    const heap = this.#heap;
    const slot = heap[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (parent.due <= slot.due) break;
      heap[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    heap[index] = slot;
    slot.heapIndex = index;
  }

  #down(index: number): void {
    const heap = this.#heap;
    const length = heap.length;
    const slot = heap[index]!;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && heap[right]!.due < heap[left]!.due) child = right;
      const childSlot = heap[child]!;
      if (childSlot.due >= slot.due) break;
      heap[index] = childSlot;
      childSlot.heapIndex = index;
      index = child;
    }
    heap[index] = slot;
    slot.heapIndex = index;
  }
}
