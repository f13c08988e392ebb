// The configuration parameters codis-server understands: redis.conf directives, `--name value`
// flags and CONFIG GET/SET all go through this one table. Names and formats follow Redis 7.

import { normalizeKeyspaceEvents } from '../notifications.ts';
import { parseMemory } from './values.ts';

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
  /**
   * A parameter's own check and canonical form, given its value before (some values change only
   * part of it); throws an Error with Redis's message.
   */
  normalize?: (raw: string, current: string) => string;
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

/** A boolean that codis-server cannot honour when `yes`: refused with `message`. */
function onlyNo(message: string): (raw: string) => string {
  return (raw) => {
    const lower = raw.toLowerCase();
    if (lower !== 'yes' && lower !== 'no') throw new Error("argument must be 'yes' or 'no'");
    if (lower === 'yes') throw new Error(message);
    return lower;
  };
}

const OUTPUT_BUFFER_CLASSES = ['normal', 'slave', 'pubsub'] as const;

/**
 * client-output-buffer-limit: `<class> <hard> <soft> <seconds>` groups (class normal, replica or
 * slave, pubsub; sizes with memory units) change those classes of the current value; printed with
 * every class, as Redis prints it.
 */
function normalizeOutputBufferLimit(raw: string, current: string): string {
  const words = raw
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '');
  const invalid = 'Wrong number of arguments in buffer limit configuration.';
  if (words.length === 0 || words.length % 4 !== 0) throw new Error(invalid);
  const limits = new Map<string, string>();
  const now = current.split(' ');
  for (let i = 0; i + 3 < now.length; i += 4) limits.set(now[i] as string, now.slice(i + 1, i + 4).join(' '));
  for (let i = 0; i < words.length; i += 4) {
    let name = (words[i] as string).toLowerCase();
    if (name === 'replica') name = 'slave';
    if (!(OUTPUT_BUFFER_CLASSES as readonly string[]).includes(name))
      throw new Error('Invalid client class specified in buffer limit configuration.');
    const hard = parseMemory(words[i + 1] as string);
    const soft = parseMemory(words[i + 2] as string);
    const seconds = words[i + 3] as string;
    if (hard === undefined || soft === undefined || hard < 0 || soft < 0 || !/^\d+$/.test(seconds))
      throw new Error('Error in hard, soft or soft_seconds setting in buffer limit configuration.');
    limits.set(name, `${hard} ${soft} ${Number(seconds)}`);
  }
  return OUTPUT_BUFFER_CLASSES.map((name) => `${name} ${limits.get(name) ?? '0 0 0'}`).join(' ');
}

/** oom-score-adj-values: three integers within [-2000, 2000]. */
function normalizeOomScoreAdjValues(raw: string): string {
  const words = raw
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '');
  if (words.length !== 3 || words.some((word) => !/^-?\d+$/.test(word)))
    throw new Error('Invalid oom-score-adj-values, elements must be between -2000 and 2000.');
  const values = words.map(Number);
  if (values.some((value) => value < -2000 || value > 2000))
    throw new Error('Invalid oom-score-adj-values, elements must be between -2000 and 2000.');
  return values.join(' ');
}

/** shutdown-on-sigint/-sigterm: `default`, or any of save, nosave, now, force. */
function normalizeShutdownFlags(raw: string): string {
  const words = raw
    .trim()
    .toLowerCase()
    .split(/\s+/)
    .filter((word) => word !== '');
  const allowed = ['default', 'save', 'nosave', 'now', 'force'];
  if (words.length === 0 || words.some((word) => !allowed.includes(word)))
    throw new Error(`argument(s) must be one of the following: ${allowed.join(', ')}`);
  if (words.includes('default') && words.length > 1)
    throw new Error('argument(s) must be one of the following: default, save, nosave, now, force');
  if (words.includes('save') && words.includes('nosave'))
    throw new Error("Can't set 'save' and 'nosave' together");
  return words.join(' ');
}

/** A port that must stay 0: TLS is not part of codis-server. */
function tlsPort(raw: string): string {
  if (!/^-?\d+$/.test(raw)) throw new Error("argument couldn't be parsed into an integer");
  const value = Number(raw);
  if (value < 0 || value > 65535) throw new Error('argument must be between 0 and 65535 inclusive');
  if (value !== 0) throw new Error('TLS is not supported by codis-server: only tls-port 0');
  return String(value);
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
  parameter('hash-max-listpack-entries', 'integer', '512', true, {
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
  parameter('latency-tracking-info-percentiles', 'list', '50 99 99.9', true, {
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
  parameter('unixsocketperm', 'integer', '0', false, { min: 0, max: 0o777 }),
  parameter(
    'client-output-buffer-limit',
    'list',
    'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60',
    true,
    {
      normalize: normalizeOutputBufferLimit,
    },
  ),
  parameter('shutdown-on-sigint', 'list', 'default', true, { normalize: normalizeShutdownFlags }),
  parameter('shutdown-on-sigterm', 'list', 'default', true, { normalize: normalizeShutdownFlags }),
  parameter('shutdown-timeout', 'integer', '10', true, { min: 0, max: INT_MAX }),
  parameter('sanitize-dump-payload', 'enum', 'no', true, { values: ['no', 'yes', 'clients'] }),
  parameter('repl-diskless-load', 'enum', 'disabled', true, {
    values: ['disabled', 'on-empty-db', 'swapdb'],
  }),
  parameter('repl-diskless-sync-max-replicas', 'integer', '0', true, { min: 0, max: INT_MAX }),
  parameter('repl-backlog-ttl', 'integer', '3600', true, { min: 0, max: LONG_MAX }),
  parameter('repl-disable-tcp-nodelay', 'boolean', 'no', true),
  parameter('replica-lazy-flush', 'boolean', 'no', true, { aliases: ['slave-lazy-flush'] }),
  parameter('replica-ignore-maxmemory', 'boolean', 'yes', true, { aliases: ['slave-ignore-maxmemory'] }),
  parameter('replica-announced', 'boolean', 'yes', true),
  parameter('replica-ignore-disk-write-errors', 'boolean', 'no', true),
  parameter('propagation-error-behavior', 'enum', 'ignore', true, {
    values: ['ignore', 'panic', 'panic-on-replicas'],
  }),
  parameter('no-appendfsync-on-rewrite', 'boolean', 'no', true),
  parameter('aof-rewrite-incremental-fsync', 'boolean', 'yes', true),
  parameter('rdb-save-incremental-fsync', 'boolean', 'yes', true),
  parameter('rdb-del-sync-files', 'boolean', 'no', true),
  parameter('aof-disable-auto-gc', 'boolean', 'no', true),
  parameter('aof-timestamp-enabled', 'boolean', 'no', true, {
    normalize: onlyNo('codis-server writes no AOF timestamp annotations: aof-timestamp-enabled must be no'),
  }),
  parameter('activerehashing', 'boolean', 'yes', true),
  parameter('dynamic-hz', 'boolean', 'yes', true),
  parameter('jemalloc-bg-thread', 'boolean', 'yes', true),
  parameter('io-threads-do-reads', 'boolean', 'no', false),
  parameter('activedefrag', 'boolean', 'no', true, {
    normalize: onlyNo(
      'Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution',
    ),
  }),
  parameter('active-defrag-ignore-bytes', 'memory', '104857600', true, { min: 1, max: LONG_MAX }),
  parameter('active-defrag-threshold-lower', 'integer', '10', true, { min: 0, max: 1000 }),
  parameter('active-defrag-threshold-upper', 'integer', '100', true, { min: 0, max: 1000 }),
  parameter('active-defrag-cycle-min', 'integer', '1', true, { min: 1, max: 99 }),
  parameter('active-defrag-cycle-max', 'integer', '25', true, { min: 1, max: 99 }),
  parameter('active-defrag-max-scan-fields', 'integer', '1000', true, { min: 1, max: LONG_MAX }),
  parameter('always-show-logo', 'boolean', 'no', false),
  parameter('set-proc-title', 'boolean', 'yes', false),
  parameter('proc-title-template', 'string', '{title} {listen-addr} {server-mode}', true),
  parameter('crash-log-enabled', 'boolean', 'yes', true),
  parameter('crash-memcheck-enabled', 'boolean', 'yes', true),
  parameter('disable-thp', 'boolean', 'yes', false),
  parameter('oom-score-adj', 'enum', 'no', true, { values: ['no', 'yes', 'relative', 'absolute'] }),
  parameter('oom-score-adj-values', 'list', '0 200 800', true, { normalize: normalizeOomScoreAdjValues }),
  parameter('server_cpulist', 'string', '', false),
  parameter('bio_cpulist', 'string', '', false),
  parameter('aof_rewrite_cpulist', 'string', '', false),
  parameter('bgsave_cpulist', 'string', '', false),
  parameter('ignore-warnings', 'string', '', true),
  parameter('enable-protected-configs', 'enum', 'no', false, { values: ['no', 'yes', 'local'] }),
  parameter('bind-source-addr', 'string', '', true),
  parameter('socket-mark-id', 'integer', '0', true, { min: 0, max: INT_MAX }),
  parameter('syslog-enabled', 'boolean', 'no', false, {
    normalize: onlyNo('codis-server does not log to syslog: syslog-enabled must be no (use logfile)'),
  }),
  parameter('syslog-ident', 'string', 'redis', false),
  parameter('syslog-facility', 'enum', 'local0', false, {
    values: ['user', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'],
  }),
  // Cluster mode: Codis partitions by slot itself; a Redis Cluster node cannot be started.
  parameter('cluster-enabled', 'boolean', 'no', false, {
    normalize: onlyNo(
      'cluster mode is not supported by codis-server (Codis routes by slot): cluster-enabled must be no',
    ),
  }),
  parameter('cluster-config-file', 'string', 'nodes.conf', false),
  parameter('cluster-port', 'integer', '0', false, { min: 0, max: 65535 }),
  parameter('cluster-node-timeout', 'integer', '15000', true, { min: 0, max: LONG_MAX }),
  parameter('cluster-announce-ip', 'string', '', true),
  parameter('cluster-announce-hostname', 'string', '', true),
  parameter('cluster-announce-port', 'integer', '0', true, { min: 0, max: 65535 }),
  parameter('cluster-announce-bus-port', 'integer', '0', true, { min: 0, max: 65535 }),
  parameter('cluster-announce-tls-port', 'integer', '0', true, { min: 0, max: 65535 }),
  parameter('cluster-require-full-coverage', 'boolean', 'yes', true),
  parameter('cluster-replica-no-failover', 'boolean', 'no', true, { aliases: ['cluster-slave-no-failover'] }),
  parameter('cluster-replica-validity-factor', 'integer', '10', true, {
    min: 0,
    max: INT_MAX,
    aliases: ['cluster-slave-validity-factor'],
  }),
  parameter('cluster-migration-barrier', 'integer', '1', true, { min: 0, max: INT_MAX }),
  parameter('cluster-allow-replica-migration', 'boolean', 'yes', true),
  parameter('cluster-allow-reads-when-down', 'boolean', 'no', true),
  parameter('cluster-allow-pubsubshard-when-down', 'boolean', 'yes', true),
  parameter('cluster-link-sendbuf-limit', 'memory', '0', true, { min: 0, max: LONG_MAX }),
  parameter('cluster-preferred-endpoint-type', 'enum', 'ip', true, {
    values: ['ip', 'hostname', 'unknown-endpoint'],
  }),
  // TLS: not part of codis-server; the files may be named, the ports must stay 0.
  parameter('tls-port', 'integer', '0', false, { normalize: tlsPort }),
  parameter('tls-replication', 'boolean', 'no', true, {
    normalize: onlyNo('TLS is not supported by codis-server'),
  }),
  parameter('tls-cluster', 'boolean', 'no', true, {
    normalize: onlyNo('TLS is not supported by codis-server'),
  }),
  parameter('tls-auth-clients', 'enum', 'yes', true, { values: ['no', 'yes', 'optional'] }),
  parameter('tls-cert-file', 'string', '', true),
  parameter('tls-key-file', 'string', '', true),
  parameter('tls-key-file-pass', 'string', '', true),
  parameter('tls-client-cert-file', 'string', '', true),
  parameter('tls-client-key-file', 'string', '', true),
  parameter('tls-client-key-file-pass', 'string', '', true),
  parameter('tls-dh-params-file', 'string', '', true),
  parameter('tls-ca-cert-file', 'string', '', true),
  parameter('tls-ca-cert-dir', 'string', '', true),
  parameter('tls-protocols', 'string', '', true),
  parameter('tls-ciphers', 'string', '', true),
  parameter('tls-ciphersuites', 'string', '', true),
  parameter('tls-prefer-server-ciphers', 'boolean', 'no', true),
  parameter('tls-session-caching', 'boolean', 'yes', true),
  parameter('tls-session-cache-size', 'integer', '20480', true, { min: 0, max: INT_MAX }),
  parameter('tls-session-cache-timeout', 'integer', '300', true, { min: 0, max: INT_MAX }),
];

const BY_NAME = new Map<string, ConfigParameter>();
for (const entry of CONFIG_PARAMETERS) {
  BY_NAME.set(entry.name, entry);
  for (const alias of entry.aliases ?? []) BY_NAME.set(alias, entry);
}

export function configParameter(name: string): ConfigParameter | undefined {
  return BY_NAME.get(name.toLowerCase());
}
