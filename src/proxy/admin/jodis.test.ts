import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { NodeExistsError, type Store } from '../../coordinator/index.ts';
import { JodisRegistration } from './jodis.ts';

/** Just the ephemeral-node part of a Store, in memory; `expire()` drops the session's nodes. */
class MemoryStore {
  readonly nodes = new Map<string, Buffer>();
  closed = false;
  failCreates = 0;
  async read(path: string): Promise<Buffer | undefined> {
    return this.nodes.get(path);
  }
  async delete(path: string): Promise<void> {
    this.nodes.delete(path);
  }
  async createEphemeral(path: string, data: Uint8Array): Promise<void> {
    if (this.failCreates > 0) {
      this.failCreates--;
      throw new Error('coordinator down');
    }
    if (this.nodes.has(path)) throw new NodeExistsError({ coordinator: 'memory', operation: 'create', path });
    this.nodes.set(path, Buffer.from(data));
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  expire(): void {
    this.nodes.clear();
  }
}

const until = async (check: () => boolean): Promise<void> => {
  const deadline = Date.now() + 3000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('jodis registration (spec §11)', () => {
  it('creates the node with sorted JSON, recreates it when lost, retries failures, deletes it on close', async () => {
    const store = new MemoryStore();
    store.failCreates = 1;
    const path = '/jodis/codis-p3/proxy-360d56f9c7ac0ed344e6736f473685e9';
    const jodis = new JodisRegistration({
      path,
      record: { addr: '127.0.0.1:19000', admin: '127.0.0.1:11080', start: 'T', state: 'online', token: 't' },
      open: async () => store as unknown as Store,
      logger: pino({ level: 'silent' }),
      checkInterval: 10,
      minBackoff: 10,
    });
    jodis.start();
    await until(() => store.nodes.has(path));
    assert.equal(
      store.nodes.get(path)?.toString(),
      '{\n    "addr": "127.0.0.1:19000",\n    "admin": "127.0.0.1:11080",\n    "start": "T",\n    "state": "online",\n    "token": "t"\n}',
    );
    store.expire();
    await until(() => store.nodes.has(path));
    assert.equal(jodis.registrations, 2);
    await jodis.close();
    assert.equal(store.nodes.has(path), false);
    assert.equal(store.closed, true);
  });
});
