import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { jsonLine, jsonLogger, memoryLogger } from './logger.ts';
import { redactUrl } from './model-source.ts';

describe('jsonLogger', () => {
  it('writes one JSON line per event, batched into one write per turn, at or above the level', () => {
    const writes: string[] = [];
    let flush: (() => void) | null = null;
    const log = jsonLogger((chunk) => writes.push(chunk), {
      level: 'info',
      now: () => Date.UTC(2001, 4, 1),
      schedule: (fn) => (flush = fn),
    });
    log.debug('hidden');
    log.info('request', { requestId: 'r1', status: 200, ms: 0.42 });
    log.error('model_load_failed', { error: new Error('hash mismatch'), big: 10n });
    expect(writes).toEqual([]);
    flush!();
    expect(writes).toHaveLength(1);
    const lines = writes[0]
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { time: '2001-05-01T00:00:00.000Z', level: 'info', event: 'request', requestId: 'r1', status: 200, ms: 0.42 },
      {
        time: '2001-05-01T00:00:00.000Z',
        level: 'error',
        event: 'model_load_failed',
        error: { name: 'Error', message: 'hash mismatch' },
        big: '10',
      },
    ]);
  });

  it('flushes early when the buffer is full, and survives circular fields', () => {
    const writes: string[] = [];
    const log = jsonLogger((chunk) => writes.push(chunk), { maxBuffer: 100, schedule: () => {} });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    log.info('x', { circular });
    log.info('y', { pad: 'z'.repeat(120) });
    // Each line alone exceeds 100 characters, so each is written at once.
    expect(writes).toHaveLength(2);
    expect(writes[0]).toContain('"logError"');
    log.flush();
    expect(writes).toHaveLength(2);
  });

  it('assembles lines that parse to the same record JSON.stringify gives', () => {
    const primitive = fc.oneof(
      fc.string(),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
    );
    fc.assert(
      fc.property(fc.string(), fc.dictionary(fc.string(), primitive), (event, fields) => {
        const line = jsonLine('2001-05-01T00:00:00.000Z', 'info', event, fields);
        expect(JSON.parse(line)).toEqual(
          JSON.parse(JSON.stringify({ time: '2001-05-01T00:00:00.000Z', level: 'info', event, ...fields })),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('memoryLogger keeps records for assertions', () => {
    const log = memoryLogger('warn');
    log.info('skipped');
    log.warn('kept', { a: 1 });
    expect(log.records).toEqual([expect.objectContaining({ level: 'warn', event: 'kept', a: 1 })]);
  });
});

describe('redactUrl', () => {
  it('hides credentials in a repository URL', () => {
    expect(redactUrl('https://x-access-token:ghs_secret@github.com/acme/taxiway.git')).toBe(
      'https://***@github.com/acme/taxiway.git',
    );
    expect(redactUrl('file:///srv/repo')).toBe('file:///srv/repo');
  });
});
