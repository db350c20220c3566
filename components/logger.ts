/**
 * Logger: where every log record of a server ends up. Records arrive on
 * `inbox`; each leaves again on the outbox of its channel (`server`,
 * `errors`, `requests`, `monitor`), which users subscribe to as streams; and,
 * unless told otherwise, each is printed as a line: errors to stderr, the
 * rest to stdout, as plain text or (`format: 'json'`) as one JSON object a
 * line. Lines are gathered and written once per turn of the event loop,
 * not once per record.
 */
import { box } from '../src/core/box.js';
import { Component, boxes } from '../src/core/component.js';
import type { LogLevel, LogRecord } from '../src/core/log.js';
import { asciiJson } from '../src/http/log-format.js';

export const channelNames = ['server', 'errors', 'requests', 'monitor'] as const;
export type ChannelName = (typeof channelNames)[number];

export interface LoggerOptions {
  /** Channels printed; all by default, none when false. */
  readonly print?: false | readonly ChannelName[];
  /** Least severe level printed (requests lines are always 'info'). */
  readonly level?: LogLevel;
  /** `text` (default): `time [channel] level: message`; `json`: one object a line (time, channel, level, message, and the record's fields). */
  readonly format?: 'text' | 'json';
  /** Where lines go; process.stdout and process.stderr by default. */
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream;
}

export const loggerBoxes = boxes({
  inboxes: { inbox: box<LogRecord>('log records from every part of the server') },
  outboxes: {
    server: box<LogRecord>('starting, stopping, listening addresses'),
    errors: box<LogRecord>('failed requests, refused connections, handler errors'),
    requests: box<LogRecord>('the access log'),
    monitor: box<LogRecord>('timeouts, pools and capacity'),
  },
});

const severity: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export class Logger extends Component<typeof loggerBoxes> {
  private out: string[] = [];
  private err: string[] = [];
  private scheduled: NodeJS.Immediate | undefined;

  constructor(private readonly options: LoggerOptions = {}) {
    super(loggerBoxes);
  }

  protected main(): void {
    const printed = new Set<string>(this.options.print === false ? [] : (this.options.print ?? channelNames));
    const least = severity[this.options.level ?? 'info'];
    const json = this.options.format === 'json';
    this.own(() => this.flushNow());
    this.on('inbox', (record) => {
      const channel = (channelNames as readonly string[]).includes(record.channel) ? (record.channel as ChannelName) : 'server';
      this.send(channel, record);
      if (!printed.has(channel) || severity[record.level] < least) return;
      const line = json ? jsonLine(record) : channel === 'requests' ? record.message : formatLine(record);
      (channel === 'errors' ? this.err : this.out).push(line);
      this.scheduled ??= setImmediate(() => this.run(() => this.flushNow()));
    });
  }

  private flushNow(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.out.length) (this.options.stdout ?? process.stdout).write(`${this.out.join('\n')}\n`);
    if (this.err.length) (this.options.stderr ?? process.stderr).write(`${this.err.join('\n')}\n`);
    this.out = [];
    this.err = [];
  }
}

/** Checks the logging options once, when the server is made. */
export function resolveLoggerOptions(options: LoggerOptions | undefined): LoggerOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) throw new TypeError('boxwire: option "log" must be an object');
  if (options.format !== undefined && options.format !== 'text' && options.format !== 'json') {
    throw new TypeError(`boxwire: option "log.format" must be "text" or "json" (got ${JSON.stringify(options.format)})`);
  }
  if (options.level !== undefined && !(options.level in severity)) {
    throw new TypeError(
      `boxwire: option "log.level" must be one of ${Object.keys(severity).join(', ')} (got ${JSON.stringify(options.level)})`,
    );
  }
  if (
    options.print !== undefined &&
    options.print !== false &&
    (!Array.isArray(options.print) || options.print.some((c) => !channelNames.includes(c)))
  ) {
    throw new TypeError(`boxwire: option "log.print" must be false or a list of channels (${channelNames.join(', ')})`);
  }
  return options;
}

/**
 * A record as one JSON object: time, channel, level, message, then its
 * fields (an error as its message and stack). An access log line already
 * written as JSON (`accessLog: 'json'`: it begins with a brace, as no
 * Common Log Format line can) is printed as it is.
 */
function jsonLine(record: LogRecord): string {
  if (record.channel === 'requests' && record.message.charCodeAt(0) === 0x7b) return record.message;
  const entry: Record<string, unknown> = {
    time: new Date(record.time).toISOString(),
    channel: record.channel,
    level: record.level,
    message: record.message,
  };
  for (const [key, value] of Object.entries(record.fields ?? {})) if (!(key in entry)) entry[key] = plain(value);
  try {
    return asciiJson(entry);
  } catch {
    // A field that cannot be written (a cycle): the record without its fields.
    return asciiJson({ time: entry.time, channel: entry.channel, level: entry.level, message: entry.message });
  }
}

function plain(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function formatLine(record: LogRecord): string {
  const time = new Date(record.time).toISOString();
  const stack = record.fields?.stack;
  const tail = typeof stack === 'string' ? `\n${stack.split('\n').slice(1).join('\n')}` : '';
  return `${time} [${record.channel}] ${record.level}: ${record.message}${tail}`;
}
