// dashboard.toml (spec/control-plane.md §12.1): defaults < TOML file < environment
// (CODIS_DASHBOARD_<KEY>) < command-line flags, then Codis's validation (`invalid <key>`). Unlike
// Codis, an unknown key or a value of the wrong type is an error that names the key.
//
// `admin_secret` is ours: when set, every state-changing route also needs the header
// `X-Codis-Admin-Secret: <secret>` (the product-name xauth alone is public knowledge).

import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { formatDuration, formatSize, parseDuration, parseSize, UnitFormatError } from '../common/units.ts';
import type { JsonObject } from '../models/index.ts';
import { isValidProductName } from '../models/index.ts';

export interface DashboardConfig {
  coordinator_name: string;
  coordinator_addr: string;
  coordinator_auth: string;
  product_name: string;
  product_auth: string;
  admin_addr: string;
  admin_secret: string;
  migration_method: string;
  migration_parallel_slots: number;
  migration_async_maxbulks: number;
  /** Bytes. */
  migration_async_maxbytes: number;
  migration_async_numkeys: number;
  /** Milliseconds (as every duration below). */
  migration_timeout: number;
  sentinel_client_timeout: number;
  sentinel_quorum: number;
  sentinel_parallel_syncs: number;
  sentinel_down_after: number;
  sentinel_failover_timeout: number;
  sentinel_notification_script: string;
  sentinel_client_reconfig_script: string;
}

type Kind = 'string' | 'int' | 'size' | 'duration';

interface KeySpec {
  readonly key: keyof DashboardConfig;
  readonly kind: Kind;
  readonly comment: string;
  /** Written to the overview JSON (`GET /topom`); secrets are not. */
  readonly hidden?: boolean;
  /** Printed before the key in --default-config (a section heading). */
  readonly section?: string;
}

export const DASHBOARD_CONFIG_KEYS: readonly KeySpec[] = [
  {
    key: 'coordinator_name',
    kind: 'string',
    section: 'Set Coordinator, only accept "zookeeper", "etcd" & "filesystem".',
    comment: 'For zookeeper/etcd, coordinator_auth accepts "user:password".',
  },
  { key: 'coordinator_addr', kind: 'string', comment: '' },
  { key: 'coordinator_auth', kind: 'string', comment: '' },
  {
    key: 'product_name',
    kind: 'string',
    section: 'Set Codis Product Name/Auth.',
    comment: '',
  },
  { key: 'product_auth', kind: 'string', comment: '', hidden: true },
  { key: 'admin_addr', kind: 'string', section: 'Set bind address for admin(rpc), tcp only.', comment: '' },
  {
    key: 'admin_secret',
    kind: 'string',
    hidden: true,
    comment:
      'Not in Codis: when non-empty, every state-changing API call must send the header\nX-Codis-Admin-Secret with this value (401 otherwise).',
  },
  {
    key: 'migration_method',
    kind: 'string',
    section: "Set arguments for data migration (only accept 'sync' & 'semi-async').",
    comment: '',
  },
  { key: 'migration_parallel_slots', kind: 'int', comment: '' },
  { key: 'migration_async_maxbulks', kind: 'int', comment: '' },
  { key: 'migration_async_maxbytes', kind: 'size', comment: '' },
  { key: 'migration_async_numkeys', kind: 'int', comment: '' },
  { key: 'migration_timeout', kind: 'duration', comment: '' },
  {
    key: 'sentinel_client_timeout',
    kind: 'duration',
    section: 'Set configs for redis sentinel.',
    comment: '',
  },
  { key: 'sentinel_quorum', kind: 'int', comment: '' },
  { key: 'sentinel_parallel_syncs', kind: 'int', comment: '' },
  { key: 'sentinel_down_after', kind: 'duration', comment: '' },
  { key: 'sentinel_failover_timeout', kind: 'duration', comment: '' },
  { key: 'sentinel_notification_script', kind: 'string', comment: '' },
  { key: 'sentinel_client_reconfig_script', kind: 'string', comment: '' },
];

const KEY_MAP = new Map(DASHBOARD_CONFIG_KEYS.map((spec) => [spec.key as string, spec]));

export function defaultDashboardConfig(): DashboardConfig {
  return {
    coordinator_name: 'filesystem',
    coordinator_addr: '/tmp/codis',
    coordinator_auth: '',
    product_name: 'codis-demo',
    product_auth: '',
    admin_addr: '0.0.0.0:18080',
    admin_secret: '',
    migration_method: 'semi-async',
    migration_parallel_slots: 100,
    migration_async_maxbulks: 200,
    migration_async_maxbytes: 32 * 1024 * 1024,
    migration_async_numkeys: 500,
    migration_timeout: 30_000,
    sentinel_client_timeout: 10_000,
    sentinel_quorum: 2,
    sentinel_parallel_syncs: 1,
    sentinel_down_after: 30_000,
    sentinel_failover_timeout: 300_000,
    sentinel_notification_script: '',
    sentinel_client_reconfig_script: '',
  };
}

export class DashboardConfigError extends Error {
  readonly code = 'ERR_DASHBOARD_CONFIG';
  readonly key: string | undefined;
  constructor(message: string, key?: string) {
    super(message);
    this.name = 'DashboardConfigError';
    this.key = key;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'a table';
  return String(value);
}

function convert(spec: KeySpec, value: unknown, source: string, fromText: boolean): string | number {
  const where = `${source}: ${spec.key}`;
  const fail = (expected: string): never => {
    throw new DashboardConfigError(`${where}: expected ${expected}, got ${describe(value)}`, spec.key);
  };
  switch (spec.kind) {
    case 'string':
      return typeof value === 'string' ? value : fail('a string');
    case 'int':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      if (fromText && typeof value === 'string' && /^[+-]?\d+$/.test(value.trim()))
        return Number(value.trim());
      return fail('an integer');
    case 'size':
    case 'duration': {
      if (typeof value === 'number' && Number.isFinite(value)) {
        return spec.kind === 'size' ? Math.trunc(value) : value * 1000;
      }
      if (typeof value !== 'string') {
        return fail(spec.kind === 'size' ? 'a size such as "32mb"' : 'a duration such as "30s"');
      }
      try {
        return spec.kind === 'size' ? parseSize(value) : parseDuration(value);
      } catch (error) {
        if (error instanceof UnitFormatError)
          throw new DashboardConfigError(`${where}: ${error.message}`, spec.key);
        throw error;
      }
    }
  }
}

/** Sets one key; an unknown key is an error naming it. */
export function setDashboardConfigValue(
  config: DashboardConfig,
  key: string,
  value: unknown,
  source: string,
  fromText = false,
): void {
  const spec = KEY_MAP.get(key);
  if (spec === undefined) throw new DashboardConfigError(`${source}: unknown key '${key}'`, key);
  (config as unknown as Record<string, string | number>)[key] = convert(spec, value, source, fromText);
}

export function parseDashboardToml(
  text: string,
  source = 'dashboard.toml',
  base: DashboardConfig = defaultDashboardConfig(),
): DashboardConfig {
  let document: Record<string, unknown>;
  try {
    document = parseToml(text) as Record<string, unknown>;
  } catch (error) {
    throw new DashboardConfigError(`${source}: ${(error as Error).message}`);
  }
  const config = { ...base };
  for (const [key, value] of Object.entries(document)) setDashboardConfigValue(config, key, value, source);
  return config;
}

export function loadDashboardConfigFile(path: string, base?: DashboardConfig): DashboardConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DashboardConfigError(`cannot read ${path}: ${(error as Error).message}`);
  }
  return parseDashboardToml(text, path, base);
}

export const DASHBOARD_ENV_PREFIX = 'CODIS_DASHBOARD_';

/** Overlays `CODIS_DASHBOARD_<KEY>` variables; an unknown one is an error naming it. */
export function applyDashboardEnvironment(config: DashboardConfig, env: NodeJS.ProcessEnv): void {
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(DASHBOARD_ENV_PREFIX) || value === undefined) continue;
    const key = name.slice(DASHBOARD_ENV_PREFIX.length).toLowerCase();
    if (!KEY_MAP.has(key)) throw new DashboardConfigError(`environment: unknown variable ${name}`, key);
    setDashboardConfigValue(config, key, value, `environment ${name}`, true);
  }
}

/** Codis's Config.Validate, in its order. */
export function validateDashboardConfig(c: DashboardConfig): void {
  const fail = (key: string): never => {
    throw new DashboardConfigError(`invalid ${key}`, key);
  };
  if (c.coordinator_name === '') fail('coordinator_name');
  if (c.coordinator_addr === '') fail('coordinator_addr');
  if (c.admin_addr === '') fail('admin_addr');
  if (c.product_name === '' || !isValidProductName(c.product_name)) fail('product_name');
  const method = c.migration_method.toLowerCase();
  if (method !== 'sync' && method !== 'semi-async') fail('migration_method');
  c.migration_method = method;
  if (c.migration_parallel_slots <= 0) fail('migration_parallel_slots');
  if (c.migration_async_maxbulks <= 0) fail('migration_async_maxbulks');
  if (c.migration_async_maxbytes <= 0) fail('migration_async_maxbytes');
  if (c.migration_async_numkeys <= 0) fail('migration_async_numkeys');
  if (c.migration_timeout <= 0) fail('migration_timeout');
  if (c.sentinel_client_timeout <= 0) fail('sentinel_client_timeout');
  if (c.sentinel_quorum <= 0) fail('sentinel_quorum');
  if (c.sentinel_parallel_syncs <= 0) fail('sentinel_parallel_syncs');
  if (c.sentinel_down_after <= 0) fail('sentinel_down_after');
  if (c.sentinel_failover_timeout <= 0) fail('sentinel_failover_timeout');
}

function tomlValue(spec: KeySpec, value: string | number): string {
  if (spec.kind === 'size') return JSON.stringify(formatSize(value as number));
  if (spec.kind === 'duration') return JSON.stringify(formatDuration(value as number));
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

/** The config as TOML with comments: `--default-config` prints it for the defaults. */
export function dashboardConfigToml(config: DashboardConfig = defaultDashboardConfig()): string {
  const lines: string[] = [
    '##################################################',
    '#                                                #',
    '#                  Codis-Dashboard               #',
    '#                                                #',
    '##################################################',
    '',
  ];
  for (const spec of DASHBOARD_CONFIG_KEYS) {
    if (spec.section !== undefined) {
      if (lines.at(-1) !== '') lines.push('');
      lines.push(`# ${spec.section}`);
    }
    if (spec.comment !== '') for (const line of spec.comment.split('\n')) lines.push(`# ${line}`);
    lines.push(`${spec.key} = ${tomlValue(spec, config[spec.key])}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The overview's `config` object (spec §6.3): durations and sizes as text; secrets left out. */
export function dashboardConfigJson(config: DashboardConfig): JsonObject {
  const out: JsonObject = {};
  for (const spec of DASHBOARD_CONFIG_KEYS) {
    if (spec.hidden === true) continue;
    const value = config[spec.key];
    if (spec.kind === 'size') out[spec.key] = formatSize(value as number);
    else if (spec.kind === 'duration') out[spec.key] = formatDuration(value as number);
    else out[spec.key] = value;
  }
  return out;
}
