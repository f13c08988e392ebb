import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import {
  influxLine,
  MetricsReporters,
  type ReporterConfig,
  statsdLines,
  type UsageFields,
  type UsageTags,
} from './reporters.ts';

const tags: UsageTags = {
  token: '360d56f9c7ac0ed344e6736f473685e9',
  proxy_addr: '127.0.0.1:37096',
  product_name: 'codis-p3',
  hostname: 'vm',
  admin_addr: '127.0.0.1:37097',
};
const fields: UsageFields = {
  sessions_total: 0,
  sessions_alive: 0,
  rusage_mem: 22405120,
  rusage_cpu: 0,
  runtime_num_procs: 2,
  runtime_num_mem_offheap: 4194304,
  runtime_num_goroutines: 49,
  runtime_num_cgo_call: 38,
  runtime_gc_total_pausems: 0,
  runtime_gc_num: 1,
  ops_total: 0,
  ops_redis_errors: 0,
  ops_qps: 0,
  ops_fails: 0,
};

const quiet = pino({ level: 'silent' });
const off: ReporterConfig = {
  metrics_report_server: '',
  metrics_report_period: 1000,
  metrics_report_influxdb_server: '',
  metrics_report_influxdb_period: 1000,
  metrics_report_influxdb_username: '',
  metrics_report_influxdb_password: '',
  metrics_report_influxdb_database: '',
  metrics_report_statsd_server: '',
  metrics_report_statsd_period: 1000,
  metrics_report_statsd_prefix: '',
};
const source = {
  overview: () => ({ version: 'v', stats: { ops: { total: 3 } } }),
  tags: () => tags,
  fields: () => fields,
};

function receiveHttp(
  status: number,
): Promise<{ port: number; next: Promise<{ req: IncomingMessage; body: string }>; close: () => void }> {
  return new Promise((resolve) => {
    let deliver: (value: { req: IncomingMessage; body: string }) => void = () => {};
    const next = new Promise<{ req: IncomingMessage; body: string }>((r) => {
      deliver = r;
    });
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        res.writeHead(status).end();
        deliver({ req, body });
      });
    });
    server.listen(0, '127.0.0.1', () => {
      resolve({ port: (server.address() as AddressInfo).port, next, close: () => server.close() });
    });
  });
}

describe('metrics reporters (spec §10)', () => {
  it('InfluxDB line matches the observed Codis line', () => {
    assert.equal(
      influxLine(tags, fields, 1795570871467032669n),
      'codis_usage,admin_addr=127.0.0.1:37097,hostname=vm,product_name=codis-p3,proxy_addr=127.0.0.1:37096,token=360d56f9c7ac0ed344e6736f473685e9 ops_fails=0i,ops_qps=0i,ops_redis_errors=0i,ops_total=0i,runtime_gc_num=1i,runtime_gc_total_pausems="0",runtime_num_cgo_call=38i,runtime_num_goroutines=49i,runtime_num_mem_offheap=4194304i,runtime_num_procs=2i,rusage_cpu=0,rusage_mem=22405120i,sessions_alive=0i,sessions_total=0i 1795570871467032669',
    );
  });
  it('statsd names follow Codis, also with an empty prefix', () => {
    const lines = statsdLines('pfx', tags, fields);
    assert.equal(lines.length, 14);
    assert.ok(lines.includes('pfx.codis-p3.127_0_0_1_37097.127_0_0_1_37096.ops_total:0|g'));
    assert.ok(
      statsdLines('', tags, fields).includes(
        '.codis-p3.127_0_0_1_37097.127_0_0_1_37096.runtime_num_procs:2|g',
      ),
    );
  });
  it('posts the JSON overview', async () => {
    const receiver = await receiveHttp(200);
    const reporters = new MetricsReporters(
      { ...off, metrics_report_server: `http://127.0.0.1:${receiver.port}/json` },
      source,
      quiet,
    );
    try {
      const { req, body } = await receiver.next;
      assert.equal(req.method, 'POST');
      assert.equal(req.url, '/json');
      assert.equal(req.headers['content-type'], 'application/json');
      assert.equal(
        body,
        '{\n    "version": "v",\n    "stats": {\n        "ops": {\n            "total": 3\n        }\n    }\n}',
      );
    } finally {
      await reporters.stop();
      receiver.close();
    }
  });
  it('writes to InfluxDB with basic auth', async () => {
    const receiver = await receiveHttp(204);
    const reporters = new MetricsReporters(
      {
        ...off,
        metrics_report_influxdb_server: `http://127.0.0.1:${receiver.port}`,
        metrics_report_influxdb_username: 'u',
        metrics_report_influxdb_password: 'p',
        metrics_report_influxdb_database: 'codis',
      },
      source,
      quiet,
    );
    try {
      const { req, body } = await receiver.next;
      assert.equal(req.url, '/write?consistency=&db=codis&precision=ns&rp=');
      assert.equal(req.headers.authorization, `Basic ${Buffer.from('u:p').toString('base64')}`);
      assert.equal(req.headers['user-agent'], 'InfluxDBClient');
      assert.match(body, /^codis_usage,admin_addr=127\.0\.0\.1:37097,.* ops_fails=0i,.* \d{19}$/);
    } finally {
      await reporters.stop();
      receiver.close();
    }
  });
  it('sends statsd gauges over UDP', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    const got = new Promise<string>((r) => socket.once('message', (m) => r(m.toString())));
    const reporters = new MetricsReporters(
      {
        ...off,
        metrics_report_statsd_server: `127.0.0.1:${socket.address().port}`,
        metrics_report_statsd_prefix: 'pfx',
      },
      source,
      quiet,
    );
    try {
      const lines = (await got).split('\n');
      assert.equal(lines.length, 14);
      assert.equal(lines[0], 'pfx.codis-p3.127_0_0_1_37097.127_0_0_1_37096.ops_fails:0|g');
    } finally {
      await reporters.stop();
      socket.close();
    }
  });
  it('nothing runs when no server is set; stop ends a failing reporter at once', async () => {
    assert.equal(new MetricsReporters(off, source, quiet).count, 0);
    const failing = new MetricsReporters(
      { ...off, metrics_report_server: 'http://127.0.0.1:1/x' },
      source,
      quiet,
    );
    const started = Date.now();
    await failing.stop();
    assert.ok(Date.now() - started < 500);
  });
});
