/**
 * The simulated downstream every strategy calls: a service that serves `capacity` requests at
 * once, each for `serviceTimeMs`, and queues the rest in arrival order. Each accepted request
 * holds a buffer until it is finished, the way a real request holds its payload, its socket
 * and its closures; that is what turns a growing queue into growing memory.
 *
 * When arrivals outpace service (a tick every 100 ms, 150 ms per request, one at a time), a
 * caller that does not wait for the previous call makes the queue grow without bound. The
 * held memory is capped so the demo machine survives: past `memoryCapBytes` new requests are
 * still queued but hold no buffer, and `memoryCapped` says the strategy would have kept growing.
 *
 * Payload buffers of finished requests are kept for reuse (a few of them): otherwise every
 * strategy's memory would climb between garbage collections, a bounded one as much as a
 * runaway one, and the memory chart would show the collector's schedule instead of what the
 * strategy holds.
 *
 * Invariants: `#serving.size <= capacity`; a request is in exactly one of `#waiting`,
 * `#serving` or neither (settled); every timer and abort listener it owns is released when it
 * settles, so an aborted downstream holds no handle.
 */

/** Options of {@link Downstream}. */
export interface DownstreamOptions {
  /** Requests served at once. */
  readonly capacity: number;
  /** Time to serve one request. */
  readonly serviceTimeMs: number;
  /** Bytes held per request from arrival to completion. */
  readonly bytesPerRequest: number;
  /** Held bytes beyond which new requests hold nothing. */
  readonly memoryCapBytes: number;
}

/** Finished payloads kept for reuse beyond the capacity; the rest are left to the collector. */
const SPARE_PAYLOADS = 4;

interface Request {
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
  payload: Buffer | null;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** A service of limited capacity, in process, on real timers. */
export class Downstream {
  readonly #options: DownstreamOptions;
  /** Insertion-ordered, so the first value is the oldest waiting request; deletion is O(1). */
  readonly #waiting = new Set<Request>();
  readonly #serving = new Set<Request>();
  /** Payloads of finished requests, reused by the next ones. */
  readonly #spare: Buffer[] = [];
  #heldBytes = 0;
  #memoryCapped = false;
  #served = 0;
  #aborted = 0;
  #peakQueue = 0;

  constructor(options: DownstreamOptions) {
    this.#options = options;
  }

  /** Requests waiting for a slot. */
  get queueLength(): number {
    return this.#waiting.size;
  }

  /** The longest the queue has been. */
  get peakQueue(): number {
    return this.#peakQueue;
  }

  /** Requests being served. */
  get inService(): number {
    return this.#serving.size;
  }

  /** Bytes held by accepted, unfinished requests. */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** Whether the memory cap was ever reached. */
  get memoryCapped(): boolean {
    return this.#memoryCapped;
  }

  /** Requests served to the end. */
  get served(): number {
    return this.#served;
  }

  /** Requests given up because their signal aborted. */
  get aborted(): number {
    return this.#aborted;
  }

  /**
   * Sends one request. Resolves once it has been served; rejects with `signal.reason` if the
   * signal aborts first, whether the request is waiting or being served.
   */
  request(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) {
      this.#aborted += 1;
      return Promise.reject(signal.reason);
    }
    return new Promise<void>((resolve, reject) => {
      const request: Request = {
        resolve,
        reject,
        signal,
        onAbort: () => this.#abort(request),
        payload: this.#allocate(),
        timer: undefined,
      };
      signal?.addEventListener('abort', request.onAbort, { once: true });
      if (this.#serving.size < this.#options.capacity) {
        this.#serve(request);
      } else {
        this.#waiting.add(request);
        if (this.#waiting.size > this.#peakQueue) this.#peakQueue = this.#waiting.size;
      }
    });
  }

  #allocate(): Buffer | null {
    const { bytesPerRequest, memoryCapBytes } = this.#options;
    if (bytesPerRequest <= 0) return null;
    if (this.#heldBytes + bytesPerRequest > memoryCapBytes) {
      this.#memoryCapped = true;
      return null;
    }
    this.#heldBytes += bytesPerRequest;
    // Buffer.alloc writes every byte, so the memory is really committed, not just reserved.
    return this.#spare.pop() ?? Buffer.alloc(bytesPerRequest, 1);
  }

  #serve(request: Request): void {
    this.#serving.add(request);
    request.timer = setTimeout(() => this.#complete(request), this.#options.serviceTimeMs);
  }

  #complete(request: Request): void {
    this.#release(request);
    this.#served += 1;
    request.resolve();
    this.#pump();
  }

  #abort(request: Request): void {
    const wasServing = this.#serving.has(request);
    this.#release(request);
    this.#aborted += 1;
    request.reject(request.signal?.reason);
    if (wasServing) this.#pump();
  }

  /** Forgets a request and frees everything it holds: slot or queue place, timer, listener, payload. */
  #release(request: Request): void {
    this.#waiting.delete(request);
    this.#serving.delete(request);
    if (request.timer !== undefined) clearTimeout(request.timer);
    request.timer = undefined;
    request.signal?.removeEventListener('abort', request.onAbort);
    if (request.payload !== null) {
      this.#heldBytes -= request.payload.length;
      if (this.#spare.length < this.#options.capacity + SPARE_PAYLOADS) this.#spare.push(request.payload);
    }
    request.payload = null;
  }

  #pump(): void {
    while (this.#serving.size < this.#options.capacity && this.#waiting.size > 0) {
      const next = this.#waiting.values().next();
      if (next.done === true) return;
      this.#waiting.delete(next.value);
      this.#serve(next.value);
    }
  }
}
