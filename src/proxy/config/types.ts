// proxy.toml as the proxy's components consume it (spec/proxy.md §12.2): the TOML keys, with sizes
// already in bytes and durations in milliseconds. Parsing, validation and the canonical printing of
// sizes and durations live beside this file.

export interface ProxyConfig {
  product_name: string;
  product_auth: string;
  session_auth: string;
  admin_addr: string;
  proto_type: string;
  proxy_addr: string;
  jodis_name: string;
  jodis_addr: string;
  jodis_auth: string;
  /** ms */
  jodis_timeout: number;
  jodis_compatible: boolean;
  proxy_datacenter: string;
  proxy_max_clients: number;
  /** bytes */
  proxy_max_offheap_size: number;
  /** bytes */
  proxy_heap_placeholder: number;
  /** ms */
  backend_ping_period: number;
  /** bytes */
  backend_recv_bufsize: number;
  /** ms */
  backend_recv_timeout: number;
  /** bytes */
  backend_send_bufsize: number;
  /** ms */
  backend_send_timeout: number;
  backend_max_pipeline: number;
  backend_primary_only: boolean;
  backend_primary_parallel: number;
  backend_replica_parallel: number;
  /** ms */
  backend_keepalive_period: number;
  backend_number_databases: number;
  /** bytes */
  session_recv_bufsize: number;
  /** ms */
  session_recv_timeout: number;
  /** bytes */
  session_send_bufsize: number;
  /** ms */
  session_send_timeout: number;
  session_max_pipeline: number;
  /** ms */
  session_keepalive_period: number;
  session_break_on_failure: boolean;
  metrics_report_server: string;
  /** ms */
  metrics_report_period: number;
  metrics_report_influxdb_server: string;
  /** ms */
  metrics_report_influxdb_period: number;
  metrics_report_influxdb_username: string;
  metrics_report_influxdb_password: string;
  metrics_report_influxdb_database: string;
  metrics_report_statsd_server: string;
  /** ms */
  metrics_report_statsd_period: number;
  metrics_report_statsd_prefix: string;
  /** Pub/sub through the proxy (false: refused as Codis does). */
  proxy_pubsub_enabled: boolean;
  /** bytes of unsent messages after which a subscriber is disconnected (0: no limit) */
  proxy_pubsub_output_limit: number;
  /** SCAN, DBSIZE and RANDOMKEY over the whole product (false: refused as Codis does). */
  proxy_scan_enabled: boolean;
  /** KEYS answers at most this many keys over the product (0: refused as Codis does). */
  proxy_keys_max: number;
  /** SCRIPT and FUNCTION on every master, the EVALSHA fallback (false: refused as Codis does). */
  proxy_scripting_enabled: boolean;
  /** MULTI/EXEC/DISCARD/WATCH/UNWATCH on one slot (false: refused as Codis does). */
  proxy_transactions_enabled: boolean;
  /** BLPOP, BRPOP, BLMOVE, BZPOPMIN… on dedicated connections (false: refused as Codis does). */
  proxy_blocking_enabled: boolean;
  /** ms a small backend batch may wait for more requests in a busy proxy (0: never waits). */
  backend_batch_wait: number;
}

const KB = 1024;
const MB = 1024 * KB;
const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** The defaults of spec/proxy.md §12.2. */
export function defaultProxyConfig(): ProxyConfig {
  return {
    product_name: 'codis-demo',
    product_auth: '',
    session_auth: '',
    admin_addr: '0.0.0.0:11080',
    proto_type: 'tcp4',
    proxy_addr: '0.0.0.0:19000',
    jodis_name: '',
    jodis_addr: '',
    jodis_auth: '',
    jodis_timeout: 20 * SECOND,
    jodis_compatible: false,
    proxy_datacenter: '',
    proxy_max_clients: 1000,
    proxy_max_offheap_size: 1024 * MB,
    proxy_heap_placeholder: 256 * MB,
    backend_ping_period: 5 * SECOND,
    backend_recv_bufsize: 128 * KB,
    backend_recv_timeout: 30 * SECOND,
    backend_send_bufsize: 128 * KB,
    backend_send_timeout: 30 * SECOND,
    backend_max_pipeline: 20480,
    backend_primary_only: false,
    backend_primary_parallel: 1,
    backend_replica_parallel: 1,
    backend_keepalive_period: 75 * SECOND,
    backend_number_databases: 16,
    session_recv_bufsize: 128 * KB,
    session_recv_timeout: 30 * MINUTE,
    session_send_bufsize: 64 * KB,
    session_send_timeout: 30 * SECOND,
    session_max_pipeline: 10000,
    session_keepalive_period: 75 * SECOND,
    session_break_on_failure: false,
    metrics_report_server: '',
    metrics_report_period: SECOND,
    metrics_report_influxdb_server: '',
    metrics_report_influxdb_period: SECOND,
    metrics_report_influxdb_username: '',
    metrics_report_influxdb_password: '',
    metrics_report_influxdb_database: '',
    metrics_report_statsd_server: '',
    metrics_report_statsd_period: SECOND,
    metrics_report_statsd_prefix: '',
    proxy_pubsub_enabled: true,
    proxy_pubsub_output_limit: 32 * MB,
    proxy_scan_enabled: true,
    proxy_keys_max: 0,
    proxy_scripting_enabled: true,
    proxy_transactions_enabled: true,
    proxy_blocking_enabled: true,
    backend_batch_wait: 0.2,
  };
}
