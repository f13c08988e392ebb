// proxy.toml: defaults < TOML file < environment (CODIS_PROXY_<KEY>) < command-line overrides, then
// Codis's validation (spec/proxy.md §12). Unlike Codis, an unknown key or a value of the wrong type is
// an error that names the key instead of being ignored.

import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { formatDuration, formatSize, parseDuration, parseSize, UnitFormatError } from '../../common/units.ts';
import type { JsonObject } from '../../models/go-json.ts';
import { PROXY_CONFIG_KEY_MAP, PROXY_CONFIG_KEYS, type ProxyConfigKey } from './schema.ts';
import { defaultProxyConfig, type ProxyConfig } from './types.ts';

export class ProxyConfigError extends Error {
  readonly code = 'ERR_PROXY_CONFIG';
  /** The key at fault, when there is one. */
  readonly key: string | undefined;
  constructor(message: string, key?: string) {
    super(message);
    this.name = 'ProxyConfigError';
    this.key = key;
  }
}

/** The environment variable prefix: `CODIS_PROXY_PRODUCT_NAME=demo` sets `product_name`. */
export const PROXY_ENV_PREFIX = 'CODIS_PROXY_';

type Mutable = Record<string, string | number | boolean>;

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'a table';
  return String(value);
}

/**
 * Converts one value for `entry`. TOML values keep their types; `fromText` values (environment,
 * flags) are strings that are read as the key's kind.
 */
function convert(
  entry: ProxyConfigKey,
  value: unknown,
  source: string,
  fromText: boolean,
): string | number | boolean {
  const where = `${source}: ${entry.key}`;
  const fail = (expected: string): never => {
    throw new ProxyConfigError(`${where}: expected ${expected}, got ${describe(value)}`, entry.key);
  };
  switch (entry.kind) {
    case 'string':
      if (typeof value !== 'string') fail('a string');
      return value as string;
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (fromText && (value === 'true' || value === 'false')) return value === 'true';
      return fail('true or false');
    case 'int': {
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      if (fromText && typeof value === 'string' && /^[+-]?\d+$/.test(value.trim())) {
        const n = Number(value.trim());
        if (Number.isSafeInteger(n)) return n;
      }
      return fail('an integer');
    }
    case 'size':
    case 'duration': {
      // A bare number is bytes (sizes) or seconds (durations), as Codis reads unit-less text.
      if (typeof value === 'number' && Number.isFinite(value)) {
        return entry.kind === 'size' ? Math.trunc(value) : value * 1000;
      }
      if (typeof value !== 'string')
        fail(entry.kind === 'size' ? 'a size such as "128kb"' : 'a duration such as "30s"');
      try {
        return entry.kind === 'size' ? parseSize(value as string) : parseDuration(value as string);
      } catch (error) {
        if (error instanceof UnitFormatError)
          throw new ProxyConfigError(`${where}: ${error.message}`, entry.key);
        throw error;
      }
    }
  }
}

/** Sets one key from a TOML value (or text, with `fromText`); an unknown key is an error naming it. */
export function setProxyConfigValue(
  config: ProxyConfig,
  key: string,
  value: unknown,
  source: string,
  fromText = false,
): void {
  const entry = PROXY_CONFIG_KEY_MAP.get(key);
  if (entry === undefined) throw new ProxyConfigError(`${source}: unknown key '${key}'`, key);
  (config as unknown as Mutable)[key] = convert(entry, value, source, fromText);
}

/** Overlays a TOML document on `config` (defaults unless given). */
export function parseProxyToml(
  text: string,
  source = 'proxy.toml',
  base = defaultProxyConfig(),
): ProxyConfig {
  let document: Record<string, unknown>;
  try {
    document = parseToml(text) as Record<string, unknown>;
  } catch (error) {
    throw new ProxyConfigError(`${source}: ${(error as Error).message}`);
  }
  const config = { ...base };
  for (const [key, value] of Object.entries(document)) setProxyConfigValue(config, key, value, source);
  return config;
}

/** Variables of the program itself, not config keys: the V8 flags of src/cli/codis-proxy.ts. */
const PROGRAM_VARIABLES = new Set(['CODIS_PROXY_V8_FLAGS']);

/** Overlays `CODIS_PROXY_<KEY>` variables; an unknown one is an error naming it. */
export function applyProxyEnvironment(config: ProxyConfig, env: NodeJS.ProcessEnv): void {
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(PROXY_ENV_PREFIX) || value === undefined || PROGRAM_VARIABLES.has(name)) continue;
    const key = name.slice(PROXY_ENV_PREFIX.length).toLowerCase();
    if (!PROXY_CONFIG_KEY_MAP.has(key)) {
      throw new ProxyConfigError(`environment: unknown variable ${name}`, key);
    }
    setProxyConfigValue(config, key, value, `environment ${name}`, true);
  }
}

const MAX_INT = 2 ** 63 - 1;

/** Codis's Config.Validate, message for message and in its order (spec/proxy.md §12.3). */
export function validateProxyConfig(c: ProxyConfig): void {
  const fail = (key: string): never => {
    throw new ProxyConfigError(`invalid ${key}`, key);
  };
  const size = (key: keyof ProxyConfig): void => {
    const v = c[key] as number;
    if (v < 0 || v > MAX_INT) fail(key);
  };
  const nonNegative = (key: keyof ProxyConfig): void => {
    if ((c[key] as number) < 0) fail(key);
  };
  if (c.proto_type === '') fail('proto_type');
  if (c.proxy_addr === '') fail('proxy_addr');
  if (c.admin_addr === '') fail('admin_addr');
  if (c.jodis_name !== '') {
    if (c.jodis_addr === '') fail('jodis_addr');
    nonNegative('jodis_timeout');
  }
  if (c.product_name === '') fail('product_name');
  nonNegative('proxy_max_clients');
  size('proxy_max_offheap_size');
  size('proxy_heap_placeholder');
  nonNegative('backend_ping_period');
  size('backend_recv_bufsize');
  nonNegative('backend_recv_timeout');
  size('backend_send_bufsize');
  nonNegative('backend_send_timeout');
  nonNegative('backend_max_pipeline');
  nonNegative('backend_primary_parallel');
  nonNegative('backend_replica_parallel');
  nonNegative('backend_keepalive_period');
  if (c.backend_number_databases < 1) fail('backend_number_databases');
  size('session_recv_bufsize');
  nonNegative('session_recv_timeout');
  size('session_send_bufsize');
  nonNegative('session_send_timeout');
  nonNegative('session_max_pipeline');
  nonNegative('session_keepalive_period');
  nonNegative('metrics_report_period');
  nonNegative('metrics_report_influxdb_period');
  nonNegative('metrics_report_statsd_period');
  nonNegative('proxy_keys_max');
}

export interface LoadProxyConfigOptions {
  /** A proxy.toml path (`--config`). */
  readonly file?: string | undefined;
  /** Environment to read `CODIS_PROXY_*` from; none when absent. */
  readonly env?: NodeJS.ProcessEnv;
  /** Command-line overrides (`--product_name` ...), as text. */
  readonly overrides?: Readonly<Partial<Record<keyof ProxyConfig, string>>>;
}

/** defaults < file < environment < overrides, validated. */
export function loadProxyConfig(options: LoadProxyConfigOptions = {}): ProxyConfig {
  let config = defaultProxyConfig();
  if (options.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (error) {
      throw new ProxyConfigError(`load config '${options.file}' failed: ${(error as Error).message}`);
    }
    config = parseProxyToml(text, options.file, config);
  }
  if (options.env !== undefined) applyProxyEnvironment(config, options.env);
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined) setProxyConfigValue(config, key, value, `--${key}`, true);
  }
  validateProxyConfig(config);
  return config;
}

function displayValue(entry: ProxyConfigKey, value: string | number | boolean): string | number | boolean {
  if (entry.kind === 'size') return formatSize(value as number);
  if (entry.kind === 'duration') return formatDuration(value as number);
  return value;
}

/** The config object of the overview (spec/proxy.md §8.4.2): struct order, canonical text, no secrets. */
export function proxyConfigToJson(config: ProxyConfig): JsonObject {
  const out: JsonObject = {};
  for (const entry of PROXY_CONFIG_KEYS) {
    if (entry.secret) continue;
    out[entry.key] = displayValue(entry, config[entry.key]);
  }
  return out;
}

/** The effective config as TOML (the startup log's dump; includes the passwords, as Codis does). */
export function proxyConfigToToml(config: ProxyConfig, options: { redact?: boolean } = {}): string {
  const lines: string[] = [];
  for (const entry of PROXY_CONFIG_KEYS) {
    let value = displayValue(entry, config[entry.key]);
    if (options.redact === true && entry.secret && value !== '') value = '******';
    lines.push(`${entry.key} = ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  }
  return `${lines.join('\n')}\n`;
}
