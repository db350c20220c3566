/**
 * Log records: what components say about their work. Components send them on
 * a `log` outbox; the server routes them to named channels (`server`,
 * `errors`, `requests`, `monitor`) that users can subscribe to as streams.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogRecord {
  readonly type: 'log';
  readonly channel: string;
  readonly level: LogLevel;
  readonly message: string;
  readonly time: number;
  /** Structured details: an error, a request line, figures. */
  readonly fields?: Readonly<Record<string, unknown>>;
}

export function logRecord(channel: string, level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>): LogRecord {
  return fields
    ? { type: 'log', channel, level, message, time: Date.now(), fields }
    : { type: 'log', channel, level, message, time: Date.now() };
}
