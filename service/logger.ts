/**
 * Structured JSON logs: one line per event. The stdout logger buffers lines and writes them every
 * `flushMs` (or when the buffer is full): a write per request — or per event-loop turn, which at
 * moderate load is the same thing — is a syscall and a wake-up of the log reader for every request.
 * `flush()` runs before the process exits.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** Writes out anything buffered; called before the process exits. */
  flush(): void;
}

export interface LogRecord extends LogFields {
  time: string;
  level: LogLevel;
  event: string;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function isLogLevel(value: string): value is LogLevel | 'silent' {
  return value in LEVELS || value === 'silent';
}

/** Builds a logger from a function that receives records at or above `minLevel`. */
function recordLogger(emit: (record: LogRecord) => void, minLevel: LogLevel | 'silent', now: () => number, flush: () => void): Logger {
  const threshold = minLevel === 'silent' ? Infinity : LEVELS[minLevel];
  const at = (level: LogLevel) => {
    if (LEVELS[level] < threshold) return () => {};
    return (event: string, fields?: LogFields) => emit({ time: new Date(now()).toISOString(), level, event, ...fields });
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), flush };
}

export interface JsonLoggerOptions {
  level?: LogLevel | 'silent';
  now?: () => number;
  /** Longest a line waits in the buffer (default 20 ms). */
  flushMs?: number;
  /** Schedules the buffered write; default an unref'd setTimeout of flushMs. */
  schedule?: (flush: () => void) => void;
  /** Flush at once when this many characters are buffered. */
  maxBuffer?: number;
}

/** JSON lines into `write` (e.g. `process.stdout.write`), batched for up to `flushMs`. */
export function jsonLogger(write: (chunk: string) => void, options: JsonLoggerOptions = {}): Logger {
  const flushMs = options.flushMs ?? 20;
  const schedule = options.schedule ?? ((fn: () => void) => void setTimeout(fn, flushMs).unref());
  const maxBuffer = options.maxBuffer ?? 64 * 1024;
  let buffer = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (buffer === '') return;
    const chunk = buffer;
    buffer = '';
    write(chunk);
  };
  const emit = (record: LogRecord) => {
    buffer += `${safeStringify(record)}\n`;
    if (buffer.length >= maxBuffer) flush();
    else if (!scheduled) {
      scheduled = true;
      schedule(flush);
    }
  };
  return recordLogger(emit, options.level ?? 'info', options.now ?? Date.now, flush);
}

/** A logger that keeps records in memory, for tests. */
export function memoryLogger(level: LogLevel = 'debug'): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  const logger = recordLogger((record) => records.push(record), level, Date.now, () => {});
  return Object.assign(logger, { records });
}

export const silentLogger: Logger = recordLogger(() => {}, 'silent', Date.now, () => {});

function safeStringify(record: LogRecord): string {
  try {
    // A replacer makes JSON.stringify several times slower; request lines hold only primitives.
    for (const key in record) {
      const value = record[key];
      if ((typeof value === 'object' && value !== null) || typeof value === 'bigint') return JSON.stringify(record, errorReplacer);
    }
    return JSON.stringify(record);
  } catch (error) {
    // A circular field must not take the request down with it.
    return JSON.stringify({ time: record.time, level: record.level, event: record.event, logError: String(error) });
  }
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (typeof value === 'bigint') return value.toString();
  return value;
}
