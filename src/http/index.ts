/** Pure HTTP values and functions: no I/O, no components. */
export { HeaderMap, listElements, hasToken, type HeadersInit } from './headers.js';
export * from './messages.js';
export { RequestBody, readBody, readText } from './request-body.js';
export { HttpError, isHttpError } from './errors.js';
export { reasonPhrase, reasonPhrases, statusHasNoBody } from './status.js';
export { httpDateNow, formatHttpDate, parseHttpDate } from './date.js';
export { normalizePath, parseTarget, parseAuthority } from './target.js';
export { parseRequestHead, bodyFraming, wantsKeepAlive, type ParsedHead, type BodyFraming } from './parse-head.js';
export { ChunkedDecoder } from './chunked.js';
export { frameResponse, invalidField } from './serialize.js';
export { preferredMediaType, preferredEncoding, mediaQuality } from './negotiate.js';
export { escapeHtml } from './html.js';
export { formatAccessLine, type AccessLogFormat } from './log-format.js';
export { compilePattern, hostMatches } from './route-pattern.js';
export { ServerCounters, Histogram, type StatusSnapshot, type Gauge, type ConnectionFigures } from './counters.js';
export { statusHtml, statusJson, statusRows } from './status-page.js';
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
export { resolveScript, type ScriptFs, type ScriptStat, type ScriptLookup } from './cgi-script-path.js';
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
