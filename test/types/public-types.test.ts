/**
 * Type tests: the types say what the runtime does. `npm run typecheck` compiles this file, so
 * each `@ts-expect-error` fails the build if the misuse it marks ever starts compiling, and each
 * `expectTypeOf` fails it if a type drifts. The runtime tables in `event-shapes.ts` are tied to
 * the same types here, and `test/event-shapes.test.ts` checks every event the engine emits
 * against them.
 */
import { describe, expectTypeOf, it } from 'vitest';
import pino from 'pino';
import {
  createScheduler,
  isDuration,
  TestClock,
  type AbortCause,
  type ClaimEvent,
  type ClaimRefusalReason,
  type DropReason,
  type Duration,
  type JobStateEvent,
  type JobUpdate,
  type PauseReason,
  type LeaseEvent,
  type Logger,
  type RunEndEvent,
  type RunLogger,
  type SkipReason,
  type TickEvent,
  type TickReason,
} from '../../src/index.js';
import { ABORT_CAUSES_BY_OUTCOME, DROP_REASONS, SKIP_REASONS, CLAIM_REFUSALS, STATE_REASONS } from '../support/event-shapes.js';

describe('event unions', () => {
  it('a tick event narrows by result', () => {
    const onTick = (e: TickEvent) => {
      if (e.result === 'skipped') {
        expectTypeOf(e.reason).toEqualTypeOf<SkipReason>();
        expectTypeOf(e.count).toEqualTypeOf<1>();
      } else if (e.result === 'dropped') {
        expectTypeOf(e.reason).toEqualTypeOf<DropReason>();
        expectTypeOf(e.count).toEqualTypeOf<number>();
      } else if (e.result === 'missed') {
        expectTypeOf(e.reason).toEqualTypeOf<'stalled'>();
      } else {
        expectTypeOf(e.result).toEqualTypeOf<'started' | 'buffered'>();
        expectTypeOf(e.reason).toEqualTypeOf<undefined>();
      }
    };
    expectTypeOf(onTick).toBeFunction();
    expectTypeOf<TickEvent['reason']>().toEqualTypeOf<TickReason | undefined>();
  });

  it('a run:end event narrows by outcome', () => {
    const onEnd = (e: RunEndEvent) => {
      switch (e.outcome) {
        case 'success':
          expectTypeOf(e.error).toEqualTypeOf<undefined>();
          expectTypeOf(e.abortCause).toEqualTypeOf<undefined>();
          break;
        case 'error':
          expectTypeOf(e.error).toEqualTypeOf<Error>();
          expectTypeOf(e.abortCause).toEqualTypeOf<'stop' | 'remove' | 'lease-lost' | undefined>();
          break;
        case 'timeout':
          expectTypeOf(e.error).toEqualTypeOf<Error>();
          expectTypeOf(e.abortCause).toEqualTypeOf<Exclude<AbortCause, 'cancel-other'>>();
          break;
        case 'aborted':
          expectTypeOf(e.error).toEqualTypeOf<Error>();
          expectTypeOf(e.abortCause).toEqualTypeOf<Exclude<AbortCause, 'timeout'>>();
          break;
        default:
          expectTypeOf(e).toBeNever();
      }
    };
    expectTypeOf(onEnd).toBeFunction();
  });

  it('claim and lease events narrow by result', () => {
    const onClaim = (e: ClaimEvent) => {
      if (e.result === 'won') expectTypeOf(e.token).toEqualTypeOf<number | undefined>();
      else {
        expectTypeOf(e.result).toEqualTypeOf<ClaimRefusalReason>();
        expectTypeOf(e.token).toEqualTypeOf<undefined>();
      }
    };
    const onLease = (e: LeaseEvent) => {
      if (e.result === 'renewed') expectTypeOf(e.why).toEqualTypeOf<undefined>();
      else expectTypeOf(e.why).toEqualTypeOf<string>();
    };
    expectTypeOf(onClaim).toBeFunction();
    expectTypeOf(onLease).toBeFunction();
  });

  it('a job:state event narrows by to', () => {
    const onState = (e: JobStateEvent) => {
      if (e.to === 'paused') expectTypeOf(e.reason).toEqualTypeOf<PauseReason>();
      else if (e.to === 'done') expectTypeOf(e.reason).toEqualTypeOf<'max-runs' | 'schedule-ended'>();
      else if (e.to === 'removed') {
        expectTypeOf(e.reason).toEqualTypeOf<'removed' | 'stopped'>();
        expectTypeOf(e.from).toEqualTypeOf<'active' | 'paused' | 'done' | 'removed'>();
      } else expectTypeOf(e.reason).toEqualTypeOf<'added' | 'resumed' | 'updated'>();
    };
    expectTypeOf(onState).toBeFunction();
  });

  it('listeners get the unions', () => {
    const scheduler = createScheduler({ clock: new TestClock() });
    scheduler.on('tick', (e) => expectTypeOf(e).toEqualTypeOf<TickEvent>());
    scheduler.on('run:end', (e) => {
      if (e.outcome === 'aborted') expectTypeOf(e.abortCause).toEqualTypeOf<Exclude<AbortCause, 'timeout'>>();
      // @ts-expect-error a successful run has no error, not even a possibly present one (with `error?: Error` this would compile)
      if (e.outcome === 'success' && e.error !== undefined) void e.error.message;
      // @ts-expect-error nor an abort cause
      if (e.outcome === 'success' && e.abortCause !== undefined) void e.abortCause.length;
    });
    scheduler.on('tick', (e) => {
      // @ts-expect-error a started tick has no reason (with `reason?: TickReason` this would compile)
      if (e.result === 'started' && e.reason !== undefined) void e.reason.length;
    });
    scheduler.on('tick', (e) => {
      // @ts-expect-error 'stalled' is a reason of missed ticks, never of skipped ones
      if (e.result === 'skipped' && e.reason === 'stalled') return;
    });
  });

  it('the runtime tables of event-shapes.ts are the types', () => {
    expectTypeOf<(typeof SKIP_REASONS)[number]>().toEqualTypeOf<SkipReason>();
    expectTypeOf<(typeof DROP_REASONS)[number]>().toEqualTypeOf<DropReason>();
    expectTypeOf<(typeof CLAIM_REFUSALS)[number]>().toEqualTypeOf<ClaimRefusalReason>();
    expectTypeOf<{ -readonly [S in keyof typeof STATE_REASONS]: (typeof STATE_REASONS)[S][number] }>().toEqualTypeOf<{ [S in JobStateEvent['to']]: Extract<JobStateEvent, { to: S }>['reason'] }>();
    expectTypeOf<(typeof ABORT_CAUSES_BY_OUTCOME)['error'][number]>().toEqualTypeOf<NonNullable<Extract<RunEndEvent, { outcome: 'error' }>['abortCause']>>();
    expectTypeOf<(typeof ABORT_CAUSES_BY_OUTCOME)['timeout'][number]>().toEqualTypeOf<Extract<RunEndEvent, { outcome: 'timeout' }>['abortCause']>();
    expectTypeOf<(typeof ABORT_CAUSES_BY_OUTCOME)['aborted'][number]>().toEqualTypeOf<Extract<RunEndEvent, { outcome: 'aborted' }>['abortCause']>();
  });
});

describe('ctx.log takes pino call shapes', () => {
  it('message only, fields and message, interpolation arguments, an error', () => {
    const scheduler = createScheduler({ clock: new TestClock() });
    scheduler.add({
      name: 'logs',
      fixedRate: '1s',
      run: ({ log }) => {
        expectTypeOf(log).toEqualTypeOf<RunLogger>();
        log.info('message');
        log.info({ rows: 3 }, 'synced');
        log.info('took %d ms for %s', 12, 'rows');
        log.error(new Error('boom'), 'failed');
        log.debug({ rows: 3 });
        log.child({ step: 'a' }).warn('child message');
        // @ts-expect-error a number is neither a message nor fields
        log.info(42);
        // @ts-expect-error the message after fields is a string
        log.info({ rows: 3 }, 42);
      },
    });
  });

  it('pino is a Logger; so is a logger written for (fields, message), and a RunLogger', () => {
    expectTypeOf(pino({ enabled: false })).toExtend<Logger>();
    const fieldsFirst: Logger = {
      child: () => fieldsFirst,
      debug: (fields: Record<string, unknown>, message?: string) => void [fields, message],
      info: () => {},
      warn: () => {},
      error: () => {},
    };
    expectTypeOf<RunLogger>().toExtend<Logger>();
    // @ts-expect-error a logger needs child()
    const noChild: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
    void noChild;
  });
});

describe('durations', () => {
  it('numbers and the strings the parser accepts compile', () => {
    const accepted: Duration[] = [250, 0.5, '250ms', '10s', '1.5m', '1h', '1d', '250', '1m30s', '1m 30s', '1h30m15s'];
    expectTypeOf(accepted).toEqualTypeOf<Duration[]>();
  });

  it('strings the parser refuses do not', () => {
    // @ts-expect-error a unit spelled out
    const spelled: Duration = '10 seconds';
    // @ts-expect-error an unknown unit
    const unknownUnit: Duration = '10sec';
    // @ts-expect-error weeks are not a unit
    const weeks: Duration = '2w';
    // @ts-expect-error no number
    const noNumber: Duration = 's';
    // @ts-expect-error empty
    const empty: Duration = '';
    // @ts-expect-error a string of unknown content needs isDuration() first
    const fromEnv: Duration = String(process.env.EVERY);
    void [spelled, unknownUnit, weeks, noNumber, empty, fromEnv];
  });

  it('isDuration() narrows a string from configuration', () => {
    const every: string = process.env.TICKGUARD_TYPES_EVERY ?? '10s';
    if (isDuration(every)) expectTypeOf(every).toExtend<Duration>();
    const scheduler = createScheduler({ clock: new TestClock() });
    const add = () => scheduler.add({ name: 'x', fixedRate: '10 seconds' as string as Duration, run: () => {} });
    expectTypeOf(add).toBeFunction();
    // @ts-expect-error an option typed as a Duration refuses a misspelt one
    expectTypeOf(() => scheduler.add({ name: 'x', fixedRate: '10 seconds', run: () => {} })).toBeFunction();
    // @ts-expect-error timeout too
    expectTypeOf(() => scheduler.add({ name: 'x', fixedRate: '1s', timeout: '5 sec', run: () => {} })).toBeFunction();
  });
});

describe('job.update()', () => {
  it('takes at most one schedule', () => {
    const scheduler = createScheduler({ clock: new TestClock() });
    const job = scheduler.add({ name: 'a', fixedRate: '10s', run: () => {} });
    const updates: JobUpdate[] = [{ timeout: '2s' }, { fixedRate: '5s' }, { cron: '0 * * * *', timezone: 'UTC' }, { at: new Date(), maxRuns: 1 }, {}];
    expectTypeOf(updates).toEqualTypeOf<JobUpdate[]>();
    // @ts-expect-error two schedules at once
    expectTypeOf(() => job.update({ fixedRate: '5s', cron: '0 * * * *' })).toBeFunction();
    // @ts-expect-error two schedules at once
    expectTypeOf(() => job.update({ fixedDelay: 1_000, at: 5 })).toBeFunction();
    // @ts-expect-error a misspelt duration in an update
    expectTypeOf(() => job.update({ fixedRate: '5 secs' })).toBeFunction();
    // @ts-expect-error the name cannot be updated
    expectTypeOf(() => job.update({ name: 'b' })).toBeFunction();
  });
});
