// INFO [section ...]: Redis 7.0's sections and field names, with codis-server's own figures
// (memory is the Node process's, honestly reported).

import { arch, release, totalmem, type } from 'node:os';
import { adminState } from '../admin-state.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import type { MemoryFeature } from '../memory/index.ts';
import type { CodisServer } from '../server.ts';
import { trackingFeature } from '../tracking/index.ts';
import { CODIS_VERSION, REDIS_COMPATIBLE_VERSION } from '../version.ts';

/** The pub/sub registry's maps (INFO stats counts them). */
interface PubSubCounts {
  channels: { size: number };
  patterns: { size: number };
}

const DEFAULT_SECTIONS = [
  'server',
  'clients',
  'memory',
  'persistence',
  'stats',
  'replication',
  'cpu',
  'modules',
  'errorstats',
  'cluster',
  'keyspace',
];
const ALL_SECTIONS = [
  'server',
  'clients',
  'memory',
  'persistence',
  'stats',
  'replication',
  'cpu',
  'modules',
  'commandstats',
  'errorstats',
  'latencystats',
  'cluster',
  'keyspace',
];

/** Redis's bytesToHuman. */
export function bytesToHuman(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T', 'P'];
  if (bytes < 1024) return `${bytes}B`;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(2)}${units[unit]}`;
}

type Section = (server: CodisServer) => string[];

/** A counter of the replication feature (0 when it is not installed). */
function replicationStat(server: CodisServer, name: 'syncFull' | 'syncPartialOk' | 'syncPartialErr'): number {
  const replication = server.features.get('replication') as Record<typeof name, number> | undefined;
  return replication?.[name] ?? 0;
}

const SECTIONS: Record<string, Section> = {
  server(server) {
    const now = Date.now();
    const uptime = Math.floor((now - server.stats.startedAt) / 1000);
    const hz = server.config.getNumber('hz');
    return [
      `redis_version:${REDIS_COMPATIBLE_VERSION}`,
      `codis_version:${CODIS_VERSION}`,
      'redis_git_sha1:00000000',
      'redis_git_dirty:0',
      'redis_build_id:0',
      'redis_mode:standalone',
      `os:${type()} ${release()} ${process.arch === 'x64' ? 'x86_64' : arch()}`,
      `arch_bits:${process.arch.includes('64') ? 64 : 32}`,
      'monotonic_clock:POSIX clock_gettime',
      'multiplexing_api:epoll',
      `process_id:${process.pid}`,
      `process_supervised:${server.config.get('supervised')}`,
      `run_id:${adminState(server).runId}`,
      `tcp_port:${server.boundPort}`,
      `server_time_usec:${now * 1000}`,
      `uptime_in_seconds:${uptime}`,
      `uptime_in_days:${Math.floor(uptime / 86400)}`,
      `hz:${hz}`,
      `configured_hz:${hz}`,
      `lru_clock:${Math.floor(now / 1000) & 0xffffff}`,
      `executable:${process.argv[1] ?? process.execPath}`,
      `config_file:${server.config.configFile ?? ''}`,
      'io_threads_active:0',
    ];
  },
  clients(server) {
    return [
      `connected_clients:${server.clients.size}`,
      'cluster_connections:0',
      `maxclients:${server.config.getNumber('maxclients')}`,
      'client_recent_max_input_buffer:0',
      'client_recent_max_output_buffer:0',
      `blocked_clients:${server.blocking.blockedCount}`,
      `tracking_clients:${trackingFeature(server)?.trackingClients ?? 0}`,
      'clients_in_timeout_table:0',
    ];
  },
  memory(server) {
    const memory = memoryReading(server);
    const state = adminState(server);
    if (memory.heapUsed > state.peakMemory) state.peakMemory = memory.heapUsed;
    const maxmemory = server.config.getNumber('maxmemory');
    return [
      `used_memory:${memory.heapUsed}`,
      `used_memory_human:${bytesToHuman(memory.heapUsed)}`,
      `used_memory_rss:${memory.rss}`,
      `used_memory_rss_human:${bytesToHuman(memory.rss)}`,
      `used_memory_peak:${state.peakMemory}`,
      `used_memory_peak_human:${bytesToHuman(state.peakMemory)}`,
      `used_memory_peak_perc:${((memory.heapUsed * 100) / state.peakMemory).toFixed(2)}%`,
      `total_system_memory:${totalmem()}`,
      `maxmemory:${maxmemory}`,
      `maxmemory_human:${bytesToHuman(maxmemory)}`,
      `maxmemory_policy:${server.config.get('maxmemory-policy')}`,
      `mem_fragmentation_ratio:${(memory.rss / memory.heapUsed).toFixed(2)}`,
      `mem_fragmentation_bytes:${memory.rss - memory.heapUsed}`,
      'mem_allocator:v8',
      'lazyfree_pending_objects:0',
    ];
  },
  persistence(server) {
    const persistence = server.features.get('persistence') as { infoLines(): string[] } | undefined;
    if (persistence !== undefined) return persistence.infoLines();
    const lastSave = server.features.get('last-save-time');
    return [
      'loading:0',
      'async_loading:0',
      `rdb_changes_since_last_save:${server.dirty}`,
      'rdb_bgsave_in_progress:0',
      `rdb_last_save_time:${typeof lastSave === 'number' ? lastSave : Math.floor(server.stats.startedAt / 1000)}`,
      'rdb_last_bgsave_status:ok',
      'rdb_last_bgsave_time_sec:-1',
      'rdb_current_bgsave_time_sec:-1',
      `aof_enabled:${server.config.getBoolean('appendonly') ? 1 : 0}`,
      'aof_rewrite_in_progress:0',
      'aof_rewrite_scheduled:0',
      'aof_last_rewrite_time_sec:-1',
      'aof_current_rewrite_time_sec:-1',
      'aof_last_bgrewrite_status:ok',
      'aof_last_write_status:ok',
    ];
  },
  stats(server) {
    const stats = server.stats;
    return [
      `total_connections_received:${stats.totalConnections}`,
      `total_commands_processed:${stats.totalCommands}`,
      `instantaneous_ops_per_sec:${adminState(server).instantaneousOps}`,
      `total_net_input_bytes:${stats.netInputBytes}`,
      `total_net_output_bytes:${stats.netOutputBytes}`,
      'instantaneous_input_kbps:0.00',
      'instantaneous_output_kbps:0.00',
      `rejected_connections:${stats.rejectedConnections}`,
      `sync_full:${replicationStat(server, 'syncFull')}`,
      `sync_partial_ok:${replicationStat(server, 'syncPartialOk')}`,
      `sync_partial_err:${replicationStat(server, 'syncPartialErr')}`,
      `expired_keys:${stats.expiredKeys}`,
      `evicted_keys:${stats.evictedKeys}`,
      `keyspace_hits:${stats.keyspaceHits}`,
      `keyspace_misses:${stats.keyspaceMisses}`,
      `pubsub_channels:${(server.features.get('pubsub') as PubSubCounts | undefined)?.channels.size ?? 0}`,
      `pubsub_patterns:${(server.features.get('pubsub') as PubSubCounts | undefined)?.patterns.size ?? 0}`,
      'latest_fork_usec:0',
      'total_forks:0',
      `tracking_total_keys:${trackingFeature(server)?.totalKeys ?? 0}`,
      `tracking_total_items:${trackingFeature(server)?.totalItems ?? 0}`,
      `tracking_total_prefixes:${trackingFeature(server)?.totalPrefixes ?? 0}`,
      `total_error_replies:${stats.errorReplies}`,
    ];
  },
  replication(server) {
    const replication = server.features.get('replication') as { infoLines(): string[] } | undefined;
    if (replication !== undefined) return replication.infoLines();
    return [
      `role:${server.role}`,
      'connected_slaves:0',
      `master_replid:${adminState(server).replicationId}`,
      'master_replid2:0000000000000000000000000000000000000000',
      'master_repl_offset:0',
      'second_repl_offset:-1',
      'repl_backlog_active:0',
      `repl_backlog_size:${server.config.getNumber('repl-backlog-size')}`,
      'repl_backlog_first_byte_offset:0',
      'repl_backlog_histlen:0',
    ];
  },
  cpu() {
    const usage = process.cpuUsage();
    return [
      `used_cpu_sys:${(usage.system / 1e6).toFixed(6)}`,
      `used_cpu_user:${(usage.user / 1e6).toFixed(6)}`,
      'used_cpu_sys_children:0.000000',
      'used_cpu_user_children:0.000000',
    ];
  },
  modules() {
    return [];
  },
  commandstats(server) {
    const lines: string[] = [];
    for (const command of server.registry.all()) {
      const stats = command.stats;
      if (stats.calls === 0 && stats.rejectedCalls === 0 && stats.failedCalls === 0) continue;
      const usec = Math.floor(stats.microseconds);
      const perCall = stats.calls === 0 ? 0 : stats.microseconds / stats.calls;
      lines.push(
        `cmdstat_${command.fullName}:calls=${stats.calls},usec=${usec},usec_per_call=${perCall.toFixed(2)},rejected_calls=${stats.rejectedCalls},failed_calls=${stats.failedCalls}`,
      );
    }
    return lines;
  },
  errorstats(server) {
    const lines: string[] = [];
    for (const [code, count] of server.stats.errors) lines.push(`errorstat_${code}:count=${count}`);
    return lines;
  },
  latencystats(server) {
    const percentiles = server.config.get('latency-tracking-info-percentiles').split(' ').filter(Boolean);
    const lines: string[] = [];
    for (const command of server.registry.all()) {
      const histogram = command.stats.histogram;
      if (histogram === undefined || histogram.totalCount === 0) continue;
      const values = percentiles.map(
        (name) => `p${name}=${(histogram.valueAtPercentile(Number(name)) / 1000).toFixed(3)}`,
      );
      lines.push(`latency_percentiles_usec_${command.fullName}:${values.join(',')}`);
    }
    return lines;
  },
  cluster() {
    return ['cluster_enabled:0'];
  },
  keyspace(server) {
    const lines: string[] = [];
    const now = Date.now();
    for (const database of server.databases) {
      if (database.size === 0) continue;
      let ttlSum = 0;
      let counted = 0;
      for (const key of database.volatileKeys) {
        const entry = database.findRaw(key);
        if (entry === undefined || entry.expireAt === 0) continue;
        ttlSum += Math.max(0, entry.expireAt - now);
        if (++counted >= 1000) break;
      }
      const avg = counted === 0 ? 0 : Math.floor(ttlSum / counted);
      lines.push(
        `db${database.index}:keys=${database.size},expires=${database.volatileKeys.size},avg_ttl=${avg}`,
      );
    }
    return lines;
  },
};

const TITLES: Record<string, string> = {
  server: 'Server',
  clients: 'Clients',
  memory: 'Memory',
  persistence: 'Persistence',
  stats: 'Stats',
  replication: 'Replication',
  cpu: 'CPU',
  modules: 'Modules',
  commandstats: 'Commandstats',
  errorstats: 'Errorstats',
  latencystats: 'Latencystats',
  cluster: 'Cluster',
  keyspace: 'Keyspace',
};

/** The INFO text for the requested section names (empty = default). */
export function infoText(server: CodisServer, requested: readonly string[]): string {
  const wanted = new Set<string>();
  if (requested.length === 0) for (const name of DEFAULT_SECTIONS) wanted.add(name);
  for (const raw of requested) {
    const name = raw.toLowerCase();
    if (name === 'default') for (const each of DEFAULT_SECTIONS) wanted.add(each);
    else if (name === 'all' || name === 'everything') for (const each of ALL_SECTIONS) wanted.add(each);
    else if (name === 'module_list') wanted.add('modules');
    else wanted.add(name);
  }
  let text = '';
  for (const name of ALL_SECTIONS) {
    if (!wanted.has(name)) continue;
    const section = SECTIONS[name] as Section;
    if (text !== '') text += '\r\n';
    text += `# ${TITLES[name]}\r\n`;
    for (const line of section(server)) text += `${line}\r\n`;
  }
  return text;
}

function info(client: Client, argv: string[]): void {
  client.out.verbatim(infoText(client.server, argv.slice(1)));
}

export const infoCommands: CommandDefinition[] = [{ name: 'info', handler: info }];

/**
 * used_memory as the memory module accounts it (V8 heap without uncollected request garbage), or
 * the raw heap figure when the module is not installed.
 */
function memoryReading(server: CodisServer): { heapUsed: number; rss: number } {
  const feature = server.features.get('memory') as MemoryFeature | undefined;
  if (feature === undefined) {
    const usage = process.memoryUsage();
    return { heapUsed: usage.heapUsed, rss: usage.rss };
  }
  return { heapUsed: feature.accounting.used(), rss: feature.accounting.rss() };
}
