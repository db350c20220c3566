/**
 * Logger: where every log record of a server ends up. Records arrive on
 * `inbox`; each leaves again on the outbox of its channel (`server`,
 * `errors`, `requests`, `monitor`), which users subscribe to as streams; and,
 * unless told otherwise, each is printed as a plain line: errors to stderr,
 * the rest to stdout. Lines are gathered and written once per turn of the
 * event loop, not once per record.
 */
import { box } from '../src/core/box.js';
import { Component, boxes } from '../src/core/component.js';
import type { LogLevel, LogRecord } from '../src/core/log.js';

export const channelNames = ['server', 'errors', 'requests', 'monitor'] as const;
export type ChannelName = (typeof channelNames)[number];

export interface LoggerOptions {
  /** Channels printed; all by default, none when false. */
  readonly print?: false | readonly ChannelName[];
  /** Least severe level printed (requests lines are always 'info'). */
  readonly level?: LogLevel;
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
    this.own(() => this.flushNow());
    this.on('inbox', (record) => {
      const channel = (channelNames as readonly string[]).includes(record.channel) ? (record.channel as ChannelName) : 'server';
      this.send(channel, record);
      if (!printed.has(channel) || severity[record.level] < least) return;
      const line = channel === 'requests' ? record.message : formatLine(record);
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

function formatLine(record: LogRecord): string {
  const time = new Date(record.time).toISOString();
  const stack = record.fields?.stack;
  const tail = typeof stack === 'string' ? `\n${stack.split('\n').slice(1).join('\n')}` : '';
  return `${time} [${record.channel}] ${record.level}: ${record.message}${tail}`;
}
