import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StoredValue } from '../keyspace/value.ts';
import { HashValue } from '../types/hash.ts';
import { ListValue } from '../types/list.ts';
import { SetValue } from '../types/set.ts';
import { ZSetValue } from '../types/zset.ts';
import { AofCommandEncoder, rewriteKey } from './aof-commands.ts';

function commands(key: string, value: StoredValue): string[][] {
  const out: string[][] = [];
  rewriteKey(key, value, (argv) => out.push(argv));
  return out;
}

test('each type as the commands Redis 7.0 rewrites it into, 64 items per command', () => {
  assert.deepEqual(commands('k', 'v'), [['SET', 'k', 'v']]);
  assert.deepEqual(commands('n', 123), [['SET', 'n', '123']]);
  const items = Array.from({ length: 70 }, (_, i) => String(i + 1));
  const list = commands('l', ListValue.fromArray(items));
  assert.deepEqual(list, [
    ['RPUSH', 'l', ...items.slice(0, 64)],
    ['RPUSH', 'l', ...items.slice(64)],
  ]);
  assert.deepEqual(commands('st', SetValue.fromMembers(['x', 'y'])), [['SADD', 'st', 'x', 'y']]);
  assert.deepEqual(
    commands(
      'z',
      ZSetValue.fromPairs([
        ['a', 1.1],
        ['b', 2],
        ['c', Number.POSITIVE_INFINITY],
        ['d', Number.NEGATIVE_INFINITY],
        ['e', 1e300],
      ]),
    ),
    [
      [
        'ZADD',
        'z',
        '-inf',
        'd',
        '1.1000000000000001',
        'a',
        '2',
        'b',
        '1.0000000000000001e+300',
        'e',
        'inf',
        'c',
      ],
    ],
  );
  const fields = Array.from({ length: 65 }, (_, i): [string, string] => [`f${i}`, `v${i}`]);
  const hash = commands('h', HashValue.fromEntries(fields));
  assert.equal(hash.length, 2);
  assert.equal(hash[0]?.length, 2 + 128);
  assert.deepEqual(hash[1], ['HMSET', 'h', 'f64', 'v64']);
});

test('the encoder: FUNCTION LOAD first, SELECT per database, PEXPIREAT after a key, in RESP', () => {
  const chunks: Buffer[] = [];
  const encoder = new AofCommandEncoder(['#!lua name=lib\nreturn 1'], (chunk) =>
    chunks.push(Buffer.from(chunk)),
  );
  encoder.beginDatabase(0);
  encoder.key('k', 'v', 1795805386265);
  encoder.beginDatabase(2);
  encoder.key('other', 1, 0);
  encoder.end();
  const text = Buffer.concat(chunks).latin1Slice();
  assert.equal(
    text,
    '*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n$23\r\n#!lua name=lib\nreturn 1\r\n' +
      '*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n' +
      '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n' +
      '*3\r\n$9\r\nPEXPIREAT\r\n$1\r\nk\r\n$13\r\n1795805386265\r\n' +
      '*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n' +
      '*3\r\n$3\r\nSET\r\n$5\r\nother\r\n$1\r\n1\r\n',
  );
  assert.equal(encoder.bytes, text.length);
});

test('the encoder hands out chunks of about 1 MB, and commands bigger than a chunk whole', () => {
  const chunks: Buffer[] = [];
  const encoder = new AofCommandEncoder([], (chunk) => chunks.push(Buffer.from(chunk)));
  encoder.beginDatabase(0);
  for (let i = 0; i < 3000; i++) encoder.key(`key${i}`, 'x'.repeat(1000), 0);
  encoder.key('huge', 'y'.repeat(3 << 20), 0);
  encoder.end();
  assert.ok(chunks.length >= 3);
  const text = Buffer.concat(chunks).latin1Slice();
  assert.equal(encoder.bytes, text.length);
  assert.ok(text.endsWith(`$${3 << 20}\r\n${'y'.repeat(3 << 20)}\r\n`));
  assert.equal(text.split('*3\r\n$3\r\nSET\r\n').length - 1, 3001);
});
