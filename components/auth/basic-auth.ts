/**
 * Basic authentication (RFC 7617) as a request stage: requests at or under
 * its prefix pass on only with the user-id and password of a user in an
 * htpasswd file, marked with who they are (`identity`, which CGI and WSGI
 * see as AUTH_TYPE and REMOTE_USER); the others are answered 401 with the
 * challenge (WWW-Authenticate: Basic realm="...", charset="UTF-8"), and the
 * errors log says why (no credentials, malformed ones, an unknown user, a
 * wrong password).
 *
 *   createServer({ before: [basicAuth({ file: 'users.htpasswd', prefix: '/admin/' })] })
 *   { path: '/admin/*', before: [basicAuth({ file: 'users.htpasswd' })], handler }   // one route's
 *
 * The cost of a check is kept off the request path where it is safe to:
 * - bcrypt and MD5-crypt run on their own thread (hash-lane.ts); a full
 *   queue there answers 503 with Retry-After.
 * - A successful check is remembered, keyed by a SHA-256 of the whole
 *   Authorization value under a secret made when the process starts (so the
 *   table holds no password, and nobody can plant a key), until the file
 *   changes; failures are not remembered.
 * - A connection remembers the credentials it last proved, so a keep-alive
 *   client sending the same Authorization each time costs a comparison of
 *   two strings (bench/scenarios/stages.mjs: this is what keeps the stage
 *   under a microsecond a request).
 * - An unknown user's password is checked against another user's hash all
 *   the same, so how long a refusal takes does not tell which users exist.
 */
import { hash, randomBytes } from 'node:crypto';
import { logRecord } from '../../src/core/log.js';
import { basicChallenge, maxCredentialsLength, parseBasicCredentials } from '../../src/http/basic-credentials.js';
import type { StoredHash, UsersTable } from '../../src/http/htpasswd.js';
import { errorResponse, failureResponse, type HttpRequest, type HttpResponse, type Identity } from '../../src/http/messages.js';
import { isSlowHash, verifyPassword } from '../../src/http/password-hash.js';
import { requestStage, type RequestStage, type StageDecision, type StageMaker } from '../request-stage.js';
import { hashLane } from './hash-lane.js';
import { resolveBasicAuthOptions, type BasicAuthOptions, type ResolvedBasicAuthOptions } from './options.js';
import { UsersFile } from './users-file.js';

/** What a connection remembers of the credentials it last proved. */
interface Proven {
  header: string | undefined;
  identity: Identity | undefined;
  table: UsersTable | undefined;
}

/** Longest Authorization field looked up among the proved ones: a longer one is refused unread anyway. */
const maxFieldLength = maxCredentialsLength + 16;

/** The key of the table of successful checks: made fresh each time the process starts. */
const secret = randomBytes(32).toString('base64');

/** The state every connection's stage shares: the file, and the checks that succeeded under its current reading. */
export class BasicAuthGuard {
  readonly file: UsersFile;
  readonly challenge: string;
  /** Successful checks by keyed digest of the Authorization value: the user they proved. */
  private readonly proven = new Map<string, Identity>();
  /** The reading of the file the remembered checks were made under. */
  private provenUnder: UsersTable;

  constructor(readonly options: ResolvedBasicAuthOptions) {
    this.file = new UsersFile(options.file, options.recheck);
    this.challenge = basicChallenge(options.realm);
    this.provenUnder = this.file.table;
  }

  /** Whether a path is under the stage's prefix (at a segment boundary: "/admin" takes "/admin/x", not "/administrator"). */
  covers(path: string): boolean {
    const prefix = this.options.prefix;
    return prefix === '' || path === prefix || (path.startsWith(prefix) && path.charCodeAt(prefix.length) === 0x2f);
  }

  decide(request: HttpRequest, stage: RequestStage, memo: Proven): StageDecision | Promise<StageDecision> {
    if (!this.covers(request.path)) return undefined;
    const file = this.file;
    if (file.due(request.received)) return file.refresh().then(() => this.check(request, stage, memo));
    return this.check(request, stage, memo);
  }

  private check(request: HttpRequest, stage: RequestStage, memo: Proven): StageDecision | Promise<StageDecision> {
    const file = this.file;
    const table = file.table;
    if (table !== this.provenUnder) {
      this.proven.clear();
      this.provenUnder = table;
    }
    const news = file.takeNews();
    for (const line of news) stage.report(logRecord('errors', file.failure ? 'error' : 'warn', `basic auth: ${line}`));
    if (file.failure !== undefined) return errorResponse(request, 500, { error: file.failure });
    const header = request.headers.get('authorization');
    if (header !== undefined && header === memo.header && memo.table === table) return authenticated(request, memo.identity!);
    // The same field as one proved before is the same user-id and password: no need to read it again.
    const key =
      header !== undefined && header.length <= maxFieldLength && this.options.cacheSize > 0
        ? hash('sha256', secret + header, 'base64')
        : '';
    const known = key !== '' ? this.proven.get(key) : undefined;
    if (known !== undefined) return this.proved(request, memo, header!, known, table);
    const parsed = parseBasicCredentials(header);
    if (!parsed.ok) return this.refuse(request, parsed.reason);
    const { user, password } = parsed.credentials;
    const stored = table.users.get(user);
    // Unknown users are checked against someone's hash too: a refusal takes as long either way.
    const against: StoredHash | undefined = stored ?? table.users.values().next().value;
    const settle = (matched: boolean): StageDecision => {
      if (!stored) return this.refuse(request, `unknown user ${JSON.stringify(user)}`);
      if (!matched) return this.refuse(request, `wrong password for ${JSON.stringify(user)}`);
      const identity: Identity = { type: 'Basic', user };
      // A check made under a reading the file has since replaced proves nothing for the new one.
      if (key !== '' && table === file.table) this.remember(key, identity);
      return this.proved(request, memo, header!, identity, table);
    };
    if (against === undefined) return settle(false);
    if (!isSlowHash(against.kind)) return settle(verifyPassword(password, against));
    const job = hashLane.verify(password, against);
    if (job === 'busy')
      return errorResponse(request, 503, { headers: { 'Retry-After': '1' }, error: 'basic auth: too many password checks waiting' });
    return job.then(settle, (error: unknown) => failureResponse(request, error));
  }

  private proved(request: HttpRequest, memo: Proven, header: string, identity: Identity, table: UsersTable): HttpRequest {
    memo.header = header;
    memo.identity = identity;
    memo.table = table;
    return authenticated(request, identity);
  }

  private remember(key: string, identity: Identity): void {
    if (this.proven.size >= this.options.cacheSize) this.proven.delete(this.proven.keys().next().value!);
    this.proven.set(key, identity);
  }

  private refuse(request: HttpRequest, reason: string): HttpResponse {
    return errorResponse(request, 401, { headers: { 'WWW-Authenticate': this.challenge }, error: `basic auth: ${reason}` });
  }
}

function authenticated(request: HttpRequest, identity: Identity): HttpRequest {
  return { ...request, identity };
}

/**
 * Basic authentication as a request stage factory: for the server's
 * `before`, a route's `before`, or a `connection` plan edit. The file is
 * read now; a bad option or an unreadable file is a TypeError now.
 */
export function basicAuth(options: BasicAuthOptions): StageMaker {
  return basicAuthStage(resolveBasicAuthOptions(options, 'basicAuth'));
}

/** The same, from options already resolved (the server's `auth`). */
export function basicAuthStage(options: ResolvedBasicAuthOptions): StageMaker {
  const guard = new BasicAuthGuard(options);
  return () => {
    const memo: Proven = { header: undefined, identity: undefined, table: undefined };
    return requestStage((request, stage) => guard.decide(request, stage, memo), 'basicAuth');
  };
}
