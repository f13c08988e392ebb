// The filesystem store's reuse of replaced record files (filesystem-store.ts): an update keeps the
// file it replaces and later rewrites it as a temp file, so records are not given a new inode
// on every write. These tests check that reuse never mixes records up.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import nodePath from 'node:path';
import { test } from 'node:test';
import { FilesystemStore } from './filesystem-store.ts';

async function withStore(spareAge: number, fn: (store: FilesystemStore, root: string) => Promise<void>) {
  const root = mkdtempSync(nodePath.join(tmpdir(), 'fs-spares-'));
  const store = await FilesystemStore.open({ root, spareAge });
  try {
    await fn(store, root);
  } finally {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  }
}

const inode = (root: string, path: string): number =>
  statSync(nodePath.join(root, 'data', ...path.slice(1).split('/'))).ino;

test('an update rewrites a file an earlier update replaced instead of making a new one', async () => {
  await withStore(0, async (store, root) => {
    const path = '/codis3/p/slots/slot-0001';
    await store.update(path, Buffer.from('first, the longest of the three'));
    const first = inode(root, path);
    await store.update(path, Buffer.from('second'));
    assert.notEqual(inode(root, path), first);
    assert.equal(readdirSync(nodePath.join(root, 'temp')).length, 1, 'the replaced file is kept');
    await store.update(path, Buffer.from('third'));
    assert.equal(inode(root, path), first, 'the first file came back as the third version');
    assert.deepEqual(await store.read(path), Buffer.from('third'), 'shorter data leaves no tail');
  });
});

test('a replaced file rests before it is reused', async () => {
  await withStore(60_000, async (store, root) => {
    const path = '/codis3/p/slots/slot-0002';
    const inodes = new Set<number>();
    for (let i = 0; i < 5; i++) {
      await store.update(path, Buffer.from(`v${i}`));
      inodes.add(inode(root, path));
    }
    assert.equal(inodes.size, 5, 'no file is reused within its rest');
    assert.equal(readdirSync(nodePath.join(root, 'temp')).length, 4);
  });
});

test('concurrent updates, several of the same record, never give two records one file', async () => {
  await withStore(0, async (store, root) => {
    const paths = Array.from({ length: 20 }, (_, i) => `/codis3/p/slots/slot-${String(i).padStart(4, '0')}`);
    const body = (i: number, round: number, writer: number) =>
      Buffer.from(JSON.stringify({ id: i, round, writer, pad: 'x'.repeat((i * 7 + round) % 50) }));
    for (let round = 0; round < 8; round++) {
      const writes: Promise<void>[] = [];
      // Each record written by three updates at once: all three keep the same replaced file.
      for (let writer = 0; writer < 3; writer++)
        paths.forEach((path, i) => {
          writes.push(store.update(path, body(i, round, writer)));
        });
      await Promise.all(writes);
      const seen = new Map<number, string>();
      for (const [i, path] of paths.entries()) {
        const data = JSON.parse(String(await store.read(path))) as { id: number; round: number };
        assert.equal(data.id, i);
        assert.equal(data.round, round);
        const ino = inode(root, path);
        assert.equal(seen.get(ino), undefined, `${path} shares its file with ${seen.get(ino)}`);
        seen.set(ino, path);
      }
    }
  });
});

test('closing the store removes the files it kept', async () => {
  const root = mkdtempSync(nodePath.join(tmpdir(), 'fs-spares-'));
  try {
    const store = await FilesystemStore.open({ root, spareAge: 0 });
    for (let i = 0; i < 4; i++) await store.update('/codis3/p/topom', Buffer.from(`v${i}`));
    assert.ok(readdirSync(nodePath.join(root, 'temp')).length > 0);
    await store.close();
    assert.deepEqual(readdirSync(nodePath.join(root, 'temp')), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('opening a store removes temp files a killed process left, and only old ones', async () => {
  const root = mkdtempSync(nodePath.join(tmpdir(), 'fs-spares-'));
  try {
    const first = await FilesystemStore.open({ root, spareAge: 0 });
    await first.close();
    const temp = nodePath.join(root, 'temp');
    const old = nodePath.join(temp, '1700000000.1');
    const fresh = nodePath.join(temp, `${Math.floor(Date.now() / 1000)}.2`);
    writeFileSync(old, 'left by a killed dashboard');
    writeFileSync(fresh, 'being written by a live process');
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(old, hourAgo, hourAgo);
    const second = await FilesystemStore.open({ root, spareAge: 0 });
    await second.close();
    assert.deepEqual(readdirSync(temp), [nodePath.basename(fresh)]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
