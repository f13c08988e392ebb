// The codis-fe program over HTTP (spec/control-plane.md §12.4, §13): flags, static files, /list,
// forwarding to each product's dashboard (method, path, query, body and headers), and ours: no
// 403 before the first /list, JSON errors for unknown and unreachable dashboards, the login.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CODIS_FE_ENTRY, type RunningFe, startFe } from '../helpers/codis-fe.ts';
import { emptyStats, FakeCodisDashboard } from '../helpers/fe-fake-dashboard.ts';
import { freePort } from '../helpers/free-port.ts';

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CODIS_FE_ENTRY, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('codis-fe program', { timeout: 90_000 }, () => {
  let dir: string;
  let demo: FakeCodisDashboard;
  let other: FakeCodisDashboard;
  let fe: RunningFe;
  let list: string;
  let closedPort: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fe-cli-'));
    demo = await new FakeCodisDashboard('codis-demo', emptyStats).start();
    other = await new FakeCodisDashboard('other', emptyStats).start();
    closedPort = await freePort();
    list = join(dir, 'dashboards.json');
    writeFileSync(
      list,
      JSON.stringify([
        { name: 'codis-demo', dashboard: demo.addr },
        { name: 'gone', dashboard: `127.0.0.1:${closedPort}` },
        { name: 'codis-demo2', dashboard: '' },
      ]),
    );
    fe = await startFe(['--dashboard-list', list, '--pidfile', join(dir, 'fe.pid')]);
  });

  after(async () => {
    await fe?.daemon.stop();
    await demo?.close();
    await other?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('checks its flags', () => {
    assert.match(run(['--version']).stdout, /codis-fe/);
    const none = run(['--listen', '127.0.0.1:0']);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /expected exactly one of --dashboard-list/);
    mkdirSync(join(dir, 'no-assets'));
    const assets = run(['--dashboard-list', list, '--assets-dir', join(dir, 'no-assets')]);
    assert.equal(assets.status, 1);
    assert.match(assets.stderr, /no index\.html in --assets-dir/);
    assert.match(run(['--dashboard-list', list, '--listen', 'nowhere']).stderr, /invalid --listen nowhere/);
  });

  it('forwards to a dashboard before /list was ever called (no 403 quirk)', async () => {
    assert.equal(readFileSync(join(dir, 'fe.pid'), 'utf8').trim(), String(fe.daemon.process.pid));
    const res = await fetch(`${fe.url}/topom?forward=codis-demo`);
    assert.equal(res.status, 200);
    assert.equal(
      ((await res.json()) as { config: { product_name: string } }).config.product_name,
      'codis-demo',
    );
  });

  it('lists the products with a dashboard address, as Codis does', async () => {
    const res = await fetch(`${fe.url}/list`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.deepEqual(await res.json(), ['codis-demo', 'gone']);
  });

  it('serves the UI with a content security policy, and nothing outside the assets dir', async () => {
    const index = await fetch(`${fe.url}/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(index.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.match(await index.text(), /<script type="module" src="app.js">/);
    const app = await fetch(`${fe.url}/app.js`);
    assert.match(app.headers.get('content-type') ?? '', /^text\/javascript/);
    for (const path of [
      '/../package.json',
      '/%2e%2e/package.json',
      '/..%2fpackage.json',
      '/%2e%2e%2f%2e%2e%2fetc/passwd',
    ]) {
      const res = await fetch(`${fe.url}${path}`);
      assert.equal(res.status, 403, path);
      assert.doesNotMatch(await res.text(), /"name": "codis"|root:/, path);
    }
  });

  it('forwards method, path, query, body and headers, adding X-Forwarded-For', async () => {
    const res = await fetch(`${fe.url}/api/topom/slots/action/interval/xyz/1000?forward=codis-demo`, {
      method: 'PUT',
      headers: { 'X-Codis-Admin-Secret': 'top', Cookie: 'codis_fe_session=abc' },
      body: '[1,2]',
    });
    assert.equal(res.status, 200);
    assert.equal(await res.json(), 'OK');
    const seen = demo.requests.at(-1);
    assert.equal(seen?.method, 'PUT');
    assert.equal(seen?.url, '/api/topom/slots/action/interval/xyz/1000?forward=codis-demo');
    assert.equal(seen?.body, '[1,2]');
    assert.equal(seen?.headers['x-codis-admin-secret'], 'top');
    assert.equal(seen?.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen?.headers.cookie, undefined);
    // A Codis error keeps its status 800 and body.
    const failed = await fetch(`${fe.url}/api/topom/group/create/xyz/1?forward=codis-demo`, {
      method: 'PUT',
    });
    assert.equal(failed.status, 800);
    assert.equal(((await failed.json()) as { Cause: string }).Cause, 'group-[1] already exists');
  });

  it('answers JSON errors for unknown and unreachable dashboards', async () => {
    const unknown = await fetch(`${fe.url}/topom?forward=nope`);
    assert.equal(unknown.status, 403);
    assert.match(((await unknown.json()) as { Cause: string }).Cause, /unknown product "nope"/);
    assert.equal((await fetch(`${fe.url}/topom`)).status, 403);
    assert.equal((await fetch(`${fe.url}/topom?forward=codis-demo2`)).status, 403, 'empty address ignored');
    const gone = await fetch(`${fe.url}/topom?forward=gone`);
    assert.equal(gone.status, 502);
    assert.equal(
      ((await gone.json()) as { Cause: string }).Cause,
      `dashboard of product gone at 127.0.0.1:${closedPort} is unreachable: connection refused`,
    );
  });

  it('re-reads the dashboard list when an unknown product is asked for', async () => {
    writeFileSync(
      list,
      JSON.stringify([
        { name: 'codis-demo', dashboard: demo.addr },
        { name: 'other', dashboard: other.addr },
      ]),
    );
    await new Promise((r) => setTimeout(r, 1100));
    const res = await fetch(`${fe.url}/topom?forward=other`);
    assert.equal(res.status, 200);
    assert.deepEqual(await (await fetch(`${fe.url}/list`)).json(), ['codis-demo', 'other']);
  });

  it('requires a login when a password is set', async () => {
    const guarded = await startFe(['--dashboard-list', list], { ...process.env, CODIS_FE_PASSWORD: 'pw1' });
    try {
      assert.equal((await fetch(`${guarded.url}/`)).status, 200, 'the page itself is public');
      const denied = await fetch(`${guarded.url}/list`);
      assert.equal(denied.status, 401);
      assert.equal(((await denied.json()) as { Cause: string }).Cause, 'codis-fe: login required');
      assert.equal((await fetch(`${guarded.url}/topom?forward=codis-demo`)).status, 401);
      assert.deepEqual(await (await fetch(`${guarded.url}/session`)).json(), {
        login: true,
        authenticated: false,
      });
      const wrong = await fetch(`${guarded.url}/login`, { method: 'POST', body: '{"password":"nope"}' });
      assert.equal(wrong.status, 401);
      const login = await fetch(`${guarded.url}/login`, { method: 'POST', body: '{"password":"pw1"}' });
      assert.equal(login.status, 200);
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      assert.match(cookie, /^codis_fe_session=[0-9a-f]{64}$/);
      assert.match(login.headers.get('set-cookie') ?? '', /HttpOnly; SameSite=Strict/);
      const listed = await fetch(`${guarded.url}/list`, { headers: { Cookie: cookie } });
      assert.equal(listed.status, 200);
      const forwarded = await fetch(`${guarded.url}/topom?forward=codis-demo`, {
        headers: { Cookie: cookie },
      });
      assert.equal(forwarded.status, 200);
      await fetch(`${guarded.url}/logout`, { method: 'POST', headers: { Cookie: cookie } });
      assert.equal((await fetch(`${guarded.url}/list`, { headers: { Cookie: cookie } })).status, 401);
    } finally {
      await guarded.daemon.stop();
    }
  });

  it('exits 0 on SIGTERM and removes its pidfile', async () => {
    const exited = new Promise<number | null>((r) => fe.daemon.process.once('exit', (code) => r(code)));
    fe.daemon.process.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(existsSync(join(dir, 'fe.pid')), false);
  });
});
