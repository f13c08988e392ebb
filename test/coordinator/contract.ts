// The Store contract: one suite, run unchanged on the filesystem, etcd and ZooKeeper coordinators
// (filesystem.test.ts, etcd.test.ts, zookeeper.test.ts). Every test name says its backend.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import {
  CoordinatorAuthError,
  CoordinatorClosedError,
  type CoordinatorError,
  CoordinatorUnavailableError,
  InvalidPathError,
  LockHeldError,
  LockLostError,
  listProducts,
  localSystemDescription,
  NodeExistsError,
  NotSupportedError,
  ProductStore,
  type Store,
  type WatchEvent,
} from '../../src/coordinator/index.ts';
import {
  encodeGroup,
  encodeProxy,
  encodeSentinel,
  encodeSlotMapping,
  type Group,
  groupPath,
  ModelDecodeError,
  type ProxyModel,
  type SlotMapping,
  slotPath,
  type Topom,
} from '../../src/models/index.ts';
import { type Backend, TEST_TIMEOUT_MS } from './backends.ts';
import { lockData } from './fixtures/lock-data.ts';

const CHILD = new URL('./fixtures/coordinator-child.ts', import.meta.url).pathname;

function bytes(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it holds; fails naming `what` after `timeoutMs`. */
async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => boolean | Promise<boolean>,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

function isCoded(
  error: unknown,
  type: abstract new (...args: never[]) => CoordinatorError,
  path?: string,
): boolean {
  assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
  if (path !== undefined)
    assert.ok(error.message.includes(path), `message should name ${path}: ${error.message}`);
  return true;
}

interface Child {
  readonly process: ChildProcess;
  /** The first line the child printed: `ready` or `error <code> <message>`. */
  readonly first: string;
  readonly lines: string[];
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts fixtures/coordinator-child.ts and waits for its first line. */
async function startChild(backend: Backend, action: 'lock' | 'ephemeral', path: string): Promise<Child> {
  const child = spawn(
    process.execPath,
    [CHILD, JSON.stringify({ options: backend.options(), action, path })],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const first = await new Promise<string>((resolve, reject) => {
    const reader = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    reader.on('line', (line) => {
      lines.push(line);
      if (lines.length === 1) resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before reporting`)));
    setTimeout(() => reject(new Error('child did not report in 20 s')), 20_000).unref();
  });
  return {
    process: child,
    first,
    lines,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export function defineStoreContract(kind: string, makeBackend: () => Promise<Backend>): void {
  describe(`coordinator contract on ${kind}`, { timeout: 120_000 }, () => {
    let backend: Backend;
    let client: Store;
    let other: Store;
    let counter = 0;
    /** A fresh directory for each test, so tests share one server without seeing each other. */
    const fresh = (): string => `/contract/t${++counter}`;
    const name = (text: string): string => `[${kind}] ${text}`;
    /** Registers a test of ephemeral nodes, which only session-based coordinators have. */
    const ephemeralTest = (text: string, body: () => Promise<void>): void => {
      if (kind !== 'filesystem') test(name(text), body);
    };

    before(async () => {
      backend = await makeBackend();
      client = await backend.open();
      other = await backend.open();
    });
    after(async () => {
      await backend?.dispose();
    });

    test(name('create, read, update, list and delete nodes'), async () => {
      const dir = fresh();
      assert.equal(await client.read(`${dir}/a`), undefined);
      assert.equal(await client.list(dir), undefined);
      await client.create(`${dir}/a`, bytes('one'));
      assert.deepEqual(await other.read(`${dir}/a`), bytes('one'));
      await client.update(`${dir}/a`, bytes('two'));
      assert.deepEqual(await other.read(`${dir}/a`), bytes('two'));
      await client.update(`${dir}/sub/deeper/b`, bytes('b'));
      await client.update(`${dir}/c`, new Uint8Array());
      assert.deepEqual(await other.list(dir), [`${dir}/a`, `${dir}/c`, `${dir}/sub`]);
      assert.deepEqual(await other.list(`${dir}/a`), []);
      assert.deepEqual(await other.read(`${dir}/c`), Buffer.alloc(0));
      const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      await client.update(`${dir}/binary`, binary);
      assert.deepEqual(await other.read(`${dir}/binary`), binary);
      await client.delete(`${dir}/sub`);
      assert.equal(await other.read(`${dir}/sub/deeper/b`), undefined);
      assert.equal(await other.list(`${dir}/sub`), undefined);
      await client.delete(`${dir}/missing`);
      await client.delete(`${dir}/a`);
      assert.deepEqual(await other.list(dir), [`${dir}/binary`, `${dir}/c`]);
      assert.ok((await other.list('/'))?.includes('/contract'));
    });

    test(name('create refuses an existing node and leaves it alone'), async () => {
      const path = `${fresh()}/node`;
      await client.create(path, bytes('first'));
      await assert.rejects(other.create(path, bytes('second')), (e) => isCoded(e, NodeExistsError, path));
      assert.equal(
        (await client.create(path, bytes('x')).catch((e: CoordinatorError) => e))?.code,
        'ERR_COORDINATOR_NODE_EXISTS',
      );
      assert.deepEqual(await client.read(path), bytes('first'));
    });

    test(name('concurrent creators: exactly one wins'), async () => {
      const path = `${fresh()}/contended`;
      const clients = await Promise.all(Array.from({ length: 8 }, () => backend.open()));
      try {
        const results = await Promise.allSettled(clients.map((c, i) => c.create(path, bytes(`client ${i}`))));
        const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
        assert.equal(winners.length, 1, `winners: ${winners.join(', ')}`);
        for (const r of results)
          if (r.status === 'rejected') assert.ok(r.reason instanceof NodeExistsError, String(r.reason));
        assert.deepEqual(await client.read(path), bytes(`client ${winners[0]}`));
      } finally {
        await Promise.all(clients.map((c) => c.close()));
      }
    });

    test(name('readers see whole updates, never a mix'), async () => {
      const path = `${fresh()}/big`;
      const size = 64 * 1024;
      let writing = true;
      const reader = (async () => {
        let reads = 0;
        while (writing) {
          const data = await other.read(path);
          if (data !== undefined) {
            assert.equal(data.length, size);
            assert.ok(
              data.every((b) => b === data[0]),
              'a read mixed two updates',
            );
            reads++;
          }
        }
        return reads;
      })();
      try {
        for (let i = 0; i < 20; i++) await client.update(path, Buffer.alloc(size, i));
      } finally {
        writing = false;
      }
      await reader;
      assert.deepEqual(await other.read(path), Buffer.alloc(size, 19));
    });

    test(name('watches fire on create, change, children and delete'), async () => {
      const dir = fresh();
      const node = `${dir}/node`;
      const parent = `${dir}/parent`;
      const nodeEvents: WatchEvent[] = [];
      const parentEvents: WatchEvent[] = [];
      const nodeWatch = await client.watch(node, (e) => nodeEvents.push(e));
      const parentWatch = await client.watch(parent, (e) => parentEvents.push(e));
      const seen = (events: WatchEvent[], type: WatchEvent['type']) => () =>
        events.some((e) => e.type === type);
      const limit = 10_000;
      try {
        await other.create(node, bytes('1'));
        await waitFor('created', limit, seen(nodeEvents, 'created'));
        await other.update(node, bytes('2'));
        await waitFor('changed', limit, seen(nodeEvents, 'changed'));
        await other.delete(node);
        await waitFor('deleted', limit, seen(nodeEvents, 'deleted'));
        assert.ok(nodeEvents.every((e) => e.path === node));

        await other.update(`${parent}/x`, bytes('x'));
        await waitFor('parent appearing', limit, () => parentEvents.length > 0);
        parentEvents.length = 0;
        await other.update(`${parent}/y`, bytes('y'));
        await waitFor('a child added', limit, seen(parentEvents, 'children'));
        parentEvents.length = 0;
        await other.update(`${parent}/y`, bytes('y2'));
        await other.delete(`${parent}/x`);
        await waitFor('a child removed', limit, seen(parentEvents, 'children'));
        await other.delete(parent);
        await waitFor('parent deleted', limit, seen(parentEvents, 'deleted'));
      } finally {
        await nodeWatch.close();
        await parentWatch.close();
      }
      // A closed watch stays quiet.
      nodeEvents.length = 0;
      await other.create(node, bytes('3'));
      await sleep(300);
      assert.deepEqual(nodeEvents, []);
    });

    test(name('ephemeral nodes live as long as their client'), async (t) => {
      const dir = fresh();
      const path = `${dir}/ephemeral`;
      const temp = await backend.open();
      if (backend.kind === 'filesystem') {
        await assert.rejects(temp.createEphemeral(path, bytes('e')), (e) =>
          isCoded(e, NotSupportedError, path),
        );
        await assert.rejects(temp.createEphemeralInOrder(dir, bytes('e')), NotSupportedError);
        t.diagnostic('filesystem: not supported, as in Codis');
        return;
      }
      await temp.createEphemeral(path, bytes('e'));
      assert.deepEqual(await other.read(path), bytes('e'));
      await assert.rejects(other.createEphemeral(path, bytes('f')), NodeExistsError);
      const first = await temp.createEphemeralInOrder(`${dir}/queue`, bytes('q1'));
      const second = await temp.createEphemeralInOrder(`${dir}/queue`, bytes('q2'));
      assert.ok(first.startsWith(`${dir}/queue/`) && first < second, `${first} < ${second}`);
      assert.deepEqual(await other.list(`${dir}/queue`), [first, second]);
      assert.deepEqual(await other.read(second), bytes('q2'));
      const events: WatchEvent[] = [];
      const watch = await other.watch(path, (e) => events.push(e));
      await temp.close();
      await waitFor(
        'the ephemeral node to go with its client',
        10_000,
        async () => (await other.read(path)) === undefined,
      );
      await waitFor('a deleted event', 10_000, () => events.some((e) => e.type === 'deleted'));
      assert.deepEqual(await other.list(`${dir}/queue`), []);
      await watch.close();
    });

    if (kind === 'filesystem') {
      test(name('ephemeral nodes are refused with a clear error, as Codis has none there'), async () => {
        await assert.rejects(client.createEphemeral(`${fresh()}/e`, new Uint8Array()), (error: Error) => {
          assert.equal((error as { code?: string }).code, 'ERR_COORDINATOR_NOT_SUPPORTED');
          return true;
        });
      });
    }

    ephemeralTest('ephemeral nodes vanish when the client process is killed', async () => {
      const path = `${fresh()}/killed`;
      const child = await startChild(backend, 'ephemeral', path);
      try {
        assert.equal(child.first, 'ready');
        assert.ok((await client.read(path)) !== undefined);
        const events: WatchEvent[] = [];
        const watch = await client.watch(path, (e) => events.push(e));
        await child.kill();
        const waited = await waitFor(
          'the node of a killed process to vanish',
          backend.sessionTimeout * 3 + 5_000,
          () => events.some((e) => e.type === 'deleted'),
        );
        assert.equal(await client.read(path), undefined);
        await watch.close();
        assert.ok(waited >= 0);
      } finally {
        await child.kill();
      }
    });

    test(name('a lock excludes other holders until released'), async () => {
      const path = `${fresh()}/lock`;
      const a = await backend.open();
      const b = await backend.open();
      const lock = await a.acquireLock(path, lockData('a'));
      assert.equal(lock.lost.aborted, false);
      await assert.rejects(b.acquireLock(path, lockData('b')), (e) => {
        isCoded(e, LockHeldError, path);
        assert.ok((e as LockHeldError).holder.length > 0);
        return true;
      });
      const info = await b.inspectLock(path);
      assert.ok(info !== undefined);
      assert.equal(JSON.parse(info.data.toString()).token, 'a');
      assert.equal(info.alive, true);
      await lock.release();
      assert.equal(await b.inspectLock(path), undefined);
      const again = await b.acquireLock(path, lockData('b'));
      // Closing the client releases what it holds.
      await b.close();
      const third = await a.acquireLock(path, lockData('a'));
      await third.release();
      assert.equal(again.lost.aborted, false);
      await a.close();
    });

    test(name('lock contention between two processes'), async () => {
      const path = `${fresh()}/lock`;
      const child = await startChild(backend, 'lock', path);
      try {
        assert.equal(child.first, 'ready');
        await assert.rejects(client.acquireLock(path, lockData('parent')), (e) =>
          isCoded(e, LockHeldError, path),
        );
        const info = await client.inspectLock(path);
        assert.equal(JSON.parse(info?.data.toString() ?? '{}').pid, child.process.pid);
        if (backend.kind === 'filesystem')
          assert.match(info?.holder ?? '', new RegExp(`pid ${child.process.pid}`));
        await child.stop();
        assert.ok(child.lines.includes('closed'), child.lines.join('\n'));
        const lock = await client.acquireLock(path, lockData('parent'));
        await lock.release();
      } finally {
        await child.kill();
      }
    });

    test(
      name('a lock comes back after its holder is killed with SIGKILL (Codis needed --remove-lock)'),
      async (t) => {
        const path = `${fresh()}/lock`;
        const child = await startChild(backend, 'lock', path);
        try {
          assert.equal(child.first, 'ready');
          await assert.rejects(client.acquireLock(path, lockData('parent')), LockHeldError);
          await child.kill();
          const limit = backend.sessionTimeout * 3 + 5_000;
          let lock: Awaited<ReturnType<Store['acquireLock']>> | undefined;
          const waited = await waitFor('the lock of a killed holder', limit, async () => {
            lock = await client.acquireLock(path, lockData('parent')).catch((e: unknown) => {
              if (e instanceof LockHeldError) return undefined;
              throw e;
            });
            return lock !== undefined;
          });
          t.diagnostic(`recovered ${waited} ms after SIGKILL`);
          await lock?.release();
        } finally {
          await child.kill();
        }
      },
    );

    test(
      name(
        'a paused holder loses its lock when its session expires, and is told (filesystem: kept, the process lives)',
      ),
      async (t) => {
        const path = `${fresh()}/lock`;
        const child = await startChild(backend, 'lock', path);
        try {
          assert.equal(child.first, 'ready');
          child.process.kill('SIGSTOP');
          if (backend.kind === 'filesystem') {
            // A paused process is alive: the filesystem lock stays with it.
            await sleep(backend.sessionTimeout);
            await assert.rejects(client.acquireLock(path, lockData('parent')), LockHeldError);
            t.diagnostic('filesystem: a paused holder keeps its lock (its process is alive)');
            return;
          }
          let lock: Awaited<ReturnType<Store['acquireLock']>> | undefined;
          await waitFor(
            'the session or lease of the paused holder to expire',
            backend.sessionTimeout * 3 + 5_000,
            async () => {
              lock = await client.acquireLock(path, lockData('parent')).catch((e: unknown) => {
                if (e instanceof LockHeldError) return undefined;
                throw e;
              });
              return lock !== undefined;
            },
          );
          child.process.kill('SIGCONT');
          await waitFor('the resumed holder to learn it lost the lock', 15_000, () =>
            child.lines.some((line) => line.startsWith('lost ')),
          );
          assert.ok(child.lines.includes('lost ERR_COORDINATOR_LOCK_LOST'), child.lines.join('\n'));
          assert.equal(JSON.parse((await other.read(path))?.toString() ?? '{}').token, 'parent');
          await lock?.release();
        } finally {
          child.process.kill('SIGCONT');
          await child.kill();
        }
      },
    );

    test(name('--remove-lock removes a lock whoever holds it; the holder learns it lost it'), async () => {
      const path = `${fresh()}/lock`;
      const holder = await backend.open();
      const lock = await holder.acquireLock(path, lockData('holder'));
      assert.equal(await client.forceUnlock(path), true);
      assert.equal(await client.forceUnlock(path), false);
      await waitFor('the holder to notice', 10_000, () => lock.lost.aborted);
      assert.ok(lock.lost.reason instanceof LockLostError, String(lock.lost.reason));
      const mine = await client.acquireLock(path, lockData('new'));
      // The old holder's release must not remove the new holder's lock.
      await lock.release();
      assert.equal(JSON.parse((await other.read(path))?.toString() ?? '{}').token, 'new');
      await mine.release();
      await holder.close();
    });

    test(
      name('coordinator restart while a client is connected: clear errors while down, recovery after'),
      async () => {
        const path = `${fresh()}/survivor`;
        await client.update(path, bytes('before'));
        const events: WatchEvent[] = [];
        const watch = await client.watch(path, (e) => events.push(e));
        await backend.stop();
        try {
          const started = Date.now();
          const error = await client.read(path).then(
            () => undefined,
            (e: unknown) => e,
          );
          isCoded(error, CoordinatorUnavailableError, path);
          assert.ok(Date.now() - started < TEST_TIMEOUT_MS + 5_000, `took ${Date.now() - started} ms`);
          await assert.rejects(client.update(path, bytes('while down')), (e) =>
            isCoded(e, CoordinatorUnavailableError, path),
          );
        } finally {
          await backend.start();
        }
        await waitFor(
          'reads to work again',
          20_000,
          async () => (await client.read(path).catch(() => undefined)) !== undefined,
        );
        // The update that failed while the coordinator was down was not applied later.
        assert.deepEqual(await client.read(path), bytes('before'));
        await other.update(path, bytes('after'));
        await waitFor('the watch to fire after the restart', 20_000, () =>
          events.some((e) => e.type === 'changed'),
        );
        await watch.close();
      },
    );

    test(name('a client opened while the coordinator is down fails clearly, then works'), async () => {
      const path = `${fresh()}/late`;
      await backend.stop();
      let late: Store | undefined;
      try {
        late = await backend.open().catch((e: unknown) => {
          isCoded(e, CoordinatorUnavailableError);
          return undefined;
        });
        if (late !== undefined) {
          await assert.rejects(late.update(path, bytes('x')), (e) =>
            isCoded(e, CoordinatorUnavailableError, path),
          );
        }
      } finally {
        await backend.start();
      }
      late ??= await backend.open();
      await waitFor('the late client to work', 20_000, async () => {
        try {
          await late.update(path, bytes('ok'));
          return true;
        } catch {
          return false;
        }
      });
      assert.deepEqual(await other.read(path), bytes('ok'));
    });

    test(name('refused credentials: a clear error naming the path, nothing overwritten'), async (t) => {
      if (backend.authScenario === undefined) {
        t.diagnostic('the filesystem coordinator has no authentication (as in Codis)');
        return;
      }
      const scenario = await backend.authScenario();
      try {
        const path = `${fresh()}/guarded`;
        await scenario.good.update(path, bytes('secret'));
        const bad = await scenario.openBad().catch((e: unknown) => {
          isCoded(e, CoordinatorAuthError);
          return undefined;
        });
        if (bad !== undefined) {
          await assert.rejects(bad.read(path), (e) => isCoded(e, CoordinatorAuthError, path));
          await assert.rejects(bad.update(path, bytes('overwritten')), (e) =>
            isCoded(e, CoordinatorAuthError, path),
          );
          await assert.rejects(bad.delete(path), CoordinatorAuthError);
        }
        assert.deepEqual(await scenario.good.read(path), bytes('secret'));
      } finally {
        await scenario.dispose();
      }
    });

    test(name('bad paths and closed clients are refused'), async () => {
      for (const bad of ['relative', '/trailing/', '/a//b', '/a/../b', '/a/./b', '']) {
        await assert.rejects(client.read(bad), (e) => isCoded(e, InvalidPathError));
        await assert.rejects(client.update(bad, bytes('x')), InvalidPathError);
      }
      const closed = await backend.open();
      await closed.close();
      await assert.rejects(closed.read('/contract'), (e) => isCoded(e, CoordinatorClosedError));
    });

    test(name('product records: golden bytes, defaults, validation, lock'), async () => {
      const product = `contract-${backend.kind}-${++counter}`;
      const store = new ProductStore(client, product);
      assert.equal((await store.readSlots()).length, 1024);
      assert.deepEqual(await store.readSlot(5), {
        id: 5,
        groupId: 0,
        action: { index: 0, state: '', targetId: 0 },
      });
      assert.deepEqual(await store.readGroups(), []);
      assert.deepEqual(await store.readProxies(), []);
      assert.deepEqual(await store.readSentinel(), { servers: [], outOfSync: false });
      assert.equal(await store.readTopom(), undefined);

      const group: Group = {
        id: 2,
        servers: [
          {
            addr: '127.0.0.1:16381',
            datacenter: 'dc1',
            action: { index: 0, state: '' },
            replicaGroup: false,
          },
          {
            addr: '127.0.0.1:16382',
            datacenter: '',
            action: { index: 0, state: 'synced' },
            replicaGroup: false,
          },
        ],
        promoting: { index: 0, state: '' },
        outOfSync: false,
      };
      const slot: SlotMapping = { id: 50, groupId: 1, action: { index: 51, state: 'pending', targetId: 2 } };
      const proxy: ProxyModel = {
        id: 1,
        token: '2e7212a146c4e36a17404fc19d2ed3cf',
        startTime: '2026-11-25 01:32:55.075393046 +0000 UTC m=+0.004377963',
        adminAddr: '127.0.0.1:11080',
        protoType: 'tcp4',
        proxyAddr: '127.0.0.1:19000',
        jodisPath: '',
        productName: product,
        pid: 12783,
        pwd: '/tmp',
        sys: 'Linux vm',
        hostname: 'vm',
        datacenter: '',
      };
      const sentinel = { servers: ['127.0.0.1:26379', '127.0.0.1:26380'], outOfSync: true };
      await store.updateGroup(group);
      await store.updateSlot(slot);
      await store.updateProxy(proxy);
      await store.updateSentinel(sentinel);
      const raw = async (path: string) => (await client.read(path))?.toString('utf8');
      assert.equal(await raw(groupPath(product, 2)), encodeGroup(group));
      assert.equal(await raw(slotPath(product, 50)), encodeSlotMapping(slot));
      assert.equal(await raw(`/codis3/${product}/proxy/proxy-${proxy.token}`), encodeProxy(proxy));
      assert.equal(await raw(`/codis3/${product}/sentinel`), encodeSentinel(sentinel));
      const reader = new ProductStore(other, product);
      assert.deepEqual(await reader.readGroups(), [group]);
      assert.deepEqual((await reader.readSlots())[50], slot);
      assert.deepEqual(await reader.readProxies(), [proxy]);
      assert.deepEqual(await reader.readSentinel(), sentinel);
      assert.ok((await listProducts(client)).includes(product));

      const topom: Topom = {
        token: 'dashboard',
        startTime: '2026-11-25 01:32:32.844359033 +0000 UTC m=+0.004552902',
        adminAddr: '127.0.0.1:18080',
        productName: product,
        pid: process.pid,
        pwd: process.cwd(),
        sys: localSystemDescription(),
      };
      const lock = await store.acquireLock(topom);
      assert.deepEqual(await reader.readTopom(), topom);
      assert.deepEqual((await reader.inspectLock())?.topom, topom);
      await assert.rejects(reader.acquireLock({ ...topom, token: 'second' }), LockHeldError);
      assert.equal(await reader.forceRemoveLock(), true);
      assert.equal(await reader.readTopom(), undefined);
      await lock.release();

      // Bad data is refused with the path and the field, and nothing is rewritten.
      const corrupt = groupPath(product, 7);
      await client.update(corrupt, bytes('{"id":7,"servers":['));
      await assert.rejects(store.readGroups(), (e) => {
        assert.ok(e instanceof ModelDecodeError, String(e));
        assert.equal(e.path, corrupt);
        assert.match(e.message, /corrupt JSON/);
        return true;
      });
      assert.equal(await raw(corrupt), '{"id":7,"servers":[');
      await client.update(corrupt, bytes('{"id":7,"servers":[],"promoting":{}}'));
      await assert.rejects(store.readGroup(7), {
        code: 'ERR_MODEL_DECODE',
        field: 'out_of_sync',
        path: corrupt,
      });
      await client.update(slotPath(product, 9), bytes(encodeSlotMapping({ ...slot, id: 10 })));
      await assert.rejects(store.readSlots(), { field: 'id', path: slotPath(product, 9) });
      await assert.rejects(store.updateSlot({ ...slot, id: 11, groupId: 10_000 }), ModelDecodeError);
      assert.equal(await client.read(slotPath(product, 11)), undefined);
    });
  });
}
