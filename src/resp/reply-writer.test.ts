import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatDouble } from './double.ts';
import { ReplyParser, RespMap, RespSet, RespStatus } from './reply-parser.ts';
import { ReplyWriter } from './reply-writer.ts';

function written(protocol: 2 | 3, write: (out: ReplyWriter) => void): string {
  const out = new ReplyWriter();
  out.protocol = protocol;
  write(out);
  return out.take().latin1Slice();
}

test('RESP2 and RESP3 framing of nulls, maps, sets, doubles and booleans, as Redis 7', () => {
  assert.equal(
    written(2, (o) => o.nullBulk()),
    '$-1\r\n',
  );
  assert.equal(
    written(3, (o) => o.nullBulk()),
    '_\r\n',
  );
  assert.equal(
    written(2, (o) => o.nullArray()),
    '*-1\r\n',
  );
  assert.equal(
    written(3, (o) => o.nullArray()),
    '_\r\n',
  );
  assert.equal(
    written(2, (o) => o.mapHeader(2)),
    '*4\r\n',
  );
  assert.equal(
    written(3, (o) => o.mapHeader(2)),
    '%2\r\n',
  );
  assert.equal(
    written(3, (o) => o.setHeader(1)),
    '~1\r\n',
  );
  assert.equal(
    written(3, (o) => o.pushHeader(3)),
    '>3\r\n',
  );
  assert.equal(
    written(2, (o) => o.double(1.5)),
    '$3\r\n1.5\r\n',
  );
  assert.equal(
    written(3, (o) => o.double(1.5)),
    ',1.5\r\n',
  );
  assert.equal(
    written(3, (o) => o.double(Number.NEGATIVE_INFINITY)),
    ',-inf\r\n',
  );
  assert.equal(
    written(2, (o) => o.boolean(true)),
    ':1\r\n',
  );
  assert.equal(
    written(3, (o) => o.boolean(false)),
    '#f\r\n',
  );
  assert.equal(
    written(3, (o) => o.verbatim('a\r\nb')),
    '=8\r\ntxt:a\r\nb\r\n',
  );
  assert.equal(
    written(2, (o) => o.bulk('\0\xff')),
    '$2\r\n\0\xff\r\n',
  );
});

test('doubles print as printf %.17g', () => {
  assert.equal(formatDouble(0.1), '0.10000000000000001');
  assert.equal(formatDouble(1e20), '1e+20');
  assert.equal(formatDouble(-0.0001), '-0.0001');
  assert.equal(formatDouble(1.2e-5), '1.2e-05');
  assert.equal(formatDouble(1.2345678901234568e17), '1.2345678901234568e+17');
  assert.equal(formatDouble(3), '3');
});

test('bulk lengths at every count of digits, from strings and from bytes', () => {
  for (const size of [0, 1, 9, 10, 11, 99, 100, 999, 1000, 1024, 65_535, 100_000, 1_048_576]) {
    const value = 'v'.repeat(size);
    const expected = `$${size}\r\n${value}\r\n`;
    assert.equal(
      written(2, (out) => out.bulk(value)),
      expected,
    );
    const bytes = Buffer.from(`..${value}..`, 'latin1');
    assert.equal(
      written(2, (out) => out.bulkFrom(bytes, 2, size)),
      expected,
    );
  }
});

test('the writer grows for large replies and hands them over whole', () => {
  const big = 'x'.repeat(200_000);
  const out = new ReplyWriter();
  for (let i = 0; i < 5; i++) out.bulk(big);
  const bytes = out.take();
  assert.equal(bytes.length, 5 * (big.length + '$200000\r\n\r\n'.length));
  assert.equal(out.length, 0);
});

test('the reply parser decodes what the writer wrote, split at every byte', () => {
  const out = new ReplyWriter();
  out.protocol = 3;
  out.mapHeader(1);
  out.bulk('k');
  out.setHeader(2);
  out.integer(1);
  out.status('OK');
  out.double(2.5);
  out.nullBulk();
  out.error('ERR bad');
  const bytes = out.take();
  for (let cut = 0; cut <= bytes.length; cut++) {
    const parser = new ReplyParser();
    const values = [];
    parser.feed(bytes.subarray(0, cut));
    for (let reply = parser.next(); reply; reply = parser.next()) values.push(reply.value);
    parser.feed(bytes.subarray(cut));
    for (let reply = parser.next(); reply; reply = parser.next()) values.push(reply.value);
    assert.equal(values.length, 4);
    const map = values[0] as RespMap;
    assert.ok(map instanceof RespMap);
    const set = map.entries[0]?.[1] as RespSet;
    assert.ok(set instanceof RespSet);
    assert.ok(set.items[1] instanceof RespStatus);
    assert.equal(values[1], 2.5);
    assert.equal(values[2], null);
  }
});

test('the reply parser survives random bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
      const parser = new ReplyParser(32);
      parser.feed(Buffer.from(bytes));
      try {
        while (parser.next() !== undefined) {
          // drain
        }
      } catch (error) {
        assert.equal((error as { code?: string }).code, 'RESP_PROTOCOL_ERROR');
      }
    }),
    { numRuns: 2000 },
  );
});

test('view() shows the bytes written since the last one, and never a released buffer', () => {
  const out = new ReplyWriter();
  out.status('OK');
  const first = out.view();
  assert.equal(first.latin1Slice(), '+OK\r\n');
  out.status('NO');
  const second = out.view();
  assert.equal(second.latin1Slice(), '+NO\r\n');
  assert.equal(second, first, 'a reply of the same size reuses the view');
  // A write left queued keeps the view: the writer moves to new memory and its views follow.
  out.release();
  out.status('OK');
  const third = out.view();
  assert.notEqual(third.buffer, first.buffer);
  assert.equal(third.latin1Slice(), '+OK\r\n');
  assert.equal(first.latin1Slice(), '+NO\r\n', 'the released buffer is left as it was');
  out.integer(12345);
  assert.equal(out.view().latin1Slice(), ':12345\r\n');
  assert.equal(out.view().length, 0);
});
