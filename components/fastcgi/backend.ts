/**
 * The FastCGI backend: a request on a pooled connection to a FastCGI
 * application (exchange.ts, pool.ts), behind the same handler interface as
 * CGI (components/gateway/backend.ts). The meta-variables are CGI's
 * (cgi-env.ts), sent as FCGI_PARAMS; none of the server's own environment
 * goes with them (the application has its own).
 */
import type { GatewayBackend, GatewayJob, GatewaySettings, Run, RunEvents } from '../gateway/backend.js';
import { FastCgiExchange } from './exchange.js';
import type { ResolvedFastCgiOptions } from './options.js';
import type { FastCgiPool } from './pool.js';

export class FastCgiBackend implements GatewayBackend {
  readonly kind = 'fastcgi';
  readonly settings: GatewaySettings;

  constructor(
    readonly pool: FastCgiPool,
    options: ResolvedFastCgiOptions,
    serverSoftware: string,
    /** DOCUMENT_ROOT, and where PATH_TRANSLATED points. */
    documentRoot: string,
  ) {
    this.settings = {
      env: { serverSoftware, documentRoot, passAuthorization: options.passAuthorization, inherit: [], extra: options.params },
      serverEnv: {},
      spillAt: options.spillAt,
      headerLimit: options.headerLimit,
      headTimeout: options.headTimeout,
      nph: false,
      wholeReads: true,
    };
  }

  start(job: GatewayJob, events: RunEvents): Run {
    const exchange = new FastCgiExchange(this.pool, job, events);
    this.pool.enqueue(exchange);
    return exchange;
  }
}
