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
export { RequestRouter, RouteTable, type Route, type HandlerFunction, type HandlerFactory, type HandlerResult } from '../components/request-router.js';
export { HttpHandler, handlerBoxes, type HandlerSpec } from '../components/http-handler.js';
export { ErrorPage, type ErrorPageOptions, type ErrorPageRenderer } from '../components/error-page.js';
export { AccessLog, type AccessLogOption } from '../components/access-log.js';
export { Responder, type ResponderOptions } from '../components/responder.js';
export { Logger, channelNames, type ChannelName, type LoggerOptions } from '../components/logger.js';
export { httpConnection, httpConnectionLinks, type HttpConnectionOptions } from '../components/http-connection.js';
// CGI
export { CgiHandler, commandFor, type CgiContext } from '../components/cgi/cgi-handler.js';
export { CgiProcesses, type Lease, type Ticket, type ProcessLimits } from '../components/cgi/processes.js';
export { cgiRoutes } from '../components/cgi/routes.js';
export { resolveCgiOptions, defaultCgiMappings, type CgiMapping, type CgiOptions, type ResolvedCgiMapping, type ResolvedCgiOptions } from '../components/cgi/options.js';
// The server
export { createServer, BoxwireServer } from './server.js';
export { resolveOptions, defaultLimits, defaultTimeouts, type ServerOptions, type ResolvedOptions, type Limits, type Timeouts } from './options.js';
