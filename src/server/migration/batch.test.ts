// The source's fast paths (Batch.nextString, Batch.nextChunk) write messages straight into the
// connection; they must produce exactly the messages of the generic Batch.next() (which SLOTSMGRT*-
// ASYNC-DUMP shows): every type, TTLs, integer-encoded strings, chunks cut by maxbulks and by the
// byte budget, the trailing empty chunk, zset scores as raw little-endian doubles.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServerConfig } from '../config/index.ts';
import { type CodisServer, createCodisServer } from '../index.ts';
import type { Database } from '../keyspace/database.ts';
import { StreamValue } from '../types/stream.ts';
import { streamId } from '../types/stream-id.ts';
import {
  Batch,
  type BatchOptions,
  bulksOf,
  type ConnectionContext,
  type MessageSink,
  typeCode,
} from './batch.ts';

/** Records what the fast paths write, as the argument lists of the messages. */
class RecordingSink implements MessageSink {
  readonly messages: string[][] = [];
  private current: string[] = [];
  private left = 0;

  sendString(key: string, ttl: string, value: string): void {
    this.messages.push(['SLOTSRESTORE-ASYNC', 'delete', key]);
    this.messages.push(['SLOTSRESTORE-ASYNC', 'string', key, ttl, value]);
  }
  beginMessage(count: number): void {
    assert.equal(this.left, 0, 'previous message incomplete');
    this.current = [];
    this.left = count;
  }
  messageBulk(value: string): void {
    this.push(value);
  }
  messageBytes(value: Uint8Array): void {
    this.push(Buffer.from(value).latin1Slice());
  }
  private push(value: string): void {
    assert.ok(this.left > 0, 'more arguments than announced');
    this.current.push(value);
    if (--this.left === 0) this.messages.push(this.current);
  }
}

function context(pending: () => number): ConnectionContext {
  return { used: true, password: '', pendingBytes: pending };
}

/** A server whose database 0 holds one key of every kind. */
function populated() {
  const server = createCodisServer(new ServerConfig());
  const client = server.createInternalClient();
  const run = (...argv: string[]): void => server.execute(client, argv);
  run('SET', 'str', 'hello');
  run('SET', 'int', '12345');
  run('SET', 'ttl', 'v', 'PX', '90000');
  run('SET', 'bin', 'a\r\n\x00\xffb');
  run('RPUSH', 'list', 'a', 'b', 'c', 'd', '12', 'long-element-'.repeat(10));
  run('RPUSH', 'list4', 'a', 'b', 'c', 'd');
  const fields: string[] = [];
  for (let i = 0; i < 600; i++) fields.push(`f${i}`, i % 3 === 0 ? String(i) : `value-${i}`);
  run('HSET', 'hash', ...fields);
  run('PEXPIRE', 'hash', '50000');
  run('HSET', 'smallhash', 'f', 'v');
  const members: string[] = [];
  for (let i = 0; i < 300; i++) members.push(`m${i}`);
  run('SADD', 'set', ...members);
  run('SADD', 'intset', '1', '2', '3');
  const pairs: string[] = [];
  for (let i = 0; i < 300; i++) pairs.push(String(i * 0.5 - 7), `z${i}`);
  pairs.push('inf', 'pinf', '-inf', 'ninf', '5e-324', 'tiny');
  run('ZADD', 'zset', ...pairs);
  run('ZADD', 'smallzset', '1', 'a');
  return server;
}

const KEYS = [
  'str',
  'int',
  'ttl',
  'bin',
  'list',
  'list4',
  'hash',
  'smallhash',
  'set',
  'intset',
  'zset',
  'smallzset',
  'missing',
];

/** Every message of a batch, through the fast paths where they apply (as produce() does). */
function fastMessages(
  server: CodisServer,
  options: BatchOptions,
  pending: () => number,
  now: number,
): string[][] {
  const batch = new Batch(server.databases[0] as Database, options);
  for (const key of KEYS) batch.add(key, false, now);
  const sink = new RecordingSink();
  const ctx = context(pending);
  for (;;) {
    if (batch.nextString(ctx, now, sink)) continue;
    if (batch.nextChunk(ctx, sink) !== undefined) continue;
    const message = batch.next(ctx, now);
    if (message === undefined) break;
    sink.messages.push(message.args.map((arg) => (typeof arg === 'string' ? arg : arg.latin1Slice())));
  }
  assert.deepEqual(
    batch.removedKeys,
    KEYS.filter((key) => key !== 'missing'),
  );
  return sink.messages;
}

/** The same batch through the generic next() only. */
function genericMessages(
  server: CodisServer,
  options: BatchOptions,
  pending: () => number,
  now: number,
): string[][] {
  const batch = new Batch(server.databases[0] as Database, options);
  for (const key of KEYS) batch.add(key, false, now);
  const ctx = context(pending);
  const messages: string[][] = [];
  for (let message = batch.next(ctx, now); message !== undefined; message = batch.next(ctx, now))
    messages.push(message.args.map((arg) => (typeof arg === 'string' ? arg : arg.latin1Slice())));
  return messages;
}

// Batches only read the keys: both paths walk the same server's values, at the same `now`.
describe('async migration batch fast paths', () => {
  const server = populated();
  const now = Date.now();
  const cases: Array<[string, BatchOptions, () => number]> = [
    ['maxbulks 200, big budget', { timeout: 3000, maxbulks: 200, maxbytes: 1 << 20 }, () => 0],
    [
      'maxbulks 7 (odd: pairs overrun by one item)',
      { timeout: 1000, maxbulks: 7, maxbytes: 1 << 20 },
      () => 0,
    ],
    [
      'maxbulks 2 (trailing empty chunk for list4)',
      { timeout: 1000, maxbulks: 2, maxbytes: 1 << 20 },
      () => 0,
    ],
    ['byte budget of 40 bytes', { timeout: 1000, maxbulks: 100, maxbytes: 40 }, () => 0],
    ['budget used up by pending bytes', { timeout: 1000, maxbulks: 100, maxbytes: 1000 }, () => 5000],
  ];
  for (const [name, options, pending] of cases) {
    it(`writes the generic messages: ${name}`, () => {
      const fast = fastMessages(server, options, pending, now);
      const generic = genericMessages(server, options, pending, now);
      assert.deepEqual(fast, generic);
      // Sanity: the stream has what the options imply.
      const chunks = fast.filter((message) =>
        ['list', 'hash', 'dict', 'zset'].includes(message[1] as string),
      );
      assert.ok(chunks.length > 0);
      for (const chunk of chunks) assert.equal(chunk[3], String(3 * options.timeout));
    });
  }

  it('strings carry their TTL and integer values as decimal text; zset scores are raw doubles', () => {
    const messages = fastMessages(server, { timeout: 1000, maxbulks: 200, maxbytes: 1 << 20 }, () => 0, now);
    const ttl = messages.find((message) => message[1] === 'string' && message[2] === 'ttl') as string[];
    assert.ok(Number(ttl[3]) > 89000 && Number(ttl[3]) <= 90000);
    assert.deepEqual(
      messages.find((message) => message[1] === 'string' && message[2] === 'int'),
      ['SLOTSRESTORE-ASYNC', 'string', 'int', '0', '12345'],
    );
    const zset = messages.filter((message) => message[1] === 'zset');
    const first = zset[0] as string[];
    // Highest score first: +inf, then 149.5 ... ; 8 raw little-endian bytes each.
    assert.equal(first[5], 'pinf');
    assert.equal(Buffer.from(first[6] as string, 'latin1').readDoubleLE(0), Number.POSITIVE_INFINITY);
    assert.equal(first[7], 'z299');
    assert.equal(Buffer.from(first[8] as string, 'latin1').readDoubleLE(0), 142.5);
    const last = zset.at(-1) as string[];
    assert.equal(Buffer.from(last.at(-1) as string, 'latin1').readDoubleLE(0), Number.NEGATIVE_INFINITY);
    const expire = messages.find((message) => message[1] === 'expire' && message[2] === 'hash') as string[];
    assert.ok(Number(expire[3]) > 49000 && Number(expire[3]) <= 50000);
  });
});

describe('type codes and chunking of each type', () => {
  it('a stream is type 6 and counts its live entries as bulks', () => {
    const stream = new StreamValue();
    for (let i = 1; i <= 500; i++) stream.append(streamId(BigInt(i), 0n), ['f', String(i)]);
    stream.delete(streamId(3n, 0n));
    assert.equal(typeCode(stream), 6);
    assert.equal(bulksOf(stream), 499);
    assert.equal(typeCode('x'), 0);
  });
});
