/** The declarative HTTP API client: a description as data, a typed client from it. */
export { defineApi, decodeJson, defaultTimeout, defaultMaxResponseBytes, type ApiHooks } from './define-api.js';
export {
  checkDescription,
  methodNames,
  paramTypeNames,
  type ApiDescription,
  type NamespaceSpec,
  type ParamSpec,
  type ParamFlag,
  type ParamTypeName,
  type ParamTypes,
  type MethodName,
  type JsonValue,
} from './description.js';
export type {
  ApiClient,
  CallArguments,
  CallFunction,
  CallOptions,
  HeaderFields,
  NamespaceClient,
  WithResults,
  ArgumentsOf,
  ResultOf,
} from './client-types.js';
export {
  camelJoin,
  snakeJoin,
  keepNamespace,
  namingRule,
  dropVariables,
  words,
  defaultDelimiters,
  type Naming,
  type NameRule,
  type ApplyRule,
  type AnyName,
  type CamelJoin,
  type SnakeJoin,
  type KeepNamespace,
  type DropVariables,
  type Words,
  type DefaultDelimiters,
} from './naming.js';
export { fillPath, pathVariables, type PathVariables } from './path.js';
export { argumentPairs, checkArguments, placeArguments, type Arguments } from './arguments.js';
export { signature, signer, signingText, resolveSigning, type SigningOptions } from './signing.js';
export { basicAuth, bearerAuth } from './auth.js';
export { ApiError, isApiError, redactUrl, type ApiErrorKind, type ApiErrorDetails, type ApiCall } from './errors.js';
export type { ApiResponse, Fetch } from './transport.js';
