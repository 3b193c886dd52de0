// JSON Schema (draft-07) of the config file as users write it: camelCase keys, durations as
// strings, `cluster` or `backends`, plugin `url`. Every object is closed
// (additionalProperties: false) so a misspelt key is an error, not a silent default.
// `description` doubles as the expectation shown to the user when a value is wrong.
// Rules a schema cannot express well (cross references, regexes, exclusive keys) live in
// `semantic.ts`. Every field is documented in docs/configuration.md.
import { ADDRESS_EXPECTED } from './address.ts';
import { DURATION_EXPECTED, DURATION_PATTERN } from './duration.ts';
import { SIZE_EXPECTED, SIZE_PATTERN } from './size.ts';

const duration = {
  anyOf: [{ const: 0 }, { type: 'string', pattern: DURATION_PATTERN }],
  description: DURATION_EXPECTED,
};
const address = { type: 'string', minLength: 1, description: ADDRESS_EXPECTED };
const name = {
  type: 'string',
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
  description: 'a name of letters, digits, ".", "_" or "-"',
};
const nameList = { type: 'array', items: name, description: 'a list of names' };
const size = {
  anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: SIZE_PATTERN }],
  description: SIZE_EXPECTED,
};
/** Opaque bytes handed to a plugin: strings as is, anything else as JSON text. */
const pluginBytes = { description: 'a string or any JSON value' };

const match = {
  type: 'object',
  additionalProperties: false,
  description: 'a mapping of path, pathPrefix, pathRegex, method, headers, host',
  properties: {
    path: { type: 'string', pattern: '^/', description: 'a path starting with /' },
    pathPrefix: { type: 'string', pattern: '^/', description: 'a path prefix starting with /' },
    pathRegex: { type: 'string', minLength: 1, description: 'a JavaScript regular expression' },
    method: { type: 'string', pattern: '^[A-Za-z]+$', description: 'an HTTP method like GET' },
    headers: {
      type: 'object',
      description: 'a mapping of header name to exact value',
      propertyNames: { pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" },
      additionalProperties: { type: ['string', 'number', 'boolean'], description: 'a header value' },
    },
    host: { type: 'string', minLength: 1, description: 'a host name without port' },
  },
};

const backend = {
  type: 'object',
  additionalProperties: false,
  required: ['cluster'],
  description: 'a mapping with cluster and weight',
  properties: {
    cluster: name,
    weight: { type: 'integer', minimum: 0, description: 'a non-negative integer weight' },
  },
};

const route = {
  type: 'object',
  additionalProperties: false,
  description: 'a route mapping',
  properties: {
    name,
    match,
    plugins: nameList,
    cluster: name,
    backends: { type: 'array', minItems: 1, items: backend, description: 'a non-empty list of backends' },
    timeout: duration,
  },
};

const listener = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'address'],
  description: 'a listener mapping',
  properties: {
    name,
    address,
    detectTimeout: duration,
    defaultCluster: name,
    tls: {
      type: 'object',
      additionalProperties: false,
      required: ['cert', 'key'],
      description: 'a mapping with cert and key (PEM file paths)',
      properties: {
        cert: { type: 'string', minLength: 1, description: 'a path to a PEM certificate chain' },
        key: { type: 'string', minLength: 1, description: 'a path to a PEM private key' },
      },
    },
    maxHeaderBytes: size,
    idleTimeout: duration,
    headersTimeout: duration,
    streamIdleTimeout: duration,
    tcpPlugins: nameList,
    routes: { type: 'array', items: route, description: 'a list of routes' },
  },
};

const cluster = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'endpoints'],
  description: 'a cluster mapping',
  properties: {
    name,
    endpoints: {
      type: 'array',
      minItems: 1,
      items: address,
      description: `a non-empty list of ${ADDRESS_EXPECTED}`,
    },
    protocol: { enum: ['http1', 'http2', 'auto'], description: 'one of http1, http2, auto' },
    connectTimeout: duration,
    maxConnectionsPerEndpoint: { type: 'integer', minimum: 1, description: 'a positive integer' },
  },
};

const plugin = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'url'],
  description: 'a plugin mapping',
  properties: {
    name,
    url: {
      type: 'string',
      minLength: 1,
      description: 'a .wasm location: file://./x.wasm, a path relative to the config file, or https://',
    },
    sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$', description: '64 hex digits (a sha256 digest)' },
    config: pluginBytes,
    vmConfig: pluginBytes,
    vmId: { type: 'string', description: 'a string' },
    rootId: { type: 'string', description: 'a string' },
    failStrategy: { enum: ['close', 'open', 'reload'], description: 'one of close, open, reload' },
    env: {
      type: 'object',
      description: 'a mapping of environment variable name to value',
      additionalProperties: { type: ['string', 'number', 'boolean'], description: 'a string value' },
    },
    maxMemory: size,
  },
};

/** The whole file. */
export const configSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://remora.dev/schemas/config.json',
  title: 'Remora configuration',
  type: 'object',
  additionalProperties: false,
  required: ['listeners'],
  description: 'a mapping with admin, log, listeners, clusters, plugins',
  properties: {
    admin: {
      type: 'object',
      additionalProperties: false,
      description: 'a mapping with address',
      properties: { address },
    },
    log: {
      type: 'object',
      additionalProperties: false,
      description: 'a mapping with level and accessLog',
      properties: {
        level: {
          enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
          description: 'one of trace, debug, info, warn, error, fatal, silent',
        },
        accessLog: { type: 'boolean', description: 'true or false' },
      },
    },
    shutdownGracePeriod: duration,
    listeners: { type: 'array', minItems: 1, items: listener, description: 'a non-empty list of listeners' },
    clusters: { type: 'array', items: cluster, description: 'a list of clusters' },
    plugins: { type: 'array', items: plugin, description: 'a list of plugins' },
  },
} as const;
