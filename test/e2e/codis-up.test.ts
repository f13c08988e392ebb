// `codis up` end to end: a whole local cluster on non-default free ports in a temp dir; SET/GET
// through the proxy; codis-admin against the real dashboard and proxy; Ctrl-C (SIGINT) stops every
// process; a second run reuses the data (no duplicate groups, slots left assigned, keys still there).

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, test } from 'node:test';
import { runAdmin } from '../../src/admin/index.ts';
import { freeRange, portFree } from '../helpers/free-port.ts';
import { RawConnection } from '../helpers/raw-connection.ts';
import { bulk } from '../helpers/resp-text.ts';

const CODIS = join(import.meta.dirname, '..', '..', 'src', 'cli', 'codis.ts');
const dir = mkdtempSync(join(tmpdir(), 'codis-up-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Up {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exit: Promise<number | null>;
}

async function codisUp(args: string[]): Promise<Up> {
  const child = spawn(process.execPath, [CODIS, 'up', ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 90_000;
  while (!out.includes('Ctrl-C stops the cluster.')) {
    if (child.exitCode !== null) throw new Error(`codis up exited ${child.exitCode}:\n${out}\n${err}`);
    if (Date.now() > deadline) {
      child.kill('SIGINT');
      await exit;
      throw new Error(`codis up was not ready:\n${out}\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function admin(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  stderr.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  const code = await runAdmin(args, { stdout, stderr, env: {} });
  return { code, stdout: out, stderr: err };
}

/** The reply's exact bytes. */
async function command(port: number, ...args: string[]): Promise<string> {
  const conn = await RawConnection.open(port);
  try {
    conn.send(...args);
    return (await conn.reply(10_000)).raw;
  } finally {
    conn.close();
  }
}

test('codis up: a cluster through the proxy, codis-admin on it, Ctrl-C, and a second run on the same data', async () => {
  // One range for every port: separate picks, free at the time of picking, could return the same port.
  const serverPort = await freeRange(8);
  const dashboardPort = serverPort + 4;
  const proxyPort = serverPort + 5;
  const proxyAdminPort = serverPort + 6;
  const fePort = serverPort + 7;
  const args = [
    '--dir=data',
    `--server-port=${serverPort}`,
    `--dashboard-port=${dashboardPort}`,
    `--proxy-port=${proxyPort}`,
    `--proxy-admin-port=${proxyAdminPort}`,
    `--fe-port=${fePort}`,
  ];
  const dashboard = `--dashboard=127.0.0.1:${dashboardPort}`;

  const first = await codisUp(args);
  let stopped = false;
  try {
    assert.match(first.stdout(), new RegExp(`proxy +127\\.0\\.0\\.1:${proxyPort}`));
    assert.match(first.stderr(), /created group 1/);
    // codis-fe serves the web UI and finds the product in the coordinator.
    assert.match(first.stdout(), new RegExp(`fe +http://127\\.0\\.0\\.1:${fePort}`));
    assert.deepEqual(await (await fetch(`http://127.0.0.1:${fePort}/list`)).json(), ['codis-demo']);
    assert.match(first.stderr(), /slots \[0,511\] => group 1/);
    for (let i = 0; i < 20; i++)
      assert.equal(await command(proxyPort, 'SET', `key:${i}`, `value:${i}`), '+OK\r\n');
    for (let i = 0; i < 20; i++)
      assert.equal(await command(proxyPort, 'GET', `key:${i}`), bulk(`value:${i}`));

    // codis-admin against the real dashboard and proxy.
    const groups = JSON.parse((await admin([dashboard, '--list-group'])).stdout);
    assert.deepEqual(
      groups.map((g: { id: number; servers: { server: string }[] }) => [g.id, g.servers.length]),
      [
        [1, 2],
        [2, 2],
      ],
    );
    const proxies = JSON.parse((await admin([dashboard, '--list-proxy'])).stdout);
    assert.equal(proxies.length, 1);
    assert.equal(proxies[0].proxy_addr, `127.0.0.1:${proxyPort}`);
    const slots = JSON.parse((await admin([dashboard, '--slots-status'])).stdout);
    assert.equal(slots.length, 1024);
    assert.equal(slots[0].backend_addr, `127.0.0.1:${serverPort}`);
    assert.equal(slots[1023].backend_addr, `127.0.0.1:${serverPort + 2}`);
    const dup = await admin([dashboard, '--create-group', '--gid=1']);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /\[error\]: \[Remote Error\] group-\[1\] already exists/);
    assert.equal((await admin([dashboard, '--rebalance'])).stdout, 'nothing changes\n');
    const proxyModel = JSON.parse((await admin([`--proxy=127.0.0.1:${proxyAdminPort}`, 'model'])).stdout);
    assert.equal(proxyModel.proxy_addr, `127.0.0.1:${proxyPort}`);
    assert.equal((await admin([`--proxy=127.0.0.1:${proxyAdminPort}`, '--reset-stats'])).code, 0);
    // Replication: the replica of group 1 follows its master (within a few seconds).
    const deadline = Date.now() + 15_000;
    for (;;) {
      const status = (await admin([dashboard, '--group-status'])).stdout;
      if (status.split('\n').filter((l) => l.startsWith('[ ]')).length === 4) break;
      if (Date.now() > deadline) assert.fail(`replicas not in sync:\n${status}`);
      await new Promise((r) => setTimeout(r, 500));
    }

    // A process shut down on purpose (here the proxy, by --remove-proxy) leaves the rest running.
    assert.equal((await admin([dashboard, '--remove-proxy', `--addr=127.0.0.1:${proxyAdminPort}`])).code, 0);
    const exitDeadline = Date.now() + 15_000;
    while (!first.stderr().includes('proxy-1 has exited (status 0)')) {
      if (Date.now() > exitDeadline) assert.fail(`the proxy did not exit:\n${first.stderr()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(first.child.exitCode, null);
    assert.equal(JSON.parse((await admin([dashboard, '--list-proxy'])).stdout).length, 0);

    first.child.kill('SIGINT');
    assert.equal(await first.exit, 0, first.stderr());
    stopped = true;
    assert.match(first.stderr(), /received SIGINT; stopping the cluster/);
    for (const port of [serverPort, serverPort + 3, dashboardPort, proxyPort, proxyAdminPort, fePort]) {
      assert.equal(await portFree(port), true, `port ${port} still in use`);
    }
  } finally {
    if (!stopped) {
      first.child.kill('SIGINT');
      await first.exit;
    }
  }

  const second = await codisUp(args);
  try {
    assert.doesNotMatch(second.stderr(), /created group|added /);
    assert.match(second.stderr(), /slots already assigned/);
    for (let i = 0; i < 20; i++)
      assert.equal(await command(proxyPort, 'GET', `key:${i}`), bulk(`value:${i}`));
    const groups = JSON.parse((await admin([dashboard, '--list-group'])).stdout);
    assert.equal(groups.length, 2);
    // The proxy removed in the first run registered again.
    assert.equal(JSON.parse((await admin([dashboard, '--list-proxy'])).stdout).length, 1);
    assert.match(
      readFileSync(join(dir, 'data', 'dashboard.toml'), 'utf8'),
      /coordinator_name = "filesystem"/,
    );
  } finally {
    second.child.kill('SIGTERM');
    assert.equal(await second.exit, 0, second.stderr());
  }
});
