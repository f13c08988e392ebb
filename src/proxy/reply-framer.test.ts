import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplyFramer } from './reply-framer.ts';

const REPLIES = [
  '+OK\r\n',
  '-ERR wrong\r\n',
  ':42\r\n',
  '$5\r\nhello\r\n',
  '$-1\r\n',
  '*-1\r\n',
  '*0\r\n',
  '*3\r\n$1\r\na\r\n*2\r\n:1\r\n*1\r\n+x\r\n$-1\r\n',
  '$0\r\n\r\n',
  // Lines longer than the framer's short-line scan.
  `-ERR ${'e'.repeat(80)}\r\n`,
  `*2\r\n+${'s'.repeat(33)}\r\n:${'9'.repeat(31)}\r\n`,
  // RESP3 (backend connections that spoke HELLO 3).
  '_\r\n',
  '#t\r\n',
  ',3.5\r\n',
  '(12345678901234567890\r\n',
  '!9\r\nERR wrong\r\n',
  '=8\r\ntxt:abcd\r\n',
  '%2\r\n$1\r\nk\r\n_\r\n+x\r\n~2\r\n:1\r\n,inf\r\n',
  '%0\r\n',
  '~0\r\n',
  '>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nm\r\n',
  '|1\r\n+key\r\n+value\r\n*2\r\n:1\r\n#f\r\n',
];

function frame(chunks: Buffer[]): string[] | string {
  const out: string[] = [];
  const framer = new ReplyFramer({ onReply: (raw) => out.push(raw.latin1Slice()) });
  for (const chunk of chunks) if (!framer.feed(chunk)) return framer.error;
  return out;
}

describe('ReplyFramer', () => {
  const input = Buffer.from(REPLIES.join(''), 'latin1');

  it('emits each reply as its raw bytes', () => {
    assert.deepEqual(frame([input]), REPLIES);
  });

  it('gives the same replies when split at every byte, or byte by byte', () => {
    for (let i = 1; i < input.length; i++) {
      assert.deepEqual(frame([input.subarray(0, i), input.subarray(i)]), REPLIES, `split at ${i}`);
    }
    assert.deepEqual(frame([...input].map((byte) => Buffer.from([byte]))), REPLIES);
  });

  it('handles a large bulk over many chunks', () => {
    const value = 'x'.repeat(1_000_000);
    const reply = Buffer.from(`$${value.length}\r\n${value}\r\n+OK\r\n`, 'latin1');
    const chunks: Buffer[] = [];
    for (let i = 0; i < reply.length; i += 65536) chunks.push(reply.subarray(i, i + 65536));
    const out = frame(chunks);
    assert.equal(out.length, 2);
    assert.equal((out as string[])[0]?.length, value.length + 12);
  });

  it('rejects malformed replies and Codis limits', () => {
    assert.equal(frame([Buffer.from('+OK\n')]), 'bad CRLF end');
    assert.equal(frame([Buffer.from('?x\r\n')]), 'bad resp type ?');
    assert.equal(frame([Buffer.from('*1048577\r\n')]), 'bad array len, too long');
    assert.equal(frame([Buffer.from('$536870913\r\n')]), 'bad bulk bytes len, too long');
    assert.equal(frame([Buffer.from('$1\r\nab\r\n')]), 'bad CRLF end');
  });
});
