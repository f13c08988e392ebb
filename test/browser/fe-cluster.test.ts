// codis-fe in Debian's chromium against a real cluster started here: three codis-servers, our
// codis-dashboard on a filesystem coordinator, a codis-proxy waiting to be added, and codis-fe
// discovering the product from the coordinator. The test clicks through the life of a product and
// checks after each step both the page and the cluster's real state (dashboard stats, the servers'
// INFO, keys read through the proxy). Screenshots go to test-artifacts/fe/.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { Locator, Page } from 'playwright-core';
import { dashboardXAuth } from '../../src/dashboard/index.ts';
import { slotOf } from '../../src/slots/index.ts';
import { type Browser, launchBrowser, screenshot } from '../helpers/browser.ts';
import { type RunningFe, startFe } from '../helpers/codis-fe.ts';
import { type Daemon, startDaemon } from '../helpers/daemon.ts';
import { freePort } from '../helpers/free-port.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

const PRODUCT = 'fe-cluster';
const X = dashboardXAuth(PRODUCT);
const CLI = resolve(import.meta.dirname, '..', '..', 'src', 'cli');

async function text(locator: Locator): Promise<string> {
  return (await locator.allInnerTexts()).join('\n');
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeout = 30_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (
    !(await Promise.resolve()
      .then(check)
      .catch(() => false))
  ) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Stats {
  slots: { id: number; group_id: number; action: { state?: string } }[];
  group: { models: { id: number; servers: { server: string }[] }[] };
  proxy: { models: { token: string; admin_addr: string }[] };
}

describe('codis-fe page driving a real cluster', { timeout: 240_000 }, () => {
  let root: string;
  const servers: RunningServer[] = [];
  const addr = (i: number): string => `127.0.0.1:${servers[i]?.port}`;
  let dashboard: Daemon;
  let dashboardUrl: string;
  let proxy: Daemon;
  let proxyPort: number;
  let proxyAdmin: string;
  let fe: RunningFe;
  let browser: Browser;
  let page: Page;
  let client: Redis;

  async function stats(): Promise<Stats> {
    const res = await fetch(`${dashboardUrl}/api/topom/stats/${X}`);
    assert.equal(res.status, 200);
    return (await res.json()) as Stats;
  }

  async function info(i: number, section: string): Promise<string> {
    const redis = new Redis({ port: servers[i]?.port ?? 0, host: '127.0.0.1', lazyConnect: true });
    try {
      await redis.connect();
      return await redis.info(section);
    } finally {
      redis.disconnect();
    }
  }

  async function confirm(): Promise<void> {
    await page.locator('#confirm').waitFor({ state: 'visible' });
    await page.click('#confirm-ok');
  }

  async function noError(): Promise<void> {
    if (await page.locator('#error').isVisible())
      assert.fail(`page error: ${await text(page.locator('#error-text'))}`);
  }

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'fe-cluster-'));
    for (let i = 0; i < 3; i++) servers.push(await startServer('codis-server'));
    const dashboardPort = await freePort();
    dashboardUrl = `http://127.0.0.1:${dashboardPort}`;
    writeFileSync(
      join(root, 'dashboard.toml'),
      [
        'coordinator_name = "filesystem"',
        `coordinator_addr = "${join(root, 'coord')}"`,
        `product_name = "${PRODUCT}"`,
        `admin_addr = "127.0.0.1:${dashboardPort}"`,
      ].join('\n'),
    );
    dashboard = await startDaemon({
      command: process.execPath,
      args: [
        join(CLI, 'codis-dashboard.ts'),
        '--config',
        join(root, 'dashboard.toml'),
        '--log-level',
        'WARN',
      ],
      ready: async () => (await fetch(`${dashboardUrl}/readyz`)).status === 200,
      ports: [dashboardPort],
    });
    proxyPort = await freePort();
    const adminPort = await freePort();
    proxyAdmin = `127.0.0.1:${adminPort}`;
    writeFileSync(
      join(root, 'proxy.toml'),
      `product_name = "${PRODUCT}"\nproxy_addr = "127.0.0.1:${proxyPort}"\nadmin_addr = "${proxyAdmin}"\n`,
    );
    proxy = await startDaemon({
      command: process.execPath,
      args: [join(CLI, 'codis-proxy.ts'), '-c', join(root, 'proxy.toml'), '--log-level', 'WARN'],
      ready: async () => (await fetch(`http://${proxyAdmin}/livez`)).status === 200,
      ports: [proxyPort, adminPort],
    });
    fe = await startFe(['--filesystem', join(root, 'coord')]);
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on('pageerror', (error) => assert.fail(`page error: ${error.message}`));
  });

  after(async () => {
    client?.disconnect();
    await browser?.close();
    await fe?.daemon.stop();
    await proxy?.kill();
    await dashboard?.stop();
    for (const s of servers) await s.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('finds the product in the coordinator and shows an empty product', async () => {
    await page.goto(fe.url);
    // The only product is selected by itself.
    await page.locator('#overview', { hasText: PRODUCT }).waitFor();
    await page.selectOption('#refresh', '1');
    await page.locator('#no-groups').waitFor();
    assert.match(await text(page.locator('#overview')), /\[Filesystem\]/);
    assert.match(await text(page.locator('#slot-legend')), /Offline:1024/);
  });

  it('creates groups and adds servers', async () => {
    for (const gid of [1, 2]) {
      await page.fill('#group-id', String(gid));
      await page.click('#group-form button[type=submit]');
      await page.locator(`table.group[data-gid="${gid}"]`).waitFor();
    }
    for (const [gid, i] of [
      [1, 0],
      [2, 1],
      [2, 2],
    ] as const) {
      await page.fill('#server-addr', addr(i));
      await page.fill('#server-group', String(gid));
      await page.click('#server-form button[type=submit]');
      await page.locator(`table.group[data-gid="${gid}"] tr[data-addr="${addr(i)}"]`).waitFor();
    }
    await noError();
    const groups = (await stats()).group.models;
    assert.deepEqual(
      groups.map((g) => [g.id, g.servers.map((s) => s.server)]),
      [
        [1, [addr(0)]],
        [2, [addr(1), addr(2)]],
      ],
    );
    // The replica is attached by its SLAVEOF action (the wrench button of Codis's FE).
    await page.click(`tr[data-addr="${addr(2)}"] button[data-action="slaveof"]`);
    const replicaMaster = page.locator(`tr[data-addr="${addr(2)}"] .actual-master`);
    await until(
      'the replica to follow its master',
      async () => (await text(replicaMaster)) === `${addr(1)}:up`,
    );
    assert.match(await info(2, 'replication'), new RegExp(`master_port:${servers[1]?.port}`));
  });

  it('adds the proxy', async () => {
    await page.fill('#proxy-addr', proxyAdmin);
    await page.click('#proxy-form button[type=submit]');
    const row = page.locator('#proxies tr[data-token]');
    await row.waitFor();
    await until('the proxy to be HEALTHY', async () => (await text(row.locator('.status'))) === 'HEALTHY');
    const models = (await stats()).proxy.models;
    assert.equal(models.length, 1);
    assert.equal(models[0]?.admin_addr, proxyAdmin);
    assert.equal((await fetch(`http://${proxyAdmin}/readyz`)).status, 200, 'the proxy is online');
    assert.equal(await text(page.locator('#proxy-count')), '1');
  });

  it('assigns every slot to group 1 and serves keys through the proxy', async () => {
    await page.fill('#range-begin', '0');
    await page.fill('#range-end', '1023');
    await page.fill('#range-group', '1');
    await page.click('#assign-range');
    await confirm();
    await until('the slot map to show group 1', async () =>
      (await text(page.locator('#slot-legend'))).includes('Group-1:1024'),
    );
    assert.equal(await page.locator('#slot-map div[data-group="1"]').count(), 1024);
    assert.ok((await stats()).slots.every((s) => s.group_id === 1));
    client = new Redis({ port: proxyPort, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    for (let i = 0; i < 300; i++) await client.set(`key:${i}`, `value:${i}`);
    assert.match(await info(0, 'keyspace'), /db0:keys=300,/);
    await until(
      'the page to count the keys',
      async () => (await text(page.locator('#total-keys'))) === '300',
    );
    // An assignment leaves the group out of sync (spec §8.7) until it is resynced: its SYNC button.
    const caption = page.locator('table.group[data-gid="1"] caption');
    await until('group 1 to be out of sync', async () => (await text(caption)).includes('OUT OF SYNC'));
    await page.click('table.group[data-gid="1"] button[data-action="resync"]');
    await confirm();
    await until('group 1 to be in sync', async () => !(await text(caption)).includes('OUT OF SYNC'));
    const group1 = (await stats()).group.models.find((g) => g.id === 1) as { out_of_sync?: boolean };
    assert.equal(group1.out_of_sync ?? false, false);
    await screenshot(page, 'cluster-assigned');
  });

  it('migrates a range to group 2 and shows it until it is done', async () => {
    // A pause between steps keeps the migration visible for a refresh or two.
    await page.fill('#action-interval', '10000');
    await page.click('#interval-form button[type=submit]');
    await page.locator('#action-interval[placeholder="10000"]').waitFor();
    await page.fill('#range-begin', '0');
    await page.fill('#range-end', '99');
    await page.fill('#range-group', '2');
    await page.click('#migrate-range');
    await confirm();
    // The page refreshes right after the action: the queued slots are listed.
    await page.locator('#actions tr[data-slot]').first().waitFor();
    assert.ok((await page.locator('#slot-map div.pending, #slot-map div.migrating').count()) > 0);
    await screenshot(page, 'cluster-migrating');
    await until(
      'the migration to finish',
      async () =>
        (await text(page.locator('#action-status'))).startsWith('no migrations') &&
        (await text(page.locator('#slot-legend'))).includes('Group-2:100'),
      60_000,
    );
    await noError();
    const slots = (await stats()).slots;
    assert.ok(slots.slice(0, 100).every((s) => s.group_id === 2 && s.action.state === undefined));
    assert.ok(slots.slice(100).every((s) => s.group_id === 1));
    // The keys moved with their slots and every one still reads through the proxy.
    const moved = Array.from({ length: 300 }, (_, i) => `key:${i}`).filter((k) => slotOf(k) < 100).length;
    assert.ok(moved > 0);
    assert.match(await info(1, 'keyspace'), new RegExp(`db0:keys=${moved},`));
    assert.match(await info(0, 'keyspace'), new RegExp(`db0:keys=${300 - moved},`));
    for (let i = 0; i < 300; i++) assert.equal(await client.get(`key:${i}`), `value:${i}`);
    await screenshot(page, 'cluster-migrated');
  });

  it('promotes the replica of group 2', async () => {
    await page.click(`tr[data-addr="${addr(2)}"] button[data-action="promote"]`);
    await confirm();
    await until(
      'the replica to lead group 2',
      async () =>
        (await page.locator('table.group[data-gid="2"] tr[data-addr]').first().getAttribute('data-addr')) ===
        addr(2),
    );
    await noError();
    assert.deepEqual(
      (await stats()).group.models.find((g) => g.id === 2)?.servers.map((s) => s.server),
      [addr(2), addr(1)],
    );
    await until('the promoted server to be a master', async () =>
      /role:master/.test(await info(2, 'replication')),
    );
    // Writes to group 2's slots go to the new master.
    const key = Array.from({ length: 300 }, (_, i) => `key:${i}`).find((k) => slotOf(k) < 100) ?? '';
    await client.set(key, 'after-promote');
    assert.equal(await client.get(key), 'after-promote');
    await screenshot(page, 'cluster-promoted');
  });

  it('previews a rebalance, and disables and enables the slot scheduler', async () => {
    await page.click('#rebalance');
    await page.locator('#confirm').waitFor({ state: 'visible' });
    assert.equal(await text(page.locator('#confirm-title')), 'Preview of Auto-Rebalance');
    assert.match(await text(page.locator('#confirm-text')), /^group-\[2\] <== \[\d+,\d+\]/);
    await page.click('#confirm-cancel');
    await page.locator('#confirm').waitFor({ state: 'hidden' });
    assert.ok(
      (await stats()).slots.every((s) => s.action.state === undefined),
      'a preview moves nothing',
    );

    const scheduler = async (): Promise<boolean> =>
      (
        (await (await fetch(`${dashboardUrl}/api/topom/stats/${X}`)).json()) as {
          slot_action: { disabled: boolean };
        }
      ).slot_action.disabled;
    await page.click('#action-disable');
    await page.locator('#action-enabled', { hasText: 'Disabled' }).waitFor();
    assert.equal(await scheduler(), true);
    await page.click('#action-enable');
    await page.locator('#action-enabled', { hasText: 'Enabled' }).waitFor();
    assert.equal(await scheduler(), false);
  });

  it("shows the dashboard's error when an action fails, and stays usable", async () => {
    await page.fill('#group-id', '1');
    await page.click('#group-form button[type=submit]');
    await page.locator('#error-text', { hasText: /group-\[1\] already exists/ }).waitFor();
    await page.click('#error-close');
  });

  it('removes the proxy', async () => {
    client.disconnect();
    await page.click('#proxies tr[data-token] button[data-action="remove"]');
    await confirm();
    await page.locator('#proxies', { hasText: 'no proxies' }).waitFor();
    await noError();
    assert.equal((await stats()).proxy.models.length, 0);
    // The dashboard shut the proxy down.
    await until('the proxy process to exit', () => proxy.process.exitCode !== null, 15_000);
    await screenshot(page, 'cluster-final');
  });
});
