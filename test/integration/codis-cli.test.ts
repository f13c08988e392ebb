// The umbrella program: `codis <program> ...` runs the others in process; `codis up` refuses a bad
// layout before starting anything. (`codis up` itself: test/e2e/codis-up.test.ts.)

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

const CODIS = join(import.meta.dirname, '..', '..', 'src', 'cli', 'codis.ts');
const run = (...args: string[]) => spawnSync(process.execPath, [CODIS, ...args], { encoding: 'utf8' });

test('codis <program> runs that program with the remaining arguments', () => {
  const admin = run('admin', '--version');
  assert.equal(admin.status, 0, admin.stderr);
  assert.match(admin.stdout, /^codis-admin /);
  const ha = run('ha', '--version');
  assert.equal(ha.status, 0, ha.stderr);
  assert.match(ha.stdout, /^codis-ha /);
  const haBad = run('ha', '--dashboard=127.0.0.1:9', '--interval=0');
  assert.equal(haBad.status, 1);
  assert.match(haBad.stderr, /codis-ha: invalid --interval 0/);
  const server = run('codis-server', '--version');
  assert.equal(server.status, 0, server.stderr);
  assert.match(server.stdout, /^codis-server v=/);
  const preview = run('admin', '--dashboard=127.0.0.1:9', '--slots-assign', '--beg=1', '--end=1', '--gid=2');
  assert.equal(preview.status, 0, preview.stderr);
  assert.deepEqual(JSON.parse(preview.stdout), [{ id: 1, group_id: 2, action: {} }]);
  const failed = run('admin', '--dashboard=127.0.0.1:9', '--reload');
  assert.equal(failed.status, 1);
  assert.match(failed.stderr, /\[PANIC\] call rpc model to dashboard 127\.0\.0\.1:9 failed/);
});

test('codis --help names the programs; codis up --help its options; a bad layout is refused', () => {
  const help = run('--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /codis <server\|proxy\|dashboard\|admin\|fe\|ha>/);
  const upHelp = run('up', '--help');
  assert.equal(upHelp.status, 0);
  for (const flag of [
    '--groups',
    '--replicas',
    '--proxies',
    '--server-port',
    '--dashboard-port',
    '--coordinator',
  ]) {
    assert.ok(upHelp.stdout.includes(flag), flag);
  }
  const bad = run('up', '--groups=0');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /codis up: --groups must be an integer >= 1/);
  const clash = run('up', '--dashboard-port=16380');
  assert.equal(clash.status, 1);
  assert.match(clash.stderr, /port 16380 is given to both server 127\.0\.0\.1:16380 and the dashboard/);
});
