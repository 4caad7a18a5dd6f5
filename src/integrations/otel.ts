/**
 * OpenTelemetry traces of a scheduler (`tickguard/otel`), through `@opentelemetry/api`, an
 * optional peer dependency.
 *
 * One span per run, started by the run's first `run:start` and ended by its `run:end`, with the
 * times those events carry — so a span's duration is the run's `durationMs`, to the
 * millisecond, even on a test clock. Attempts after the first, retries, and stuck reports are
 * span events of the run's span. Runs are root spans: a run is started by the scheduler's timer,
 * not by whatever request happened to arm it.
 *
 * Without an SDK registered, the API hands out non-recording spans and this costs a few
 * allocations per run and records nothing.
 *
 * Spans are keyed by tickId and tick number: a job removed and added again under the same name
 * restarts its tick numbers and can repeat a due time while a run of the old one is in flight.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import type { Scheduler } from '../scheduler.js';
import type { JobTask } from '../options/types.js';
import type { RunContext } from '../run/context.js';
import type { RunEndEvent, RunStartEvent } from '../events.js';
import { InvalidOptionError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import { optionsObject, requireMethods, requireScheduler } from './validate.js';

/** Options of {@link instrumentScheduler}. */
export interface TracingOptions {
  /** The tracer that creates the spans. @default `trace.getTracer('tickguard')`, from the global provider */
  readonly tracer?: Tracer;
}

/** What {@link instrumentScheduler} returns. `using tracing = instrumentScheduler(…)` uninstruments at scope end. */
export interface SchedulerTracing extends Disposable {
  /**
   * Wraps a task so that it runs with its run's span active: spans the task starts (HTTP
   * calls, queries…) become children of the run's span. A task of another scheduler, or one
   * running while nothing is instrumented, is simply called.
   *
   * @example
   * ```ts
   * scheduler.add({ name: 'sync', fixedRate: '1m', run: tracing.wrap(async ({ signal }) => sync(signal)) });
   * ```
   */
  wrap(task: JobTask): JobTask;
  /** Removes the listeners; spans of runs still in flight are ended with a `tickguard.abandoned` event. Idempotent. */
  uninstrument(): void;
}

/** Attribute names set on run spans and their events. */
export const ATTR = {
  job: 'tickguard.job',
  tick: 'tickguard.tick',
  tickId: 'tickguard.tick_id',
  scheduledAt: 'tickguard.scheduled_at',
  manual: 'tickguard.manual',
  latenessMs: 'tickguard.lateness_ms',
  attempt: 'tickguard.attempt',
  attempts: 'tickguard.attempts',
  outcome: 'tickguard.outcome',
  durationMs: 'tickguard.duration_ms',
  abortCause: 'tickguard.abort_cause',
  delayMs: 'tickguard.retry.delay_ms',
  runningForMs: 'tickguard.running_for_ms',
  claimReason: 'tickguard.claim.reason',
  leaseToken: 'tickguard.lease_token',
  errorType: 'error.type',
} as const;

const OPTION_KEYS = ['tracer'] as const;

interface OpenSpan {
  readonly job: string;
  readonly span: Span;
}

function spanKey(event: { readonly tickId: string; readonly tick: number }): string {
  return `${event.tickId}#${event.tick}`;
}

function startRunSpan(tracer: Tracer, event: RunStartEvent | RunEndEvent, startedAt: Date, latenessMs: number): Span {
  const attributes: Attributes = {
    [ATTR.job]: event.job,
    [ATTR.tick]: event.tick,
    [ATTR.tickId]: event.tickId,
    [ATTR.scheduledAt]: event.scheduledAt.toISOString(),
    [ATTR.manual]: event.manual,
    [ATTR.latenessMs]: latenessMs,
    ...(event.leaseToken === undefined ? {} : { [ATTR.leaseToken]: event.leaseToken }),
  };
  return tracer.startSpan(`run ${event.job}`, { kind: SpanKind.INTERNAL, startTime: startedAt, attributes }, ROOT_CONTEXT);
}

function endRunSpan(span: Span, event: RunEndEvent): void {
  span.setAttributes({
    [ATTR.outcome]: event.outcome,
    [ATTR.attempts]: event.attempts,
    [ATTR.durationMs]: event.durationMs,
    ...(event.abortCause === undefined ? {} : { [ATTR.abortCause]: event.abortCause }),
  });
  // An abort (stop, remove, cancel-other) is a decision, not a failure: the status stays unset.
  if (event.outcome === 'error' || event.outcome === 'timeout') {
    span.recordException(event.error, event.endedAt);
    span.setAttribute(ATTR.errorType, errorType(event.error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: event.error.message });
  }
  span.end(event.endedAt);
}

function errorType(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error.name;
}

/**
 * Traces the scheduler's runs: one span per run, named `run <job>`, with attributes
 * `tickguard.job`, `tickguard.tick`, `tickguard.tick_id`, `tickguard.scheduled_at`,
 * `tickguard.manual`, `tickguard.lateness_ms`, and when it ends `tickguard.outcome`,
 * `tickguard.attempts`, `tickguard.duration_ms` (and `tickguard.abort_cause`). A failed or
 * timed-out run has status ERROR, an `exception` event and `error.type`; an attempt that is
 * retried leaves an `exception` event and a `tickguard.retry` event. A tick whose coordinator
 * claim failed, timed out or found the store unreachable gets a span `claim <job>` with status
 * ERROR and `tickguard.claim.reason`; a run aborted because its lease was lost has
 * `tickguard.abort_cause: 'lease-lost'`.
 *
 * Only runs that start after this call are traced; a run already in flight gets its span when
 * it ends, from the times `run:end` carries.
 *
 * @example
 * ```ts
 * import { instrumentScheduler } from 'tickguard/otel';
 *
 * const tracing = instrumentScheduler(scheduler); // uses the globally registered provider
 * scheduler.add({ name: 'sync', fixedRate: '1m', run: tracing.wrap(async ({ signal }) => sync(signal)) });
 * ```
 */
export function instrumentScheduler(scheduler: Scheduler, options?: TracingOptions): SchedulerTracing {
  requireScheduler(scheduler, 'instrumentScheduler()');
  const raw = optionsObject(options, OPTION_KEYS, 'instrumentScheduler()');
  if (raw.tracer !== undefined) requireMethods(raw.tracer, ['startSpan'], 'tracer', 'an OpenTelemetry Tracer');
  // A tracer from the global provider is a proxy: it follows an SDK registered later.
  const tracer = (raw.tracer as Tracer | undefined) ?? trace.getTracer('tickguard');
  /** The spans of runs in flight, by {@link spanKey}. */
  const spans = new Map<string, OpenSpan>();

  const abandon = (key: string, { span }: OpenSpan, why: string): void => {
    spans.delete(key);
    span.addEvent('tickguard.abandoned', { 'tickguard.abandoned.reason': why });
    span.end();
  };

  const offs = [
    scheduler.on('run:start', (event) => {
      const key = spanKey(event);
      const open = spans.get(key);
      if (open === undefined) {
        spans.set(key, { job: event.job, span: startRunSpan(tracer, event, event.startedAt, event.latenessMs) });
      } else {
        open.span.addEvent('tickguard.attempt', { [ATTR.attempt]: event.attempt, [ATTR.latenessMs]: event.latenessMs }, event.startedAt);
      }
    }),
    scheduler.on('run:retry', (event) => {
      const span = spans.get(spanKey(event))?.span;
      if (span === undefined) return;
      // The event carries no time; the span's clock gives it (exact on the system clock).
      span.recordException(event.error);
      span.addEvent('tickguard.retry', { [ATTR.attempt]: event.attempt, [ATTR.delayMs]: event.delayMs, [ATTR.errorType]: errorType(event.error) });
    }),
    scheduler.on('run:stuck', (event) => {
      spans.get(spanKey(event))?.span.addEvent(
        'tickguard.stuck',
        { [ATTR.attempt]: event.attempt, [ATTR.runningForMs]: event.runningForMs },
        new Date(event.startedAt.getTime() + event.runningForMs),
      );
    }),
    scheduler.on('run:end', (event) => {
      const key = spanKey(event);
      const span = spans.get(key)?.span ?? startRunSpan(tracer, event, event.startedAt, event.latenessMs);
      spans.delete(key);
      endRunSpan(span, event);
    }),
    scheduler.on('tick', (event) => {
      // A claim that failed never becomes a run: it gets a span of its own, so the failure is traced.
      if (event.reason !== 'claim-failed' && event.reason !== 'claim-timeout' && event.reason !== 'coordinator-unavailable') return;
      const span = tracer.startSpan(`claim ${event.job}`, {
        kind: SpanKind.INTERNAL,
        attributes: { [ATTR.job]: event.job, [ATTR.tick]: event.tick, [ATTR.tickId]: event.tickId, [ATTR.scheduledAt]: event.scheduledAt.toISOString(), [ATTR.manual]: event.manual, [ATTR.claimReason]: event.reason },
      }, ROOT_CONTEXT);
      span.setStatus({ code: SpanStatusCode.ERROR, message: `tick skipped: ${event.reason}` });
      span.end();
    }),
    scheduler.on('job:state', (event) => {
      // stop() clears every listener once it has waited: runs still in flight then never report an end.
      if (event.to !== 'removed' || event.reason !== 'stopped') return;
      for (const [key, open] of spans) {
        if (open.job === event.job) abandon(key, open, 'the scheduler stopped while the run was in flight');
      }
    }),
  ];

  let instrumented = true;
  const uninstrument = (): void => {
    if (!instrumented) return;
    instrumented = false;
    for (const off of offs) off();
    for (const [key, open] of spans) abandon(key, open, 'instrumentation removed while the run was in flight');
  };

  const wrap = (task: JobTask): JobTask => {
    if (typeof task !== 'function') {
      throw new InvalidOptionError('task', task, `Expected the argument of wrap() to be a job's run function, got ${describeValue(task)}`);
    }
    return (ctx: RunContext) => {
      const span = spans.get(spanKey({ tickId: ctx.tickId, tick: ctx.tick }))?.span;
      if (span === undefined) return task(ctx);
      return context.with(trace.setSpan(ROOT_CONTEXT, span), task, undefined, ctx);
    };
  };

  return { wrap, uninstrument, [Symbol.dispose]: uninstrument };
}
