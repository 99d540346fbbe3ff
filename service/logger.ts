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

/** A logger whose calls at or above `minLevel` reach `emit`; the ones below cost nothing. */
function leveledLogger(
  emit: (level: LogLevel, event: string, fields?: LogFields) => void,
  minLevel: LogLevel | 'silent',
  flush: () => void,
): Logger {
  const threshold = minLevel === 'silent' ? Infinity : LEVELS[minLevel];
  const at = (level: LogLevel) =>
    LEVELS[level] < threshold ? () => {} : (event: string, fields?: LogFields) => emit(level, event, fields);
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
  const now = options.now ?? Date.now;
  let buffer = '';
  let scheduled = false;
  // Many lines share a millisecond: format its timestamp once.
  let lastMs = Number.NaN;
  let lastTime = '';
  const flush = () => {
    scheduled = false;
    if (buffer === '') return;
    const chunk = buffer;
    buffer = '';
    write(chunk);
  };
  const emit = (level: LogLevel, event: string, fields?: LogFields) => {
    const ms = now();
    if (ms !== lastMs) {
      lastMs = ms;
      lastTime = new Date(ms).toISOString();
    }
    buffer += `${jsonLine(lastTime, level, event, fields)}\n`;
    if (buffer.length >= maxBuffer) flush();
    else if (!scheduled) {
      scheduled = true;
      schedule(flush);
    }
  };
  return leveledLogger(emit, options.level ?? 'info', flush);
}

const KEY_JSON = new Map<string, string>();

/**
 * One record as a JSON line. Lines whose fields are all strings, numbers and booleans (every
 * request line) are assembled directly — building a record object and stringifying it costs
 * several times more on a path taken for every request; anything else goes through safeStringify.
 */
export function jsonLine(time: string, level: LogLevel, event: string, fields?: LogFields): string {
  let line = `{"time":"${time}","level":"${level}","event":${JSON.stringify(event)}`;
  for (const key in fields) {
    const value = fields[key];
    let text: string;
    switch (typeof value) {
      case 'string':
        text = JSON.stringify(value);
        break;
      case 'number':
        text = Number.isFinite(value) ? String(value) : 'null';
        break;
      case 'boolean':
        text = value ? 'true' : 'false';
        break;
      case 'undefined':
        continue;
      default:
        if (value !== null) return safeStringify({ time, level, event, ...fields });
        text = 'null';
    }
    let keyJson = KEY_JSON.get(key);
    if (keyJson === undefined) {
      keyJson = JSON.stringify(key);
      if (KEY_JSON.size < 1000) KEY_JSON.set(key, keyJson);
    }
    line += `,${keyJson}:${text}`;
  }
  return `${line}}`;
}

/** A logger that keeps records in memory, for tests. */
export function memoryLogger(level: LogLevel = 'debug'): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  const logger = leveledLogger(
    (lvl, event, fields) => records.push({ time: new Date().toISOString(), level: lvl, event, ...fields }),
    level,
    () => {},
  );
  return Object.assign(logger, { records });
}

export const silentLogger: Logger = leveledLogger(
  () => {},
  'silent',
  () => {},
);

function safeStringify(record: LogRecord): string {
  try {
    return JSON.stringify(record, errorReplacer);
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
