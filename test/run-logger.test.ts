/**
 * `ctx.log` takes pino's call shapes — a message alone, fields and a message, a message with
 * interpolation arguments, an error — and hands each to the user's logger fields first.
 */
import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createScheduler, TestClock, type Logger, type RunContext } from '../src/index.js';
import { T0 } from './helpers.js';

type Call = { level: string; args: unknown[] };

/** A logger written for `(fields, message)` that records each call as it arrives. */
function fieldsFirst(calls: Call[], bindings: Record<string, unknown> = {}, childThrows = false): Logger {
  const at = (level: string) => (fields: Record<string, unknown>, ...rest: unknown[]) => void calls.push({ level, args: [{ ...bindings, ...fields }, ...rest] });
  return {
    child: (more) => {
      if (childThrows) throw new Error('child() is broken');
      return fieldsFirst(calls, { ...bindings, ...more });
    },
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
}

/** Runs `body` once as a job's task on a scheduler logging to `logger`. */
async function runOnce(logger: Logger, body: (ctx: RunContext) => void) {
  const clock = new TestClock(T0);
  const scheduler = createScheduler({ clock, logger });
  scheduler.add({ name: 'logs', fixedRate: '1s', maxRuns: 1, run: body });
  await clock.advance(1_000);
  const stopping = scheduler.stop();
  await clock.advance(1);
  await stopping;
}

describe('ctx.log', () => {
  it('hands every call shape to a (fields, message) logger fields first, with the run bound', async () => {
    const calls: Call[] = [];
    const boom = new Error('boom');
    await runOnce(fieldsFirst(calls), ({ log }) => {
      log.info('message only');
      log.info({ rows: 3 }, 'fields and message');
      log.warn('took %d ms for %s', 12, 'rows');
      log.error(boom, 'an error first');
    });
    const mine = calls.filter((c) => (c.args[0] as { attempt?: unknown }).attempt === 1 && typeof c.args[1] === 'string' && c.args[1] !== 'run started' && c.args[1] !== 'run ended');
    expect(mine.map((c) => [c.level, ...c.args.slice(1)])).toEqual([
      ['info', 'message only'],
      ['info', 'fields and message'],
      ['warn', 'took %d ms for %s', 12, 'rows'],
      ['error', 'an error first'],
    ]);
    expect(mine[1]!.args[0]).toMatchObject({ job: 'logs', tick: 1, attempt: 1, rows: 3 });
    expect(mine[0]!.args[0]).toMatchObject({ job: 'logs', tickId: `logs@${new Date(T0 + 1_000).toISOString()}` });
  });

  it('keeps the bindings when the logger cannot make a child: a message alone gets them as its fields', async () => {
    const calls: Call[] = [];
    await runOnce(fieldsFirst(calls, {}, true), ({ log }) => {
      log.info('took %d ms', 5);
      log.error(new Error('boom'), 'failed');
    });
    const took = calls.find((c) => c.args[1] === 'took %d ms')!;
    expect(took.args).toEqual([expect.objectContaining({ job: 'logs', attempt: 1 }), 'took %d ms', 5]);
    const failed = calls.find((c) => c.args[1] === 'failed')!;
    expect(failed.args[0]).toMatchObject({ job: 'logs', err: expect.objectContaining({ message: 'boom' }) });
  });

  it('prints through pino as pino would: the message, its interpolation, the error', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done(); } });
    await runOnce(pino({ level: 'info' }, sink), ({ log }) => {
      log.info('message only');
      log.info('took %d ms for %s', 12, 'rows');
      log.error(new Error('boom'), 'failed');
    });
    expect(lines.map((l) => l.msg)).toEqual(['message only', 'took 12 ms for rows', 'failed']);
    expect(lines[0]).toMatchObject({ job: 'logs', tick: 1, attempt: 1 });
    expect(lines[2]).toMatchObject({ err: expect.objectContaining({ message: 'boom', type: 'Error' }) });
  });
});
