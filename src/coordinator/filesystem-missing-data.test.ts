// The filesystem store when its data directory (R/data) disappears under it (an unmounted or
// removed coordinator directory): updates, which do not look at R/data before writing
// (filesystem-store.ts), must still fail as "unavailable" and never recreate it.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import nodePath from 'node:path';
import { test } from 'node:test';
import { CoordinatorUnavailableError } from './errors.ts';
import { FilesystemStore } from './filesystem-store.ts';

async function withStore(fn: (store: FilesystemStore, root: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(nodePath.join(tmpdir(), 'fs-missing-data-'));
  const store = await FilesystemStore.open({ root });
  try {
    await fn(store, root);
  } finally {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  }
}

test('an update after R/data went away fails as unavailable and does not recreate it', async () => {
  await withStore(async (store, root) => {
    await store.update('/codis3/p/slots/slot-0001', Buffer.from('before'));
    renameSync(nodePath.join(root, 'data'), nodePath.join(root, 'data.away'));
    for (const path of ['/codis3/p/slots/slot-0001', '/codis3/q/new/record']) {
      await assert.rejects(store.update(path, Buffer.from('while gone')), (error) => {
        assert.ok(error instanceof CoordinatorUnavailableError, String(error));
        assert.match(String((error as Error).message), /missing/);
        return true;
      });
    }
    assert.equal(existsSync(nodePath.join(root, 'data')), false, 'R/data was recreated');
    assert.deepEqual(readdirSync(nodePath.join(root, 'temp')), [], 'a failed update left a temp file');
    renameSync(nodePath.join(root, 'data.away'), nodePath.join(root, 'data'));
    assert.deepEqual(await store.read('/codis3/p/slots/slot-0001'), Buffer.from('before'));
  });
});

test('an update whose parent directories are new creates them while R/data is there', async () => {
  await withStore(async (store) => {
    await store.update('/codis3/fresh/a/b/c', Buffer.from('deep'));
    assert.deepEqual(await store.read('/codis3/fresh/a/b/c'), Buffer.from('deep'));
  });
});
