/**
 * HOW AND WHY
 *
 * Every due time of a scheduler — each job's next tick, each run's timeout, stuck check,
 * retry backoff and lease renewal, the deadlines of claims and stops — is an entry in one binary
 * min-heap ordered by (due, seq). The tick loop arms a single clock timer for the head of the
 * heap, whatever the number of jobs: 100k jobs cost 100k heap slots, not 100k timer handles.
 * Entries are private objects of the jobs and runs that own them; only the loop fires them.
 *
 *              heap (array)                       clock
 *     [ e(due 1000) , e(1000) , e(1500) , ... ]  ─── one timer for heap[0].due
 *
 * Invariants, kept by the methods below:
 *  - `entry.heapIndex` is the entry's position in the array, or -1 when it is not queued;
 *    that makes `cancel()` and re-scheduling O(log n) without searching.
 *  - `seq` grows with every insertion, so entries due at the same instant fire in the order
 *    they were scheduled (ticks of jobs with the same period keep the order they were added).
 */

/** Something that fires at a due time. Subclasses implement `fire`. */
export abstract class QueueEntry {
  /** When it is due, on the clock's monotonic `now()` line. */
  due = 0;
  /** Insertion order, the tie-breaker. */
  seq = 0;
  /** Position in the heap, -1 when not queued. */
  heapIndex = -1;

  /** Called once when `due` has come; `now` is the time the batch was taken. */
  abstract fire(now: number): void;

  /** Whether the entry is waiting in a queue. */
  get queued(): boolean {
    return this.heapIndex >= 0;
  }
}

/** A min-heap of {@link QueueEntry} by (due, seq). */
export class TimerQueue {
  readonly #heap: QueueEntry[] = [];
  #seq = 0;

  get size(): number {
    return this.#heap.length;
  }

  /** The entry due first, without removing it. */
  peek(): QueueEntry | undefined {
    return this.#heap[0];
  }

  /** Queues `entry` at `due`, moving it if it was already queued. */
  schedule(entry: QueueEntry, due: number): void {
    if (entry.heapIndex >= 0) this.cancel(entry);
    entry.due = due;
    entry.seq = this.#seq++;
    entry.heapIndex = this.#heap.length;
    this.#heap.push(entry);
    this.#up(entry.heapIndex);
  }

  /** Removes `entry` if queued. */
  cancel(entry: QueueEntry): void {
    const index = entry.heapIndex;
    if (index < 0) return;
    entry.heapIndex = -1;
    const last = this.#heap.pop()!;
    if (index === this.#heap.length) return;
    this.#heap[index] = last;
    last.heapIndex = index;
    this.#down(index);
    this.#up(last.heapIndex);
  }

  /** Removes and returns the entry due first if it is due at `now`. */
  popDue(now: number): QueueEntry | undefined {
    const head = this.#heap[0];
    if (head === undefined || head.due > now) return undefined;
    this.cancel(head);
    return head;
  }

  /** Empties the queue. */
  clear(): void {
    for (const entry of this.#heap) entry.heapIndex = -1;
    this.#heap.length = 0;
  }

  #less(a: QueueEntry, b: QueueEntry): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  #up(index: number): void {
    const heap = this.#heap;
    const entry = heap[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (!this.#less(entry, parent)) break;
      heap[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    heap[index] = entry;
    entry.heapIndex = index;
  }

  #down(index: number): void {
    const heap = this.#heap;
    const length = heap.length;
    const entry = heap[index]!;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && this.#less(heap[right]!, heap[left]!)) child = right;
      const childEntry = heap[child]!;
      if (!this.#less(childEntry, entry)) break;
      heap[index] = childEntry;
      childEntry.heapIndex = index;
      index = child;
    }
    heap[index] = entry;
    entry.heapIndex = index;
  }
}
