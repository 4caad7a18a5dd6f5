/**
 * A slow downstream for the avalanche scenario: it serves one call at a time, each taking
 * `serviceMs`, and queues the rest in order. A call given an AbortSignal leaves the queue, or
 * stops being served, when the signal aborts. The counters are shared by all downstreams of
 * a case, so "in flight" is the whole process's backlog.
 */

export interface DownstreamStats {
  inFlight: number;
  /** Calls being served right now: each holds one service timer. */
  serving: number;
  peakInFlight: number;
  completed: number;
  aborted: number;
}

interface Call {
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

export class Downstream {
  readonly #serviceMs: number;
  readonly #stats: DownstreamStats;
  readonly #queue: Call[] = [];
  #serving: Call | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Highest backlog of this downstream alone. */
  peak = 0;

  constructor(serviceMs: number, stats: DownstreamStats) {
    this.#serviceMs = serviceMs;
    this.#stats = stats;
  }

  get backlog(): number {
    return this.#queue.length + (this.#serving === undefined ? 0 : 1);
  }

  call(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const call: Call = { resolve, reject, signal, onAbort: () => this.#abort(call) };
      signal?.addEventListener('abort', call.onAbort, { once: true });
      this.#queue.push(call);
      const stats = this.#stats;
      stats.inFlight += 1;
      if (stats.inFlight > stats.peakInFlight) stats.peakInFlight = stats.inFlight;
      if (this.backlog > this.peak) this.peak = this.backlog;
      this.#next();
    });
  }

  #next(): void {
    if (this.#serving !== undefined) return;
    const call = this.#queue.shift();
    if (call === undefined) return;
    this.#serving = call;
    this.#stats.serving += 1;
    this.#timer = setTimeout(() => {
      this.#serving = undefined;
      this.#stats.serving -= 1;
      this.#settle(call);
      this.#stats.completed += 1;
      call.resolve();
      this.#next();
    }, this.#serviceMs);
  }

  #abort(call: Call): void {
    if (this.#serving === call) {
      clearTimeout(this.#timer);
      this.#serving = undefined;
      this.#stats.serving -= 1;
    } else {
      const index = this.#queue.indexOf(call);
      if (index < 0) return;
      this.#queue.splice(index, 1);
    }
    this.#settle(call);
    this.#stats.aborted += 1;
    call.reject(call.signal?.reason);
    this.#next();
  }

  #settle(call: Call): void {
    this.#stats.inFlight -= 1;
    call.signal?.removeEventListener('abort', call.onAbort);
  }
}
