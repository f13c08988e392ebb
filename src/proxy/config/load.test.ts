import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodeGoJson } from '../../models/go-json.ts';
import {
  applyProxyEnvironment,
  DEFAULT_PROXY_TOML,
  defaultProxyConfig,
  loadProxyConfig,
  PROXY_CONFIG_KEYS,
  type ProxyConfig,
  parseProxyToml,
  proxyConfigToJson,
  proxyConfigToToml,
  validateProxyConfig,
} from './index.ts';

describe('proxy.toml loading', () => {
  it('the default config text parses to exactly the defaults', () => {
    assert.deepEqual(parseProxyToml(DEFAULT_PROXY_TOML), defaultProxyConfig());
    // Every key appears in the commented file.
    for (const { key } of PROXY_CONFIG_KEYS) assert.match(DEFAULT_PROXY_TOML, new RegExp(`^${key} = `, 'm'));
  });

  it('overlays a file on the defaults', () => {
    const config = parseProxyToml(
      'product_name = "p1"\nproxy_max_offheap_size = "1024mb"\nsession_recv_timeout = "1h"\nbackend_primary_only = true\nbackend_max_pipeline = 7\nbackend_recv_bufsize = 4096\njodis_timeout = 3\n',
    );
    assert.equal(config.product_name, 'p1');
    assert.equal(config.proxy_max_offheap_size, 1024 ** 3);
    assert.equal(config.session_recv_timeout, 3_600_000);
    assert.equal(config.backend_primary_only, true);
    assert.equal(config.backend_max_pipeline, 7);
    assert.equal(config.backend_recv_bufsize, 4096);
    assert.equal(config.jodis_timeout, 3000);
    assert.equal(config.admin_addr, '0.0.0.0:11080');
  });

  it('pub/sub keys: on with a 32mb output limit by default; off restores Codis refusal', () => {
    assert.equal(defaultProxyConfig().proxy_pubsub_enabled, true);
    assert.equal(defaultProxyConfig().proxy_pubsub_output_limit, 32 * 1024 * 1024);
    const config = parseProxyToml('proxy_pubsub_enabled = false\nproxy_pubsub_output_limit = "1mb"\n');
    assert.equal(config.proxy_pubsub_enabled, false);
    assert.equal(config.proxy_pubsub_output_limit, 1024 * 1024);
    assert.throws(() => parseProxyToml('proxy_pubsub_enabled = "yes"\n'), {
      message: 'proxy.toml: proxy_pubsub_enabled: expected true or false, got "yes"',
    });
    assert.match(
      proxyConfigToToml(config),
      /\nproxy_pubsub_enabled = false\nproxy_pubsub_output_limit = "1mb"\n/,
    );
  });

  it('an unknown key is an error naming it', () => {
    assert.throws(() => parseProxyToml('product_nmae = "x"\n', 'my.toml'), {
      code: 'ERR_PROXY_CONFIG',
      key: 'product_nmae',
      message: "my.toml: unknown key 'product_nmae'",
    });
    assert.throws(() => parseProxyToml('[section]\na = 1\n'), {
      message: "proxy.toml: unknown key 'section'",
    });
  });

  it('a value of the wrong type names the key', () => {
    assert.throws(() => parseProxyToml('backend_max_pipeline = "many"\n'), {
      message: 'proxy.toml: backend_max_pipeline: expected an integer, got "many"',
    });
    assert.throws(() => parseProxyToml('backend_primary_only = 1\n'), {
      message: 'proxy.toml: backend_primary_only: expected true or false, got 1',
    });
    assert.throws(() => parseProxyToml('product_name = 5\n'), {
      message: 'proxy.toml: product_name: expected a string, got 5',
    });
    assert.throws(() => parseProxyToml('backend_max_pipeline = 1.5\n'), { key: 'backend_max_pipeline' });
  });

  it('unparseable sizes and durations name the key', () => {
    assert.throws(() => parseProxyToml('session_recv_bufsize = "12MB"\n'), {
      message: "proxy.toml: session_recv_bufsize: invalid bytesize = '12MB'",
    });
    assert.throws(() => parseProxyToml('backend_ping_period = "1h30m"\n'), {
      message: "proxy.toml: backend_ping_period: invalid timesize = '1h30m'",
    });
  });

  it('TOML syntax errors carry the file name', () => {
    assert.throws(() => parseProxyToml('product_name = \n', 'x.toml'), {
      message: /^x\.toml: Invalid TOML document/,
    });
  });

  it('environment overrides the file, flags override the environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'proxy-config-'));
    try {
      const file = join(dir, 'proxy.toml');
      writeFileSync(file, 'product_name = "from-file"\nproxy_max_clients = 5\n');
      const config = loadProxyConfig({
        file,
        env: { CODIS_PROXY_PRODUCT_NAME: 'from-env', CODIS_PROXY_SESSION_RECV_TIMEOUT: '10m', HOME: '/x' },
        overrides: { product_name: 'from-flag', session_auth: 'pw' },
      });
      assert.equal(config.product_name, 'from-flag');
      assert.equal(config.proxy_max_clients, 5);
      assert.equal(config.session_recv_timeout, 600_000);
      assert.equal(config.session_auth, 'pw');
      assert.throws(() => loadProxyConfig({ file: join(dir, 'missing.toml') }), {
        message: /^load config '.*missing\.toml' failed/,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('environment values are read as their kind; unknown variables are errors', () => {
    const config = defaultProxyConfig();
    applyProxyEnvironment(config, {
      CODIS_PROXY_BACKEND_PRIMARY_ONLY: 'true',
      CODIS_PROXY_PROXY_MAX_CLIENTS: '12',
      CODIS_PROXY_BACKEND_SEND_BUFSIZE: '1mb',
    });
    assert.equal(config.backend_primary_only, true);
    assert.equal(config.proxy_max_clients, 12);
    assert.equal(config.backend_send_bufsize, 1024 ** 2);
    // The program's own variable (its V8 flags) is not a config key, and not an error either.
    applyProxyEnvironment(config, { CODIS_PROXY_V8_FLAGS: '--single-threaded-gc' });
    assert.throws(() => applyProxyEnvironment(config, { CODIS_PROXY_NOPE: '1' }), {
      message: 'environment: unknown variable CODIS_PROXY_NOPE',
    });
    assert.throws(() => applyProxyEnvironment(config, { CODIS_PROXY_PROXY_MAX_CLIENTS: 'lots' }), {
      message:
        'environment CODIS_PROXY_PROXY_MAX_CLIENTS: proxy_max_clients: expected an integer, got "lots"',
    });
  });
});

describe('proxy.toml validation (spec §12.3)', () => {
  const cases: Array<[string, Partial<ProxyConfig>]> = [
    ['invalid proto_type', { proto_type: '' }],
    ['invalid proxy_addr', { proxy_addr: '' }],
    ['invalid admin_addr', { admin_addr: '' }],
    ['invalid jodis_addr', { jodis_name: 'zk', jodis_addr: '' }],
    ['invalid jodis_timeout', { jodis_name: 'zk', jodis_addr: '127.0.0.1:2181', jodis_timeout: -1 }],
    ['invalid product_name', { product_name: '' }],
    ['invalid proxy_max_clients', { proxy_max_clients: -1 }],
    ['invalid proxy_max_offheap_size', { proxy_max_offheap_size: -1 }],
    ['invalid proxy_heap_placeholder', { proxy_heap_placeholder: -1 }],
    ['invalid backend_ping_period', { backend_ping_period: -1 }],
    ['invalid backend_recv_bufsize', { backend_recv_bufsize: -1 }],
    ['invalid backend_recv_timeout', { backend_recv_timeout: -1 }],
    ['invalid backend_send_bufsize', { backend_send_bufsize: -1 }],
    ['invalid backend_send_timeout', { backend_send_timeout: -1 }],
    ['invalid backend_max_pipeline', { backend_max_pipeline: -1 }],
    ['invalid backend_primary_parallel', { backend_primary_parallel: -1 }],
    ['invalid backend_replica_parallel', { backend_replica_parallel: -1 }],
    ['invalid backend_keepalive_period', { backend_keepalive_period: -1 }],
    ['invalid backend_number_databases', { backend_number_databases: 0 }],
    ['invalid session_recv_bufsize', { session_recv_bufsize: -1 }],
    ['invalid session_recv_timeout', { session_recv_timeout: -1 }],
    ['invalid session_send_bufsize', { session_send_bufsize: -1 }],
    ['invalid session_send_timeout', { session_send_timeout: -1 }],
    ['invalid session_max_pipeline', { session_max_pipeline: -1 }],
    ['invalid session_keepalive_period', { session_keepalive_period: -1 }],
    ['invalid metrics_report_period', { metrics_report_period: -1 }],
    ['invalid metrics_report_influxdb_period', { metrics_report_influxdb_period: -1 }],
    ['invalid metrics_report_statsd_period', { metrics_report_statsd_period: -1 }],
  ];
  for (const [message, patch] of cases) {
    it(message, () => {
      assert.throws(() => validateProxyConfig({ ...defaultProxyConfig(), ...patch }), { message });
    });
  }
  it('the defaults, zero parallel and a negative jodis_timeout without jodis are valid', () => {
    validateProxyConfig(defaultProxyConfig());
    validateProxyConfig({ ...defaultProxyConfig(), backend_primary_parallel: 0, jodis_timeout: -1 });
  });
  it('validates files too (first failing check wins)', () => {
    assert.throws(() => parseAndValidate('proto_type = ""\nproxy_addr = ""\n'), {
      message: 'invalid proto_type',
    });
    assert.throws(() => parseAndValidate('session_send_bufsize = "-1kb"\n'), {
      message: 'invalid session_send_bufsize',
    });
  });
});

function parseAndValidate(text: string): void {
  validateProxyConfig(parseProxyToml(text));
}

describe('config JSON and TOML dump', () => {
  it('the JSON keeps struct order, prints canonical units and omits secrets', () => {
    const config = parseProxyToml(
      'product_auth = "secret"\nsession_auth = "s2"\nmetrics_report_influxdb_password = "p"\nproxy_max_offheap_size = "1024mb"\nbackend_recv_bufsize = "131072"\n',
    );
    const json = proxyConfigToJson(config);
    assert.deepEqual(Object.keys(json), [
      'proto_type',
      'proxy_addr',
      'admin_addr',
      'jodis_name',
      'jodis_addr',
      'jodis_auth',
      'jodis_timeout',
      'jodis_compatible',
      'product_name',
      'proxy_datacenter',
      'proxy_max_clients',
      'proxy_max_offheap_size',
      'proxy_heap_placeholder',
      'backend_ping_period',
      'backend_recv_bufsize',
      'backend_recv_timeout',
      'backend_send_bufsize',
      'backend_send_timeout',
      'backend_max_pipeline',
      'backend_primary_only',
      'backend_primary_parallel',
      'backend_replica_parallel',
      'backend_keepalive_period',
      'backend_number_databases',
      'session_recv_bufsize',
      'session_recv_timeout',
      'session_send_bufsize',
      'session_send_timeout',
      'session_max_pipeline',
      'session_keepalive_period',
      'session_break_on_failure',
      'metrics_report_server',
      'metrics_report_period',
      'metrics_report_influxdb_server',
      'metrics_report_influxdb_period',
      'metrics_report_influxdb_username',
      'metrics_report_influxdb_database',
      'metrics_report_statsd_server',
      'metrics_report_statsd_period',
      'metrics_report_statsd_prefix',
      'proxy_pubsub_enabled',
      'proxy_pubsub_output_limit',
      'proxy_scan_enabled',
      'proxy_keys_max',
      'proxy_scripting_enabled',
      'proxy_transactions_enabled',
      'proxy_blocking_enabled',
      'backend_batch_wait',
    ]);
    assert.equal(json.proxy_max_offheap_size, '1gb');
    assert.equal(json.backend_recv_bufsize, '128kb');
    assert.equal(json.session_recv_timeout, '30m');
    assert.equal(json.proxy_max_clients, 1000);
    assert.equal(json.jodis_compatible, false);
    const text = encodeGoJson(json);
    assert.doesNotMatch(text, /secret|s2|password/);
    assert.match(text, /^{\n {4}"proto_type": "tcp4",\n {4}"proxy_addr": "0\.0\.0\.0:19000",/);
  });
  it('whole-product commands and scripting: on by default but KEYS, each can be turned off', () => {
    const defaults = defaultProxyConfig();
    assert.equal(defaults.proxy_scan_enabled, true);
    assert.equal(defaults.proxy_keys_max, 0);
    assert.equal(defaults.proxy_scripting_enabled, true);
    const config = parseProxyToml(
      'proxy_scan_enabled = false\nproxy_keys_max = 5000\nproxy_scripting_enabled = false\n',
    );
    assert.equal(config.proxy_scan_enabled, false);
    assert.equal(config.proxy_keys_max, 5000);
    assert.equal(config.proxy_scripting_enabled, false);
    assert.throws(
      () => parseProxyToml('proxy_scan_enabled = "yes"\n'),
      /proxy_scan_enabled: expected true or false/,
    );
    assert.throws(() => validateProxyConfig({ ...defaults, proxy_keys_max: -1 }), /invalid proxy_keys_max/);
    const env = defaultProxyConfig();
    applyProxyEnvironment(env, { CODIS_PROXY_PROXY_KEYS_MAX: '10' });
    assert.equal(env.proxy_keys_max, 10);
  });
  it('the TOML dump round-trips, and can redact secrets', () => {
    const config = parseProxyToml('product_auth = "secret"\nsession_recv_timeout = "1.5s"\n');
    const text = proxyConfigToToml(config);
    assert.match(text, /^proto_type = "tcp4"\n/);
    assert.match(text, /\nproxy_max_offheap_size = "1gb"\n/);
    assert.match(text, /\nproduct_auth = "secret"\n/);
    assert.match(text, /\nsession_recv_timeout = "1500ms"\n/);
    assert.deepEqual(parseProxyToml(text), config);
    assert.match(proxyConfigToToml(config, { redact: true }), /\nproduct_auth = "\*\*\*\*\*\*"\n/);
  });
});
