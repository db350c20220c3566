/**
 * AccessLog: one line per response on the `requests` channel, in the Common
 * or Combined Log Format, as a JSON object, or in a format of your own. It listens to what the
 * responder actually sent, because only the responder knows how many bytes
 * went out and whether the response completed.
 */
import { box } from '../src/core/box.js';
import { Component, boxes } from '../src/core/component.js';
import { logRecord, type LogRecord } from '../src/core/log.js';
import { formatAccessLine, type AccessLogFormat } from '../src/http/log-format.js';
import type { Sent } from '../src/http/messages.js';

export type AccessLogOption = AccessLogFormat | ((sent: Sent) => string);

export const accessLogBoxes = boxes({
  inboxes: { inbox: box<Sent>('responses as the responder sent them') },
  outboxes: { outbox: box<LogRecord>('access log lines, on the requests channel') },
});

export class AccessLog extends Component<typeof accessLogBoxes> {
  constructor(private readonly format: AccessLogOption = 'combined') {
    super(accessLogBoxes);
  }

  protected main(): void {
    const format = this.format;
    const write = typeof format === 'function' ? format : (sent: Sent) => formatAccessLine(sent, format);
    this.on('inbox', (sent) =>
      this.send('outbox', logRecord('requests', 'info', write(sent), { status: sent.status, bytes: sent.bytes, ms: sent.duration })),
    );
  }
}
