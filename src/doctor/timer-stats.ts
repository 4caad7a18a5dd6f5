/**
 * The doctor's bookkeeping of timers: one record per timer, one tally per creation site. Kept
 * apart from the patching (timers.ts) so that the counting rules read in one place.
 *
 * Invariants: `armed` of a site is the number of its timers neither fired (one-shot) nor
 * cleared; a one-shot timer counts as fired before its callback runs, so a callback that
 * re-arms its own chain sees the site with nothing armed. `inFlight` counts the runs of the
 * site's callbacks whose work is still pending (see runs.ts).
 */
import type { RunOwner } from './runs.js';
import type { Site } from './sites.js';

/** Which API created a timer. */
export type TimerKind = 'setTimeout' | 'setInterval' | 'timers/promises.setInterval';

/** Points of a site's history: `[ms since the doctor started, armed timers, runs in flight]`. */
export type SitePoint = readonly [number, number, number];

/** Most points kept per site; the older half is thinned when full. */
const MAX_POINTS = 240;

/** The tally of one creation site. */
export class SiteTally {
  readonly site: Site;
  readonly kind: TimerKind;
  /** The call as written, e.g. `setInterval(refresh, 100)`. */
  readonly call: string;
  readonly delayMs: number;
  created = 0;
  cleared = 0;
  fired = 0;
  /** Clears of a timer of this site that had already fired or been cleared: no-ops. */
  staleClears = 0;
  armed = 0;
  peakArmed = 0;
  /** Callback invocations (ticks of an interval, fires of a timeout). */
  ticks = 0;
  /** Ticks whose callback left work pending. */
  asyncRuns = 0;
  inFlight = 0;
  peakInFlight = 0;
  /** Ticks that started a run while an earlier run of the same interval (or chain) was still in flight. */
  overlappedTicks = 0;
  createdAfterShutdown = 0;
  /** A clear after shutdown hit a timer of this site that had already fired. */
  staleClearAfterShutdown = false;
  /** Timers created here after such a stale clear: the chain outlived its stop. */
  rearmedAfterStop = 0;
  readonly points: SitePoint[] = [];

  constructor(site: Site, kind: TimerKind, call: string, delayMs: number) {
    this.site = site;
    this.kind = kind;
    this.call = call;
    this.delayMs = delayMs;
  }

  /**
   * Re-armed one-shot timers, one at a time: a chain, judged like an interval. A chain is
   * re-armed, not cleared (but for its last link, when it stops): a site whose timers are
   * mostly cleared, before or after they fire, makes timeouts one after another (a timeout per
   * request in a serial loop), not a chain.
   */
  get isChain(): boolean {
    return this.kind === 'setTimeout' && this.peakArmed <= 1 && this.created >= 2 && (this.cleared + this.staleClears) * 2 <= this.created;
  }

  addPoint(atMs: number): void {
    const last = this.points.at(-1);
    if (last !== undefined && last[1] === this.armed && last[2] === this.inFlight) return;
    if (this.points.length >= MAX_POINTS) {
      // Keep the first point and every other one after it: the shape survives, memory stays flat.
      const thinned = this.points.filter((_, i) => i === 0 || i % 2 === 1);
      this.points.length = 0;
      this.points.push(...thinned);
    }
    this.points.push([Math.round(atMs), this.armed, this.inFlight]);
  }
}

/** One timer. */
export class TimerRecord implements RunOwner {
  readonly tally: SiteTally;
  state: 'armed' | 'fired' | 'cleared' = 'armed';
  /** Runs of this timer still in flight (an interval's own overlap). */
  inFlight = 0;
  /** Set for intervals, to read `hasRef()` when judging what is left at shutdown. */
  timer: WeakRef<object> | undefined;
  /** The numeric id `Symbol.toPrimitive` gave it, if it was asked for one. */
  id: number | undefined;
  readonly createdBeforeShutdown: boolean;

  constructor(tally: SiteTally, createdBeforeShutdown: boolean) {
    this.tally = tally;
    this.createdBeforeShutdown = createdBeforeShutdown;
  }

  runStarted(): void {
    const tally = this.tally;
    // An overlap is a run started while an earlier one of the same interval (or chain) is
    // still in flight; a tick that only finds it busy and returns starts nothing.
    const earlier = tally.kind === 'setTimeout' ? (tally.isChain ? tally.inFlight : 0) : this.inFlight;
    if (earlier > 0) tally.overlappedTicks += 1;
    this.inFlight += 1;
    tally.asyncRuns += 1;
    tally.inFlight += 1;
    if (tally.inFlight > tally.peakInFlight) tally.peakInFlight = tally.inFlight;
  }

  runEnded(): void {
    this.inFlight -= 1;
    this.tally.inFlight -= 1;
  }
}
