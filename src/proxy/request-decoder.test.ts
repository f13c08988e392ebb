import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DECODE_EMPTY,
  DECODE_ERROR,
  DECODE_INCOMPLETE,
  DECODE_REQUEST,
  encodeRequest,
  RequestDecoder,
} from './request-decoder.ts';

interface Decoded {
  argv?: string[];
  raw?: string | undefined;
  error?: string;
}

function decodeAll(chunks: Buffer[]): Decoded[] {
  const decoder = new RequestDecoder();
  const out: Decoded[] = [];
  for (const chunk of chunks) {
    decoder.feed(chunk);
    for (;;) {
      const result = decoder.next();
      if (result === DECODE_INCOMPLETE) break;
      if (result === DECODE_EMPTY) continue;
      if (result === DECODE_ERROR) {
        out.push({ error: decoder.error });
        return out;
      }
      assert.equal(result, DECODE_REQUEST);
      out.push({ argv: decoder.argv, raw: decoder.raw?.latin1Slice() });
    }
  }
  return out;
}

const INPUT = Buffer.from(
  '*3\r\n$3\r\nSET\r\n$1\r\na\r\n$5\r\nhello\r\nPING\r\n\r\n  get   b  \r\n*2\r\n$3\r\nGET\r\n$-1\r\n*1\r\n$4\r\nPING\r\n',
  'latin1',
);

describe('RequestDecoder (Codis rules, spec §2.1)', () => {
  it('decodes multibulk and inline requests, keeping raw bytes of multibulk ones', () => {
    const whole = decodeAll([INPUT]);
    assert.deepEqual(
      whole.map((d) => d.argv),
      [['SET', 'a', 'hello'], ['PING'], ['get', 'b'], ['GET', ''], ['PING']],
    );
    assert.equal(whole[0]?.raw, '*3\r\n$3\r\nSET\r\n$1\r\na\r\n$5\r\nhello\r\n');
    assert.equal(whole[1]?.raw, undefined);
  });

  it('gives the same requests when the input is split at every byte', () => {
    const expected = decodeAll([INPUT]).map((d) => d.argv);
    for (let i = 1; i < INPUT.length; i++) {
      const split = decodeAll([INPUT.subarray(0, i), INPUT.subarray(i)]);
      assert.deepEqual(
        split.map((d) => d.argv),
        expected,
        `split at ${i}`,
      );
    }
    const bytes = decodeAll([...INPUT].map((byte) => Buffer.from([byte])));
    assert.deepEqual(
      bytes.map((d) => d.argv),
      expected,
    );
  });

  it('joins a big argument spread over many chunks once', () => {
    const value = 'v'.repeat(200_000);
    const frame = encodeRequest(['SET', 'k', value]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < frame.length; i += 1000) chunks.push(frame.subarray(i, i + 1000));
    const decoded = decodeAll(chunks);
    assert.equal(decoded.length, 1);
    assert.equal(decoded[0]?.argv?.[2], value);
  });

  it('locates the arguments of a contiguous request and converts them only when asked', () => {
    const decoder = new RequestDecoder();
    const frame = Buffer.from('*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n', 'latin1');
    decoder.feed(frame.subarray(0, 20));
    assert.equal(decoder.next(), DECODE_INCOMPLETE);
    decoder.feed(frame.subarray(20));
    assert.equal(decoder.next(), DECODE_REQUEST);
    assert.equal(decoder.strings, null);
    assert.deepEqual(decoder.offsets, [8, 11, 17, 20, 26, 31]);
    assert.equal(decoder.raw?.latin1Slice(), frame.latin1Slice());
    assert.deepEqual(decoder.argv, ['SET', 'key', 'value']);
    // A nil element makes the request scattered: the arguments before it become strings.
    decoder.feed(Buffer.from('*3\r\n$3\r\nSET\r\n$-1\r\n$1\r\nv\r\n', 'latin1'));
    assert.equal(decoder.next(), DECODE_REQUEST);
    assert.equal(decoder.raw, undefined);
    assert.deepEqual(decoder.strings, ['SET', '', 'v']);
  });

  it('rejects what Codis rejects', () => {
    const cases: Array<[string, string]> = [
      ['PING\n', 'bad CRLF end'],
      ['*0\r\n', 'bad array len, too short'],
      ['*-1\r\n', 'bad array len, too short'],
      ['*x\r\n', 'bad array len'],
      ['*1048577\r\n', 'bad array len, too long'],
      ['*1\r\n:1\r\n', 'bad resp type :'],
      ['*1\r\n$-2\r\n', 'bad bulk bytes len'],
      ['*1\r\n$536870913\r\n', 'bad bulk bytes len, too long'],
      ['*1\r\n$536870900\r\n', 'bad bulk bytes len, too long'],
      ['*1\r\n$4\r\nPINGxx', 'bad CRLF end'],
      ['   \r\n', 'bad inline request, only spaces'],
    ];
    for (const [input, error] of cases) {
      assert.deepEqual(decodeAll([Buffer.from(input, 'latin1')]), [{ error }], input);
    }
  });
});
