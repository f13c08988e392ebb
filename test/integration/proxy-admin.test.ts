// The admin HTTP API of codis-proxy (spec/proxy.md §8, transcripts §14.9), served in-process over a
// stand-in data plane: routes, Codis's JSON shapes and key orders, xauth, error convention.

import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { proxyToken, proxyXAuth } from '../../src/proxy/admin/auth.ts';
import { ProxyService } from '../../src/proxy/admin/service.ts';
import { defaultProxyConfig } from '../../src/proxy/config/index.ts';
import { Proxy as CodisProxy } from '../../src/proxy/index.ts';
import { FakeProxyCore } from '../helpers/fake-proxy-core.ts';

interface Reply {
  status: number;
  reason: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  raw: Buffer;
}

function call(
  port: number,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          reason: res.statusMessage ?? '',
          headers: res.headers,
          body: raw.toString(),
          raw,
        });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('codis-proxy admin API', () => {
  let core: FakeProxyCore;
  let service: ProxyService;
  let port: number;
  let x: string;

  before(async () => {
    core = new FakeProxyCore();
    const config = {
      ...defaultProxyConfig(),
      product_name: 'codis-spec',
      admin_addr: '127.0.0.1:0',
      proxy_addr: '127.0.0.1:0',
      proxy_datacenter: 'dc1',
    };
    service = await ProxyService.open({ config, core, logger: pino({ level: 'silent' }) });
    port = service.adminAddress().port;
    x = service.xauth;
  });
  after(async () => {
    await service.close();
  });

  it('token and xauth follow Codis from the bound addresses', () => {
    const proxy = core.address();
    const token = proxyToken('codis-spec', `127.0.0.1:${proxy.port}`, `127.0.0.1:${port}`);
    assert.equal(service.token, token);
    assert.equal(x, proxyXAuth('codis-spec', '', token));
  });

  it('GET / redirects to /proxy', async () => {
    const r = await call(port, 'GET', '/');
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, '/proxy');
    assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(r.body, '');
  });

  it('model: key order, Go time text, 4-space JSON', async () => {
    for (const path of ['/proxy/model', '/api/proxy/model']) {
      const r = await call(port, 'GET', path);
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
      const model = JSON.parse(r.body) as Record<string, unknown>;
      assert.deepEqual(Object.keys(model), [
        'token',
        'start_time',
        'admin_addr',
        'proto_type',
        'proxy_addr',
        'product_name',
        'pid',
        'pwd',
        'sys',
        'hostname',
        'datacenter',
      ]);
      assert.match(
        model.start_time as string,
        /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC m=\+\d+\.\d{9}$/,
      );
      assert.equal(model.admin_addr, `127.0.0.1:${port}`);
      assert.equal(model.proxy_addr, `127.0.0.1:${core.address().port}`);
      assert.equal(model.proto_type, 'tcp4');
      assert.equal(model.pid, process.pid);
      assert.equal(model.datacenter, 'dc1');
      assert.match(r.body, /^{\n {4}"token": "[0-9a-f]{32}",\n/);
      assert.doesNotMatch(r.body, /\n$/);
    }
  });

  it('xping: OK, bad xauth, empty xauth, wrong method', async () => {
    const ok = await call(port, 'GET', `/api/proxy/xping/${x}`);
    assert.equal(ok.status, 200);
    assert.equal(ok.body, '"OK"');
    const bad = await call(port, 'GET', '/api/proxy/xping/bad');
    assert.equal(bad.status, 800);
    assert.equal(bad.reason, 'status code 800');
    assert.equal(
      bad.body,
      '{\n    "Cause": "invalid xauth, please check product name \\u0026 auth",\n    "Stack": null\n}',
    );
    const empty = await call(port, 'GET', '/api/proxy/xping/');
    assert.equal(empty.status, 404);
    assert.equal(empty.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(empty.body, '404 page not found\n');
    assert.equal((await call(port, 'PUT', `/api/proxy/xping/${x}`)).status, 404);
    assert.equal((await call(port, 'POST', '/proxy')).status, 404);
    assert.equal((await call(port, 'GET', '/nothing')).status, 404);
    assert.equal((await call(port, 'PUT', '/api/proxy/start/bad')).body.includes('invalid xauth'), true);
  });

  it('stats flags select ops.cmd and runtime', async () => {
    core.counters = {
      ...FakeProxyCore.emptyStats(),
      ops: {
        total: 10,
        fails: 0,
        redisErrors: 1,
        qps: 0,
        commands: [
          { opstr: 'SET', calls: 5, usecs: 760, fails: 0, redisErrors: 0 },
          { opstr: 'GET', calls: 3, usecs: 346, fails: 0, redisErrors: 0 },
          { opstr: 'KEYS', calls: 1, usecs: 52, fails: 0, redisErrors: 1 },
        ],
      },
      sessions: { total: 1, alive: 0 },
    };
    const keys = ['online', 'closed', 'sentinels', 'ops', 'sessions', 'rusage', 'backend'];
    for (const flags of ['', '/0', '/2']) {
      const s = JSON.parse((await call(port, 'GET', `/api/proxy/stats/${x}${flags}`)).body) as Record<
        string,
        Record<string, unknown>
      >;
      assert.deepEqual(Object.keys(s), keys, flags);
      assert.deepEqual(Object.keys(s.ops ?? {}), ['total', 'fails', 'redis', 'qps']);
      assert.deepEqual(s.sentinels, {});
      assert.deepEqual(s.backend, { primary_only: false });
    }
    const one = JSON.parse((await call(port, 'GET', `/api/proxy/stats/${x}/1`)).body) as {
      ops: { cmd: unknown[] };
      runtime?: unknown;
    };
    assert.deepEqual(one.ops.cmd, [
      { opstr: 'GET', calls: 3, usecs: 346, usecs_percall: 115, fails: 0, redis_errtype: 0 },
      { opstr: 'KEYS', calls: 1, usecs: 52, usecs_percall: 52, fails: 0, redis_errtype: 1 },
      { opstr: 'SET', calls: 5, usecs: 760, usecs_percall: 152, fails: 0, redis_errtype: 0 },
    ]);
    assert.equal(one.runtime, undefined);
    const four = JSON.parse((await call(port, 'GET', `/api/proxy/stats/${x}/4`)).body) as Record<
      string,
      Record<string, unknown>
    >;
    assert.equal(four.ops?.cmd, undefined);
    assert.deepEqual(Object.keys(four.runtime ?? {}), [
      'general',
      'heap',
      'gc',
      'num_procs',
      'num_goroutines',
      'num_cgo_call',
      'mem_offheap',
    ]);
    const seven = JSON.parse((await call(port, 'GET', `/api/proxy/stats/${x}/7`)).body) as Record<
      string,
      Record<string, unknown>
    >;
    assert.ok(seven.runtime !== undefined && seven.ops?.cmd !== undefined);
    assert.deepEqual(Object.keys(seven), [...keys, 'runtime']);
    const wrapped = JSON.parse((await call(port, 'GET', `/api/proxy/stats/${x}/-1`)).body) as Record<
      string,
      unknown
    >;
    assert.ok(wrapped.runtime !== undefined);
    const abc = await call(port, 'GET', `/api/proxy/stats/${x}/abc`);
    assert.equal(abc.status, 800);
    assert.equal(
      abc.body,
      '{\n    "Cause": "strconv.Atoi: parsing \\"abc\\": invalid syntax",\n    "Stack": null\n}',
    );
    const all = JSON.parse((await call(port, 'GET', '/proxy/stats')).body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(all), [...keys, 'runtime']);
  });

  it('rusage is empty before the first sample, then has raw numbers', async () => {
    const s = JSON.parse((await call(port, 'GET', `/api/proxy/stats/${x}`)).body) as {
      rusage: Record<string, unknown>;
    };
    if (s.rusage.now === '') assert.deepEqual(s.rusage, { now: '', cpu: 0, mem: 0 });
    await new Promise((r) => setTimeout(r, 1100));
    const later = JSON.parse((await call(port, 'GET', `/api/proxy/stats/${x}`)).body) as {
      rusage: { now: string; mem: number; raw: Record<string, number> };
    };
    assert.match(later.rusage.now, / \+0000 UTC m=\+/);
    assert.ok(later.rusage.mem > 0);
    assert.deepEqual(Object.keys(later.rusage.raw), [
      'utime',
      'stime',
      'cutime',
      'cstime',
      'num_threads',
      'vm_size',
      'vm_rss',
    ]);
  });

  it('fillslots applies in order and relays the core errors', async () => {
    const body = JSON.stringify([
      {
        id: 169,
        backend_addr: '127.0.0.1:37001',
        backend_addr_group_id: 1,
        forward_method: 1,
        replica_groups: [['127.0.0.1:37004']],
      },
      { id: 170, locked: true, backend_addr: '127.0.0.1:37001', backend_addr_group_id: 1, forward_method: 1 },
      {
        id: 716,
        backend_addr: '127.0.0.1:37001',
        backend_addr_group_id: 1,
        migrate_from: '127.0.0.1:37002',
        migrate_from_group_id: 2,
        forward_method: 0,
      },
    ]);
    assert.equal((await call(port, 'PUT', `/api/proxy/fillslots/${x}`, body)).body, '"OK"');
    const slots = JSON.parse((await call(port, 'GET', `/api/proxy/slots/${x}`)).body) as unknown[];
    assert.equal(slots.length, 1024);
    assert.deepEqual(slots[0], { id: 0 });
    const raw = (await call(port, 'GET', '/proxy/slots')).body;
    assert.match(
      raw,
      /\{\n {8}"id": 169,\n {8}"backend_addr": "127\.0\.0\.1:37001",\n {8}"backend_addr_group_id": 1,\n {8}"forward_method": 1,\n {8}"replica_groups": \[\n {12}\[\n {16}"127\.0\.0\.1:37004"\n {12}\]\n {8}\]\n {4}\}/,
    );
    assert.deepEqual(slots[170], {
      id: 170,
      locked: true,
      backend_addr: '127.0.0.1:37001',
      backend_addr_group_id: 1,
      forward_method: 1,
    });
    assert.deepEqual(slots[716], {
      id: 716,
      backend_addr: '127.0.0.1:37001',
      backend_addr_group_id: 1,
      migrate_from: '127.0.0.1:37002',
      migrate_from_group_id: 2,
    });
    const badId = await call(port, 'PUT', `/api/proxy/fillslots/${x}`, '[{"id":1024}]');
    assert.equal(badId.status, 800);
    assert.equal(JSON.parse(badId.body).Cause, 'use of invalid slot id');
    const badMethod = await call(
      port,
      'PUT',
      `/api/proxy/fillslots/${x}`,
      '[{"id":5,"backend_addr":"127.0.0.1:1","forward_method":7}]',
    );
    assert.equal(JSON.parse(badMethod.body).Cause, 'use of invalid forwarder method');
    for (const junk of ['garbage', '[]', '{}']) {
      assert.equal((await call(port, 'PUT', `/api/proxy/fillslots/${x}`, junk)).body, '"OK"');
    }
  });

  it('start, reset, forcegc, loglevel, sentinels', async () => {
    assert.equal((await call(port, 'PUT', `/api/proxy/start/${x}`)).body, '"OK"');
    assert.equal((await call(port, 'PUT', `/api/proxy/start/${x}`)).body, '"OK"');
    assert.equal(core.online, true);
    assert.equal((await call(port, 'PUT', `/api/proxy/stats/reset/${x}`)).body, '"OK"');
    const s = JSON.parse((await call(port, 'GET', `/api/proxy/stats/${x}/1`)).body) as {
      online: boolean;
      ops: Record<string, unknown>;
    };
    assert.equal(s.online, true);
    assert.deepEqual(s.ops, { total: 0, fails: 0, redis: { errors: 0 }, qps: 0 });
    assert.equal((await call(port, 'PUT', `/api/proxy/forcegc/${x}`)).body, '"OK"');
    assert.equal((await call(port, 'PUT', `/api/proxy/loglevel/${x}/warn`)).body, '"OK"');
    assert.equal(service.logger.level, 'warn');
    assert.equal((await call(port, 'PUT', `/api/proxy/loglevel/${x}/INFO`)).body, '"OK"');
    const bogus = await call(port, 'PUT', `/api/proxy/loglevel/${x}/bogus`);
    assert.equal(bogus.status, 800);
    assert.equal(JSON.parse(bogus.body).Cause, 'invalid loglevel');
    const sentinels = await call(
      port,
      'PUT',
      `/api/proxy/sentinels/${x}`,
      '{"servers":["127.0.0.1:26379"],"out_of_sync":false}',
    );
    assert.equal(sentinels.body, '"OK"');
    assert.deepEqual(core.sentinels, ['127.0.0.1:26379']);
    assert.equal((await call(port, 'PUT', `/api/proxy/sentinels/${x}/rewatch`)).body, '"OK"');
    assert.equal(core.rewatches, 1);
    const st = JSON.parse((await call(port, 'GET', `/api/proxy/stats/${x}`)).body) as { sentinels: unknown };
    assert.deepEqual(st.sentinels, { servers: ['127.0.0.1:26379'] });
  });

  it('overview: version, compile, config, model, stats, slots', async () => {
    for (const path of ['/proxy', '/proxy/']) {
      const r = await call(port, 'GET', path);
      const o = JSON.parse(r.body) as Record<string, Record<string, unknown>>;
      assert.deepEqual(Object.keys(o), ['version', 'compile', 'config', 'model', 'stats', 'slots']);
      assert.equal(o.config?.proxy_max_offheap_size, '1gb');
      assert.equal(o.config?.session_recv_timeout, '30m');
      assert.equal(o.config?.product_auth, undefined);
      assert.equal((o.slots as unknown as unknown[]).length, 1024);
    }
  });

  it('gzip when asked', async () => {
    const r = await call(port, 'GET', '/proxy/model', undefined, { 'Accept-Encoding': 'gzip' });
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.equal(r.headers.vary, 'Accept-Encoding');
    assert.match(gunzipSync(r.raw).toString(), /"token"/);
  });

  it('/metrics, /livez, /readyz', async () => {
    core.counters.ops.commands = [{ opstr: 'GET', calls: 4, usecs: 100, fails: 0, redisErrors: 1 }];
    core.counters.ops.total = 4;
    const m = await call(port, 'GET', '/metrics');
    assert.equal(m.status, 200);
    assert.match(m.body, /^codis_proxy_ops_total 4$/m);
    assert.match(m.body, /^codis_proxy_online 1$/m);
    assert.match(m.body, /^codis_proxy_command_calls_total\{command="GET"\} 4$/m);
    assert.match(m.body, /^codis_proxy_command_latency_usecs_percall\{command="GET"\} 25$/m);
    assert.match(m.body, /^codis_proxy_command_redis_errors_total\{command="GET"\} 1$/m);
    assert.match(m.body, /^codis_proxy_info\{product_name="codis-spec",token="[0-9a-f]{32}"\} 1$/m);
    assert.equal((await call(port, 'GET', '/livez')).body, '"OK"');
    assert.equal((await call(port, 'GET', '/readyz')).status, 200);
  });

  it('shutdown answers OK, then every xauth call fails with use of closed proxy', async () => {
    assert.equal((await call(port, 'PUT', `/api/proxy/shutdown/${x}`)).body, '"OK"');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(service.closed, true);
    assert.throws(() => service.checkXAuth(x), { message: 'use of closed proxy' });
    assert.throws(() => service.start(), { message: 'use of closed proxy' });
    await service.close();
    assert.equal(core.closed, true);
    await assert.rejects(call(port, 'GET', '/proxy/model'));
  });
});

describe('codis-proxy admin API over the real data plane', () => {
  it('fillslots, slots, start and stats drive the Proxy; its errors are relayed as 800', async () => {
    const config = {
      ...defaultProxyConfig(),
      product_name: 'codis-real',
      admin_addr: '127.0.0.1:0',
      proxy_addr: '127.0.0.1:0',
      backend_ping_period: 0,
    };
    const core = new CodisProxy(config);
    const service = await ProxyService.open({ config, core, logger: pino({ level: 'silent' }) });
    const port = service.adminAddress().port;
    const x = service.xauth;
    try {
      const badId = await call(port, 'PUT', `/api/proxy/fillslots/${x}`, '[{"id":1024}]');
      assert.equal(badId.status, 800);
      assert.equal(badId.body, '{\n    "Cause": "use of invalid slot id",\n    "Stack": null\n}');
      const badMethod = await call(port, 'PUT', `/api/proxy/fillslots/${x}`, '[{"id":5,"forward_method":7}]');
      assert.equal(JSON.parse(badMethod.body).Cause, 'use of invalid forwarder method');
      const fill =
        '[{"id":3,"locked":true},{"id":4,"backend_addr":"127.0.0.1:1","backend_addr_group_id":2,"forward_method":1}]';
      assert.equal((await call(port, 'PUT', `/api/proxy/fillslots/${x}`, fill)).body, '"OK"');
      const slots = JSON.parse((await call(port, 'GET', `/api/proxy/slots/${x}`)).body) as unknown[];
      assert.equal(slots.length, 1024);
      assert.deepEqual(slots[3], { id: 3, locked: true });
      assert.deepEqual(slots[4], {
        id: 4,
        backend_addr: '127.0.0.1:1',
        backend_addr_group_id: 2,
        forward_method: 1,
      });
      assert.equal((await call(port, 'PUT', `/api/proxy/start/${x}`)).body, '"OK"');
      const stats = JSON.parse((await call(port, 'GET', `/api/proxy/stats/${x}`)).body) as {
        online: boolean;
        closed: boolean;
      };
      assert.deepEqual([stats.online, stats.closed], [true, false]);
    } finally {
      await service.close();
    }
    assert.equal(core.closed, true);
  });
});
