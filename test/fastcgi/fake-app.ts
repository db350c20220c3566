/**
 * A small FastCGI application server for tests, on a Unix socket under a
 * temporary directory: it records every record it receives (so a test sees
 * FCGI_GET_VALUES, FCGI_KEEP_CONN, FCGI_ABORT_REQUEST...) and hands each
 * request, once its FCGI_STDIN has ended, to the test's handler, which
 * answers as it likes, well or badly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeNameValuePairs,
  encodeNameValuePairs,
  encodeRecord,
  FcgiType,
  RecordDecoder,
  streamRecords,
} from '../../src/http/fastcgi-records.js';

export interface SeenRecord {
  /** Which connection, counting from 0. */
  readonly connection: number;
  readonly type: number;
  readonly id: number;
}

export class FakeRequest {
  readonly params: Record<string, string> = {};
  stdin = Buffer.alloc(0);
  keepConn = false;
  role = 0;
  /** FCGI_ABORT_REQUEST came for it. */
  aborted = false;
  /** Its FCGI_END_REQUEST has been written. */
  ended = false;
  private paramBytes: Buffer[] = [];

  constructor(
    readonly app: FakeApp,
    readonly socket: net.Socket,
    readonly connection: number,
    readonly id: number,
  ) {}

  /** FCGI_STDOUT bytes (a CGI header section, then the body). */
  stdout(text: string | Buffer): this {
    if (!this.socket.destroyed) this.socket.write(streamRecords(FcgiType.stdout, this.id, Buffer.from(text)));
    return this;
  }

  stderr(text: string): this {
    if (!this.socket.destroyed) this.socket.write(streamRecords(FcgiType.stderr, this.id, Buffer.from(text)));
    return this;
  }

  /** The empty FCGI_STDOUT, then FCGI_END_REQUEST. */
  end(appStatus = 0, protocolStatus = 0): void {
    const body = Buffer.alloc(8);
    body.writeUInt32BE(appStatus, 0);
    body[4] = protocolStatus;
    if (this.socket.destroyed || this.ended) return;
    this.ended = true;
    this.socket.write(
      Buffer.concat([streamRecords(FcgiType.stdout, this.id, Buffer.alloc(0), true), encodeRecord(FcgiType.endRequest, this.id, body)]),
    );
  }

  /** A whole response: a CGI head and body, and the end. */
  reply(head: string, body = ''): void {
    this.stdout(`${head}\r\n\r\n${body}`).end();
  }

  /** @internal */
  addParams(content: Uint8Array): void {
    if (content.length > 0) this.paramBytes.push(Buffer.from(content));
    else {
      const pairs = decodeNameValuePairs(Buffer.concat(this.paramBytes));
      if (typeof pairs !== 'string') for (const [name, value] of pairs) this.params[name] = value;
    }
  }
}

export class FakeApp {
  readonly dir = mkdtempSync(join(tmpdir(), 'boxwire-fake-fcgi-'));
  readonly path = join(this.dir, 'app.sock');
  readonly address = `unix:${this.path}`;
  readonly records: SeenRecord[] = [];
  readonly requests: FakeRequest[] = [];
  /** Connections accepted, and whether each has ended. */
  readonly connections: { socket: net.Socket; ended: boolean }[] = [];
  /** What to answer FCGI_GET_VALUES with; undefined: FCGI_MPXS_CONNS 0, as php-fpm does. */
  values: Record<string, string> | undefined;
  private readonly server: net.Server;

  constructor(public handler: (request: FakeRequest) => void = (r) => r.reply('Content-Type: text/plain', 'ok')) {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(this.path, resolve));
    return this;
  }

  /** Records of a type, in order. */
  seen(type: number): SeenRecord[] {
    return this.records.filter((r) => r.type === type);
  }

  async close(): Promise<void> {
    for (const { socket } of this.connections) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private accept(socket: net.Socket): void {
    const connection = this.connections.length;
    const entry = { socket, ended: false };
    this.connections.push(entry);
    socket.on('close', () => (entry.ended = true));
    socket.on('error', () => {});
    const decoder = new RecordDecoder();
    const open = new Map<number, FakeRequest>();
    socket.on('data', (chunk: Buffer) =>
      decoder.push(chunk, (record) => {
        const id = record.requestId;
        // (A stream record split across reads is seen once per piece: count discrete records.)
        this.records.push({ connection, type: record.type, id });
        switch (record.type) {
          case FcgiType.getValues: {
            const values = this.values ?? { FCGI_MPXS_CONNS: '0' };
            socket.write(encodeRecord(FcgiType.getValuesResult, 0, encodeNameValuePairs(Object.entries(values))));
            return;
          }
          case FcgiType.beginRequest: {
            const request = new FakeRequest(this, socket, connection, id);
            const content = Buffer.from(record.content);
            request.role = content.readUInt16BE(0);
            request.keepConn = (content[2]! & 1) === 1;
            open.set(id, request);
            this.requests.push(request);
            return;
          }
          case FcgiType.params:
            open.get(id)?.addParams(record.content);
            return;
          case FcgiType.stdin: {
            const request = open.get(id);
            if (!request) return;
            if (record.content.length > 0) request.stdin = Buffer.concat([request.stdin, record.content]);
            else this.handler(request);
            return;
          }
          case FcgiType.abortRequest: {
            const request = open.get(id);
            if (request) request.aborted = true;
            this.onAbort?.(request);
            return;
          }
        }
      }),
    );
  }

  /** Called on FCGI_ABORT_REQUEST; by default the application ends the request, as the spec asks. */
  onAbort: ((request: FakeRequest | undefined) => void) | undefined = (request) => request?.end(0, 0);
}
