import assert from 'node:assert/strict';
import { conformanceSuite } from '../helpers/conformance.ts';

conformanceSuite('lcs', (it) => {
  it('LCS string, LEN, and missing keys', async ({ connection: c }) => {
    assert.equal(await c.call('MSET', 'key1', 'ohmytext', 'key2', 'mynewtext'), '+OK\r\n');
    assert.equal(await c.call('LCS', 'key1', 'key2'), '$6\r\nmytext\r\n');
    assert.equal(await c.call('LCS', 'key1', 'key2', 'LEN'), ':6\r\n');
    assert.equal(await c.call('LCS', 'key1', 'missing'), '$0\r\n\r\n');
    assert.equal(await c.call('LCS', 'missing', 'missing2', 'len'), ':0\r\n');
    assert.equal(await c.call('MSET', 'n1', '12345', 'n2', '2x4y5'), '+OK\r\n');
    assert.equal(await c.call('LCS', 'n1', 'n2'), '$3\r\n245\r\n');
    assert.equal(await c.call('MSET', 'b1', '\x00\xff\x01\x80', 'b2', '\xff\x80'), '+OK\r\n');
    assert.equal(await c.call('LCS', 'b1', 'b2'), '$2\r\n\xff\x80\r\n');
  });

  it('LCS IDX with MINMATCHLEN and WITHMATCHLEN', async ({ connection: c }) => {
    assert.equal(await c.call('MSET', 'key1', 'ohmytext', 'key2', 'mynewtext'), '+OK\r\n');
    assert.equal(
      await c.call('LCS', 'key1', 'key2', 'IDX'),
      '*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n',
    );
    assert.equal(
      await c.call('LCS', 'key1', 'key2', 'IDX', 'MINMATCHLEN', '4'),
      '*4\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n$3\r\nlen\r\n:6\r\n',
    );
    assert.equal(
      await c.call('LCS', 'key1', 'key2', 'IDX', 'MINMATCHLEN', '-4', 'WITHMATCHLEN'),
      '*4\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n',
    );
    assert.equal(
      await c.call('LCS', 'key1', 'missing', 'IDX'),
      '*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n',
    );
    assert.equal((await c.call('HELLO', '3')) !== '', true);
    assert.equal(
      await c.call('LCS', 'key1', 'key2', 'IDX', 'MINMATCHLEN', '3', 'WITHMATCHLEN'),
      '%2\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n',
    );
  });

  it('LCS errors', async ({ connection: c }) => {
    assert.equal(await c.call('MSET', 'a', 'x', 'b', 'y'), '+OK\r\n');
    assert.equal(
      await c.call('LCS', 'a', 'b', 'IDX', 'LEN'),
      '-ERR If you want both the length and indexes, please just use IDX.\r\n',
    );
    assert.equal(await c.call('LCS', 'a', 'b', 'MINMATCHLEN'), '-ERR syntax error\r\n');
    assert.equal(
      await c.call('LCS', 'a', 'b', 'MINMATCHLEN', 'x'),
      '-ERR value is not an integer or out of range\r\n',
    );
    assert.equal(await c.call('LCS', 'a', 'b', 'FOO'), '-ERR syntax error\r\n');
    assert.equal(await c.call('RPUSH', 'l', 'x'), ':1\r\n');
    assert.equal(await c.call('LCS', 'a', 'l'), '-ERR The specified keys must contain string values\r\n');
    assert.equal(
      await c.call('LCS', 'l', 'missing', 'FOO'),
      '-ERR The specified keys must contain string values\r\n',
    );
    assert.equal(await c.call('LCS', 'a'), "-ERR wrong number of arguments for 'lcs' command\r\n");
  });

  it('LCS of longer random strings agrees with Redis', async ({ connection: c }) => {
    let seed = 7;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed;
    };
    let x = '';
    let y = '';
    for (let i = 0; i < 300; i++) x += 'ACGT'[next() % 4];
    for (let i = 0; i < 250; i++) y += 'ACGT'[next() % 4];
    assert.equal(await c.call('MSET', 'x', x, 'y', y), '+OK\r\n');
    const length = await c.call('LCS', 'x', 'y', 'LEN');
    assert.match(length, /^:\d+\r\n$/);
    const text = await c.value('LCS', 'x', 'y');
    assert.equal(`:${(text as string).length}\r\n`, length);
    const reply = await c.call('LCS', 'x', 'y', 'IDX', 'MINMATCHLEN', '3', 'WITHMATCHLEN');
    // A fixed digest of the reply: both servers must emit the very same ranges.
    const { createHash } = await import('node:crypto');
    assert.equal(
      createHash('sha256').update(reply, 'latin1').digest('hex').slice(0, 16),
      EXPECTED_IDX_DIGEST,
    );
  });
});

const EXPECTED_IDX_DIGEST = 'cda96fed710dd585';
