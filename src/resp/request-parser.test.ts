import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { PARSE_COMMAND, PARSE_ERROR, PARSE_INCOMPLETE, RequestParser } from './request-parser.ts';

const LIMITS = { maxBulkLength: 512 * 1024 * 1024 };

function encode(args: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) parts.push(Buffer.from(`$${arg.length}\r\n`), arg, Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

interface Outcome {
  commands: string[][];
  error: string | undefined;
}

/** Feeds the chunks one by one, collecting every command (argv copied) and the first error. */
function parseChunks(chunks: Buffer[], parser = new RequestParser({ ...LIMITS })): Outcome {
  const commands: string[][] = [];
  for (const chunk of chunks) {
    parser.feed(chunk);
    for (;;) {
      const result = parser.next();
      if (result === PARSE_INCOMPLETE) break;
      if (result === PARSE_ERROR) return { commands, error: parser.error };
      if (result === PARSE_COMMAND) commands.push(parser.argv.slice());
    }
  }
  return { commands, error: undefined };
}

const argument = fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes));
const command = fc.array(argument, { minLength: 1, maxLength: 6 });

test('every split of a pipeline, at every byte, yields the same commands', () => {
  fc.assert(
    fc.property(fc.array(command, { minLength: 1, maxLength: 4 }), (commands) => {
      const bytes = Buffer.concat(commands.map(encode));
      const expected = commands.map((args) => args.map((arg) => arg.latin1Slice()));
      for (let cut = 0; cut <= bytes.length; cut++) {
        const outcome = parseChunks([bytes.subarray(0, cut), bytes.subarray(cut)]);
        assert.equal(outcome.error, undefined);
        assert.deepEqual(outcome.commands, expected);
      }
      const byteByByte = parseChunks([...bytes].map((byte) => Buffer.from([byte])));
      assert.deepEqual(byteByByte.commands, expected);
    }),
    { numRuns: 150 },
  );
});

test('big arguments spanning many chunks are reassembled exactly', () => {
  const big = Buffer.alloc(300_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
  const bytes = encode([Buffer.from('SET'), Buffer.from('k'), big]);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 4093) chunks.push(bytes.subarray(at, at + 4093));
  const outcome = parseChunks(chunks);
  assert.equal(outcome.commands.length, 1);
  assert.equal(outcome.commands[0]?.[2], big.latin1Slice());
});

/**
 * Feeds every chunk through one reused read buffer, as codis-server's sockets do: after each chunk
 * the parser detaches what it keeps, then the buffer is overwritten before the next read.
 */
function parseThroughSharedBuffer(chunks: Buffer[]): Outcome {
  const parser = new RequestParser({ ...LIMITS });
  const shared = Buffer.allocUnsafeSlow(64 * 1024);
  const commands: string[][] = [];
  for (const chunk of chunks) {
    for (let at = 0; at < chunk.length; at += shared.length) {
      const length = chunk.copy(shared, 0, at, at + shared.length);
      parser.feed(shared.subarray(0, length));
      for (;;) {
        const result = parser.next();
        if (result === PARSE_INCOMPLETE) break;
        if (result === PARSE_ERROR) return { commands, error: parser.error };
        commands.push(parser.argv.slice());
      }
      parser.detach(shared.buffer);
      shared.fill(0x21);
    }
  }
  return { commands, error: undefined };
}

test('requests cut between reads of a reused buffer survive the buffer being overwritten', () => {
  fc.assert(
    fc.property(fc.array(command, { minLength: 1, maxLength: 4 }), fc.nat(), (commands, seed) => {
      const bytes = Buffer.concat(commands.map(encode));
      const expected = commands.map((args) => args.map((arg) => arg.latin1Slice()));
      const cut = seed % (bytes.length + 1);
      const outcome = parseThroughSharedBuffer([bytes.subarray(0, cut), bytes.subarray(cut)]);
      assert.equal(outcome.error, undefined);
      assert.deepEqual(outcome.commands, expected);
      const byteByByte = parseThroughSharedBuffer([...bytes].map((byte) => Buffer.from([byte])));
      assert.deepEqual(byteByByte.commands, expected);
    }),
    { numRuns: 300 },
  );
  // A big argument gathered as parts across many reads (each part a view of the reused buffer).
  const big = Buffer.alloc(300_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 13) & 0xff;
  const bytes = encode([Buffer.from('SET'), Buffer.from('k'), big]);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 40_000) chunks.push(bytes.subarray(at, at + 40_000));
  const outcome = parseThroughSharedBuffer(chunks);
  assert.deepEqual(outcome.commands, [['SET', 'k', big.latin1Slice()]]);
});

test('inline commands: quotes, escapes, empty lines, bare LF and CRLF', () => {
  const outcome = parseChunks([Buffer.from('PING\r\n\r\nSET "a b" \'c\\\'d\'\nGET "\\x41\\n"\r\n')]);
  assert.deepEqual(outcome.commands, [['PING'], ['SET', 'a b', "c'd"], ['GET', 'A\n']]);
  assert.equal(
    parseChunks([Buffer.from('SET "abc\r\n')]).error,
    'Protocol error: unbalanced quotes in request',
  );
});

test('hostile frames get Redis protocol errors, never exceptions', () => {
  const cases: Array<[string, string]> = [
    ['*abc\r\n', 'Protocol error: invalid multibulk length'],
    ['*3000000000\r\n', 'Protocol error: invalid multibulk length'],
    ['*1\r\n+foo\r\n', "Protocol error: expected '$', got '+'"],
    ['*1\r\n$-1\r\n', 'Protocol error: invalid bulk length'],
    ['*1\r\n$abc\r\n', 'Protocol error: invalid bulk length'],
    ['*1\r\n$600000000\r\n', 'Protocol error: invalid bulk length'],
  ];
  for (const [input, error] of cases) {
    assert.equal(parseChunks([Buffer.from(input)]).error, error, JSON.stringify(input));
  }
  assert.equal(
    parseChunks([Buffer.from(`*1\r\n$${'1'.repeat(70_000)}`)]).error,
    'Protocol error: too big bulk count string',
  );
  assert.equal(
    parseChunks([Buffer.from(`*${'1'.repeat(70_000)}`)]).error,
    'Protocol error: too big mbulk count string',
  );
  assert.equal(parseChunks([Buffer.alloc(70_000, 0x61)]).error, 'Protocol error: too big inline request');
});

test('a huge declared count costs nothing until arguments arrive', () => {
  const outcome = parseChunks([Buffer.from('*2147483647\r\n$1\r\na\r\n')]);
  assert.equal(outcome.error, undefined);
  assert.equal(outcome.commands.length, 0);
});

test('command names come out as sent when the names recently seen share their first bytes or length', () => {
  // The parser keeps recent names by a hash of their first two bytes and length: these share it,
  // differ in the first byte (S and K), in case, in a later byte, or are empty or one byte long.
  const names = [
    'SET',
    'KET',
    'SEX',
    'set',
    'SET',
    'GET',
    'MGET',
    'MSET',
    'MGET',
    '',
    'S',
    'SE',
    'S',
    'SETX',
    'SET',
  ];
  const requests = names.map((name, index) => [Buffer.from(name, 'latin1'), Buffer.from(`k${index}`)]);
  const bytes = Buffer.concat(requests.map(encode));
  const expected = requests.map((args) => args.map((arg) => arg.latin1Slice()));
  assert.deepEqual(parseChunks([bytes]).commands, expected);
  const byteByByte = parseChunks([...bytes].map((byte) => Buffer.from([byte])));
  assert.deepEqual(byteByByte.commands, expected);
});

test('argv has exactly the arguments sent, for short requests and for those grown past the sized ones', () => {
  const parser = new RequestParser({ ...LIMITS });
  for (let count = 1; count <= 12; count++) {
    const args = Array.from({ length: count }, (_, index) => Buffer.from(index === 0 ? 'ECHO' : `a${index}`));
    parser.feed(encode(args));
    assert.equal(parser.next(), PARSE_COMMAND);
    assert.equal(parser.argv.length, count);
    assert.deepEqual(
      parser.argv,
      args.map((arg) => arg.latin1Slice()),
    );
  }
});

test('unauthenticated connections are limited like Redis', () => {
  const parser = new RequestParser({ ...LIMITS });
  parser.authenticated = false;
  assert.equal(
    parseChunks([Buffer.from('*11\r\n')], parser).error,
    'Protocol error: unauthenticated multibulk length',
  );
  const second = new RequestParser({ ...LIMITS });
  second.authenticated = false;
  assert.equal(
    parseChunks([Buffer.from('*1\r\n$16385\r\n')], second).error,
    'Protocol error: unauthenticated bulk length',
  );
});

test('random bytes never throw and always end in commands, an error or a wait', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
      const outcome = parseChunks(chunks.map((chunk) => Buffer.from(chunk)));
      assert.ok(Array.isArray(outcome.commands));
    }),
    { numRuns: 2000 },
  );
  const frames = fc.array(
    fc.oneof(
      fc.constantFrom(
        '*',
        '$',
        '\r\n',
        '\n',
        '\r',
        '-1',
        '0',
        '3',
        '99999999999',
        'SET',
        '"',
        "'",
        ' ',
        '\\x',
      ),
      fc.string({ maxLength: 5 }),
    ),
    { maxLength: 30 },
  );
  fc.assert(
    fc.property(frames, (parts) => {
      parseChunks([Buffer.from(parts.join(''), 'latin1')]);
    }),
    { numRuns: 3000 },
  );
});

test('deferValues leaves SET and MSET values of 128 B to 128 KB as bytes until materialize()', () => {
  const parser = new RequestParser({ ...LIMITS });
  parser.deferValues = true;
  const value = Buffer.alloc(1000, 'v');
  value[0] = 0xff;
  const b = (text: string): Buffer => Buffer.from(text);
  // [arguments, the indexes deferred]
  const cases: Array<[Buffer[], number[]]> = [
    [[b('SET'), b('k'), value], [2]],
    [[b('sEt'), b('k'), Buffer.alloc(128, 'a')], [2]],
    [[b('set'), b('k'), Buffer.alloc(128 * 1024, 'b')], [2]],
    [[b('set'), b('k'), Buffer.alloc(127, 'c')], []],
    [[b('set'), b('k'), Buffer.alloc(128 * 1024 + 1, 'd')], []],
    [[b('set'), b('k'), value, b('EX'), b('10')], []],
    [[b('append'), b('k'), value], []],
    [[b('set'), value, b('x')], []],
    [
      [b('MSET'), b('a'), value, b('b'), b('short'), b('c'), Buffer.alloc(300, 'e')],
      [2, 6],
    ],
    [[b('mset'), value, value], [2]],
    [[b('mset'), b('a'), value, b('b')], []],
    [[b('msetnx'), b('a'), value], []],
  ];
  for (const [args, indexes] of cases) {
    parser.feed(encode(args));
    assert.equal(parser.next(), PARSE_COMMAND);
    const argv = parser.argv;
    assert.equal(parser.deferredArgv === argv, indexes.length > 0, args[0]?.toString());
    assert.deepEqual(parser.deferredIndexes.slice(0, parser.deferredCount), indexes);
    indexes.forEach((index, which) => {
      assert.equal(argv[index], undefined);
      const at = parser.deferredStarts[which] as number;
      const bytes = (parser.deferredBuffers[which] as Buffer).subarray(
        at,
        at + (parser.deferredLengths[which] as number),
      );
      assert.ok(bytes.equals(args[index] as Buffer));
    });
    parser.materialize();
    assert.deepEqual(
      argv,
      args.map((arg) => arg.latin1Slice()),
    );
    assert.equal(parser.deferredArgv, undefined);
    assert.equal(parser.deferredCount, 0);
    assert.ok(
      parser.deferredBuffers.every((buffer) => buffer.length === 0),
      'no input kept',
    );
  }
  // Off by default (AOF loading, replication streams), and the next request forgets a value.
  const plain = parseChunks([encode([b('SET'), b('k'), value])]);
  assert.equal(plain.commands[0]?.[2], value.latin1Slice());
  parser.feed(encode([b('SET'), b('k'), value]));
  parser.feed(encode([b('PING')]));
  assert.equal(parser.next(), PARSE_COMMAND);
  assert.ok(parser.deferredArgv !== undefined);
  assert.equal(parser.next(), PARSE_COMMAND);
  assert.equal(parser.deferredArgv, undefined);
});

test('a deferred value in a reused read buffer is decoded before the buffer is refilled', () => {
  const parser = new RequestParser({ ...LIMITS });
  parser.deferValues = true;
  const shared = Buffer.alloc(4096);
  const bytes = encode([Buffer.from('SET'), Buffer.from('k'), Buffer.alloc(300, 'z')]);
  bytes.copy(shared);
  parser.feed(shared.subarray(0, bytes.length));
  assert.equal(parser.next(), PARSE_COMMAND);
  const argv = parser.argv;
  parser.detach(shared.buffer);
  shared.fill(0);
  assert.equal(argv[2], 'z'.repeat(300));
  assert.equal(parser.deferredArgv, undefined);
});

test('an MSET cut between reads of a reused buffer keeps every value', () => {
  fc.assert(
    fc.property(fc.nat(), fc.nat(), (seed, second) => {
      const values = [Buffer.alloc(200, 'a'), Buffer.alloc(5000, 'b'), Buffer.alloc(129, 'c')];
      values[1]?.fill('x', 0, seed % 5000);
      const args = [
        Buffer.from('MSET'),
        Buffer.from('k1'),
        values[0],
        Buffer.from('k2'),
        values[1],
        Buffer.from('k3'),
        values[2],
      ];
      const bytes = encode(args as Buffer[]);
      const first = seed % (bytes.length + 1);
      const cut = Math.min(bytes.length, first + (second % (bytes.length + 1 - first)));
      const parser = new RequestParser({ ...LIMITS });
      parser.deferValues = true;
      const shared = Buffer.alloc(bytes.length);
      const commands: string[][] = [];
      for (const part of [bytes.subarray(0, first), bytes.subarray(first, cut), bytes.subarray(cut)]) {
        part.copy(shared);
        parser.feed(shared.subarray(0, part.length));
        while (parser.next() === PARSE_COMMAND) {
          parser.materialize();
          commands.push(parser.argv.slice());
        }
        parser.detach(shared.buffer);
        shared.fill(0);
      }
      assert.deepEqual(commands, [args.map((arg) => (arg as Buffer).latin1Slice())]);
    }),
    { numRuns: 300 },
  );
});
