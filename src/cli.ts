#!/usr/bin/env node
/**
 * The `boxwire` command. Until the HTTP server lands it runs the README's
 * upper-casing line server on 127.0.0.1:7000.
 */
import { upperServer } from '../examples/upper-server.js';
import { link } from './core/link.js';
import { Sink } from '../components/sink.js';
import type { LogRecord } from './core/log.js';

const port = Number(process.env.PORT ?? 7000);
const server = upperServer(port);
const log = new Sink<LogRecord>((record) => console.log(`[${record.channel}] ${record.message}`)).start();
link(server.outboxes.log, log.inboxes.inbox);
server.start();
void server.done.then((ended) => {
  if (ended.reason === 'failed') {
    console.error(`boxwire: ${(ended.error as Error).message}`);
    process.exitCode = 1;
  }
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.shutdown());
