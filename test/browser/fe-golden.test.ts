// codis-fe's page in Debian's chromium against fake dashboards that answer with Codis 3.2's JSON
// (spec §6.3, §14.1, Appendix A): the golden sample renders, values from the cluster are escaped
// (a server named like an HTML tag is shown, not run), a dashboard error shows its Cause without
// the Go stack, an unreachable dashboard and an empty product leave the page usable, and the
// optional login guards the API.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { dashboardXAuth } from '../../src/fe/web/sha256.js';
import { type Browser, launchBrowser, screenshot } from '../helpers/browser.ts';
import { type RunningFe, startFe } from '../helpers/codis-fe.ts';
import { emptyStats, FakeCodisDashboard, goldenStats } from '../helpers/fe-fake-dashboard.ts';
import { freePort } from '../helpers/free-port.ts';

const EVIL_SERVER = '<img src=x onerror="window.__xss=1">:6379';
const EVIL_PROXY = '<script>window.__xss=2</script>';
const PASSWORD = 'fe-secret-pw';

/** The rendered text of every element the locator matches. */
async function text(locator: Locator): Promise<string> {
  return (await locator.allInnerTexts()).join('\n');
}

describe('codis-fe page with Codis 3.2 dashboards', { timeout: 120_000 }, () => {
  let dir: string;
  let demo: FakeCodisDashboard;
  let empty: FakeCodisDashboard;
  let fe: RunningFe;
  let browser: Browser;
  let page: Page;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fe-golden-'));
    demo = await new FakeCodisDashboard('codis-demo', () =>
      goldenStats({ serverName: EVIL_SERVER, proxyAddr: EVIL_PROXY }),
    ).start();
    empty = await new FakeCodisDashboard('empty-product', emptyStats).start();
    const closedPort = await freePort();
    writeFileSync(
      join(dir, 'dashboards.json'),
      JSON.stringify([
        { name: 'codis-demo', dashboard: demo.addr },
        { name: 'empty-product', dashboard: empty.addr },
        { name: 'gone', dashboard: `127.0.0.1:${closedPort}` },
        { name: 'no-dashboard', dashboard: '' },
      ]),
    );
    writeFileSync(join(dir, 'password'), `${PASSWORD}\n`);
    fe = await startFe([
      '--dashboard-list',
      join(dir, 'dashboards.json'),
      '--password-file',
      join(dir, 'password'),
    ]);
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on('pageerror', (error) => assert.fail(`page error: ${error.message}`));
  });

  after(async () => {
    await browser?.close();
    await fe?.daemon.stop();
    await demo?.close();
    await empty?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks for the password before showing anything', async () => {
    await page.goto(`${fe.url}/#codis-demo`);
    await page.locator('#login').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#main').isVisible(), false);
    await page.fill('#login-password', 'wrong');
    await page.click('#login button[type=submit]');
    await page.locator('#error-text', { hasText: 'wrong password' }).waitFor();
    await screenshot(page, 'golden-login');
    await page.fill('#login-password', PASSWORD);
    await page.click('#login button[type=submit]');
    await page.locator('#main').waitFor({ state: 'visible' });
    assert.deepEqual(await page.locator('#product-select option').allTextContents(), [
      '(choose a product)',
      'codis-demo',
      'empty-product',
      'gone',
    ]);
  });

  it('renders the golden stats of Appendix A', async () => {
    await page.locator('#overview', { hasText: 'codis-demo' }).waitFor();
    const overview = await text(page.locator('#overview'));
    assert.match(overview, /\[Filesystem\] <ROOT>\/coord/);
    assert.match(overview, /3\.2\.2-12-gde1ad026/);
    assert.equal(await text(page.locator('#total-qps')), '42');
    assert.equal(await text(page.locator('#proxy-count')), '1');
    assert.equal(await text(page.locator('#group-count')), '3');
    // Masters of groups 1 and 3 answered (1338 + 7 keys); group 2's master is in error.
    assert.equal(await text(page.locator('#total-keys')), '1,345');

    const proxy = page.locator('#proxies tr[data-token="2e7212a146c4e36a17404fc19d2ed3cf"]');
    assert.match(await text(proxy), /total=7006,fails=0,rsp\.errs=1,qps=42/);
    assert.match(await text(proxy.locator('.status')), /HEALTHY/);

    const group1 = page.locator('table.group[data-gid="1"]');
    assert.match(await text(group1.locator('tr[data-addr="127.0.0.1:16380"]')), /NO:ONE/);
    const replica = group1.locator('tr[data-addr="127.0.0.1:16379"]');
    assert.equal(await text(replica.locator('.actual-master')), '127.0.0.1:16380:up');
    assert.match(await text(replica.locator('.keys')), /db0:keys=1338/);
    assert.match(await text(page.locator('table.group[data-gid="2"]')), /ERROR/);

    assert.match(await text(page.locator('#slot-legend')), /Group-1:259.*Group-2:441.*Group-3:324/s);
    assert.equal(await page.locator('#slot-map div[data-group="2"]').count(), 441);
    assert.equal(await page.locator('#slot-map div.migrating').count(), 1);
    assert.equal(await page.locator('#slot-map div.pending').count(), 23);
    assert.equal(await page.locator('#actions tr[data-slot]').count(), 24);

    const sentinels = await text(page.locator('#sentinels'));
    assert.match(sentinels, /masters=3,down=1,slaves=0\.33,sentinels=2\.00/);
    assert.match(sentinels, /TIMEOUT/);
    await screenshot(page, 'golden-overview');
  });

  it('shows values from the cluster as text, never as HTML', async () => {
    const server = page.locator('table.group[data-gid="3"] .addr');
    assert.equal(await text(server), EVIL_SERVER);
    assert.match(await text(page.locator('#proxies')), /<script>window\.__xss=2<\/script>/);
    assert.equal(await page.locator('#groups img, #proxies script, #proxies img').count(), 0);
    assert.equal(await page.evaluate(() => (globalThis as { __xss?: number }).__xss), undefined);
  });

  it('flags HA conflicts: a red JUST DO IT confirmation, and run ids the sentinels disagree on', async () => {
    await page.click('table.group[data-gid="3"] button[data-action="resync"]');
    await page.locator('#confirm').waitFor({ state: 'visible' });
    assert.equal(await text(page.locator('#confirm-title')), 'Warning !! HA conflict');
    assert.equal(await text(page.locator('#confirm-ok')), 'JUST DO IT');
    assert.match(
      await text(page.locator('#confirm-text')),
      /group-\[3\] master=<img src=x onerror="window\.__xss=1">:6379, HA master=127\.0\.0\.1:16383/,
    );
    await screenshot(page, 'golden-ha-conflict');
    await page.click('#confirm-cancel');
    await page.locator('#confirm').waitFor({ state: 'hidden' });
    assert.equal(demo.requests.filter((r) => r.method === 'PUT').length, 0, 'cancel sends nothing');
    const runIds = await text(page.locator('#sentinels tr[data-addr="127.0.0.1:26379"] .run-id'));
    assert.match(
      runIds,
      /\[\+\]group=3,server=127\.0\.0\.1:16383,runid=ad1d6183e1aedc4ca8c04d622f768d412e54fed6/,
    );
    assert.match(runIds, /\[-\]group=3,server=<img src=x onerror="window\.__xss=1">:6379,runid=79e94e43/);
  });

  it('computes the dashboard xauth in the browser as Codis does', async () => {
    assert.equal(dashboardXAuth('codis-demo'), '95b62887719520f17e312eaa76d28f2b');
    // The page refreshes its stats every second once the interval is set to 1 s.
    await page.selectOption('#refresh', '1');
    const deadline = Date.now() + 10_000;
    const stats = (): typeof demo.requests =>
      demo.requests.filter((r) => r.url.startsWith('/api/topom/stats/'));
    while (stats().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(stats()[0]?.url, '/api/topom/stats/95b62887719520f17e312eaa76d28f2b?forward=codis-demo');
  });

  it('shows a dashboard error by its Cause, without the stack, and sends the admin secret', async () => {
    await page.fill('#admin-secret', 's3cret');
    await page.fill('#group-id', '1');
    await page.click('#group-form button[type=submit]');
    await page.locator('#error-text', { hasText: 'group-[1] already exists' }).waitFor();
    const body = await text(page.locator('body'));
    assert.doesNotMatch(body, /topom_group\.go|Stack|CreateGroup/);
    const put = demo.requests.find((r) => r.method === 'PUT');
    assert.equal(put?.url, '/api/topom/group/create/95b62887719520f17e312eaa76d28f2b/1?forward=codis-demo');
    assert.equal(put?.headers['x-codis-admin-secret'], 's3cret');
    assert.equal(put?.headers.cookie, undefined, 'the FE session cookie stays in codis-fe');
    await screenshot(page, 'golden-api-error');

    // Bad input never reaches the dashboard.
    const before = demo.requests.length;
    await page.fill('#range-begin', '10');
    await page.fill('#range-end', 'x');
    await page.fill('#range-group', '1');
    await page.click('#migrate-range');
    await page.locator('#error-text', { hasText: 'end must be a number' }).waitFor();
    assert.equal(demo.requests.filter((r) => r.method === 'PUT').length, 1);
    assert.ok(demo.requests.length >= before);

    // An action that works after confirmation.
    await page.click('#error-close');
    await page.fill('#action-interval', '1000');
    await page.click('#interval-form button[type=submit]');
    await page.locator('#notice', { hasText: 'interval updated' }).waitFor();
    assert.equal(await page.locator('#error').isVisible(), false);
  });

  it('says when a dashboard is unreachable and stays usable', async () => {
    await page.selectOption('#product-select', 'gone');
    await page
      .locator('#error-text', { hasText: /cannot load product gone: .*unreachable: connection refused/ })
      .waitFor();
    assert.equal(await page.locator('#main').isVisible(), false);
    await screenshot(page, 'golden-unreachable');
    await page.selectOption('#product-select', 'empty-product');
    await page.locator('#no-groups').waitFor();
    assert.equal(await page.locator('#error').isVisible(), false);
    assert.match(await text(page.locator('#proxies')), /no proxies/);
    assert.match(await text(page.locator('#slot-legend')), /Offline:1024/);
    assert.match(await text(page.locator('#sentinels')), /no sentinels/);
    await screenshot(page, 'golden-empty-product');
  });

  it('logs out', async () => {
    await page.click('#logout');
    await page.locator('#login').waitFor({ state: 'visible' });
    const res = await page.evaluate(async () => (await fetch('/list')).status);
    assert.equal(res, 401);
  });
});
