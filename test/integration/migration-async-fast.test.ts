// The target's fast path for the async migration's small keys (src/server/migration/restore-async.ts):
// `SLOTSRESTORE-ASYNC delete` / `string` messages read straight from the input bytes must behave
// exactly as the generic pipeline: same ACKs in order, same values, TTLs and encodings, counted in
// INFO commandstats, seen by MONITOR, propagated verbatim to the AOF, held by CLIENT PAUSE WRITE,
// and an error ACK still closes the connection with nothing after it run. Messages are cut at every
// kind of boundary (inside a length, inside a value, between CR and LF).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

const ACK_PREFIX = '*3\r\n$22\r\nSLOTSRESTORE-ASYNC-ACK\r\n';
const ok = (message: string): string => `${ACK_PREFIX}$1\r\n0\r\n$${message.length}\r\n${message}\r\n`;
const fail = (message: string): string => `${ACK_PREFIX}$2\r\n-1\r\n$${message.length}\r\n${message}\r\n`;

function encode(...args: string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${arg.length}\r\n${arg}\r\n`).join('')}`;
}

interface Key {
  key: string;
  ttl: number;
  value: string;
}

/** The keys of one test: plain, integer-looking, with a TTL, binary, empty, long. */
function keysOf(prefix: string, count: number): Key[] {
  const keys: Key[] = [];
  for (let i = 0; i < count; i++) {
    let value = `value-${i}`;
    if (i % 7 === 1) value = String(i * 1000 + 7);
    if (i % 11 === 2) value = `bin\r\n\x00\xff${i}`;
    if (i % 13 === 3) value = '';
    if (i % 17 === 4) value = 'x'.repeat(3000 + i);
    keys.push({ key: `${prefix}:${i}`, ttl: i % 5 === 0 ? 60000 + i : 0, value });
  }
  return keys;
}

/** Every key's `delete` and `string` messages, as a source sends them. */
function streamOf(keys: readonly Key[]): string {
  let stream = '';
  for (const { key, ttl, value } of keys) {
    stream += encode('SLOTSRESTORE-ASYNC', 'delete', key);
    stream += encode('SLOTSRESTORE-ASYNC', 'string', key, String(ttl), value);
  }
  return stream;
}

/** Writes the bytes in pieces of varying size (1 to 97 bytes), each in its own socket write. */
async function sendInPieces(connection: RawConnection, bytes: string): Promise<void> {
  let at = 0;
  for (let n = 0; at < bytes.length; n++) {
    const size = 1 + ((n * 37) % 97);
    connection.sendRaw(bytes.slice(at, at + size));
    at += size;
    if (n % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

async function replies(connection: RawConnection, count: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push((await connection.reply()).raw);
  return out;
}

function commandstatsCalls(info: string): number {
  const match = /cmdstat_slotsrestore-async:calls=(\d+)/.exec(info);
  return match === null ? 0 : Number(match[1]);
}

describe('SLOTSRESTORE-ASYNC fast path', () => {
  let server: RunningServer;
  let admin: RawConnection;

  before(async () => {
    server = await startServer('codis-server', { args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    admin = await RawConnection.open(server.port);
  });

  after(async () => {
    admin.close();
    await server.stop();
  });

  it('restores small keys exactly as the generic path, whatever the chunking', async () => {
    const keys = keysOf('fast', 400);
    // Keys that exist already: the delete removes them (ACK 1) and the string recreates them.
    for (const { key } of keys.slice(0, 20)) assert.equal(await admin.call('SET', key, 'old'), '+OK\r\n');
    assert.equal(await admin.call('PEXPIRE', 'fast:1', '999999'), ':1\r\n');
    const monitor = await RawConnection.open(server.port);
    assert.equal(await monitor.call('MONITOR'), '+OK\r\n');
    const callsBefore = commandstatsCalls(String(await admin.value('INFO', 'commandstats')));

    const source = await RawConnection.open(server.port);
    const stream = encode('SLOTSRESTORE-ASYNC-SELECT', '0') + streamOf(keys);
    // Half in one write (whole messages in big chunks), half byte-cut into small pieces.
    const half = stream.indexOf('*3\r\n$18\r\nSLOTSRESTORE-ASYNC\r\n$6\r\ndelete\r\n$8\r\nfast:200');
    source.sendRaw(stream.slice(0, half));
    await sendInPieces(source, stream.slice(half));
    const expected = [ok('OK')];
    for (let i = 0; i < keys.length; i++) expected.push(ok(i < 20 ? '1' : '0'), ok('1'));
    assert.deepEqual(await replies(source, expected.length), expected);

    for (const { key, ttl, value } of keys) {
      assert.equal(await admin.value('GET', key), value, key);
      const pttl = Number(await admin.value('PTTL', key));
      if (ttl === 0) assert.equal(pttl, -1, key);
      else assert.ok(pttl > ttl - 5000 && pttl <= ttl, `${key}: pttl ${pttl}, sent ${ttl}`);
    }
    assert.equal(await admin.value('OBJECT', 'ENCODING', 'fast:1'), 'int');
    assert.equal(await admin.value('OBJECT', 'ENCODING', 'fast:0'), 'embstr');
    assert.equal(await admin.value('OBJECT', 'ENCODING', 'fast:4'), 'raw');

    const callsAfter = commandstatsCalls(String(await admin.value('INFO', 'commandstats')));
    assert.equal(callsAfter - callsBefore, 2 * keys.length);
    // MONITOR shows every message (after the INFO and the SELECT: 2 per key).
    const seen = await replies(monitor, 2 + 2 * keys.length);
    assert.match(seen[1] as string, /"SLOTSRESTORE-ASYNC-SELECT" "0"/);
    assert.match(seen[2] as string, /"SLOTSRESTORE-ASYNC" "delete" "fast:0"/);
    assert.match(seen[3] as string, /"SLOTSRESTORE-ASYNC" "string" "fast:0" "60000" "value-0"/);
    assert.match(
      seen[1 + 2 * keys.length] as string,
      /"SLOTSRESTORE-ASYNC" "string" "fast:399" "0" "value-399"/,
    );
    monitor.close();

    // The AOF got every write verbatim; a delete that deleted nothing is not propagated.
    const dir = join(server.dir, 'appendonlydir');
    const manifest = readFileSync(join(dir, 'appendonly.aof.manifest'), 'latin1');
    const incremental = /file (\S+) seq \d+ type i/.exec(manifest)?.[1] as string;
    const log = readFileSync(join(dir, incremental), 'latin1');
    for (const { key, ttl, value } of keys) {
      assert.ok(log.includes(encode('SLOTSRESTORE-ASYNC', 'string', key, String(ttl), value)), key);
    }
    assert.ok(log.includes(encode('SLOTSRESTORE-ASYNC', 'delete', 'fast:19')));
    assert.ok(!log.includes(encode('SLOTSRESTORE-ASYNC', 'delete', 'fast:20')));
    source.close();
  });

  it('an existing key ends the connection with an error ACK; later messages do not run', async () => {
    assert.equal(await admin.call('SET', 'taken', 'mine'), '+OK\r\n');
    const source = await RawConnection.open(server.port);
    source.sendRaw(
      encode('SLOTSRESTORE-ASYNC-SELECT', '0') +
        encode('SLOTSRESTORE-ASYNC', 'delete', 'before') +
        encode('SLOTSRESTORE-ASYNC', 'string', 'before', '0', 'b') +
        encode('SLOTSRESTORE-ASYNC', 'string', 'taken', '0', 'theirs') +
        encode('SLOTSRESTORE-ASYNC', 'string', 'after', '0', 'a'),
    );
    assert.deepEqual(await replies(source, 4), [
      ok('OK'),
      ok('0'),
      ok('1'),
      fail('the specified key already exists (taken)'),
    ]);
    await source.waitClosed();
    assert.equal(await admin.value('GET', 'taken'), 'mine');
    assert.equal(await admin.value('GET', 'before'), 'b');
    assert.equal(await admin.value('EXISTS', 'after'), 0);
  });

  it('malformed TTLs take the generic path and its error ACK', async () => {
    for (const ttl of ['-1', '01', 'x', '']) {
      const source = await RawConnection.open(server.port);
      source.sendRaw(
        encode('SLOTSRESTORE-ASYNC-SELECT', '0') + encode('SLOTSRESTORE-ASYNC', 'string', 'badttl', ttl, 'v'),
      );
      assert.deepEqual(await replies(source, 2), [ok('OK'), fail(`invalid TTL value (TTL=${ttl})`)]);
      await source.waitClosed();
    }
    assert.equal(await admin.value('EXISTS', 'badttl'), 0);
  });

  it('CLIENT PAUSE WRITE holds the messages until the pause ends', async () => {
    const source = await RawConnection.open(server.port);
    assert.equal(await source.call('SLOTSRESTORE-ASYNC-SELECT', '0'), ok('OK'));
    assert.equal(await admin.call('CLIENT', 'PAUSE', '300', 'WRITE'), '+OK\r\n');
    const started = Date.now();
    source.sendRaw(streamOf(keysOf('paused', 3)));
    const acks = await replies(source, 6);
    assert.ok(Date.now() - started >= 200, `answered after ${Date.now() - started} ms`);
    assert.deepEqual(acks, [ok('0'), ok('1'), ok('0'), ok('1'), ok('0'), ok('1')]);
    assert.equal(await admin.value('GET', 'paused:2'), 'bin\r\n\x00\xff2');
    source.close();
  });
});
