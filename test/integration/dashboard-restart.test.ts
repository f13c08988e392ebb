// The codis-dashboard program: its command line, the product lock (a second dashboard is refused,
// SIGTERM releases it), and a dashboard killed with SIGKILL in the middle of a migration: the next
// one takes the dead holder's lock over and resumes the migration from the coordinator's state.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dashboardXAuth } from '../../src/dashboard/index.ts';
import { RedisClient } from '../../src/dashboard/redis-client.ts';
import { slotOf } from '../../src/slots/index.ts';
import { type Daemon, startDaemon } from '../helpers/daemon.ts';
import { freePort } from '../helpers/free-port.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

const CLI = resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'codis-dashboard.ts');
const PRODUCT = 'codis-restart';
const X = dashboardXAuth(PRODUCT);

async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeout = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (
    !(await Promise.resolve()
      .then(check)
      .catch(() => false))
  ) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('codis-dashboard program', { timeout: 120_000 }, () => {
  let root: string;
  let conf: string;
  let base: string;
  const servers: RunningServer[] = [];
  const daemons: Daemon[] = [];
  const addr = (i: number): string => `127.0.0.1:${servers[i]?.port}`;
  const slotFile = (sid: number): string =>
    join(root, 'coord', 'data', 'codis3', PRODUCT, 'slots', `slot-${String(sid).padStart(4, '0')}`);
  const lockFile = (): string => join(root, 'coord', 'data', 'codis3', PRODUCT, 'topom');

  async function start(...extra: string[]): Promise<Daemon> {
    const d = await startDaemon({
      command: process.execPath,
      args: [CLI, '--config', conf, '--log-level', 'WARN', ...extra],
      ready: async () => (await fetch(`${base}/readyz`)).status === 200,
      ports: [Number(new URL(base).port)],
    });
    daemons.push(d);
    return d;
  }

  async function put(path: string, body?: unknown): Promise<void> {
    const res = await fetch(`${base}${path}`, {
      method: 'PUT',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    assert.equal(res.status, 200, `${path}: ${await res.text()}`);
  }

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'dashboard-cli-'));
    for (let i = 0; i < 2; i++) servers.push(await startServer('codis-server'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    conf = join(root, 'dashboard.toml');
    writeFileSync(
      conf,
      [
        'coordinator_name = "filesystem"',
        `coordinator_addr = "${join(root, 'coord')}"`,
        `product_name = "${PRODUCT}"`,
        `admin_addr = "127.0.0.1:${port}"`,
        'migration_async_numkeys = 5',
        'migration_async_maxbulks = 5',
      ].join('\n'),
    );
  });

  after(async () => {
    for (const d of daemons) await d.kill();
    for (const s of servers) await s.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('prints the default config and names an unknown key', () => {
    const printed = spawnSync(process.execPath, [CLI, '--default-config'], { encoding: 'utf8' });
    assert.equal(printed.status, 0);
    assert.match(printed.stdout, /^migration_async_maxbytes = "32mb"$/m);
    assert.match(printed.stdout, /^admin_addr = "0\.0\.0\.0:18080"$/m);
    const bad = join(root, 'bad.toml');
    writeFileSync(bad, 'migration_speed = 3\n');
    const refused = spawnSync(process.execPath, [CLI, '--config', bad], { encoding: 'utf8' });
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /unknown key 'migration_speed'/);
  });

  it('resumes a migration after SIGKILL, refuses a second dashboard, releases the lock on SIGTERM', async () => {
    const first = await start();
    await put(`/api/topom/group/create/${X}/1`);
    await put(`/api/topom/group/create/${X}/2`);
    await put(`/api/topom/group/add/${X}/1/${addr(0)}`);
    await put(`/api/topom/group/add/${X}/2/${addr(1)}`);
    await put(`/api/topom/slots/assign/${X}`, [{ id: 0, group_id: 1, action: {} }]);
    const keys = new Map<string, string>();
    const source = await RedisClient.open(addr(0), '', 5000);
    for (let i = 0; keys.size < 200; i++) {
      if (slotOf(`r${i}`) !== 0) continue;
      keys.set(`r${i}`, `value-${i}`);
      await source.ok('SET', `r${i}`, `value-${i}`);
    }
    // 200 keys, 5 per step, 0.1 s between steps: the migration lasts several seconds.
    await put(`/api/topom/slots/action/interval/${X}/100000`);
    await put(`/api/topom/slots/action/create/${X}/0/2`);
    await waitFor('migrating', async () => {
      const left = await source.call('SLOTSINFO', 0, 1);
      return (
        readFileSync(slotFile(0), 'utf8').includes('"migrating"') && Array.isArray(left) && left.length === 1
      );
    });
    await first.kill();
    assert.ok(existsSync(lockFile()), 'the lock outlives a killed dashboard');
    assert.match(readFileSync(slotFile(0), 'utf8'), /"state": "migrating"/);

    // The killed holder's lock is taken over; interval is back to 0 (not persisted, §8.6).
    const second = await start();
    await waitFor('migration resumed and finished', () =>
      readFileSync(slotFile(0), 'utf8').includes('"group_id": 2'),
    );
    assert.deepEqual(JSON.parse(readFileSync(slotFile(0), 'utf8')), { id: 0, group_id: 2, action: {} });
    const target = await RedisClient.open(addr(1), '', 5000);
    for (const [key, value] of keys) {
      assert.equal(await target.call('GET', key), value, key);
      assert.equal(await source.call('EXISTS', key), 0, key);
    }
    target.close();
    source.close();

    const third = spawnSync(
      process.execPath,
      [CLI, '--config', conf, '--online-attempts', '1', '--log-level', 'NONE'],
      {
        encoding: 'utf8',
        timeout: 20_000,
        env: { ...process.env, CODIS_DASHBOARD_ADMIN_ADDR: `127.0.0.1:${await freePort()}` },
      },
    );
    assert.equal(third.status, 1);
    assert.match(third.stderr, /dashboard online failed, give up & abort/);
    assert.match(third.stderr, /held by pid \d+/);

    await second.stop();
    assert.equal(second.process.exitCode, 0);
    assert.equal(existsSync(lockFile()), false, 'SIGTERM releases the lock');
  });
});
