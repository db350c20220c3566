/**
 * boxwire's public API: what users compose servers with. The API client is
 * its own entry point, `boxwire/client` (src/client/index.ts); its component
 * form, `apiClient`, is here with the other components.
 */

// The component runtime
export * from './core/index.js';
export { Transform, map, filter, tap, type Step, type TransformOptions } from '../components/transform.js';
export { Sink, sink } from '../components/sink.js';
export { Backplane, Backplanes, PublishTo, SubscribeTo, backplanes } from '../components/backplane.js';
export { Carousel } from '../components/carousel.js';
export * from '../components/tcp-server/index.js';

// HTTP: messages and pure protocol values
export * from './http/index.js';

// The per-connection HTTP components, and the graph they make
export {
  HttpParser,
  defaultParserLimits,
  defaultParserTimeouts,
  type ParserLimits,
  type ParserTimeouts,
} from '../components/http-parser.js';
export {
  RequestRouter,
  RouteTable,
  type Route,
  type HandlerFunction,
  type HandlerFactory,
  type HandlerResult,
  type HandlerTask,
  type HandlerCall,
  type Cancellable,
} from '../components/request-router.js';
export { HttpHandler, handlerBoxes, type HandlerSpec } from '../components/http-handler.js';
export { ErrorPage, type ErrorPageOptions, type ErrorPageRenderer } from '../components/error-page.js';
export { AccessLog, type AccessLogOption } from '../components/access-log.js';
export { Responder, type ResponderOptions } from '../components/responder.js';
export { Logger, channelNames, type ChannelName, type LoggerOptions } from '../components/logger.js';
export { statusRoute, metricsRoute, healthRoute, type StatusSource } from '../components/status.js';
export {
  httpConnection,
  httpConnectionLinks,
  httpConnectionPlan,
  type HttpConnectionOptions,
  type StageFactory,
} from '../components/http-connection.js';
export {
  RequestStage,
  requestStage,
  requestStageBoxes,
  stageAnswer,
  type RequestStageSpec,
  type StageDecision,
  type StageFunction,
  type StageMaker,
} from '../components/request-stage.js';
export { Compress, compressBoxes } from '../components/compress.js';

// The built-in stages: authentication, CORS, rate limits, redirects and rewrites, security headers
export { basicAuth, basicAuthStage, BasicAuthGuard } from '../components/auth/basic-auth.js';
export { resolveBasicAuthOptions, type BasicAuthOptions, type ResolvedBasicAuthOptions } from '../components/auth/options.js';
export { HashLane, hashLane } from '../components/auth/hash-lane.js';
export { UsersFile } from '../components/auth/users-file.js';
export { cors, corsStage } from '../components/cors.js';
export { resolveCorsOptions, type CorsOptions, type ResolvedCors } from '../components/cors-options.js';
export { rateLimit, rateLimitStage } from '../components/rate-limit.js';
export { resolveRateLimitOptions, type RateLimitOptions, type ResolvedRateLimit } from '../components/rate-limit-options.js';
export { redirect, redirectStage } from '../components/redirect.js';
export { rewrite, rewriteStage } from '../components/rewrite.js';
export {
  resolveRedirects,
  resolveRewrites,
  type RedirectRule,
  type RedirectStatus,
  type RewriteRule,
  type ResolvedRedirect,
} from '../components/url-rule-options.js';
export {
  securityHeaders,
  securityHeadersStage,
  resolveSecurityHeaders,
  type SecurityHeadersOptions,
  type ResolvedSecurityHeaders,
} from '../components/security-headers.js';
// WebSocket: a route's `websocket` factory, and the graph an upgraded connection becomes
export * from '../components/websocket/index.js';
export {
  resolveCompressOptions,
  defaultCompress,
  type CompressOptions,
  type ResolvedCompressOptions,
} from '../components/compress-options.js';

// Static files
export {
  StaticFile,
  StaticSite,
  staticRoute,
  FileCache,
  fileResponse,
  redirectToSlash,
  type FileEntry,
  type Lookup,
} from '../components/static-file/index.js';
export {
  resolveStaticOptions,
  defaultStaticCache,
  type StaticOptions,
  type ResolvedStaticOptions,
  type StaticCacheOptions,
} from '../components/static-file/options.js';
export { VirtualHosts, virtualHostsRoute, resolveVirtualHosts, type VirtualHost } from '../components/static-file/virtual-hosts.js';

// CGI
export { CgiHandler, commandFor, type CgiContext } from '../components/cgi/cgi-handler.js';
export { CgiProcesses, type Lease, type Ticket, type ProcessLimits } from '../components/cgi/processes.js';
export { cgiRoutes } from '../components/cgi/routes.js';
export {
  resolveCgiOptions,
  type CgiMapping,
  type CgiOptions,
  type ResolvedCgiOptions,
  type ResolvedCgiMapping,
} from '../components/cgi/options.js';

// Gateways: CGI and FastCGI behind one handler, and the scripts of a document root by extension
export { GatewayHandler, type GatewayTarget, type Located } from '../components/gateway/gateway-handler.js';
export type {
  GatewayBackend,
  GatewayJob,
  GatewayScript,
  GatewaySettings,
  Run,
  RunEvents,
  RunOutcome,
} from '../components/gateway/backend.js';
export { documentScriptsRoute } from '../components/gateway/document-scripts.js';
export { CgiBackend, type CgiCommand } from '../components/cgi/backend.js';
export { resolveCgiExtensions, type CgiExtensions, type ResolvedCgiExtensions } from '../components/cgi/options.js';

// FastCGI
export { FastCgiPool, type FastCgiPoolState, type PoolServer } from '../components/fastcgi/pool.js';
export { FastCgiBackend } from '../components/fastcgi/backend.js';
export { FastCgiSupervisor } from '../components/fastcgi/supervisor.js';
export { fastCgiApplications, fastCgiRoutes, type FastCgiApplication } from '../components/fastcgi/routes.js';
export {
  resolveFastCgiOptions,
  parseFastCgiAddress,
  defaultFastCgiOptions,
  type FastCgiAddress,
  type FastCgiMapping,
  type FastCgiOptions,
  type FastCgiSpawn,
  type ResolvedFastCgiOptions,
  type ResolvedFastCgiApp,
} from '../components/fastcgi/options.js';

// WSGI: applications on a pool of worker threads, and Python applications on python3 processes
export { WorkerPool, defaultPoolOptions, threadCount, type PoolOptions, type PoolState } from '../components/wsgi/pool.js';
export { WsgiGateway, type GatewayOptions } from '../components/wsgi/gateway.js';
export { wsgiRoutes, wsgiRoute, inGivenOrder, type WsgiApp, type JobRunner } from '../components/wsgi/routes.js';
export type { StartResponse, WsgiApplication } from '../components/wsgi/thread-wsgi.js';
export type { FetchHandler } from '../components/wsgi/thread-fetch.js';
export {
  PythonPool,
  pythonProcessCount,
  runnerScript,
  type PythonApp,
  type PythonPoolOptions,
  type PythonPoolState,
} from '../components/wsgi/python-pool.js';
export { wsgiEnviron, requestUrl, type CgiVariables } from './http/wsgi-environ.js';
export { statusProblem, headersProblem, hopByHopFields } from './http/wsgi-response.js';
export { nativeEnviron, nativePath, nativeString, nulField } from './http/wsgi-native.js';

// In front of other servers and behind them: the reverse proxy, trusted proxies
export {
  ReverseProxy,
  ProxyExchange,
  ProxyHandler,
  resolveProxyOptions,
  parseProxySpec,
  defaultProxyTimeouts,
  type ProxyStatus,
  type ProxyOption,
  type ProxyOptions,
  type ResolvedProxyOptions,
  type UpstreamSpec,
  type UpstreamAddress,
} from '../components/proxy/index.js';
export {
  trustProxyStage,
  trustedRequest,
  resolveTrustProxy,
  type TrustProxyOption,
  type ResolvedTrustProxy,
} from '../components/trust-proxy.js';

// The API client's component form (the client itself: boxwire/client)
export {
  ApiClientComponent,
  apiClient,
  type ApiClientOptions,
  type ApiClientSpec,
  type CallMessage,
  type ResultMessage,
  type FailureMessage,
  type OutcomeMessage,
} from '../components/api-client.js';

// The server: one options object, the default graph, the Rocket facade
export { createServer, BoxwireServer } from './server/server.js';
export {
  resolveOptions,
  defaultLimits,
  defaultTimeouts,
  type ServerOptions,
  type ResolvedOptions,
  type Limits,
  type Timeouts,
} from './server/options.js';
export { parseWsgiSpec, type WsgiOption, type WsgiAppOption, type PythonAppOption } from './server/app-entries.js';
export { resolvePythonOptions, type PythonOptions, type ResolvedPythonOptions } from './server/python-options.js';
export type { ListenInterface } from './server/interfaces-option.js';
export { resolveMiddleware, middlewareStages, type MiddlewareOptions, type ResolvedMiddleware } from './server/middleware-options.js';
export { Rocket, CherryPyWSGIServer, type RocketInterface, type RocketAppInfo } from './server/rocket.js';
