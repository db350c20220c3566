/**
 * One request to a FastCGI application, as the GatewayHandler runs it (a
 * Run): it waits in its pool's queue for a connection, then speaks the
 * Responder role (FastCGI §6.2) on it:
 *
 *   FCGI_BEGIN_REQUEST (keep the connection) + FCGI_PARAMS (the CGI
 *   meta-variables) + FCGI_STDIN (the request body, streamed, each record
 *   written once the socket has taken the last) -> FCGI_STDOUT (to the
 *   handler's CGI head parser, then the body), FCGI_STDERR (to the errors
 *   channel), FCGI_END_REQUEST (its protocolStatus: overloaded is a 503).
 *
 * Stopping it (the client went away, a time limit) aborts the request on
 * its connection (FCGI_ABORT_REQUEST). A request whose reused connection
 * turns out to have been closed by the application before a single record
 * came back (a php-fpm child that reached pm.max_requests) is tried again
 * once, on a fresh connection, when its body can be sent again.
 */
import {
  decodeEndRequest,
  FcgiProtocolStatus,
  FcgiType,
  requestStart,
  streamRecords,
  type FcgiRecord,
} from '../../src/http/fastcgi-records.js';
import type { GatewayJob, Run, RunEvents, RunOutcome } from '../gateway/backend.js';
import type { FastCgiConnectionSide, FastCgiExchangeSide, FastCgiPoolSide, FastCgiServerSide } from './parts.js';

const noBytes = new Uint8Array(0);

export class FastCgiExchange implements Run, FastCgiExchangeSide {
  /** Where it is: in the queue, waiting for its own connection to open, on a connection, or over. */
  state: 'waiting' | 'connecting' | 'running' | 'over' = 'waiting';
  /** Servers it could not connect to: it is not sent to them again. */
  readonly failed = new Set<FastCgiServerSide>();
  private connection: FastCgiConnectionSide | undefined;
  private id = 0;
  private received = false;
  private stdoutEnded = false;
  /** Bytes of FCGI_STDOUT handed on. */
  private stdoutBytes = 0;
  private paused = false;
  private retried = false;
  private readTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: FastCgiPoolSide,
    private readonly job: GatewayJob,
    private readonly events: RunEvents,
  ) {}

  /** The pool opened a connection for it. */
  connecting(connection: FastCgiConnectionSide): void {
    this.state = 'connecting';
    this.connection = connection;
  }

  /** It has a connection and a request id: send the request. */
  begin(connection: FastCgiConnectionSide, id: number): void {
    this.state = 'running';
    this.connection = connection;
    this.id = id;
    this.received = false;
    this.stdoutEnded = false;
    this.stdoutBytes = 0;
    const { env, input } = this.job;
    const start = requestStart(id, env, true, input !== undefined);
    const probe = connection.takeProbe();
    connection.write(probe ? Buffer.concat([probe, start]) : start);
    this.events.started({ server: connection.server.label });
    this.armReadTimer();
    if (input) void this.feed(connection, id, input);
  }

  /** FCGI_STDIN: the body as records, each written once the socket has taken the last; then the empty record (§5.3). */
  private async feed(connection: FastCgiConnectionSide, id: number, input: AsyncIterable<Uint8Array>): Promise<void> {
    const current = () => this.state === 'running' && this.connection === connection && this.id === id;
    try {
      for await (const chunk of input) {
        if (!current()) return;
        if (!connection.write(streamRecords(FcgiType.stdin, id, chunk))) await connection.whenDrained();
      }
      if (current()) connection.write(streamRecords(FcgiType.stdin, id, noBytes, true));
    } catch (error) {
      if (current()) this.events.inputFailed(error);
    }
  }

  /** A record for this request; the reason the connection must close when it breaks the protocol. */
  record(record: FcgiRecord): string | undefined {
    this.received = true;
    if (this.readTimer) this.readTimer.refresh();
    switch (record.type) {
      case FcgiType.stdout:
        // The empty record ends the stream; the handler hears of it with FCGI_END_REQUEST, which says how it ended.
        if (record.content.length > 0) {
          this.stdoutBytes += record.content.length;
          this.events.stdout(record.content);
        }
        return undefined;
      case FcgiType.stderr:
        if (record.content.length > 0) this.events.stderr(record.content);
        return undefined;
      case FcgiType.endRequest: {
        const end = decodeEndRequest(record.content);
        if (typeof end === 'string') return end;
        this.connection!.release(this.id, this);
        return this.ended(end.appStatus, end.protocolStatus);
      }
      default:
        return `a record of type ${record.type} for request ${this.id}, where only FCGI_STDOUT, FCGI_STDERR and FCGI_END_REQUEST belong`;
    }
  }

  /** FCGI_END_REQUEST (§5.5): what its protocolStatus means for the response. */
  private ended(appStatus: number, protocolStatus: number): undefined {
    switch (protocolStatus) {
      case FcgiProtocolStatus.requestComplete:
        this.endStdout();
        this.end({ kind: 'completed', appStatus });
        return undefined;
      case FcgiProtocolStatus.overloaded:
        if (this.stdoutBytes > 0) return this.ended(appStatus, FcgiProtocolStatus.requestComplete);
        this.end({ kind: 'refused', status: 503, reason: 'the application is overloaded (FCGI_OVERLOADED)' });
        return undefined;
      case FcgiProtocolStatus.cantMpxConn:
        // It said otherwise when asked, or was never asked: one request per connection from now on.
        this.connection!.server.noMultiplexing();
        if (this.retried) this.end({ kind: 'refused', status: 502, reason: 'the application refused the request (FCGI_CANT_MPX_CONN)' });
        else this.again();
        return undefined;
      case FcgiProtocolStatus.unknownRole:
        this.end({ kind: 'refused', status: 502, reason: 'the application does not play the Responder role (FCGI_UNKNOWN_ROLE)' });
        return undefined;
      default:
        this.end({ kind: 'broken', status: 502, reason: `FCGI_END_REQUEST with protocol status ${protocolStatus}` });
        return undefined;
    }
  }

  private endStdout(): void {
    if (this.stdoutEnded) return;
    this.stdoutEnded = true;
    this.events.stdoutEnd();
  }

  /** Its connection closed under it. */
  lost(reason: string, connection: FastCgiConnectionSide): void {
    if (this.state !== 'running' || this.connection !== connection) return;
    // A kept-open connection the application had closed before our request reached it: nothing of it ran.
    if (!this.received && !this.retried && connection.carried > 1 && this.job.replayable) return this.again();
    this.end({ kind: 'broken', status: 502, reason: `the connection to the application was lost: ${reason}` });
  }

  /** The connection opened for it could not be made. */
  connectFailed(server: FastCgiServerSide, reason: string, timedOut: boolean): void {
    if (this.state !== 'connecting') return;
    this.failed.add(server);
    this.connection = undefined;
    if (this.pool.hasServerFor(this)) {
      this.state = 'waiting';
      this.pool.enqueue(this, true);
      return;
    }
    this.end({ kind: 'refused', status: timedOut ? 504 : 502, reason: `cannot connect to ${server.label}: ${reason}` });
  }

  /** Once more, from the front of the queue, on a fresh connection. */
  private again(): void {
    this.retried = true;
    this.clearReadTimer();
    this.connection = undefined;
    this.state = 'waiting';
    this.pool.enqueue(this, true);
  }

  pause(): void {
    this.paused = true;
    this.clearReadTimer();
    if (this.state === 'running') this.connection!.pause(this);
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.state !== 'running') return;
    this.armReadTimer();
    this.connection!.resume(this);
  }

  stop(): void {
    switch (this.state) {
      case 'over':
        return;
      case 'waiting':
        this.pool.withdraw(this);
        break;
      case 'connecting':
        // The connection goes on opening, and is kept for the next request.
        if (this.connection!.first === this) this.connection!.first = undefined;
        break;
      case 'running':
        this.connection!.abort(this.id, this);
        break;
    }
    this.end({ kind: 'stopped' });
  }

  /** The queue was full, or the pool is not running. */
  refused(status: number, reason: string): void {
    this.end({ kind: 'refused', status, reason });
  }

  private armReadTimer(): void {
    if (this.paused || this.state !== 'running') return;
    const limit = this.pool.limits.readTimeout;
    if (this.readTimer) return void this.readTimer.refresh();
    this.readTimer = setTimeout(() => this.pool.dispatch(() => this.readTimedOut(limit)), limit);
  }

  private clearReadTimer(): void {
    if (this.readTimer) clearTimeout(this.readTimer);
    this.readTimer = undefined;
  }

  private readTimedOut(limit: number): void {
    this.readTimer = undefined;
    if (this.state !== 'running' || this.paused) return;
    const connection = this.connection!;
    this.end({ kind: 'broken', status: 504, reason: `no word from the application for ${limit} ms` });
    connection.close(`request ${this.id} had no word from the application for ${limit} ms`);
  }

  private end(outcome: RunOutcome): void {
    if (this.state === 'over') return;
    this.state = 'over';
    this.clearReadTimer();
    this.events.ended(outcome);
  }
}
