// Streams in slot migration between two of our servers: Codis 3.2 has no stream type, so a stream
// travels as its DUMP payload (version 10, Redis 7.0's type 19) in SLOTSRESTORE for the synchronous
// commands; the asynchronous ones send a stream of at most maxbulks entries in one `object`
// message and a bigger one in our `xnodes` chunks closed by `xmeta`. Either way it arrives byte for
// byte as it left.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { crc64 } from '../../src/server/rdb/crc64.ts';
import { createDumpPayload } from '../../src/server/rdb/payload.ts';
import {
  type ConsumerGroup,
  StreamConsumer,
  StreamNack,
  StreamValue,
} from '../../src/server/types/stream.ts';
import { streamId } from '../../src/server/types/stream-id.ts';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

/** 300 entries over several nodes, a deletion, a group with pending entries. */
function bigStream(): Buffer {
  const stream = new StreamValue();
  for (let i = 1; i <= 300; i++)
    stream.append(streamId(BigInt(i), 0n), ['field', `value-${i}`, 'n', String(i)]);
  stream.delete(streamId(7n, 0n));
  stream.maxDeletedEntryId = streamId(7n, 0n);
  const group = stream.createGroup('workers', streamId(20n, 0n), 20n) as ConsumerGroup;
  const consumer = new StreamConsumer('w1', 1700000000000);
  group.consumers.set('w1', consumer);
  for (let i = 10; i <= 20; i++) {
    const nack = new StreamNack(consumer, 1700000000001, 1);
    group.pel.set(streamId(BigInt(i), 0n), nack);
    consumer.pel.set(streamId(BigInt(i), 0n), nack);
  }
  return createDumpPayload(stream);
}

/** An empty stream that keeps its last ID and a group. */
function emptyStream(): Buffer {
  const stream = new StreamValue();
  stream.lastId = streamId(99n, 1n);
  stream.entriesAdded = 5n;
  stream.createGroup('g', streamId(99n, 1n), 5n);
  return createDumpPayload(stream);
}

/** A DUMP payload of "hello" claiming `version`. */
function helloWithVersion(version: number): Buffer {
  const body = Buffer.from([0, 5, ...Buffer.from('hello'), version, 0]);
  const crc = Buffer.alloc(8);
  crc.writeBigUInt64LE(crc64(body));
  return Buffer.concat([body, crc]);
}

const BIG = bigStream();
const EMPTY = emptyStream();

describe('stream keys in slot migration', () => {
  let a: RunningServer;
  let b: RunningServer;
  let ca: RawConnection;
  let cb: RawConnection;

  before(async () => {
    [a, b] = await Promise.all([startServer('codis-server'), startServer('codis-server')]);
    [ca, cb] = await Promise.all([RawConnection.open(a.port), RawConnection.open(b.port)]);
  });
  after(async () => {
    ca?.close();
    cb?.close();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  /** Puts the two streams on A under a tag, the big one with a TTL. */
  async function fillSource(): Promise<void> {
    assert.equal(await ca.call('flushall'), '+OK\r\n');
    assert.equal(await cb.call('flushall'), '+OK\r\n');
    assert.equal(await ca.call('restore', '{st}big', '600000', BIG), '+OK\r\n');
    assert.equal(await ca.call('restore', '{st}empty', '0', EMPTY), '+OK\r\n');
  }

  async function checkTarget(): Promise<void> {
    assert.equal(await cb.value('dump', '{st}big'), BIG.latin1Slice());
    assert.equal(await cb.value('dump', '{st}empty'), EMPTY.latin1Slice());
    assert.equal(await cb.call('type', '{st}big'), '+stream\r\n');
    const pttl = Number(await cb.value('pttl', '{st}big'));
    assert.ok(pttl > 590000 && pttl <= 600000, String(pttl));
    assert.equal(await cb.call('pttl', '{st}empty'), ':-1\r\n');
    assert.equal(await ca.call('dbsize'), ':0\r\n');
  }

  it('SLOTSRESTORE takes a stream payload of version 10; other payloads still stop at version 7', async () => {
    assert.equal(await cb.call('slotsrestore', 'st', '0', BIG, 'e', '0', EMPTY), '+OK\r\n');
    assert.equal(await cb.value('dump', 'st'), BIG.latin1Slice());
    assert.equal(await cb.call('object', 'encoding', 'e'), '$6\r\nstream\r\n');
    assert.equal(
      await cb.call('slotsrestore', 'v10', '0', helloWithVersion(10)),
      '-ERR dump payload version or checksum are wrong\r\n',
    );
    assert.equal(await cb.call('slotsrestore', 'v7', '0', helloWithVersion(7)), '+OK\r\n');
  });

  it('synchronous: SLOTSMGRTTAGONE and SLOTSMGRTSLOT move streams whole with their TTL', async () => {
    await fillSource();
    const port = String(b.port);
    assert.equal(await ca.call('slotsmgrttagone', '127.0.0.1', port, '1000', '{st}'), ':2\r\n');
    await checkTarget();
    await fillSource();
    const slot = ((await ca.value('slotshashkey', '{st}')) as string[])[0] as string;
    assert.equal(await ca.call('slotsmgrttagslot', '127.0.0.1', port, '1000', slot), '*2\r\n:2\r\n:0\r\n');
    await checkTarget();
    await fillSource();
    assert.equal(await ca.call('slotsmgrtone', '127.0.0.1', port, '1000', '{st}big'), ':1\r\n');
    assert.equal(await ca.call('slotsmgrtslot', '127.0.0.1', port, '1000', slot), '*2\r\n:1\r\n:0\r\n');
    await checkTarget();
  });

  it('asynchronous: a small stream goes as one object message, a big one in xnodes chunks and xmeta', async () => {
    await fillSource();
    const whole = (await ca.value('slotsmgrttagone-async-dump', '1000', '400', '{st}')) as string[][];
    assert.deepEqual(
      whole.map((message) => message.slice(0, 3)),
      [
        ['SLOTSRESTORE-ASYNC', 'delete', '{st}big'],
        ['SLOTSRESTORE-ASYNC', 'object', '{st}big'],
        ['SLOTSRESTORE-ASYNC', 'delete', '{st}empty'],
        ['SLOTSRESTORE-ASYNC', 'object', '{st}empty'],
      ],
    );
    assert.equal(whole[1]?.[4], BIG.latin1Slice());
    // 299 entries and 11 pending > maxbulks 2: one node (100 entries) per chunk, the groups in
    // xmeta, the pending entries two by two, then the real TTL.
    const messages = (await ca.value('slotsmgrttagone-async-dump', '1000', '2', '{st}')) as string[][];
    assert.deepEqual(
      messages.map((message) => message.slice(0, 3)),
      [
        ['SLOTSRESTORE-ASYNC', 'delete', '{st}big'],
        ['SLOTSRESTORE-ASYNC', 'xnodes', '{st}big'],
        ['SLOTSRESTORE-ASYNC', 'xnodes', '{st}big'],
        ['SLOTSRESTORE-ASYNC', 'xnodes', '{st}big'],
        ['SLOTSRESTORE-ASYNC', 'xmeta', '{st}big'],
        ...Array.from({ length: 6 }, () => ['SLOTSRESTORE-ASYNC', 'xpel', '{st}big']),
        ['SLOTSRESTORE-ASYNC', 'expire', '{st}big'],
        ['SLOTSRESTORE-ASYNC', 'delete', '{st}empty'],
        ['SLOTSRESTORE-ASYNC', 'object', '{st}empty'],
      ],
    );
    for (const chunk of messages.slice(1, 4)) {
      assert.equal(chunk[3], '3000');
      assert.equal(chunk[4], '3');
      assert.equal(chunk.length, 7);
    }
    for (const chunk of messages.slice(4, 11)) assert.equal(chunk[3], '3000');
    assert.deepEqual(
      messages.slice(5, 11).map((chunk) => [chunk[4], (chunk[5] as string).length / 36]),
      [...Array.from({ length: 5 }, () => ['workers', 2]), ['workers', 1]],
    );
    const ttl = Number(messages[11]?.[3]);
    assert.ok(ttl > 590000 && ttl <= 600000, String(ttl));
    const port = String(b.port);
    assert.equal(
      await ca.call('slotsmgrttagone-async', '127.0.0.1', port, '3000', '2', '1048576', '{st}'),
      ':2\r\n',
    );
    await checkTarget();
    await fillSource();
    const slot = ((await ca.value('slotshashkey', '{st}')) as string[])[0] as string;
    assert.equal(
      await ca.call('slotsmgrtslot-async', '127.0.0.1', port, '3000', '2', '1048576', slot, '200'),
      // Moved, and the slot's size when the batch was made.
      '*2\r\n:2\r\n:2\r\n',
    );
    await checkTarget();
  });

  it('SLOTSRESTORE-ASYNC: object takes a stream; chunk messages onto a stream are a wrong type', async () => {
    assert.equal(await cb.call('flushall'), '+OK\r\n');
    const ack = (errno: string, message: string): string =>
      `*3\r\n$22\r\nSLOTSRESTORE-ASYNC-ACK\r\n$${errno.length}\r\n${errno}\r\n$${message.length}\r\n${message}\r\n`;
    const connection = await RawConnection.open(b.port);
    assert.equal(await connection.call('slotsrestore-async', 'object', 'st', '0', BIG), ack('0', '1'));
    assert.equal(
      await connection.call('slotsrestore-async', 'list', 'st', '0', '1', 'x'),
      ack('-1', 'wrong type (expect=1/9,got=6/10)'),
    );
    connection.close();
    assert.equal(await cb.value('dump', 'st'), BIG.latin1Slice());
  });

  it('SLOTSRESTORE-ASYNC xnodes/xmeta: a corrupt chunk or wrong metadata gets a clean error ACK', async () => {
    assert.equal(await cb.call('flushall'), '+OK\r\n');
    const ack = (errno: string, message: string): string =>
      `*3\r\n$22\r\nSLOTSRESTORE-ASYNC-ACK\r\n$${errno.length}\r\n${errno}\r\n$${message.length}\r\n${message}\r\n`;
    // The source's messages for {st}big with maxbulks 2: three chunks of one node, then xmeta.
    await fillSource();
    const messages = (await ca.value('slotsmgrttagone-async-dump', '1000', '2', '{st}big')) as string[][];
    const [first, second, third, meta] = messages.slice(1, 5) as string[][];
    const rest = messages.slice(5, 12) as string[][];
    const send = async (connection: RawConnection, message: string[]): Promise<string> =>
      connection.call(...message.map((arg) => Buffer.from(arg, 'latin1')));

    let connection = await RawConnection.open(b.port);
    assert.equal(await send(connection, first as string[]), ack('0', '1'));
    // The second chunk with a byte of its listpack changed: refused, the key keeps one node.
    const corrupt = [...(second as string[])];
    const listpack = Buffer.from(corrupt[6] as string, 'latin1');
    listpack[listpack.length - 1] = 0x41;
    corrupt[6] = listpack.latin1Slice();
    const refused = await send(connection, corrupt);
    assert.match(
      refused,
      /\$2\r\n-1\r\n\$\d+\r\ninvalid stream chunk \(node \[0\]: corrupt listpack: end byte\)\r\n$/,
    );
    connection.close();
    assert.equal(await cb.call('ping'), '+PONG\r\n');
    assert.equal(await cb.call('xlen', '{st}big'), ':99\r\n');
    const pttl = Number(await cb.value('pttl', '{st}big'));
    assert.ok(pttl > 0 && pttl <= 3000, `provisional TTL ${pttl}`);

    connection = await RawConnection.open(b.port);
    // Out of order (the first chunk again) and metadata before every node arrived: refused too.
    assert.match(
      await send(connection, first as string[]),
      /invalid stream chunk \(node \[0\]: node out of order\)/,
    );
    connection.close();
    connection = await RawConnection.open(b.port);
    assert.match(
      await send(connection, meta as string[]),
      /invalid stream metadata \(corrupt stream: length inconsistent/,
    );
    connection.close();
    connection = await RawConnection.open(b.port);
    assert.equal(await send(connection, second as string[]), ack('0', '2'));
    assert.equal(await send(connection, third as string[]), ack('0', '3'));
    assert.equal(await send(connection, meta as string[]), ack('0', '299'));
    // The pending entries: a repeat, or an unknown group, is refused.
    const expected = ['2', '4', '6', '8', '10', '11', '1'];
    for (const [i, message] of rest.entries())
      assert.equal(await send(connection, message), ack('0', expected[i] as string));
    assert.equal(await cb.value('dump', '{st}big'), BIG.latin1Slice());
    assert.ok(Number(await cb.value('pttl', '{st}big')) > 590000, 'the real TTL');
    assert.match(
      await send(connection, rest[0] as string[]),
      /invalid pending entries \(duplicated pending entry \[0\]\)/,
    );
    connection.close();
    connection = await RawConnection.open(b.port);
    const unknown = [...(rest[0] as string[])];
    unknown[4] = 'nogroup';
    assert.equal(await send(connection, unknown), ack('-1', 'unknown group (nogroup)'));
    connection.close();
    connection = await RawConnection.open(b.port);
    // Onto another type, or metadata for a missing key.
    assert.equal(await connection.call('set', 's', 'v'), '+OK\r\n');
    assert.equal(
      await send(connection, ['SLOTSRESTORE-ASYNC', 'xnodes', 's', ...(first as string[]).slice(3)]),
      ack('-1', 'wrong type (expect=6/10,got=0/8)'),
    );
    connection.close();
    connection = await RawConnection.open(b.port);
    // Metadata for a missing key makes an empty stream: refused when it says there are entries.
    assert.match(
      await send(connection, ['SLOTSRESTORE-ASYNC', 'xmeta', 'nokey', '0', (meta as string[])[4] as string]),
      /invalid stream metadata \(corrupt stream: length inconsistent with the entries\)/,
    );
    assert.equal(await cb.call('exists', 'nokey'), ':0\r\n');
    connection.close();
    assert.equal(await cb.call('ping'), '+PONG\r\n');
  });
});
