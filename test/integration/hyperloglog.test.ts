import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { conformanceSuite } from '../helpers/conformance.ts';
import type { RawConnection } from '../helpers/raw-connection.ts';

/** A short digest of a raw reply: HLL values must be byte-identical to redis-server's. */
function digest(raw: string): string {
  return createHash('sha256').update(Buffer.from(raw, 'latin1')).digest('hex').slice(0, 16);
}

async function pfaddRange(
  c: RawConnection,
  key: string,
  from: number,
  to: number,
  prefix = '',
): Promise<string> {
  const elements: string[] = [];
  for (let i = from; i <= to; i++) elements.push(`${prefix}${i}`);
  return c.call('PFADD', key, ...elements);
}

const WRONGTYPE = '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n';
const NOT_HLL = '-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n';
const CORRUPTED = '-INVALIDOBJ Corrupted HLL object detected\r\n';
const HEADER = 'HYLL\x01\x00\x00\x00';

conformanceSuite('hyperloglog', (it) => {
  it('PFMERGE refuses a sparse value whose opcodes run past the last register', async ({ connection: c }) => {
    const header = 'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80';
    // XZERO over all 16384 registers, then a VAL opcode for one more.
    assert.equal(await c.call('SET', 'over', Buffer.from(`${header}\x7f\xff\x80`, 'latin1')), '+OK\r\n');
    assert.equal(await c.call('PFMERGE', 'dest', 'over'), CORRUPTED);
    assert.equal(await c.call('PFCOUNT', 'over'), CORRUPTED);
    assert.equal(await c.call('SET', 'exact', Buffer.from(`${header}\x7f\xff`, 'latin1')), '+OK\r\n');
    assert.equal(await c.call('PFMERGE', 'dest', 'exact'), '+OK\r\n');
    assert.equal(await c.call('PFCOUNT', 'dest'), ':0\r\n');
  });

  it('PFCOUNT replies a cached cardinality of any size exactly', async ({ connection: c }) => {
    // Found by the differential test through the proxy: SETRANGE can write the cache.
    assert.equal(await c.call('PFADD', 'h', 'a'), ':1\r\n');
    assert.equal(await c.call('SETRANGE', 'h', '8', '\x33\x22\x11\x00\x00\x00\x00\x38'), ':21\r\n');
    assert.equal(await c.call('PFCOUNT', 'h'), ':4035225266125087283\r\n');
  });

  it('PFADD and PFCOUNT: creation, updates, cached cardinality', async ({ connection: c }) => {
    assert.equal(await c.call('PFCOUNT', 'missing'), ':0\r\n');
    assert.equal(await c.call('PFADD', 'h', 'a'), ':1\r\n');
    assert.equal(await c.call('PFADD', 'h', 'a'), ':0\r\n');
    assert.equal(await c.call('PFCOUNT', 'h'), ':1\r\n');
    assert.equal(await c.call('PFCOUNT', 'h'), ':1\r\n');
    assert.equal(await c.call('PFCOUNT', 'h', 'missing'), ':1\r\n');
    assert.equal(await c.call('PFADD', 'empty'), ':1\r\n');
    assert.equal(await c.call('PFADD', 'empty'), ':0\r\n');
    assert.equal(await c.call('GET', 'empty'), `$18\r\n${HEADER}\0\0\0\0\0\0\0\x80\x7f\xff\r\n`);
    assert.equal(await c.call('PFCOUNT', 'empty'), ':0\r\n');
    assert.equal(await c.call('GET', 'empty'), `$18\r\n${HEADER}\0\0\0\0\0\0\0\0\x7f\xff\r\n`);
    assert.equal(await c.call('TYPE', 'h'), '+string\r\n');
    assert.equal(await c.call('PFADD'), "-ERR wrong number of arguments for 'pfadd' command\r\n");
    assert.equal(await c.call('PFCOUNT'), "-ERR wrong number of arguments for 'pfcount' command\r\n");
    assert.equal(await c.call('PFMERGE'), "-ERR wrong number of arguments for 'pfmerge' command\r\n");
  });

  it('sparse values are byte-identical to Redis, before and after PFCOUNT caches', async ({
    connection: c,
  }) => {
    await pfaddRange(c, 'h1', 0, 99, 'e');
    assert.equal(digest(await c.call('GET', 'h1')), '154058eb2a86035a');
    assert.equal(await c.call('PFCOUNT', 'h1'), ':100\r\n');
    assert.equal(digest(await c.call('GET', 'h1')), '61249989015602c7');
    assert.equal(await c.call('PFADD', 's1', 'a', 'b', 'c'), ':1\r\n');
    assert.equal(await c.call('PFADD', 's2', 'c', 'd', 'e', 'f'), ':1\r\n');
    assert.equal(await c.call('PFMERGE', 's1', 's2'), '+OK\r\n');
    const merged = 'Fm\x80V\x0c\x80Dv\x80P\xb1\x84I\x8c\x80Bm\x80BZ';
    assert.equal(await c.call('GET', 's1'), `$36\r\n${HEADER}\0\0\0\0\0\0\0\x80${merged}\r\n`);
    assert.equal(await c.call('PFCOUNT', 's1'), ':6\r\n');
    assert.equal(await c.call('GET', 's1'), `$36\r\n${HEADER}\x06\0\0\0\0\0\0\0${merged}\r\n`);
    assert.equal(await c.call('PFMERGE', 'none'), '+OK\r\n');
    assert.equal(await c.call('GET', 'none'), `$18\r\n${HEADER}\0\0\0\0\0\0\0\x80\x7f\xff\r\n`);
  });

  it('1..10000: the same estimates and bytes as Redis through the sparse to dense promotion', async ({
    connection: c,
  }) => {
    const expected = [
      [1001, 'c573fe2ca958a68c'],
      [2006, '9ff57163498723e1'],
      [3005, '924705a3d6d564b4'],
      [4004, 'd1c8fb55f2e208b3'],
      [4985, '9d73eed23b70de14'],
      [5985, 'bb297c58ee30341d'],
      [6967, '024f9fb08a414083'],
      [7974, '7bc4adddc3ba053e'],
      [8966, 'd997bd6f6ad028e7'],
      [9988, 'c0f3033c58253877'],
    ] as const;
    for (let batch = 0; batch < 10; batch++) {
      assert.equal(await pfaddRange(c, 'h2', batch * 1000 + 1, (batch + 1) * 1000), ':1\r\n');
      const [count, hash] = expected[batch] as readonly [number, string];
      assert.equal(await c.call('PFCOUNT', 'h2'), `:${count}\r\n`);
      assert.equal(digest(await c.call('GET', 'h2')), hash);
    }
    assert.equal(await c.call('STRLEN', 'h2'), ':12304\r\n');
    await pfaddRange(c, 'h1', 0, 99, 'e');
    assert.equal(await c.call('PFCOUNT', 'h1', 'h2', 'missing'), ':10080\r\n');
    assert.equal(await c.call('PFMERGE', 'h3', 'h1', 'h2'), '+OK\r\n');
    assert.equal(digest(await c.call('GET', 'h3')), '0f4d34fc87b8ce3b');
    assert.equal(await c.call('PFCOUNT', 'h3'), ':10080\r\n');
  });

  it('a value copied with GET/SET stays a working HLL (interchange format)', async ({ connection: c }) => {
    await pfaddRange(c, 'src', 1, 5000);
    const raw = await c.value('GET', 'src');
    assert.equal(typeof raw, 'string');
    assert.equal(await c.call('SET', 'copy', Buffer.from(raw as string, 'latin1')), '+OK\r\n');
    assert.equal(await c.call('PFADD', 'copy', 'x', 'y', 'z'), ':1\r\n');
    assert.equal(await c.call('PFCOUNT', 'copy'), ':4989\r\n');
    const sparse = `${HEADER}\0\0\0\0\0\0\0\x80Fm\x80V\x0c\x80Dv\x80P\xb1\x84I\x8c\x80Bm\x80BZ`;
    assert.equal(await c.call('SET', 'sp', Buffer.from(sparse, 'latin1')), '+OK\r\n');
    assert.equal(await c.call('PFCOUNT', 'sp'), ':6\r\n');
    assert.equal(await c.call('PFADD', 'sp', 'a', 'f'), ':0\r\n');
  });

  it('hll-sparse-max-bytes decides the promotion to dense', async ({ connection: c }) => {
    assert.equal(await c.call('CONFIG', 'SET', 'hll-sparse-max-bytes', '40'), '+OK\r\n');
    try {
      await pfaddRange(c, 'p', 0, 29, 'f');
      assert.equal(await c.call('STRLEN', 'p'), ':12304\r\n');
      assert.equal(digest(await c.call('GET', 'p')), '923929f03744149d');
      assert.equal(await c.call('PFCOUNT', 'p'), ':30\r\n');
    } finally {
      await c.call('CONFIG', 'SET', 'hll-sparse-max-bytes', '3000');
    }
  });

  it('wrong types and corrupted values', async ({ connection: c }) => {
    assert.equal(await c.call('SET', 's', 'abc'), '+OK\r\n');
    assert.equal(await c.call('PFADD', 's', 'a'), NOT_HLL);
    assert.equal(await c.call('PFCOUNT', 's'), NOT_HLL);
    assert.equal(await c.call('SET', 'n', '123'), '+OK\r\n');
    assert.equal(await c.call('PFADD', 'n', 'a'), NOT_HLL);
    assert.equal(await c.call('RPUSH', 'l', 'a'), ':1\r\n');
    assert.equal(await c.call('PFADD', 'l', 'a'), WRONGTYPE);
    assert.equal(await c.call('PFCOUNT', 'l'), WRONGTYPE);
    assert.equal(await c.call('PFCOUNT', 'x', 'l'), WRONGTYPE);
    assert.equal(await c.call('PFMERGE', 'd', 'l'), WRONGTYPE);
    assert.equal(await c.call('PFMERGE', 'd', 's'), NOT_HLL);
    assert.equal(await c.call('PFMERGE', 'l', 'missing'), WRONGTYPE);
    const bad = Buffer.from(`${HEADER}\0\0\0\0\0\0\0\x80\0`, 'latin1');
    assert.equal(await c.call('SET', 'bad', bad), '+OK\r\n');
    assert.equal(await c.call('PFCOUNT', 'bad'), CORRUPTED);
    assert.equal(await c.call('PFADD', 'bad', 'a', 'b', 'c'), CORRUPTED);
    assert.equal(await c.call('PFCOUNT', 'bad', 'x'), CORRUPTED);
    assert.equal(await c.call('PFMERGE', 'd', 'bad'), CORRUPTED);
    assert.equal(await c.call('EXISTS', 'd'), ':0\r\n');
    const shortDense = Buffer.from(`HYLL\0\0\0\0\0\0\0\0\0\0\0\x80\0`, 'latin1');
    assert.equal(await c.call('SET', 'baddense', shortDense), '+OK\r\n');
    assert.equal(await c.call('PFCOUNT', 'baddense'), NOT_HLL);
    const badEncoding = Buffer.from(`HYLL\x02\0\0\0\0\0\0\0\0\0\0\x80\0`, 'latin1');
    assert.equal(await c.call('SET', 'badenc', badEncoding), '+OK\r\n');
    assert.equal(await c.call('PFCOUNT', 'badenc'), NOT_HLL);
    assert.equal(await c.call('SET', 'tiny', 'HYLL'), '+OK\r\n');
    assert.equal(await c.call('PFCOUNT', 'tiny'), NOT_HLL);
  });
  it('PFDEBUG: encoding, sparse opcodes, registers and conversion to dense', async ({ connection: c }) => {
    await c.call('PFADD', 'h', 'a', 'b', 'c');
    assert.equal(await c.call('PFDEBUG', 'ENCODING', 'h'), '+sparse\r\n');
    assert.match(
      await c.call('PFDEBUG', 'DECODE', 'h'),
      /^\$\d+\r\n(Z:\d+|z:\d+|v:\d+,\d+)( (Z:\d+|z:\d+|v:\d+,\d+))*\r\n$/,
    );
    const registers = await c.call('PFDEBUG', 'GETREG', 'h');
    assert.ok(registers.startsWith('*16384\r\n'));
    assert.equal((registers.match(/:[1-9]\d*\r\n/g) ?? []).length, 3);
    assert.equal(await c.call('PFDEBUG', 'ENCODING', 'h'), '+dense\r\n');
    assert.equal(await c.call('PFDEBUG', 'DECODE', 'h'), '-ERR HLL encoding is not sparse\r\n');
    assert.equal(await c.call('PFDEBUG', 'TODENSE', 'h'), ':0\r\n');
    assert.equal(await c.call('PFCOUNT', 'h'), ':3\r\n');
    assert.equal(await c.call('PFDEBUG', 'GETREG', 'missing'), '-ERR The specified key does not exist\r\n');
    assert.equal(await c.call('PFDEBUG', 'FOO', 'h'), "-ERR Unknown PFDEBUG subcommand 'FOO'\r\n");
    assert.equal(
      await c.call('PFDEBUG', 'todense', 'h', 'x'),
      "-ERR wrong number of arguments for 'pfdebug' command\r\n",
    );
  });
  it('PFSELFTEST checks the implementation; a tiny hll-sparse-max-bytes fails its sparse check', async ({
    connection: c,
  }) => {
    // Ten million elements: seconds on a loaded machine.
    c.send('PFSELFTEST');
    assert.equal((await c.reply(120_000)).raw, '+OK\r\n');
    assert.equal(
      await c.call('PFSELFTEST', 'x'),
      "-ERR wrong number of arguments for 'pfselftest' command\r\n",
    );
    await c.call('CONFIG', 'SET', 'hll-sparse-max-bytes', '10');
    try {
      c.send('PFSELFTEST');
      assert.equal((await c.reply(120_000)).raw, '-ERR TESTFAILED sparse encoding not used\r\n');
    } finally {
      await c.call('CONFIG', 'SET', 'hll-sparse-max-bytes', '3000');
    }
  });
});
