// The plain-route table the split path reads instead of the Slot objects: a slot is routed
// through it only while it is served, unlocked, not migrating and without replica groups, and the
// index always names the slot's current primary, also after released backends are dropped.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_SLOTS } from '../slots/index.ts';
import { defaultProxyConfig } from './config/types.ts';
import { SILENT_LOGGER } from './logger.ts';
import { Router, type Slot } from './router.ts';

// Nothing listens on port 1: the connections only retry until the router closes.
const addr = (n: number) => `127.0.0.${1 + (n >> 8)}:${1 + (n & 255)}`;

function plainBackendOf(router: Router, id: number): string | null {
  const route = router.plainRoutes[id] as number;
  return route < 0 ? null : (router.plainBackends[route]?.addr ?? 'dangling');
}

describe('Router plain routes', () => {
  it('names the primary of served slots only', () => {
    const router = new Router(defaultProxyConfig(), SILENT_LOGGER);
    try {
      assert.equal(plainBackendOf(router, 0), null);
      router.fill([
        { id: 0, backend_addr: addr(1) },
        { id: 1, backend_addr: addr(2) },
        { id: 2, backend_addr: addr(1), locked: true },
        { id: 3, backend_addr: addr(2), migrate_from: addr(1) },
        { id: 4, backend_addr: addr(1), replica_groups: [[addr(3)]] },
        { id: 5 },
      ]);
      assert.equal(plainBackendOf(router, 0), addr(1));
      assert.equal(plainBackendOf(router, 1), addr(2));
      for (const id of [2, 3, 4, 5]) assert.equal(plainBackendOf(router, id), null, `slot ${id}`);

      // Unlocked and migrated: plain again, on the new primary.
      router.fill([
        { id: 2, backend_addr: addr(1) },
        { id: 3, backend_addr: addr(2) },
      ]);
      assert.equal(plainBackendOf(router, 2), addr(1));
      assert.equal(plainBackendOf(router, 3), addr(2));
    } finally {
      router.close();
    }
    assert.equal(plainBackendOf(router, 0), null);
  });

  it('leaves a slot out while a fill waits for its in-flight requests', () => {
    const router = new Router(defaultProxyConfig(), SILENT_LOGGER);
    try {
      router.fill([{ id: 7, backend_addr: addr(1) }]);
      const slot = router.slots[7] as Slot;
      slot.inflight++;
      router.fill([{ id: 7, backend_addr: addr(2) }]);
      assert.equal(plainBackendOf(router, 7), null);
      slot.inflightDone();
      assert.equal(plainBackendOf(router, 7), addr(2));
    } finally {
      router.close();
    }
  });

  it('keeps every route right when released backends are dropped from the list', () => {
    const router = new Router(defaultProxyConfig(), SILENT_LOGGER);
    try {
      // Slot 0 keeps one primary throughout; slot 1 moves over more addresses than the list keeps.
      router.fill([{ id: 0, backend_addr: addr(0) }]);
      for (let n = 1; n <= 2 * MAX_SLOTS + 10; n++) {
        router.fill([{ id: 1, backend_addr: addr(n) }]);
        assert.equal(plainBackendOf(router, 1), addr(n));
      }
      assert.equal(plainBackendOf(router, 0), addr(0));
      assert.ok(router.plainBackends.length <= 2 * MAX_SLOTS);
    } finally {
      router.close();
    }
  });
});
