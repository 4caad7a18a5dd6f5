/**
 * `tickguard/otel`: spans recorded by the OpenTelemetry SDK's in-memory exporter
 * (BasicTracerProvider + SimpleSpanProcessor), on the TestClock: span times are the runs'
 * times, to the millisecond.
 */
import { context, SpanStatusCode, trace, type HrTime } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createScheduler, TestClock, type Scheduler } from '../../src/index.js';
import { ATTR, instrumentScheduler, type SchedulerTracing } from '../../src/integrations/otel.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const iso = (offsetMs: number): string => new Date(T0 + offsetMs).toISOString();
const ms = (time: HrTime): number => time[0] * 1_000 + time[1] / 1e6;

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer('tickguard-test');

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  exporter.reset();
});

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => {
  context.disable();
});

function setup(): { clock: TestClock; scheduler: Scheduler; tracing: SchedulerTracing } {
  const clock = new TestClock(T0);
  const scheduler = createScheduler({ clock });
  const tracing = instrumentScheduler(scheduler, { tracer });
  cleanups.push(() => tracing.uninstrument());
  return { clock, scheduler, tracing };
}

async function stop(clock: TestClock, scheduler: Scheduler): Promise<void> {
  const stopping = scheduler.stop();
  await clock.advance(60_000);
  await stopping;
}

const spansOf = (job: string): ReadableSpan[] => exporter.getFinishedSpans().filter((span) => span.attributes[ATTR.job] === job);
const eventNames = (span: ReadableSpan): string[] => span.events.map((event) => event.name);

describe('instrumentScheduler: a span per run', () => {
  it('records one span per run, keyed by tick, with the run\'s attributes and exact times', async () => {
    const { clock, scheduler } = setup();
    const ticksSeen: string[] = [];
    // 1.5 s runs at a 1 s rate, buffered: the second tick starts 500 ms late.
    scheduler.add({
      name: 'report', fixedRate: '1s', overlap: 'buffer-one', maxRuns: 2,
      run: async (ctx) => {
        ticksSeen.push(ctx.tickId);
        await clock.sleep(1_500, ctx.signal);
      },
    });
    await clock.advance(5_000);

    const spans = spansOf('report');
    expect(spans.map((span) => span.attributes[ATTR.tickId])).toEqual(ticksSeen);
    expect(spans.map((span) => ({
      name: span.name,
      kind: span.kind,
      parent: span.parentSpanContext,
      attributes: span.attributes,
      start: ms(span.startTime) - T0,
      end: ms(span.endTime) - T0,
      status: span.status.code,
      events: eventNames(span),
    }))).toEqual([
      {
        name: 'run report', kind: 0, parent: undefined, start: 1_000, end: 2_500, status: SpanStatusCode.UNSET, events: [],
        attributes: {
          [ATTR.job]: 'report', [ATTR.tick]: 1, [ATTR.tickId]: `report@${iso(1_000)}`, [ATTR.scheduledAt]: iso(1_000), [ATTR.manual]: false,
          [ATTR.latenessMs]: 0, [ATTR.outcome]: 'success', [ATTR.attempts]: 1, [ATTR.durationMs]: 1_500,
        },
      },
      {
        name: 'run report', kind: 0, parent: undefined, start: 2_500, end: 4_000, status: SpanStatusCode.UNSET, events: [],
        attributes: {
          [ATTR.job]: 'report', [ATTR.tick]: 2, [ATTR.tickId]: `report@${iso(2_000)}`, [ATTR.scheduledAt]: iso(2_000), [ATTR.manual]: false,
          [ATTR.latenessMs]: 500, [ATTR.outcome]: 'success', [ATTR.attempts]: 1, [ATTR.durationMs]: 1_500,
        },
      },
    ]);
    await stop(clock, scheduler);
  });

  it('keeps runs of different jobs and overlapping runs of one job apart', async () => {
    const { clock, scheduler } = setup();
    const seen = new Map<string, number>();
    const task = (duration: number) => async (ctx: { tickId: string; signal: AbortSignal }) => {
      seen.set(ctx.tickId, duration);
      await clock.sleep(duration, ctx.signal);
    };
    scheduler.add({ name: 'wide', fixedRate: '1s', maxConcurrency: 3, run: task(2_500) });
    scheduler.add({ name: 'narrow', fixedRate: '700ms', run: task(300) });
    await clock.advance(10_000);
    await stop(clock, scheduler);

    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(seen.size);
    for (const span of spans) {
      const tickId = span.attributes[ATTR.tickId] as string;
      expect(seen.has(tickId)).toBe(true);
      expect(ms(span.endTime) - ms(span.startTime)).toBe(seen.get(tickId));
    }
  });

  it('gives manual ticks their own spans, even two in the same millisecond', async () => {
    const { clock, scheduler } = setup();
    const job = scheduler.add({ name: 'manual', fixedRate: '1h', maxConcurrency: 2, run: async (ctx) => clock.sleep(100, ctx.signal) });
    const first = job.trigger();
    const second = job.trigger();
    await clock.advance(100);
    await Promise.all([first, second]);

    const spans = spansOf('manual');
    expect(spans.map((span) => [span.attributes[ATTR.tick], span.attributes[ATTR.manual], span.attributes[ATTR.outcome]])).toEqual([
      [1, true, 'success'],
      [2, true, 'success'],
    ]);
    expect(new Set(spans.map((span) => span.spanContext().spanId)).size).toBe(2);
    await stop(clock, scheduler);
  });
});

describe('instrumentScheduler: failures', () => {
  it('sets ERROR status with an exception event on a failed run', async () => {
    const { clock, scheduler } = setup();
    scheduler.add({ name: 'broken', fixedRate: '1s', maxRuns: 1, run: () => { throw new TypeError('bad input'); } });
    await clock.advance(1_000);

    const [span] = spansOf('broken');
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'bad input' });
    expect(span?.attributes[ATTR.outcome]).toBe('error');
    expect(span?.attributes[ATTR.errorType]).toBe('TypeError');
    expect(span?.events.map((event) => [event.name, event.attributes?.['exception.type'], event.attributes?.['exception.message'], ms(event.time) - T0]))
      .toEqual([['exception', 'TypeError', 'bad input', 1_000]]);
    await stop(clock, scheduler);
  });

  it('records each retried attempt as events of the run span', async () => {
    const { clock, scheduler } = setup();
    scheduler.add({
      name: 'flaky', fixedRate: '1m', maxRuns: 1, retry: { attempts: 3, backoff: '100ms' },
      run: async (ctx) => {
        await clock.sleep(50, ctx.signal);
        if (ctx.attempt < 3) throw new Error(`attempt ${ctx.attempt} failed`);
      },
    });
    await clock.advance(61_000);

    const [span] = spansOf('flaky');
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
    expect(span?.attributes).toMatchObject({ [ATTR.outcome]: 'success', [ATTR.attempts]: 3, [ATTR.durationMs]: 350 });
    expect(eventNames(span!)).toEqual(['exception', 'tickguard.retry', 'tickguard.attempt', 'exception', 'tickguard.retry', 'tickguard.attempt']);
    const attempts = span!.events.filter((event) => event.name === 'tickguard.attempt');
    expect(attempts.map((event) => [event.attributes?.[ATTR.attempt], event.attributes?.[ATTR.latenessMs], ms(event.time) - T0])).toEqual([
      [2, 150, 60_150],
      [3, 300, 60_300],
    ]);
    const exceptions = span!.events.filter((event) => event.name === 'exception');
    expect(exceptions.map((event) => event.attributes?.['exception.message'])).toEqual(['attempt 1 failed', 'attempt 2 failed']);
    const retries = span!.events.filter((event) => event.name === 'tickguard.retry');
    expect(retries.map((event) => [event.attributes?.[ATTR.attempt], event.attributes?.[ATTR.delayMs]])).toEqual([[1, 100], [2, 100]]);
    await stop(clock, scheduler);
  });

  it('marks a timed-out run as an error with the timeout\'s error code', async () => {
    const { clock, scheduler } = setup();
    scheduler.add({ name: 'slow', fixedRate: '1m', maxRuns: 1, timeout: '2s', run: async (ctx) => clock.sleep(10_000, ctx.signal) });
    await clock.advance(62_000);

    const [span] = spansOf('slow');
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes).toMatchObject({ [ATTR.outcome]: 'timeout', [ATTR.abortCause]: 'timeout', [ATTR.errorType]: 'ERR_TICKGUARD_RUN_TIMEOUT', [ATTR.durationMs]: 2_000 });
    expect(eventNames(span!)).toEqual(['exception']);
    await stop(clock, scheduler);
  });

  it('leaves the status unset for an aborted run, with the abort cause', async () => {
    const { clock, scheduler } = setup();
    scheduler.add({ name: 'latest', fixedRate: '1s', overlap: 'cancel-other', maxRuns: 2, run: async (ctx) => clock.sleep(1_500, ctx.signal) });
    await clock.advance(4_000);

    const spans = spansOf('latest');
    expect(spans.map((span) => [span.attributes[ATTR.tick], span.attributes[ATTR.outcome], span.attributes[ATTR.abortCause], span.status.code])).toEqual([
      [1, 'aborted', 'cancel-other', SpanStatusCode.UNSET],
      [2, 'success', undefined, SpanStatusCode.UNSET],
    ]);
    await stop(clock, scheduler);
  });

  it('adds a tickguard.stuck event when a run is stuck', async () => {
    const { clock, scheduler } = setup();
    scheduler.add({ name: 'stubborn', fixedRate: '1m', maxRuns: 1, timeout: '1s', stuckAfter: '3s', run: async () => clock.sleep(5_000) });
    await clock.advance(66_000);

    const [span] = spansOf('stubborn');
    const stuck = span!.events.find((event) => event.name === 'tickguard.stuck');
    expect([stuck?.attributes?.[ATTR.attempt], stuck?.attributes?.[ATTR.runningForMs], ms(stuck!.time) - T0]).toEqual([1, 3_000, 63_000]);
    expect(span?.attributes[ATTR.outcome]).toBe('timeout');
    expect(ms(span!.endTime) - T0).toBe(65_000);
    await stop(clock, scheduler);
  });
});

describe('instrumentScheduler: coordination', () => {
  it('traces a failed claim as an ERROR span of its own, and a lost lease as the run\'s abort cause', async () => {
    const clock = new TestClock(T0);
    let claims = 0;
    const scheduler = createScheduler({
      clock,
      claimTimeout: '200ms',
      coordinator: {
        claim: () => {
          claims += 1;
          if (claims === 1) throw new Error('store down');
          if (claims === 2) return new Promise<never>(() => {});
          const lost = new AbortController();
          // The store loses the lease 300 ms into the run.
          clock.sleep(300).then(() => lost.abort(), () => {});
          return { token: claims, expiresAt: new Date(clock.wallNow() + 30_000), lost: lost.signal, renew: async () => true, release: async () => {} };
        },
      },
    });
    const tracing = instrumentScheduler(scheduler, { tracer });
    cleanups.push(() => tracing.uninstrument());
    scheduler.add({ name: 'sync', fixedRate: '1s', coordination: 'exclusive', maxRuns: 1, run: async (ctx) => clock.sleep(2_000, ctx.signal) });
    await clock.advance(4_000);

    const claimSpans = exporter.getFinishedSpans().filter((span) => span.name === 'claim sync');
    expect(claimSpans.map((span) => [span.attributes[ATTR.claimReason], span.status.code])).toEqual([
      ['claim-failed', SpanStatusCode.ERROR],
      ['claim-timeout', SpanStatusCode.ERROR],
    ]);
    const runs = exporter.getFinishedSpans().filter((span) => span.name === 'run sync');
    expect(runs.map((span) => [span.attributes[ATTR.outcome], span.attributes[ATTR.abortCause]])).toEqual([['aborted', 'lease-lost']]);
    await stop(clock, scheduler);
  });
});

describe('instrumentScheduler: context', () => {
  it('wrap() runs the task with its run span active, so spans of the task are its children', async () => {
    const { clock, scheduler, tracing } = setup();
    scheduler.add({
      name: 'sync', fixedRate: '1s', maxRuns: 2,
      run: tracing.wrap(async (ctx) => {
        await clock.sleep(10, ctx.signal);
        // After an await, still inside the run's context.
        tracer.startActiveSpan('query', (span) => span.end());
      }),
    });
    await clock.advance(2_100);

    const runs = spansOf('sync');
    const queries = exporter.getFinishedSpans().filter((span) => span.name === 'query');
    expect(runs).toHaveLength(2);
    expect(queries.map((span) => span.parentSpanContext?.spanId)).toEqual(runs.map((span) => span.spanContext().spanId));
    expect(queries.map((span) => span.spanContext().traceId)).toEqual(runs.map((span) => span.spanContext().traceId));
    await stop(clock, scheduler);
  });

  it('starts runs as root spans, whatever context the job was added or the timer armed in', async () => {
    const { clock, scheduler } = setup();
    const outer = tracer.startSpan('http request');
    context.with(trace.setSpan(context.active(), outer), () => {
      scheduler.add({ name: 'added-in-request', fixedRate: '1s', maxRuns: 1, run: () => {} });
    });
    outer.end();
    await clock.advance(1_000);

    const [span] = spansOf('added-in-request');
    expect(span?.parentSpanContext).toBeUndefined();
    expect(span?.spanContext().traceId).not.toBe(outer.spanContext().traceId);
    await stop(clock, scheduler);
  });

  it('wrap() just calls a task whose run has no span', async () => {
    const clock = new TestClock(T0);
    const scheduler = createScheduler({ clock });
    const other = instrumentScheduler(createScheduler({ clock }), { tracer });
    cleanups.push(() => other.uninstrument());
    let active: unknown = 'unset';
    scheduler.add({ name: 'plain', fixedRate: '1s', maxRuns: 1, run: other.wrap(() => { active = trace.getActiveSpan(); return 42; }) });
    await clock.advance(1_000);
    expect(active).toBeUndefined();
    expect(() => other.wrap('nope' as never)).toThrow(/Expected the argument of wrap\(\) to be a job's run function/);
    await stop(clock, scheduler);
  });
});

describe('instrumentScheduler: lifecycle', () => {
  it('gives a run already in flight when instrumented a span from its run:end', async () => {
    const clock = new TestClock(T0);
    const scheduler = createScheduler({ clock });
    scheduler.add({ name: 'early', fixedRate: '1m', maxRuns: 1, run: async (ctx) => clock.sleep(2_000, ctx.signal) });
    await clock.advance(61_000);
    const tracing = instrumentScheduler(scheduler, { tracer });
    cleanups.push(() => tracing.uninstrument());
    await clock.advance(2_000);

    const [span] = spansOf('early');
    expect([ms(span!.startTime) - T0, ms(span!.endTime) - T0, span?.attributes[ATTR.outcome]]).toEqual([60_000, 62_000, 'success']);
    await stop(clock, scheduler);
  });

  it('ends the spans of runs still in flight when stop() gives up on them', async () => {
    const { clock, scheduler } = setup();
    scheduler.add({ name: 'forever', fixedRate: '1s', run: () => new Promise(() => {}) });
    await clock.advance(1_000);
    const stopping = scheduler.stop({ timeout: '5s' });
    await clock.advance(5_000);
    expect((await stopping).clean).toBe(false);

    const [span] = spansOf('forever');
    expect(span?.ended).toBe(true);
    expect(eventNames(span!)).toEqual(['tickguard.abandoned']);
    expect(span?.attributes[ATTR.outcome]).toBeUndefined();
  });

  it('uninstrument() ends open spans and records nothing more', async () => {
    const { clock, scheduler, tracing } = setup();
    let runs = 0;
    scheduler.add({ name: 'a', fixedRate: '1s', run: async (ctx) => { runs += 1; await clock.sleep(500, ctx.signal); } });
    await clock.advance(1_200);
    tracing.uninstrument();
    tracing.uninstrument();
    expect(eventNames(spansOf('a')[0]!)).toEqual(['tickguard.abandoned']);
    await clock.advance(3_000);
    expect(runs).toBe(4);
    expect(spansOf('a')).toHaveLength(1);
    await stop(clock, scheduler);
  });

  it('validates its arguments', () => {
    const scheduler = createScheduler({ clock: new TestClock(T0) });
    expect(() => instrumentScheduler(scheduler, { tracer: {} as never })).toThrow(/Expected `tracer` to be an OpenTelemetry Tracer/);
    expect(() => instrumentScheduler(scheduler, { tracr: tracer } as never)).toThrow(/Unknown option `tracr`.*did you mean `tracer`/);
    expect(() => instrumentScheduler(null as never)).toThrow(/first argument of instrumentScheduler\(\) to be a scheduler/);
  });
});

describe('instrumentScheduler: the global tracer provider', () => {
  afterEach(() => {
    trace.disable();
  });

  it('records nothing and costs nothing visible without an SDK, then follows one registered later', async () => {
    const clock = new TestClock(T0);
    const scheduler = createScheduler({ clock });
    const tracing = instrumentScheduler(scheduler); // no tracer given, no provider registered
    cleanups.push(() => tracing.uninstrument());
    let runs = 0;
    let sawRecordingSpan = false;
    scheduler.add({
      name: 'global', fixedRate: '1s',
      run: tracing.wrap(() => {
        runs += 1;
        sawRecordingSpan ||= trace.getActiveSpan()?.isRecording() === true;
      }),
    });
    await clock.advance(3_000);
    expect(runs).toBe(3);
    expect(sawRecordingSpan).toBe(false);
    expect(exporter.getFinishedSpans()).toEqual([]);

    // The global tracer is a proxy: it starts recording once an SDK is registered.
    expect(trace.setGlobalTracerProvider(provider)).toBe(true);
    await clock.advance(2_000);
    expect(runs).toBe(5);
    expect(sawRecordingSpan).toBe(true);
    expect(spansOf('global').map((span) => span.attributes[ATTR.tick])).toEqual([4, 5]);
    await stop(clock, scheduler);
  });
});
