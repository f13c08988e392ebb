// MSET/MGET sub-requests are copied from the client's bytes when the request arrived contiguous,
// and built from strings when it did not (nil element, inline request): both must put exactly the
// client's bytes on each backend, whatever the chunking.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { slotOf } from '../../src/slots/index.ts';
import { type ProxyFixture, startTwoGroups, type TwoGroups } from '../helpers/proxy-fixture.ts';
import { RawConnection } from '../helpers/raw-connection.ts';
import type { RunningServer } from '../helpers/redis-servers.ts';

function bulk(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n')]);
}

function multibulk(args: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from(`*${args.length}\r\n`), ...args.map(bulk)]);
}

const bulkOf = (text: string): string => `$${text.length}\r\n${text}\r\n`;

describe('codis-proxy split commands from raw bytes', () => {
  let cluster: TwoGroups;
  let a: RunningServer;
  let b: RunningServer;
  let fixture: ProxyFixture;
  let directA: RawConnection;
  let directB: RawConnection;

  before(async () => {
    cluster = await startTwoGroups({ proxies: [{}] });
    ({ a, b } = cluster);
    fixture = cluster.proxies[0] as ProxyFixture;
    directA = await RawConnection.open(a.port);
    directB = await RawConnection.open(b.port);
  });
  after(async () => {
    directA.close();
    directB.close();
    await cluster.close();
  });

  /** The value of `key` read straight from the backend that owns it. */
  async function backendValue(key: string): Promise<string> {
    const direct = slotOf(key) < 512 ? directA : directB;
    return direct.call('GET', key);
  }

  it('copies binary values byte for byte, whole or split in two at several points', async () => {
    const candidates = Array.from({ length: 100 }, (_, i) => `bin:${i}`);
    const keys = [
      ...candidates.filter((key) => slotOf(key) < 512).slice(0, 3),
      ...candidates.filter((key) => slotOf(key) >= 512).slice(0, 3),
    ].sort();
    const values = keys.map((_, i) =>
      Buffer.from(Array.from({ length: 40 + i * 50 }, (_, j) => (j * 7 + i) & 255)),
    );
    const frame = multibulk([
      Buffer.from('MSET'),
      ...keys.flatMap((key, i) => [Buffer.from(key), values[i] as Buffer]),
    ]);
    const get = multibulk([Buffer.from('MGET'), ...keys.map((key) => Buffer.from(key))]);
    const expected = `*${keys.length}\r\n${values.map((value) => bulk(value).latin1Slice()).join('')}`;
    for (const at of [0, 1, 5, 17, frame.length - 1]) {
      const c = await RawConnection.open(fixture.port);
      if (at === 0) c.sendRaw(frame);
      else {
        c.sendRaw(frame.subarray(0, at));
        await new Promise((resolve) => setTimeout(resolve, 5));
        c.sendRaw(frame.subarray(at));
      }
      assert.equal((await c.reply()).raw, '+OK\r\n', `split at ${at}`);
      c.sendRaw(get);
      assert.equal((await c.reply()).raw, expected, `split at ${at}`);
      for (let i = 0; i < keys.length; i++) {
        assert.equal(await backendValue(keys[i] as string), bulk(values[i] as Buffer).latin1Slice());
      }
      c.close();
    }
  });

  it('routes each key by its bytes: bytes above 0x7f, hash tags, empty tags', async () => {
    // Slots are hashed from the client's bytes; a key's latin1 string hashes the same way.
    const keys = [
      ...Array.from({ length: 8 }, (_, i) => `\xff\x80k\xe9${i}`),
      ...Array.from({ length: 4 }, (_, i) => `{t\xe9g${i}}:x`),
      '{}\xfe',
      'a{b',
    ];
    assert.ok(keys.some((key) => slotOf(key) < 512) && keys.some((key) => slotOf(key) >= 512));
    const c = await RawConnection.open(fixture.port);
    assert.equal(await c.call('MSET', ...keys.flatMap((key, i) => [key, `v\xf0${i}`])), '+OK\r\n');
    for (let i = 0; i < keys.length; i++) {
      assert.equal(await backendValue(keys[i] as string), bulkOf(`v\xf0${i}`), `key ${i}`);
    }
    const values = keys.map((_, i) => bulkOf(`v\xf0${i}`)).join('');
    assert.equal(await c.call('MGET', ...keys), `*${keys.length}\r\n${values}`);
    assert.equal(await c.call('DEL', ...keys), `:${keys.length}\r\n`);
    c.close();
  });

  it('builds sub-requests from strings for a nil element and an inline request', async () => {
    const c = await RawConnection.open(fixture.port);
    const candidates = Array.from({ length: 100 }, (_, i) => `nil:${i}`);
    const keys = [
      ...candidates.filter((key) => slotOf(key) < 512).slice(0, 3),
      ...candidates.filter((key) => slotOf(key) >= 512).slice(0, 3),
    ].sort();
    // A nil value is stored as the empty string (the request is re-encoded, §2.1).
    let frame = `*${1 + keys.length * 2}\r\n$4\r\nMSET\r\n`;
    keys.forEach((key, i) => {
      frame += `$${key.length}\r\n${key}\r\n`;
      frame += i === 2 ? '$-1\r\n' : `$2\r\nv${i}\r\n`;
    });
    c.sendRaw(frame);
    assert.equal((await c.reply()).raw, '+OK\r\n');
    for (let i = 0; i < keys.length; i++) {
      assert.equal(await backendValue(keys[i] as string), i === 2 ? '$0\r\n\r\n' : `$2\r\nv${i}\r\n`);
    }
    c.sendRaw(`MGET ${keys.join(' ')} nil:missing\r\n`);
    assert.equal(
      (await c.reply()).raw,
      `*7\r\n${keys.map((_, i) => (i === 2 ? '$0\r\n\r\n' : `$2\r\nv${i}\r\n`)).join('')}$-1\r\n`,
    );
    c.sendRaw(`DEL ${keys.join(' ')}\r\n`);
    assert.equal((await c.reply()).raw, ':6\r\n');
    c.close();
  });
});
