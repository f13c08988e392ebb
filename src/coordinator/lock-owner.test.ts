import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { test } from 'node:test';
import { localSystemDescription, lockOwnerOf, ownerLiveness } from './lock-owner.ts';

const HOST = os.hostname();

test('the owner of a lock is read from a topom record (pid, uname -a, start time)', () => {
  const topom = {
    pid: 12586,
    sys: 'Linux vm 6.18.44-fc-v657 #1 SMP PREEMPT_DYNAMIC @0 x86_64 GNU/Linux',
    start_time: '2026-11-25 01:32:32.844359033 +0000 UTC m=+0.004552902',
  };
  const owner = lockOwnerOf(Buffer.from(JSON.stringify(topom)));
  assert.equal(owner?.pid, 12586);
  assert.equal(owner?.host, 'vm');
  assert.ok(owner?.startedAt !== undefined);
  assert.equal(lockOwnerOf(Buffer.from('{"pid":1}')), undefined, 'no host');
  assert.equal(lockOwnerOf(Buffer.from('not json')), undefined);
  assert.equal(lockOwnerOf(Buffer.from(JSON.stringify({ pid: 7, host: 'h' })))?.host, 'h');
  assert.equal(localSystemDescription().split(/\s+/)[1], HOST);
});

test('liveness: this process, a dead pid, another host, a recycled pid', () => {
  assert.equal(ownerLiveness({ pid: process.pid, host: HOST, startedAt: undefined }), 'alive');
  const dead = spawnSync(process.execPath, ['-e', '0']).pid;
  assert.equal(ownerLiveness({ pid: dead, host: HOST, startedAt: undefined }), 'dead');
  assert.equal(ownerLiveness({ pid: dead, host: `${HOST}-elsewhere`, startedAt: undefined }), 'unknown');
  assert.equal(ownerLiveness(undefined), 'unknown');
  // The parent runs; a lock recorded long before it started belonged to an earlier process.
  const started = Date.now();
  assert.equal(ownerLiveness({ pid: process.ppid, host: HOST, startedAt: started }), 'alive');
  if (process.platform === 'linux') {
    assert.equal(
      ownerLiveness({ pid: process.ppid, host: HOST, startedAt: started - 86_400_000 * 365 }),
      'dead',
    );
  }
});
