// The proxy.toml schema: every key, its kind, and the order Codis's Config struct gives them (the
// order of the startup TOML dump and of the config JSON, spec/proxy.md §8.4.2 and §12.3).

import type { ProxyConfig } from './types.ts';

export type ProxyConfigKind = 'string' | 'int' | 'bool' | 'size' | 'duration';

export interface ProxyConfigKey {
  readonly key: keyof ProxyConfig;
  readonly kind: ProxyConfigKind;
  /** Never shown in the config JSON (passwords). */
  readonly secret?: true;
}

/** Struct order of Codis's proxy Config. */
export const PROXY_CONFIG_KEYS: readonly ProxyConfigKey[] = [
  { key: 'proto_type', kind: 'string' },
  { key: 'proxy_addr', kind: 'string' },
  { key: 'admin_addr', kind: 'string' },
  { key: 'jodis_name', kind: 'string' },
  { key: 'jodis_addr', kind: 'string' },
  { key: 'jodis_auth', kind: 'string' },
  { key: 'jodis_timeout', kind: 'duration' },
  { key: 'jodis_compatible', kind: 'bool' },
  { key: 'product_name', kind: 'string' },
  { key: 'product_auth', kind: 'string', secret: true },
  { key: 'session_auth', kind: 'string', secret: true },
  { key: 'proxy_datacenter', kind: 'string' },
  { key: 'proxy_max_clients', kind: 'int' },
  { key: 'proxy_max_offheap_size', kind: 'size' },
  { key: 'proxy_heap_placeholder', kind: 'size' },
  { key: 'backend_ping_period', kind: 'duration' },
  { key: 'backend_recv_bufsize', kind: 'size' },
  { key: 'backend_recv_timeout', kind: 'duration' },
  { key: 'backend_send_bufsize', kind: 'size' },
  { key: 'backend_send_timeout', kind: 'duration' },
  { key: 'backend_max_pipeline', kind: 'int' },
  { key: 'backend_primary_only', kind: 'bool' },
  { key: 'backend_primary_parallel', kind: 'int' },
  { key: 'backend_replica_parallel', kind: 'int' },
  { key: 'backend_keepalive_period', kind: 'duration' },
  { key: 'backend_number_databases', kind: 'int' },
  { key: 'session_recv_bufsize', kind: 'size' },
  { key: 'session_recv_timeout', kind: 'duration' },
  { key: 'session_send_bufsize', kind: 'size' },
  { key: 'session_send_timeout', kind: 'duration' },
  { key: 'session_max_pipeline', kind: 'int' },
  { key: 'session_keepalive_period', kind: 'duration' },
  { key: 'session_break_on_failure', kind: 'bool' },
  { key: 'metrics_report_server', kind: 'string' },
  { key: 'metrics_report_period', kind: 'duration' },
  { key: 'metrics_report_influxdb_server', kind: 'string' },
  { key: 'metrics_report_influxdb_period', kind: 'duration' },
  { key: 'metrics_report_influxdb_username', kind: 'string' },
  { key: 'metrics_report_influxdb_password', kind: 'string', secret: true },
  { key: 'metrics_report_influxdb_database', kind: 'string' },
  { key: 'metrics_report_statsd_server', kind: 'string' },
  { key: 'metrics_report_statsd_period', kind: 'duration' },
  { key: 'metrics_report_statsd_prefix', kind: 'string' },
  // Not in Codis: pub/sub through the proxy.
  { key: 'proxy_pubsub_enabled', kind: 'bool' },
  { key: 'proxy_pubsub_output_limit', kind: 'size' },
  // Not in Codis: whole-product commands and scripting (each can restore Codis's refusal).
  { key: 'proxy_scan_enabled', kind: 'bool' },
  { key: 'proxy_keys_max', kind: 'int' },
  { key: 'proxy_scripting_enabled', kind: 'bool' },
  { key: 'proxy_transactions_enabled', kind: 'bool' },
  { key: 'proxy_blocking_enabled', kind: 'bool' },
  // Not in Codis: backend batches gathered in a busy proxy.
  { key: 'backend_batch_wait', kind: 'duration' },
];

export const PROXY_CONFIG_KEY_MAP: ReadonlyMap<string, ProxyConfigKey> = new Map(
  PROXY_CONFIG_KEYS.map((entry) => [entry.key, entry]),
);

/** Codis's config/proxy.toml, printed by `codis-proxy --default-config`. */
export const DEFAULT_PROXY_TOML = `
##################################################
#                                                #
#                  Codis-Proxy                   #
#                                                #
##################################################

# Set Codis Product Name/Auth.
product_name = "codis-demo"
product_auth = ""

# Set auth for client session
#   1. product_auth is used for auth validation among codis-dashboard,
#      codis-proxy and codis-server.
#   2. session_auth is different from product_auth, it requires clients
#      to issue AUTH <PASSWORD> before processing any other commands.
session_auth = ""

# Set bind address for admin(rpc), tcp only.
admin_addr = "0.0.0.0:11080"

# Set bind address for proxy, proto_type can be "tcp", "tcp4", "tcp6", "unix" or "unixpacket".
proto_type = "tcp4"
proxy_addr = "0.0.0.0:19000"

# Set jodis address & session timeout
#   1. jodis_name is short for jodis_coordinator_name, only accept "zookeeper" & "etcd".
#   2. jodis_addr is short for jodis_coordinator_addr
#   3. jodis_auth is short for jodis_coordinator_auth, for zookeeper/etcd, "user:password" is accepted.
#   4. proxy will be registered as node:
#        if jodis_compatible = true (not suggested):
#          /zk/codis/db_{PRODUCT_NAME}/proxy/{HASHID} (compatible with Codis2.0)
#        or else
#          /jodis/{PRODUCT_NAME}/proxy-{HASHID}
jodis_name = ""
jodis_addr = ""
jodis_auth = ""
jodis_timeout = "20s"
jodis_compatible = false

# Set datacenter of proxy.
proxy_datacenter = ""

# Set max number of alive sessions.
proxy_max_clients = 1000

# Set max offheap memory size. (0 to disable)
proxy_max_offheap_size = "1024mb"

# Set heap placeholder to reduce GC frequency.
proxy_heap_placeholder = "256mb"

# Proxy will ping backend redis (and clear 'MASTERDOWN' state) in a predefined interval. (0 to disable)
backend_ping_period = "5s"

# Set backend recv buffer size & timeout.
backend_recv_bufsize = "128kb"
backend_recv_timeout = "30s"

# Set backend send buffer & timeout.
backend_send_bufsize = "128kb"
backend_send_timeout = "30s"

# Set backend pipeline buffer size.
backend_max_pipeline = 20480

# Set backend never read replica groups, default is false
backend_primary_only = false

# Set backend parallel connections per server
backend_primary_parallel = 1
backend_replica_parallel = 1

# Set backend tcp keepalive period. (0 to disable)
backend_keepalive_period = "75s"

# Set number of databases of backend.
backend_number_databases = 16

# If there is no request from client for a long time, the connection will be closed. (0 to disable)
# Set session recv buffer size & timeout.
session_recv_bufsize = "128kb"
session_recv_timeout = "30m"

# Set session send buffer size & timeout.
session_send_bufsize = "64kb"
session_send_timeout = "30s"

# Make sure this is higher than the max number of requests for each pipeline request, or your client may be blocked.
# Set session pipeline buffer size.
session_max_pipeline = 10000

# Set session tcp keepalive period. (0 to disable)
session_keepalive_period = "75s"

# Set session to be sensitive to failures. Default is false, instead of closing socket, proxy will send an error response to client.
session_break_on_failure = false

# Set metrics server (such as http://localhost:28000), proxy will report json formatted metrics to specified server in a predefined period.
metrics_report_server = ""
metrics_report_period = "1s"

# Set influxdb server (such as http://localhost:8086), proxy will report metrics to influxdb.
metrics_report_influxdb_server = ""
metrics_report_influxdb_period = "1s"
metrics_report_influxdb_username = ""
metrics_report_influxdb_password = ""
metrics_report_influxdb_database = ""

# Set statsd server (such as localhost:8125), proxy will report metrics to statsd.
metrics_report_statsd_server = ""
metrics_report_statsd_period = "1s"
metrics_report_statsd_prefix = ""

# Not in Codis 3.2, which refuses (P)SUBSCRIBE and PUBLISH:
#   proxy_pubsub_enabled: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB through the
#     proxy, on backend connections of each subscriber's own; false refuses them as Codis does.
#   proxy_pubsub_output_limit: a subscriber whose unread messages exceed this is disconnected
#     (Redis's client-output-buffer-limit pubsub hard limit). 0 for no limit.
proxy_pubsub_enabled = true
proxy_pubsub_output_limit = "32mb"

# Not in Codis 3.2, which refuses these commands:
#   proxy_scan_enabled: SCAN over every slot (whole slots per call, each key once even while
#     slots migrate), DBSIZE summed over the groups' masters, RANDOMKEY from a random master.
#   proxy_keys_max: KEYS as a complete scan of every slot, refused with an error once more than
#     this many keys match. 0 (the default) refuses KEYS as Codis does.
#   proxy_scripting_enabled: SCRIPT LOAD/EXISTS/FLUSH/KILL and FUNCTION LOAD/DELETE/FLUSH/RESTORE/KILL
#     sent to every master, EVALSHA retried with the body after NOSCRIPT for scripts loaded
#     through this proxy.
proxy_scan_enabled = true
proxy_keys_max = 0
proxy_scripting_enabled = true

# Not in Codis 3.2 either:
#   proxy_transactions_enabled: MULTI/EXEC/DISCARD/WATCH/UNWATCH when every key of the transaction
#     hashes to one slot (CROSSSLOT otherwise), run on a dedicated connection to the slot's master.
#   proxy_blocking_enabled: BLPOP, BRPOP, BRPOPLPUSH, BLMOVE, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP,
#     and XREAD/XREADGROUP with BLOCK on dedicated connections, followed to the new master when
#     their slot moves. (XREAD/XREADGROUP without BLOCK are plain commands either way.)
# false refuses them as Codis does.
proxy_transactions_enabled = true
proxy_blocking_enabled = true

# Not in Codis 3.2 either: while requests come from many clients (20 within a millisecond), a batch
# for a backend of fewer than 16 requests and 16 KB waits up to this long for more, while more keep
# coming, and the backend reads them all at once: less CPU per request on the backends, for some
# added latency. 0 writes every batch at the end of its event-loop turn.
backend_batch_wait = "200us"
`;
