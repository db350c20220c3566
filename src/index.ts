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
export { StaticFile, StaticSite, staticRoute, FileCache, fileResponse, redirectToSlash, type FileEntry, type Lookup } from '../components/static-file/index.js';
export { Compress, compressBoxes } from '../components/compress.js';
// The server
export { createServer, BoxwireServer } from './server.js';
export { resolveOptions, defaultLimits, defaultTimeouts, type ServerOptions, type ResolvedOptions, type Limits, type Timeouts } from './options.js';
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
