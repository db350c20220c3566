/** Pure HTTP values and functions: no I/O, no components. */
export { HeaderMap, listElements, hasToken, addVary, type HeadersInit } from './headers.js';
export * from './messages.js';
export { RequestBody, readBody, readText } from './request-body.js';
export { HttpError, isHttpError } from './errors.js';
export { reasonPhrase, reasonPhrases, statusHasNoBody } from './status.js';
export { httpDateNow, formatHttpDate, parseHttpDate } from './date.js';
export { normalizePath, parseTarget, parseAuthority, encodePath } from './target.js';
export { parseRequestHead, bodyFraming, wantsKeepAlive, type ParsedHead, type BodyFraming } from './parse-head.js';
export { ChunkedDecoder } from './chunked.js';
export { frameResponse, invalidField } from './serialize.js';
export { preferredMediaType, preferredEncoding, mediaQuality } from './negotiate.js';
export { escapeHtml } from './html.js';
export { formatAccessLine, formatAccessJson, type AccessLogFormat, type AccessEntry } from './log-format.js';
export { compilePattern, hostMatches } from './route-pattern.js';
export { ServerCounters, Histogram, type StatusSnapshot, type Gauge, type ConnectionFigures } from './counters.js';
export { statusHtml, statusJson } from './status-page.js';
export type {
  GraphView,
  ServerFigures,
  NodeView,
  ServerLinkView,
  ConnectionView,
  ChildView,
  BoxView,
  LinkView,
  ComponentView,
  StatusFeed,
} from './graph-view.js';
export { History, historyColumns, type HistoryView, type HistoryColumn } from './history.js';
export { exposition, type MetricFamily, type MetricSample, type MetricType, type MetricsFormat } from './metrics.js';
export {
  cgiEnvironment,
  envValue,
  defaultInheritedEnv,
  type CgiScript,
  type CgiIdentity,
  type CgiEnvSettings,
  type CgiRequestFacts,
} from './cgi-env.js';
export { headerVariable, clientCertificateVariables } from './gateway-variables.js';
export { CgiHeadParser, interpretCgiHead, parseNphStatusLine, type CgiHead, type CgiHeadResult } from './cgi-response.js';
export {
  resolveScript,
  findScript,
  type ScriptFs,
  type ScriptStat,
  type ScriptLookup,
  type ScriptPolicy,
  type FoundScript,
} from './cgi-script-path.js';
export { ScriptNames } from './script-names.js';
export * as fastcgi from './fastcgi-records.js';
export {
  resolveInRoot,
  mapUrlPath,
  checkRealPath,
  isWithin,
  type RootPolicy,
  type DotfilesPolicy,
  type SymlinkPolicy,
  type Refusal,
  type ResolvedPath,
} from './resolve-path.js';
export {
  parseRange,
  coalesce,
  contentRange,
  unsatisfiedRange,
  multipartFrame,
  defaultRangeLimits,
  type ByteRange,
  type RangeSelection,
  type RangeLimits,
} from './range.js';
export {
  evaluatePreconditions,
  ifMatchPasses,
  ifNoneMatchPasses,
  ifModifiedSincePasses,
  ifUnmodifiedSincePasses,
  ifRangeAllowsRange,
  type Validators,
  type Precondition,
} from './conditional.js';
export { fileEtag, weakEtag, parseEntityTag, parseEntityTagList, strongMatch, weakMatch, type EntityTag } from './etag.js';
export { contentTypeOf, normalizeMimeOverrides, defaultContentType } from './content-type.js';
export { cacheControlFor, type CachePolicy } from './cache-control.js';
export { renderListing, type ListingEntry, type ListingPage } from './listing.js';
export {
  compressionPlan,
  isCompressibleType,
  varyOnAcceptEncoding,
  codingExtensions,
  type Coding,
  type CompressionPlan,
  type CompressionInput,
} from './compression.js';
export {
  parseBasicCredentials,
  basicChallenge,
  maxCredentialsLength,
  type BasicCredentials,
  type CredentialsResult,
} from './basic-credentials.js';
export { parseHtpasswd, hashKind, type HashKind, type StoredHash, type UsersTable } from './htpasswd.js';
export { verifyPassword, isSlowHash, md5Crypt } from './password-hash.js';
export {
  corsDecision,
  originMatcher,
  originAllowed,
  variesByOrigin,
  type CorsPolicy,
  type CorsDecision,
  type OriginMatcher,
} from './cors.js';
export { ClientBuckets, clientKey, parseRateSpec, retryAfterSeconds, type RateSpec } from './token-bucket.js';
export { compileRule, rewritePath, redirectLocation, type CompiledRule, type Rewritten } from './rewrite-rule.js';
export { hostPatternMatches, hostPatternOrder, isHostPattern, normalizeHost } from './host-pattern.js';
export { withResponseFields, applyResponseFields } from './response-fields.js';
export { takesAppShell } from './spa-fallback.js';
export {
  FrameDecoder,
  encodeFrame,
  encodeText,
  closePayload,
  unmaskInto,
  opcodes,
  type Frame,
  type Violation,
  type FrameLimits,
} from './websocket-frames.js';
export { MessageAssembler, parseClose, decodeText, isValidCloseCode, type Incoming } from './websocket-messages.js';
export {
  parseExtensions,
  negotiateDeflate,
  type ExtensionOffer,
  type DeflatePolicy,
  type DeflateParams,
} from './websocket-extensions.js';
export {
  checkHandshake,
  acceptKey,
  originAllowed as websocketOriginAllowed,
  type Handshake,
  type HandshakePolicy,
  type OriginPolicy,
  type ProtocolChoice,
} from './websocket-handshake.js';
export {
  ProxyHeaderParser,
  parseProxyHeader,
  proxyV2Signature,
  type ProxyHeader,
  type ProxyEndpoint,
  type ProxyTlv,
  type ProxyParse,
} from './proxy-protocol.js';
export {
  parseResponseHead,
  ResponseHeadReader,
  type ResponseHead,
  type ResponseFraming,
  type ResponseHeadResult,
  type HeadReaderResult,
} from './parse-response-head.js';
export {
  proxyHopByHop,
  endToEndFields,
  upstreamRequestHead,
  upstreamTarget,
  downstreamResponseFields,
  resolveForwardedClient,
  xForwardedHops,
  forwardedHops,
  type ForwardedHop,
  type ResolvedClient,
} from './forwarding.js';
export {
  parseIp,
  parseIPv4,
  parseIPv6,
  formatIPv4,
  formatIPv6,
  parseIpRange,
  inRange,
  loopbackRanges,
  type IpAddress,
  type IpRange,
} from './ip-address.js';
