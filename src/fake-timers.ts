/**
 * HOW AND WHY: the fake timers of users' tests
 *
 * Users test schedules with their test runner's fake timers: vitest's `vi.useFakeTimers()`,
 * jest's modern fake timers, or `@sinonjs/fake-timers` itself (both runners are built on it).
 * These replace `setTimeout` and its kin — by default also `Date` and, in vitest 3+ and jest,
 * `performance` — and time moves only when the test advances it, in whole milliseconds.
 *
 * The system clock follows them while they are installed. It sees them by the mark sinon puts
 * on every function it installs, the fake clock as `setTimeout.clock` (the same mark testing
 * libraries look for), and then:
 *  - waits on the fake monotonic line: `performance` when it is faked with the timers, else the
 *    fake clock's own count of milliseconds, the one its timers fire on. The real monotonic
 *    clock barely moves while a test advances fake time, so waiting on it (vitest 2's default
 *    leaves `performance` real) would never reach a due time;
 *  - reads wall-clock due times from `Date`, so fixedRate slots, cron, `scheduledAt` and tick
 *    ids are the fake `Date`'s. Fake timers without a fake `Date` cannot move those: that, and
 *    jest's legacy fake timers (which fake no clock at all), are warned about once, naming the fix.
 * Without fake timers nothing here is consulted beyond one property read.
 *
 * A timer armed on fake timers fires only when the test advances them. Once they are uninstalled
 * (`vi.useRealTimers()` in an `afterEach`) or replaced by new ones, it never fires: a scheduler
 * that outlives the test would wait for it forever. So while any is armed, a real timer looks
 * every {@link WATCH_INTERVAL_MS} ms whether its fake clock is still the installed one, and fires
 * the orphaned callback if not — the tick loop takes that as an early wake-up: it runs what is due
 * by the time it reads now, and re-arms on the timers installed now. Each timer is cleared by the
 * timers it was armed on: a fake `clearTimeout` handed a real timer leaves it armed.
 *
 * A {@link TestClock} does not use fake timers, but it must not wait on what they replace:
 * {@link macrotaskTurn} uses the `setImmediate` of the time this module was loaded, or a
 * `MessageChannel` when fake timers were installed even before that.
 */
import { MessageChannel } from 'node:worker_threads';

/** The part of a `@sinonjs/fake-timers` clock that tickguard reads. */
interface FakeClock {
  /** The fake time in epoch milliseconds; its timers fire when it reaches their due time. */
  readonly now: number;
  /** Clears one of its timers, also once it is uninstalled. */
  clearTimeout?(handle: unknown): void;
}

/** How fake timers mark what they install: sinon's `clock`, jest's mock functions. */
interface Marked {
  readonly clock?: unknown;
  readonly _isMockFunction?: unknown;
}

function fakeClockOf(value: unknown): FakeClock | undefined {
  const clock = (value as Marked | undefined)?.clock;
  return typeof clock === 'object' && clock !== null && typeof (clock as FakeClock).now === 'number' ? (clock as FakeClock) : undefined;
}

function isReplaced(fn: unknown): boolean {
  return fakeClockOf(fn) !== undefined || (fn as Marked | undefined)?._isMockFunction === true;
}

/** The fake clock behind the global `setTimeout`, while fake timers are installed. */
export function installedFakeClock(): FakeClock | undefined {
  return fakeClockOf(globalThis.setTimeout);
}

/**
 * The monotonic time of fake timers: `performance` when they fake it (it ignores
 * `setSystemTime()`, as a real monotonic clock ignores a wall-clock step), else their own count.
 * Older fakes (`@sinonjs/fake-timers` 10, jest 29's) have no `performance.timeOrigin`: their own count then.
 */
export function fakeMonotonicNow(fake: FakeClock): number {
  const performance = globalThis.performance;
  if (fakeClockOf(performance) !== fake) return fake.now;
  const origin = performance.timeOrigin;
  return Number.isFinite(origin) ? origin + performance.now() : fake.now;
}

const warned = new Set<string>();

function warnOnce(code: string, message: string): void {
  if (warned.has(code)) return;
  warned.add(code);
  process.emitWarning(message, { code });
}

/** Warns, once per process, about fake timers that tickguard's schedules cannot follow. */
export function checkFakeTimers(fake: FakeClock | undefined): void {
  if (fake !== undefined) {
    if (fakeClockOf(globalThis.Date) === fake) return;
    warnOnce('TICKGUARD_FAKE_TIMERS_WITHOUT_DATE', 'tickguard: fake timers are installed without a fake Date. fixedRate, cron and at schedules are due at Date instants, '
      + 'which the fake clock does not move, so they will not run as the test advances time (fixedDelay, timeouts and retries do follow it). '
      + "Fake Date too — vitest: add 'Date' to toFake; jest: remove 'Date' from doNotFake; @sinonjs/fake-timers: add 'Date' to toFake — or give the scheduler a TestClock.");
    return;
  }
  if ((globalThis.setTimeout as Marked)._isMockFunction === true) {
    warnOnce('TICKGUARD_LEGACY_FAKE_TIMERS', "tickguard: jest's legacy fake timers are installed. They replace setTimeout but fake no clock, so schedules cannot follow them "
      + 'and will not run as the test advances time. Use modern fake timers (jest.useFakeTimers() without legacyFakeTimers: true) or give the scheduler a TestClock.');
  }
}

/** The global `setImmediate` as this module found it, unless fake timers had replaced it already. */
const loadTimeSetImmediate = isReplaced(globalThis.setImmediate) ? undefined : globalThis.setImmediate;

/** The real `setTimeout` and `clearTimeout`, unless fake timers had replaced them when this module was loaded. */
const loadTimeSetTimeout = isReplaced(globalThis.setTimeout) ? undefined : globalThis.setTimeout;
const loadTimeClearTimeout = isReplaced(globalThis.clearTimeout) ? undefined : globalThis.clearTimeout;

/** How often, in real milliseconds, timers armed on fake timers are checked for being orphaned. */
const WATCH_INTERVAL_MS = 10;

/** Timers armed on fake timers, by handle, with the fake clock of each and its callback. */
const armedOnFakes = new Map<unknown, { readonly fake: FakeClock; readonly callback: () => void }>();
let watch: ReturnType<typeof setTimeout> | undefined;

/** Arms `callback` on the installed fake timers, watched for being orphaned. */
export function setFakeTimer(fake: FakeClock, callback: () => void, delayMs: number): ReturnType<typeof setTimeout> {
  const handle = setTimeout(() => {
    if (armedOnFakes.delete(handle)) callback();
  }, delayMs);
  armedOnFakes.set(handle, { fake, callback });
  watchFakeTimers();
  return handle;
}

/** Clears a timer of the system clock with the timers it was armed on. */
export function clearSystemTimer(handle: ReturnType<typeof setTimeout>): void {
  if (armedOnFakes.size !== 0) {
    const armed = armedOnFakes.get(handle);
    if (armed !== undefined) {
      armedOnFakes.delete(handle);
      if (armed.fake.clearTimeout !== undefined) armed.fake.clearTimeout(handle);
      else clearTimeout(handle);
      return;
    }
  }
  (loadTimeClearTimeout ?? clearTimeout)(handle);
}

function watchFakeTimers(): void {
  // Loaded while fake timers were installed, this module has no real timer to watch with.
  if (watch !== undefined || loadTimeSetTimeout === undefined) return;
  watch = loadTimeSetTimeout(fireOrphans, WATCH_INTERVAL_MS);
  watch.unref();
}

function fireOrphans(): void {
  watch = undefined;
  const installed = installedFakeClock();
  try {
    // A callback re-arms on the installed timers: such an entry is not an orphan, and is passed over.
    for (const [handle, armed] of armedOnFakes) {
      if (armed.fake === installed) continue;
      armedOnFakes.delete(handle);
      armed.callback();
    }
  } finally {
    if (armedOnFakes.size !== 0) watchFakeTimers();
  }
}

/**
 * One turn of the real event loop: it runs after every promise callback and `process.nextTick`
 * queued before it. Fake timers can replace neither the captured `setImmediate` nor a
 * `MessageChannel`.
 */
export function macrotaskTurn(): Promise<void> {
  const setImmediate = loadTimeSetImmediate;
  if (setImmediate !== undefined) return new Promise<void>((resolve) => setImmediate(resolve));
  return new Promise<void>((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.once('message', () => {
      port1.close();
      resolve();
    });
    port2.postMessage(undefined);
  });
}
