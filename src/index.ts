/** boxwire's public API: the runtime and the components. */
export * from './core/index.js';
export { Transform, map, filter, tap, type Step, type TransformOptions } from '../components/transform.js';
export { Sink, sink } from '../components/sink.js';
export { Backplane, Backplanes, PublishTo, SubscribeTo, backplanes } from '../components/backplane.js';
export { Carousel } from '../components/carousel.js';
export * from '../components/tcp-server/index.js';

// HTTP: messages and protocol values
export * from './http/index.js';
// HTTP components
export { HttpParser, defaultParserLimits, defaultParserTimeouts, type ParserLimits, type ParserTimeouts } from '../components/http-parser.js';
export { RequestRouter, RouteTable, type Route, type HandlerFunction, type HandlerFactory, type HandlerResult, type HandlerTask, type HandlerCall, type Cancellable } from '../components/request-router.js';
export { HttpHandler, handlerBoxes, type HandlerSpec } from '../components/http-handler.js';
export { ErrorPage, type ErrorPageOptions, type ErrorPageRenderer } from '../components/error-page.js';
export { AccessLog, type AccessLogOption } from '../components/access-log.js';
export { Responder, type ResponderOptions } from '../components/responder.js';
export { Logger, channelNames, type ChannelName, type LoggerOptions } from '../components/logger.js';
export { statusRoute, healthRoute } from '../components/status.js';
export { httpConnection, httpConnectionLinks, type HttpConnectionOptions } from '../components/http-connection.js';
// CGI
export { CgiHandler, commandFor, type CgiContext } from '../components/cgi/cgi-handler.js';
export { CgiProcesses, type Lease, type Ticket, type ProcessLimits } from '../components/cgi/processes.js';
export { cgiRoutes } from '../components/cgi/routes.js';
export { resolveCgiOptions, defaultCgiMappings, type CgiMapping, type CgiOptions, type ResolvedCgiMapping, type ResolvedCgiOptions } from '../components/cgi/options.js';
// The server
export { createServer, BoxwireServer } from './server.js';
export { resolveOptions, defaultLimits, defaultTimeouts, type ServerOptions, type ResolvedOptions, type Limits, type Timeouts } from './options.js';
// The declarative HTTP API client, and its component form
export * from './client/index.js';
export { ApiClientComponent, apiClient, type ApiClientOptions, type ApiClientSpec, type CallMessage, type ResultMessage, type FailureMessage, type OutcomeMessage } from '../components/api-client.js';
// The WSGI path: applications on a pool of worker threads, and the Rocket API
export { WorkerPool, defaultPoolOptions, threadCount, type PoolOptions, type PoolState } from '../components/wsgi/pool.js';
export { WsgiGateway, type GatewayOptions } from '../components/wsgi/gateway.js';
export { wsgiRoutes, wsgiRoute, inGivenOrder, type WsgiApp, type JobRunner } from '../components/wsgi/routes.js';
export { JobPool, PoolLease, type Scheduling, type PoolWorker, type PoolFigures, type PoolWording, type Withdrawal, type WorkerReply } from '../components/wsgi/job-pool.js';
export { wsgiEnviron, requestUrl, type CgiVariables } from './http/wsgi-environ.js';
export { statusProblem, headersProblem, hopByHopFields } from './http/wsgi-response.js';
export { parseWsgiSpec, type WsgiOption, type WsgiAppOption } from './wsgi-options.js';
export type { ListenInterface } from './interfaces-option.js';
export { Rocket, CherryPyWSGIServer, type RocketInterface, type RocketAppInfo } from './rocket.js';
export type { StartResponse, WsgiApplication } from '../components/wsgi/thread-wsgi.js';
export type { FetchHandler } from '../components/wsgi/thread-fetch.js';
// Python WSGI applications on python3 processes
export { PythonPool, pythonProcessCount, runnerScript, type PythonApp, type PythonPoolOptions, type PythonPoolState } from '../components/wsgi/python-pool.js';
export { resolvePythonOptions, type PythonOptions, type PythonAppOption, type ResolvedPythonOptions } from './python-options.js';
export { nativeEnviron, nativePath, nativeString, nulField } from './http/wsgi-native.js';
export { StaticFile, StaticSite, staticRoute, FileCache, fileResponse, redirectToSlash, type FileEntry, type Lookup } from '../components/static-file/index.js';
export { Compress, compressBoxes } from '../components/compress.js';
// Static files
export {
  resolveStaticOptions,
  resolveCompressOptions,
  defaultStaticCache,
  defaultCompress,
  type StaticOptions,
  type ResolvedStaticOptions,
  type StaticCacheOptions,
  type CompressOptions,
  type ResolvedCompressOptions,
  type Coding,
} from './options-static.js';
