import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coordinatorKind, openStore, parseAuth } from './open-store.ts';

test("coordinator names as Codis accepts them; others are 'invalid coordinator name'", async () => {
  assert.equal(coordinatorKind('fs'), 'filesystem');
  assert.equal(coordinatorKind('filesystem'), 'filesystem');
  assert.equal(coordinatorKind('etcd'), 'etcd');
  assert.equal(coordinatorKind('zk'), 'zookeeper');
  assert.equal(coordinatorKind('zookeeper'), 'zookeeper');
  assert.throws(() => coordinatorKind('consul'), {
    code: 'ERR_COORDINATOR_CONFIG',
    message: /invalid coordinator name = consul/,
  });
  await assert.rejects(openStore({ name: 'redis', addr: 'x' }), { code: 'ERR_COORDINATOR_CONFIG' });
});

test("auth is 'user:password'; anything else is 'invalid auth'", () => {
  assert.equal(parseAuth(undefined, 'c'), undefined);
  assert.equal(parseAuth('', 'c'), undefined);
  assert.deepEqual(parseAuth('alice:s:e:c', 'c'), { user: 'alice', password: 's:e:c' });
  assert.throws(() => parseAuth('alice', 'c'), { message: /invalid auth/ });
  assert.throws(() => parseAuth(':pw', 'c'), { message: /invalid auth/ });
});
