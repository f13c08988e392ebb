import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import nodePath from 'node:path';
import { test } from 'node:test';
import { DirectorySyncer, fsyncDirectory } from './dir-sync.ts';
import { CoordinatorError } from './errors.ts';
import { FilesystemStore } from './filesystem-store.ts';

/** A fake fsync that the test completes by hand, recording which directories were synced. */
function manualSync() {
  const calls: { dir: string; finish: (error?: Error) => void }[] = [];
  const sync = (dir: string): Promise<void> =>
    new Promise((resolve, reject) => {
      calls.push({ dir, finish: (error) => (error === undefined ? resolve() : reject(error)) });
    });
  return { calls, sync };
}

function settled(promise: Promise<unknown>): { done: boolean; error: unknown } {
  const state = { done: false, error: undefined as unknown };
  promise.then(
    () => {
      state.done = true;
    },
    (error: unknown) => {
      state.done = true;
      state.error = error;
    },
  );
  return state;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('concurrent callers share directory fsyncs, and nobody returns before an fsync begun after it', async () => {
  const { calls, sync } = manualSync();
  const syncer = new DirectorySyncer(sync);
  const first = settled(syncer.sync('/d'));
  assert.equal(calls.length, 1, 'the first caller starts an fsync at once');
  // These arrive while that fsync runs: it may have begun before their renames, so they wait.
  const later = Array.from({ length: 99 }, () => settled(syncer.sync('/d')));
  await turn();
  assert.equal(calls.length, 1, 'one fsync at a time per directory');
  calls[0]?.finish();
  await turn();
  assert.ok(first.done);
  assert.ok(
    later.every((s) => !s.done),
    'the running fsync does not cover callers that came during it',
  );
  assert.equal(calls.length, 2, 'the 99 waiting callers share one fsync');
  const last = settled(syncer.sync('/d'));
  calls[1]?.finish();
  await turn();
  assert.ok(later.every((s) => s.done && s.error === undefined));
  assert.ok(!last.done, 'a caller arriving during the second fsync waits for a third');
  assert.equal(calls.length, 3);
  calls[2]?.finish();
  await turn();
  assert.ok(last.done);
  assert.equal(calls.length, 3, 'nothing left pending: no fsync without a caller');
});

test('directories are synced independently', async () => {
  const { calls, sync } = manualSync();
  const syncer = new DirectorySyncer(sync);
  const a = settled(syncer.sync('/a'));
  const b = settled(syncer.sync('/b'));
  assert.deepEqual(
    calls.map((c) => c.dir),
    ['/a', '/b'],
  );
  calls[1]?.finish();
  await turn();
  assert.ok(b.done && !a.done);
  calls[0]?.finish();
  await turn();
  assert.ok(a.done);
});

test('a failed fsync is reported to every caller that shared it, and the next caller gets a new one', async () => {
  const { calls, sync } = manualSync();
  const syncer = new DirectorySyncer(sync);
  const first = settled(syncer.sync('/d'));
  const shared = [settled(syncer.sync('/d')), settled(syncer.sync('/d'))];
  calls[0]?.finish();
  await turn();
  const eio = Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
  calls[1]?.finish(eio);
  await turn();
  assert.equal(first.error, undefined);
  for (const s of shared) assert.equal(s.error, eio);
  const after = settled(syncer.sync('/d'));
  assert.equal(calls.length, 3, 'a failure does not stick to the directory');
  calls[2]?.finish();
  await turn();
  assert.ok(after.done && after.error === undefined);
});

test('fsyncDirectory: a directory that cannot be opened is not a lost write', async () => {
  await fsyncDirectory(nodePath.join(tmpdir(), 'no-such-directory-for-dir-sync-test'));
  const dir = mkdtempSync(nodePath.join(tmpdir(), 'dir-sync-'));
  try {
    await fsyncDirectory(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('many concurrent writes through the filesystem store read back intact; a bad write fails alone', async () => {
  const root = mkdtempSync(nodePath.join(tmpdir(), 'dir-sync-store-'));
  const store = await FilesystemStore.open({ root });
  try {
    const body = (i: number, round: number) =>
      Buffer.from(JSON.stringify({ id: i, round, pad: 'x'.repeat(i % 300) }));
    for (let round = 0; round < 3; round++) {
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 300; i++) {
        const dir = i % 2 === 0 ? 'slots' : 'group';
        writes.push(store.update(`/codis3/p/${dir}/node-${i}`, body(i, round)));
      }
      await Promise.all(writes);
    }
    for (let i = 0; i < 300; i++) {
      const dir = i % 2 === 0 ? 'slots' : 'group';
      assert.deepEqual(await store.read(`/codis3/p/${dir}/node-${i}`), body(i, 2));
    }
    // A node under a node with data cannot be written; it fails alone while its neighbours,
    // sharing the directory fsync, succeed.
    writeFileSync(nodePath.join(root, 'data', 'codis3', 'p', 'file'), 'data');
    const results = await Promise.allSettled([
      store.update('/codis3/p/slots/node-0', Buffer.from('a')),
      store.update('/codis3/p/file/child', Buffer.from('b')),
      store.create('/codis3/p/slots/node-new', Buffer.from('c')),
      store.create('/codis3/p/slots/node-2', Buffer.from('d')),
    ]);
    assert.equal(results[0]?.status, 'fulfilled');
    assert.equal(results[1]?.status, 'rejected');
    assert.ok(results[1]?.status === 'rejected' && results[1].reason instanceof CoordinatorError);
    assert.equal(results[2]?.status, 'fulfilled');
    assert.equal(results[3]?.status, 'rejected', 'create of an existing node');
    assert.deepEqual(await store.read('/codis3/p/slots/node-0'), Buffer.from('a'));
    assert.deepEqual(await store.read('/codis3/p/slots/node-new'), Buffer.from('c'));
    assert.deepEqual(await store.read('/codis3/p/slots/node-2'), body(2, 2));
    assert.deepEqual(await store.list('/codis3/p/file'), []);
  } finally {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  }
});
