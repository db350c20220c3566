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
export { cgiEnvironment, headerVariable, envValue, defaultInheritedEnv, type CgiScript, type CgiIdentity, type CgiEnvSettings, type CgiRequestFacts } from './cgi-env.js';
export { CgiHeadParser, interpretCgiHead, parseNphStatusLine, type CgiHead, type CgiHeadResult } from './cgi-response.js';
export { resolveScript, type ScriptFs, type ScriptStat, type ScriptLookup } from './cgi-script-path.js';
