/**
 * The one handler interface of the gateways, as lighttpd puts mod_cgi and
 * mod_fastcgi behind one: the GatewayHandler does the request side (finding
 * the script, reading a chunked body, the meta-variables of cgi-env.ts, the
 * time limits) and the response side (the header section through
 * cgi-response.ts, local and client redirects, the body pulled at the
 * client's pace, stderr to the errors channel); a backend only runs the
 * program. A new backend is a new module implementing GatewayBackend:
 *
 *   CGI      (components/cgi/backend.ts)      a process per request
 *   FastCGI  (components/fastcgi/backend.ts)  a request on a pooled connection
 *
 * A backend reports what its program does through RunEvents, from outside
 * the handler (a pipe, a socket); the handler takes each event in through
 * its own boundary.
 */
import type { LogLevel } from '../../src/core/log.js';
import type { CgiEnvSettings, CgiIdentity } from '../../src/http/cgi-env.js';
import type { FoundScript } from '../../src/http/cgi-script-path.js';
import type { HttpRequest } from '../../src/http/messages.js';

/** The script a request runs: as the walk found it, or as a mapping names it. */
export type GatewayScript = Omit<FoundScript, 'ok'>;

/** What the handler needs to know of a backend to run a request through it. */
export interface GatewaySettings {
  /** How the meta-variables are made (cgi-env.ts). */
  readonly env: CgiEnvSettings;
  /** The server's own variables on the allow-list, read once. */
  readonly serverEnv: Readonly<Record<string, string>>;
  /** Who the request was authenticated as (AUTH_TYPE, REMOTE_USER). */
  readonly authenticate?: ((request: HttpRequest) => CgiIdentity | undefined) | undefined;
  /** Bytes of a chunked body held in memory before the rest is spooled to a file. */
  readonly spillAt: number;
  /** Longest header section the program may write. */
  readonly headerLimit: number;
  /** Milliseconds the whole run may take: 504 before the head, the response cut short after. */
  readonly timeLimit?: number | undefined;
  /** Milliseconds from the request to the response head: 504 after. */
  readonly headTimeout?: number | undefined;
  /** Whether scripts named "nph-..." write their own status line (RFC 3875 §5). */
  readonly nph: boolean;
  /**
   * Whether the whole output often comes with its head (FastCGI: one read
   * holds the head, the body and FCGI_END_REQUEST): the handler then holds
   * the head until that read is handled, to send a whole response at once.
   */
  readonly wholeReads?: boolean;
}

/** One request to run. */
export interface GatewayJob {
  readonly request: HttpRequest;
  readonly script: GatewayScript;
  /** The meta-variables (the environment, or FCGI_PARAMS). */
  readonly env: Readonly<Record<string, string>>;
  /** The request body, streamed or spooled (spooled-body.ts); undefined without one. */
  readonly input: AsyncIterable<Uint8Array> | undefined;
  /** Whether the body can be read again from its start (none, or spooled): a run that never reached the program may be tried again. */
  readonly replayable: boolean;
}

/** How a run ended. */
export type RunOutcome =
  /** A process exited (CGI). */
  | { readonly kind: 'exited'; readonly code: number | null; readonly signal: string | null }
  /** The application said the request is complete (FastCGI's FCGI_END_REQUEST), with its exit status. */
  | { readonly kind: 'completed'; readonly appStatus: number }
  /** It never ran: no slot (503), no program (500), no application server to talk to (502, 504). */
  | { readonly kind: 'refused'; readonly status: number; readonly reason: string }
  /** It was cut off half way: 502 or 504 if nothing was answered yet, else the response is cut short. */
  | { readonly kind: 'broken'; readonly status: 502 | 504; readonly reason: string }
  /** Stopped, as the handler asked. */
  | { readonly kind: 'stopped' };

/** What a run tells its handler. Called from outside the handler: it brings each call in through its boundary. */
export interface RunEvents {
  /** It runs: where (a pid, a connection), for the log lines about it. */
  started(where: Readonly<Record<string, unknown>>): void;
  /** Output (a view: used before the next event, or copied). */
  stdout(chunk: Uint8Array): void;
  /** The output has ended. */
  stdoutEnd(): void;
  stderr(chunk: Uint8Array): void;
  /** The request body could not be read (a timeout, bad framing, too large, the client gone). */
  inputFailed(error: unknown): void;
  /** Something for the logs, said by the backend. */
  log(channel: 'errors' | 'monitor', level: LogLevel, message: string): void;
  /** The run is over; nothing is said after this. */
  ended(outcome: RunOutcome): void;
}

/** A run, as its handler holds it. */
export interface Run {
  /** Hold the output back: the client is slower than the program. */
  pause(): void;
  resume(): void;
  /** End it now (kill the process group, abort the request); `ended` follows. Idempotent. */
  stop(): void;
}

export interface GatewayBackend {
  /** What the logs call it: "cgi", "fastcgi". */
  readonly kind: string;
  readonly settings: GatewaySettings;
  /** Why this script cannot run here, found before the body is read; undefined when it can. */
  refusal?(script: GatewayScript): string | undefined;
  /** Starts a run (it may wait for a slot first). */
  start(job: GatewayJob, events: RunEvents): Run;
}
