// The configuration parameters codis-server understands: redis.conf directives, `--name value`
// flags and CONFIG GET/SET all go through this one table. Names and formats follow Redis 7.

import { normalizeKeyspaceEvents } from '../notifications.ts';

export type ConfigKind = 'string' | 'integer' | 'boolean' | 'memory' | 'enum' | 'save' | 'list';

export interface ConfigParameter {
  name: string;
  kind: ConfigKind;
  default: string;
  /** Whether CONFIG SET may change it at run time. */
  mutable: boolean;
  aliases?: readonly string[];
  /** Allowed values for enums (lowercase). */
  values?: readonly string[];
  min?: number;
  max?: number;
  /** A parameter's own check and canonical form; throws an Error with Redis's message. */
  normalize?: (raw: string) => string;
}

const INT_MAX = 2147483647;
const LONG_MAX = Number.MAX_SAFE_INTEGER;

function parameter(
  name: string,
  kind: ConfigKind,
  defaultValue: string,
  mutable: boolean,
  extra: Partial<ConfigParameter> = {},
): ConfigParameter {
  return { name, kind, default: defaultValue, mutable, ...extra };
}

/** latency-tracking-info-percentiles: numbers within [0, 100], separated by spaces (Redis's messages). */
function normalizePercentiles(raw: string): string {
  const words = raw.split(' ').filter((word) => word !== '');
  for (const word of words) {
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(word))
      throw new Error('Invalid latency-tracking-info-percentiles parameters');
    const value = Number(word);
    if (!(value >= 0 && value <= 100))
      throw new Error('latency-tracking-info-percentiles parameters should sit between [0.0,100.0]');
  }
  return words.map((word) => String(Number(word))).join(' ');
}

export const CONFIG_PARAMETERS: readonly ConfigParameter[] = [
  parameter('port', 'integer', '6379', true, { min: 0, max: 65535 }),
  parameter('bind', 'list', '127.0.0.1', true),
  parameter('requirepass', 'string', '', true),
  parameter('aclfile', 'string', '', false),
  parameter('acllog-max-len', 'integer', '128', true, { min: 0, max: LONG_MAX }),
  parameter('acl-pubsub-default', 'enum', 'resetchannels', true, {
    values: ['allchannels', 'resetchannels'],
  }),
  // codis: the password this server sends to migration targets (SLOTSMGRT*); empty = its own
  // requirepass, Codis 3.2's only behaviour, which forced every group to share one password.
  parameter('migration-target-auth', 'string', '', true),
  // `replicaof <host> <port>`: set by REPLICAOF (so CONFIG REWRITE keeps it), read at start.
  parameter('replicaof', 'list', '', false, { aliases: ['slaveof'] }),
  parameter('masterauth', 'string', '', true),
  parameter('masteruser', 'string', '', true),
  parameter('databases', 'integer', '16', false, { min: 1, max: INT_MAX }),
  parameter('dir', 'string', '.', true),
  parameter('dbfilename', 'string', 'dump.rdb', true),
  parameter('pidfile', 'string', '', false),
  parameter('logfile', 'string', '', false),
  parameter('loglevel', 'enum', 'notice', true, {
    values: ['debug', 'verbose', 'notice', 'warning', 'nothing'],
  }),
  parameter('daemonize', 'boolean', 'no', false),
  parameter('protected-mode', 'boolean', 'yes', true),
  parameter('maxmemory', 'memory', '0', true, { min: 0, max: LONG_MAX }),
  parameter('maxmemory-policy', 'enum', 'noeviction', true, {
    values: [
      'volatile-lru',
      'volatile-lfu',
      'volatile-random',
      'volatile-ttl',
      'allkeys-lru',
      'allkeys-lfu',
      'allkeys-random',
      'noeviction',
    ],
  }),
  parameter('maxmemory-clients', 'memory', '0', true, { min: 0, max: LONG_MAX }),
  parameter('maxmemory-samples', 'integer', '5', true, { min: 1, max: INT_MAX }),
  parameter('maxmemory-eviction-tenacity', 'integer', '10', true, { min: 0, max: 100 }),
  parameter('lfu-log-factor', 'integer', '10', true, { min: 0, max: INT_MAX }),
  parameter('lfu-decay-time', 'integer', '1', true, { min: 0, max: INT_MAX }),
  parameter('maxclients', 'integer', '10000', true, { min: 1, max: INT_MAX }),
  parameter('timeout', 'integer', '0', true, { min: 0, max: INT_MAX }),
  parameter('tcp-keepalive', 'integer', '300', true, { min: 0, max: INT_MAX }),
  parameter('tcp-backlog', 'integer', '511', false, { min: 0, max: INT_MAX }),
  parameter('hz', 'integer', '10', true, { min: 1, max: 500 }),
  parameter('proto-max-bulk-len', 'memory', '536870912', true, { min: 1024 * 1024, max: LONG_MAX }),
  parameter('client-query-buffer-limit', 'memory', '1073741824', true, { min: 1024 * 1024, max: LONG_MAX }),
  parameter('active-expire-effort', 'integer', '1', true, { min: 1, max: 10 }),
  parameter('slowlog-log-slower-than', 'integer', '10000', true, { min: -1, max: LONG_MAX }),
  parameter('slowlog-max-len', 'integer', '128', true, { min: 0, max: LONG_MAX }),
  parameter('latency-monitor-threshold', 'integer', '0', true, { min: 0, max: LONG_MAX }),
  parameter('notify-keyspace-events', 'string', '', true, { normalize: normalizeKeyspaceEvents }),
  parameter('save', 'save', '3600 1 300 100 60 10000', true),
  parameter('appendonly', 'boolean', 'no', true),
  parameter('appendfilename', 'string', 'appendonly.aof', false),
  parameter('appenddirname', 'string', 'appendonlydir', false),
  parameter('appendfsync', 'enum', 'everysec', true, { values: ['always', 'everysec', 'no'] }),
  parameter('replica-read-only', 'boolean', 'yes', true, { aliases: ['slave-read-only'] }),
  parameter('replica-serve-stale-data', 'boolean', 'yes', true, { aliases: ['slave-serve-stale-data'] }),
  parameter('replica-priority', 'integer', '100', true, {
    min: 0,
    max: INT_MAX,
    aliases: ['slave-priority'],
  }),
  parameter('replica-announce-ip', 'string', '', true, { aliases: ['slave-announce-ip'] }),
  parameter('replica-announce-port', 'integer', '0', true, {
    min: 0,
    max: 65535,
    aliases: ['slave-announce-port'],
  }),
  parameter('repl-backlog-size', 'memory', '1048576', true, { min: 1, max: LONG_MAX }),
  parameter('repl-timeout', 'integer', '60', true, { min: 1, max: INT_MAX }),
  parameter('repl-ping-replica-period', 'integer', '10', true, {
    min: 1,
    max: INT_MAX,
    aliases: ['repl-ping-slave-period'],
  }),
  parameter('repl-diskless-sync', 'boolean', 'yes', true),
  parameter('repl-diskless-sync-delay', 'integer', '5', true, { min: 0, max: INT_MAX }),
  parameter('min-replicas-to-write', 'integer', '0', true, {
    min: 0,
    max: INT_MAX,
    aliases: ['min-slaves-to-write'],
  }),
  parameter('min-replicas-max-lag', 'integer', '10', true, {
    min: 0,
    max: INT_MAX,
    aliases: ['min-slaves-max-lag'],
  }),
  parameter('list-max-listpack-size', 'integer', '-2', true, {
    min: -5,
    max: INT_MAX,
    aliases: ['list-max-ziplist-size'],
  }),
  parameter('list-compress-depth', 'integer', '0', true, { min: 0, max: INT_MAX }),
  parameter('hash-max-listpack-entries', 'integer', '128', true, {
    min: 0,
    max: LONG_MAX,
    aliases: ['hash-max-ziplist-entries'],
  }),
  parameter('hash-max-listpack-value', 'integer', '64', true, {
    min: 0,
    max: LONG_MAX,
    aliases: ['hash-max-ziplist-value'],
  }),
  parameter('set-max-intset-entries', 'integer', '512', true, { min: 0, max: LONG_MAX }),
  parameter('zset-max-listpack-entries', 'integer', '128', true, {
    min: 0,
    max: LONG_MAX,
    aliases: ['zset-max-ziplist-entries'],
  }),
  parameter('zset-max-listpack-value', 'integer', '64', true, {
    min: 0,
    max: LONG_MAX,
    aliases: ['zset-max-ziplist-value'],
  }),
  parameter('latency-tracking', 'boolean', 'yes', true),
  parameter('latency-tracking-info-percentiles', 'string', '50 99 99.9', true, {
    normalize: normalizePercentiles,
  }),
  parameter('tracking-table-max-keys', 'integer', '1000000', true, { min: 0, max: LONG_MAX }),
  parameter('stream-node-max-bytes', 'memory', '4096', true, { min: 0, max: LONG_MAX }),
  parameter('stream-node-max-entries', 'integer', '100', true, { min: 0, max: LONG_MAX }),
  parameter('hll-sparse-max-bytes', 'memory', '3000', true, { min: 0, max: LONG_MAX }),
  parameter('lazyfree-lazy-user-del', 'boolean', 'no', true),
  parameter('lazyfree-lazy-user-flush', 'boolean', 'no', true),
  parameter('lazyfree-lazy-eviction', 'boolean', 'no', true),
  parameter('lazyfree-lazy-expire', 'boolean', 'no', true),
  parameter('lazyfree-lazy-server-del', 'boolean', 'no', true),
  parameter('io-threads', 'integer', '1', false, { min: 1, max: 128 }),
  parameter('busy-reply-threshold', 'integer', '5000', true, {
    min: 0,
    max: LONG_MAX,
    aliases: ['lua-time-limit'],
  }),
  parameter('rdbcompression', 'boolean', 'yes', true),
  parameter('rdbchecksum', 'boolean', 'yes', false),
  parameter('stop-writes-on-bgsave-error', 'boolean', 'yes', true),
  parameter('aof-use-rdb-preamble', 'boolean', 'yes', true),
  parameter('aof-load-truncated', 'boolean', 'yes', true),
  parameter('auto-aof-rewrite-percentage', 'integer', '100', true, { min: 0, max: INT_MAX }),
  parameter('auto-aof-rewrite-min-size', 'memory', '67108864', true, { min: 0, max: LONG_MAX }),
  parameter('enable-debug-command', 'enum', 'no', false, { values: ['no', 'yes', 'local'] }),
  parameter('enable-module-command', 'enum', 'no', false, { values: ['no', 'yes', 'local'] }),
  parameter('supervised', 'enum', 'no', false, { values: ['upstart', 'systemd', 'auto', 'no'] }),
  parameter('unixsocket', 'string', '', false),
];

const BY_NAME = new Map<string, ConfigParameter>();
for (const entry of CONFIG_PARAMETERS) {
  BY_NAME.set(entry.name, entry);
  for (const alias of entry.aliases ?? []) BY_NAME.set(alias, entry);
}

export function configParameter(name: string): ConfigParameter | undefined {
  return BY_NAME.get(name.toLowerCase());
}
