// The codis-proxy program (spec/proxy.md §1, §12, §13): --default-config, config errors, standalone
// --fillslots mode serving two codis-servers, the admin API of the running process, SIGTERM and
// shutdown exiting 0 with the pidfile removed.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { dashboardXAuth, proxyXAuth } from '../../src/proxy/admin/auth.ts';
import { DEFAULT_PROXY_TOML } from '../../src/proxy/config/index.ts';
import { type Daemon, startDaemon } from '../helpers/daemon.ts';
import { freePort } from '../helpers/free-port.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

const ENTRY = resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'codis-proxy.ts');

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [ENTRY, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function getJson(
  url: string,
  method = 'GET',
  body?: string,
): Promise<{ status: number; json: unknown }> {
  const response = await fetch(url, { method, ...(body === undefined ? {} : { body }) });
  return { status: response.status, json: await response.json() };
}

describe('codis-proxy command line', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'codis-proxy-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--default-config prints the commented proxy.toml; --version prints two lines', () => {
    const r = run(['--default-config']);
    assert.equal(r.status, 0);
    assert.equal(r.stdout, DEFAULT_PROXY_TOML);
    assert.match(r.stdout, /^# Set Codis Product Name\/Auth\.$/m);
    const v = run(['--version']);
    assert.equal(v.status, 0);
    assert.match(v.stdout, /^version: .+\ncompile: .+\n$/);
  });

  it('CODIS_PROXY_V8_FLAGS replaces the V8 flags Node runs it with', () => {
    const env = { ...process.env, CODIS_PROXY_V8_FLAGS: '--no-such-v8-flag' };
    const bad = spawnSync(process.execPath, [ENTRY, '--default-config'], { encoding: 'utf8', env });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /--no-such-v8-flag/);
    const none = spawnSync(process.execPath, [ENTRY, '--default-config'], {
      encoding: 'utf8',
      env: { ...process.env, CODIS_PROXY_V8_FLAGS: '' },
    });
    assert.equal(none.status, 0, none.stderr);
    assert.equal(none.stdout, DEFAULT_PROXY_TOML);
    // The variable gets past the config's CODIS_PROXY_<KEY> overlay: here the file's own error stops
    // the start, not "unknown variable".
    const file = join(dir, 'invalid.toml');
    writeFileSync(file, 'admin_addr = "127.0.0.1:0"\nproxy_addr = "127.0.0.1:0"\nproxy_max_clients = -5\n');
    const loaded = spawnSync(process.execPath, [ENTRY, '-c', file], {
      encoding: 'utf8',
      env: { ...process.env, CODIS_PROXY_V8_FLAGS: '--max-semi-space-size=4' },
    });
    assert.equal(loaded.status, 1);
    assert.match(loaded.stderr, /invalid proxy_max_clients/);
  });

  it('an invalid config, an unknown key or an unknown option exits 1 with a message naming it', () => {
    const cases: Array<[string, RegExp]> = [
      ['backend_max_pipeline = -1\n', /invalid backend_max_pipeline/],
      ['backend_number_databases = 0\n', /invalid backend_number_databases/],
      ['proxy_max_clients = -5\n', /invalid proxy_max_clients/],
      ['product_nmae = "x"\n', /unknown key 'product_nmae'/],
      ['session_recv_timeout = "1h30m"\n', /session_recv_timeout: invalid timesize = '1h30m'/],
      ['product_name = "bad name"\n', /bad product name = bad name/],
    ];
    for (const [text, message] of cases) {
      const file = join(dir, 'bad.toml');
      writeFileSync(file, `admin_addr = "127.0.0.1:0"\nproxy_addr = "127.0.0.1:0"\n${text}`);
      const r = run(['-c', file]);
      assert.equal(r.status, 1, text);
      assert.match(r.stderr, message, text);
    }
    const unknown = run(['--bogus']);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /unknown option '--bogus'[\s\S]*Usage: codis-proxy/);
    const help = run(['--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--fillslots <file>/);
  });

  describe('standalone with --fillslots over two codis-servers', () => {
    let servers: RunningServer[] = [];
    let proxy: Daemon | undefined;
    let proxyPort = 0;
    let adminPort = 0;
    const pidfile = (): string => join(dir, 'proxy.pid');

    before(async () => {
      servers = await Promise.all([startServer('codis-server'), startServer('codis-server')]);
      const [a, b] = servers as [RunningServer, RunningServer];
      const slots = Array.from({ length: 1024 }, (_, id) => ({
        id,
        backend_addr: `127.0.0.1:${id < 512 ? a.port : b.port}`,
        backend_addr_group_id: id < 512 ? 1 : 2,
      }));
      writeFileSync(join(dir, 'slots.json'), JSON.stringify(slots));
      proxyPort = await freePort();
      adminPort = await freePort();
      writeFileSync(
        join(dir, 'proxy.toml'),
        `product_name = "cli-test"\nproxy_addr = "127.0.0.1:${proxyPort}"\nadmin_addr = "127.0.0.1:${adminPort}"\nbackend_ping_period = "0"\n`,
      );
      proxy = await startDaemon({
        command: process.execPath,
        args: [
          ENTRY,
          '-c',
          join(dir, 'proxy.toml'),
          '--fillslots',
          join(dir, 'slots.json'),
          '--pidfile',
          pidfile(),
        ],
        ready: async () => {
          try {
            return (await getJson(`http://127.0.0.1:${adminPort}/readyz`)).status === 200;
          } catch {
            return false;
          }
        },
        ports: [proxyPort, adminPort],
      });
    });
    after(async () => {
      await proxy?.kill();
      await Promise.all(servers.map((s) => s.stop()));
    });

    it('serves SET/GET through both servers and reports them in stats', async () => {
      assert.equal(readFileSync(pidfile(), 'utf8'), String(proxy?.process.pid));
      const client = new Redis({
        port: proxyPort,
        host: '127.0.0.1',
        lazyConnect: true,
        maxRetriesPerRequest: 0,
      });
      await client.connect();
      try {
        for (let i = 0; i < 50; i++) assert.equal(await client.set(`key:${i}`, `value:${i}`), 'OK');
        for (let i = 0; i < 50; i++) assert.equal(await client.get(`key:${i}`), `value:${i}`);
      } finally {
        client.disconnect();
      }
      const counts = await Promise.all(
        servers.map(async (s) => {
          const direct = new Redis({ port: s.port, host: '127.0.0.1', lazyConnect: true });
          await direct.connect();
          try {
            return await direct.dbsize();
          } finally {
            direct.disconnect();
          }
        }),
      );
      const [onA = 0, onB = 0] = counts;
      assert.equal(onA + onB, 50);
      assert.ok(onA > 0 && onB > 0, `keys on both servers: ${counts}`);
      const model = (await getJson(`http://127.0.0.1:${adminPort}/api/proxy/model`)).json as {
        token: string;
        pid: number;
      };
      assert.equal(model.pid, proxy?.process.pid);
      const x = proxyXAuth('cli-test', '', model.token);
      const deadline = Date.now() + 5000;
      let stats: { online: boolean; ops: { total: number; cmd?: Array<{ opstr: string; calls: number }> } };
      do {
        stats = (await getJson(`http://127.0.0.1:${adminPort}/api/proxy/stats/${x}/1`)).json as typeof stats;
        if ((stats.ops.total ?? 0) >= 100) break;
        await new Promise((r) => setTimeout(r, 100));
      } while (Date.now() < deadline);
      assert.equal(stats.online, true);
      assert.ok(stats.ops.total >= 100, JSON.stringify(stats.ops));
      assert.equal(stats.ops.cmd?.find((c) => c.opstr === 'SET')?.calls, 50);
      const slots = (await getJson(`http://127.0.0.1:${adminPort}/proxy/slots`)).json as Array<{
        backend_addr?: string;
      }>;
      assert.equal(slots[600]?.backend_addr, `127.0.0.1:${servers[1]?.port}`);
    });

    it('runs under Node with its V8 flags, in the process that was started', () => {
      const pid = proxy?.process.pid;
      const node = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
      const entry = node.indexOf(ENTRY);
      assert.ok(entry > 0, node.join(' '));
      assert.ok(node.slice(0, entry).includes('--single-threaded-gc'), node.join(' '));
      assert.ok(node.slice(0, entry).includes('--max-semi-space-size=4'), node.join(' '));
      assert.ok(node.slice(0, entry).includes('--no-allocation-site-pretenuring'), node.join(' '));
      assert.deepEqual(node.slice(entry + 1, entry + 3), ['-c', join(dir, 'proxy.toml')]);
    });

    it('SIGTERM: exit 0 and the pidfile is removed', async () => {
      const child = proxy?.process;
      assert.ok(child !== undefined);
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0, proxy?.output());
      assert.equal(existsSync(pidfile()), false);
      assert.match(proxy?.output() ?? '', /proxy receive signal = 'terminated'/);
    });
  });

  it('--ncpu 2: two workers share the port, admin fillslots reaches both, a dead one is restarted', async () => {
    const servers = await Promise.all([startServer('codis-server'), startServer('codis-server')]);
    const [a, b] = servers as [RunningServer, RunningServer];
    const table = (port: number): string =>
      JSON.stringify(Array.from({ length: 1024 }, (_, id) => ({ id, backend_addr: `127.0.0.1:${port}` })));
    writeFileSync(join(dir, 'ncpu-slots.json'), table(a.port));
    const proxyPort = await freePort();
    const adminPort = await freePort();
    writeFileSync(
      join(dir, 'ncpu.toml'),
      `product_name = "cli-ncpu"\nproxy_addr = "127.0.0.1:${proxyPort}"\nadmin_addr = "127.0.0.1:${adminPort}"\nbackend_ping_period = "0"\n`,
    );
    const proxy = await startDaemon({
      command: process.execPath,
      args: [ENTRY, '-c', join(dir, 'ncpu.toml'), '--ncpu', '2', '--fillslots', join(dir, 'ncpu-slots.json')],
      ready: async () => {
        try {
          return (await getJson(`http://127.0.0.1:${adminPort}/readyz`)).status === 200;
        } catch {
          return false;
        }
      },
    });
    const workers = (): number[] =>
      spawnSync('ps', ['-o', 'pid=', '--ppid', String(proxy.process.pid)], { encoding: 'utf8' })
        .stdout.split('\n')
        .map((line) => Number(line.trim()))
        .filter((pid) => pid > 0);
    const dbsize = async (port: number): Promise<number> => {
      const direct = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
      await direct.connect();
      try {
        return await direct.dbsize();
      } finally {
        direct.disconnect();
      }
    };
    /** One connection per key: the shared listener hands them to the workers in turn. */
    const setEach = async (prefix: string, n: number): Promise<void> => {
      await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const client = new Redis({
            port: proxyPort,
            host: '127.0.0.1',
            lazyConnect: true,
            maxRetriesPerRequest: 0,
          });
          await client.connect();
          try {
            assert.equal(await client.set(`${prefix}:${i}`, `v${i}`), 'OK');
            assert.equal(await client.get(`${prefix}:${i}`), `v${i}`);
          } finally {
            client.disconnect();
          }
        }),
      );
    };
    try {
      const first = workers();
      assert.equal(first.length, 2, proxy.output());
      await setEach('one', 20);
      assert.equal(await dbsize(a.port), 20);
      const model = (await getJson(`http://127.0.0.1:${adminPort}/api/proxy/model`)).json as {
        token: string;
      };
      const x = proxyXAuth('cli-ncpu', '', model.token);
      const deadline = Date.now() + 5000;
      let stats: {
        ops: { total: number; cmd?: Array<{ opstr: string; calls: number }> };
        sessions: { total: number };
      };
      do {
        stats = (await getJson(`http://127.0.0.1:${adminPort}/api/proxy/stats/${x}/1`)).json as typeof stats;
        if ((stats.ops.cmd?.find((c) => c.opstr === 'SET')?.calls ?? 0) >= 20 && stats.sessions.total >= 20)
          break;
        await new Promise((r) => setTimeout(r, 100));
      } while (Date.now() < deadline);
      assert.ok(stats.ops.total >= 40, JSON.stringify(stats));
      assert.equal(stats.ops.cmd?.find((c) => c.opstr === 'SET')?.calls, 20);
      assert.equal(stats.sessions.total, 20);

      // Every slot to the other server, through the primary's admin API.
      const filled = await getJson(
        `http://127.0.0.1:${adminPort}/api/proxy/fillslots/${x}`,
        'PUT',
        table(b.port),
      );
      assert.deepEqual(filled, { status: 200, json: 'OK' });
      await setEach('two', 20);
      assert.equal(await dbsize(a.port), 20);
      assert.equal(await dbsize(b.port), 20);
      const slots = (await getJson(`http://127.0.0.1:${adminPort}/proxy/slots`)).json as Array<{
        backend_addr?: string;
      }>;
      assert.equal(slots[7]?.backend_addr, `127.0.0.1:${b.port}`);

      // A worker that dies is replaced, with the current slot table and online state.
      process.kill(first[0] as number, 'SIGKILL');
      const restartBy = Date.now() + 10_000;
      let now = workers();
      while ((now.length !== 2 || now.includes(first[0] as number)) && Date.now() < restartBy) {
        await new Promise((r) => setTimeout(r, 100));
        now = workers();
      }
      assert.equal(now.length, 2, proxy.output());
      assert.ok(!now.includes(first[0] as number));
      await new Promise((r) => setTimeout(r, 500));
      await setEach('three', 20);
      assert.equal(await dbsize(a.port), 20);
      assert.equal(await dbsize(b.port), 40);

      const exited = new Promise<number | null>((r) => proxy.process.once('exit', (code) => r(code)));
      proxy.process.kill('SIGTERM');
      assert.equal(await exited, 0, proxy.output());
      assert.deepEqual(workers(), []);
      for (const pid of now) assert.throws(() => process.kill(pid, 0));
    } finally {
      await proxy.kill();
      await Promise.all(servers.map((s) => s.stop()));
    }
  });

  it('waits offline without an online mode, then PUT start and PUT shutdown (exit 0)', async () => {
    const proxyPort = await freePort();
    const adminPort = await freePort();
    const proxy = await startDaemon({
      command: process.execPath,
      args: [ENTRY, '--product_name', 'cli-wait', '--pidfile', join(dir, 'wait.pid')],
      env: {
        ...process.env,
        CODIS_PROXY_PROXY_ADDR: `127.0.0.1:${proxyPort}`,
        CODIS_PROXY_ADMIN_ADDR: `127.0.0.1:${adminPort}`,
      },
      ready: async () => {
        try {
          return (await getJson(`http://127.0.0.1:${adminPort}/livez`)).status === 200;
        } catch {
          return false;
        }
      },
    });
    try {
      assert.equal((await getJson(`http://127.0.0.1:${adminPort}/readyz`)).status, 503);
      const model = (await getJson(`http://127.0.0.1:${adminPort}/api/proxy/model`)).json as {
        token: string;
        product_name: string;
      };
      assert.equal(model.product_name, 'cli-wait');
      const x = proxyXAuth('cli-wait', '', model.token);
      assert.deepEqual(await getJson(`http://127.0.0.1:${adminPort}/api/proxy/start/${x}`, 'PUT'), {
        status: 200,
        json: 'OK',
      });
      assert.equal((await getJson(`http://127.0.0.1:${adminPort}/readyz`)).status, 200);
      const exited = new Promise<number | null>((r) => proxy.process.once('exit', (code) => r(code)));
      assert.deepEqual(await getJson(`http://127.0.0.1:${adminPort}/api/proxy/shutdown/${x}`, 'PUT'), {
        status: 200,
        json: 'OK',
      });
      assert.equal(await exited, 0, proxy.output());
      assert.equal(existsSync(join(dir, 'wait.pid')), false);
    } finally {
      await proxy.kill();
    }
  });

  it('--dashboard: registers itself, the dashboard calls back fillslots and start', async () => {
    const calls: string[] = [];
    const dashboard = createServer((req, res) => {
      calls.push(`${req.method} ${req.url}`);
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      if (req.url === '/api/topom/model') {
        res.end(JSON.stringify({ product_name: 'cli-dash', admin_addr: 'x' }));
        return;
      }
      const m = /^\/api\/topom\/proxy\/online\/([0-9a-f]{32})\/(.+)$/.exec(req.url ?? '');
      if (req.method !== 'PUT' || m === null) {
        res.writeHead(404).end();
        return;
      }
      void (async () => {
        const admin = `http://${m[2]}`;
        const model = (await getJson(`${admin}/api/proxy/model`)).json as { token: string };
        const x = proxyXAuth('cli-dash', '', model.token);
        await getJson(`${admin}/api/proxy/fillslots/${x}`, 'PUT', '[{"id":7,"backend_addr":"127.0.0.1:1"}]');
        await getJson(`${admin}/api/proxy/start/${x}`, 'PUT');
        res.end('"OK"');
      })();
    });
    await new Promise<void>((r) => dashboard.listen(0, '127.0.0.1', () => r()));
    const dashPort = (dashboard.address() as AddressInfo).port;
    const adminPort = await freePort();
    const proxyPort = await freePort();
    const proxy = await startDaemon({
      command: process.execPath,
      args: [ENTRY, '--product_name', 'cli-dash', '--dashboard', `127.0.0.1:${dashPort}`],
      env: {
        ...process.env,
        CODIS_PROXY_PROXY_ADDR: `127.0.0.1:${proxyPort}`,
        CODIS_PROXY_ADMIN_ADDR: `127.0.0.1:${adminPort}`,
      },
      ready: async () => {
        try {
          return (await getJson(`http://127.0.0.1:${adminPort}/readyz`)).status === 200;
        } catch {
          return false;
        }
      },
      ports: [adminPort],
    });
    try {
      assert.equal(calls[0], 'GET /api/topom/model');
      assert.equal(
        calls[1],
        `PUT /api/topom/proxy/online/${dashboardXAuth('cli-dash')}/127.0.0.1:${adminPort}`,
      );
      const slots = (await getJson(`http://127.0.0.1:${adminPort}/proxy/slots`)).json as Array<{
        backend_addr?: string;
      }>;
      assert.equal(slots[7]?.backend_addr, '127.0.0.1:1');
      const exited = new Promise<number | null>((r) => proxy.process.once('exit', (code) => r(code)));
      proxy.process.kill('SIGTERM');
      assert.equal(await exited, 0, proxy.output());
    } finally {
      await proxy.kill();
      dashboard.close();
    }
  });
});
