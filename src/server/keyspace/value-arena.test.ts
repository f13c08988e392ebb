import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Database, type KeyspaceHooks } from './database.ts';
import { Entry } from './entry.ts';
import { ARENA_MAX_LENGTH, ARENA_MIN_LENGTH, ValueArena, valueArena } from './value-arena.ts';

/** A latin1 string of every byte value, `length` long, varied by `seed`. */
function bytes(length: number, seed: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += String.fromCharCode((i * 31 + seed) & 0xff);
  return text;
}

const hooks: KeyspaceHooks = { keyExpired: () => {}, expiryHidesOnly: false };

describe('ValueArena', () => {
  test('keeps strings of its sizes byte for byte, each in the smallest chunk that holds it', () => {
    const arena = new ValueArena();
    const lengths = [ARENA_MIN_LENGTH, 129, 160, 161, 1000, 1024, 1025, 4097, 65_537, ARENA_MAX_LENGTH];
    const chunks = lengths.map((length, seed) => arena.store(bytes(length, seed)));
    lengths.forEach((length, seed) => {
      const chunk = chunks[seed] as number;
      assert.equal(arena.read(chunk, length), bytes(length, seed));
      const size = arena.chunkBytes(chunk);
      assert.ok(size >= length && size <= Math.max(ARENA_MIN_LENGTH, length * 1.25), `${length} in ${size}`);
      const page = arena.pageOf(chunk);
      const start = arena.offsetOf(chunk);
      assert.equal(page.latin1Slice(start, start + length), bytes(length, seed));
    });
    assert.equal(
      arena.usedBytes,
      chunks.reduce((sum, chunk) => sum + arena.chunkBytes(chunk), 0),
    );
  });

  test('a full class refuses new values (they stay strings) until one of its values is freed', () => {
    const arena = new ValueArena(2048);
    const chunks = Array.from({ length: 2048 }, (_, i) => arena.store(bytes(1000, i)));
    assert.ok(chunks.every((chunk) => chunk >= 0));
    assert.equal(arena.store(bytes(1000, 1)), -1);
    assert.ok(arena.store(bytes(100_000, 1)) >= 0, 'other classes still take values');
    arena.free(chunks[5] as number);
    const reused = arena.store(bytes(1000, 9));
    assert.ok(reused >= 0);
    assert.equal(arena.read(reused, 1000), bytes(1000, 9));
  });

  test('storeBytes copies a slice of a buffer into the same chunks store() would use', () => {
    const arena = new ValueArena(2048);
    const input = Buffer.from(`head${bytes(1000, 3)}tail`, 'latin1');
    const chunk = arena.storeBytes(input, 4, 1000);
    assert.equal(arena.read(chunk, 1000), bytes(1000, 3));
    assert.equal(arena.chunkBytes(chunk), arena.chunkBytes(arena.store(bytes(1000, 4))));
    assert.equal(arena.usedBytes, 2 * arena.chunkBytes(chunk));
    for (let i = 2; i < 2048; i++) assert.ok(arena.storeBytes(input, 4, 1000) >= 0);
    assert.equal(arena.storeBytes(input, 4, 1000), -1, 'a full class');
  });

  test('only strings of 128 bytes to 128 KB fit', () => {
    assert.equal(ValueArena.fits(ARENA_MIN_LENGTH - 1), false);
    assert.equal(ValueArena.fits(ARENA_MIN_LENGTH), true);
    assert.equal(ValueArena.fits(ARENA_MAX_LENGTH), true);
    assert.equal(ValueArena.fits(ARENA_MAX_LENGTH + 1), false);
  });

  test('reuses freed chunks, and gives a class its memory back when it holds nothing', () => {
    const arena = new ValueArena();
    const first = Array.from({ length: 3000 }, (_, i) => arena.store(bytes(1000, i)));
    const reserved = arena.reservedBytes;
    assert.ok(reserved >= 3000 * 1024);
    for (const chunk of first.slice(0, 1500)) arena.free(chunk);
    const again = Array.from({ length: 1500 }, (_, i) => arena.store(bytes(1000, i + 7)));
    assert.equal(arena.reservedBytes, reserved, 'freed chunks were reused, no page added');
    again.forEach((chunk, i) => {
      assert.equal(arena.read(chunk, 1000), bytes(1000, i + 7));
    });
    first.slice(1500).forEach((chunk, i) => {
      assert.equal(arena.read(chunk, 1000), bytes(1000, i + 1500), 'live values untouched');
    });
    for (const chunk of [...first.slice(1500), ...again]) arena.free(chunk);
    assert.equal(arena.usedBytes, 0);
    assert.equal(arena.reservedBytes, 0);
  });
});

describe('Entry values in the arena', () => {
  test('a long string is kept in the arena and read back; other values stay in the record', () => {
    const usedBefore = valueArena.usedBytes;
    const long = bytes(2000, 1);
    const entry = new Entry(long, Date.now());
    assert.ok(entry.chunk >= 0);
    assert.equal(entry.chunkLength, 2000);
    assert.equal(entry.value, long);
    assert.ok(valueArena.usedBytes > usedBefore);
    entry.value = 'short';
    assert.equal(entry.chunk, -1);
    assert.equal(entry.value, 'short');
    assert.equal(valueArena.usedBytes, usedBefore, 'the replaced value was freed at once');
    entry.value = 42;
    assert.equal(entry.value, 42);
    entry.value = bytes(300, 2);
    entry.release();
    assert.equal(valueArena.usedBytes, usedBefore);
  });

  test('DEL frees a value, RENAME and MOVE keep it with the record, FLUSHDB frees them all', () => {
    const usedBefore = valueArena.usedBytes;
    const database = new Database(0, hooks);
    const now = Date.now();
    database.set('a', bytes(500, 3), now);
    database.set('b', bytes(600, 4), now);
    database.set('c', bytes(700, 5), now);
    database.delete('a');
    const moved = database.detach('b') as Entry;
    const other = new Database(1, hooks);
    other.putEntry('b2', moved);
    assert.equal(other.lookup('b2', now)?.value, bytes(600, 4));
    assert.equal(database.lookup('c', now)?.value, bytes(700, 5));
    database.flush();
    other.flush();
    assert.equal(valueArena.usedBytes, usedBefore);
  });

  test('a flush during a snapshot frees the values only when the snapshot is done', () => {
    const usedBefore = valueArena.usedBytes;
    const database = new Database(0, hooks);
    const now = Date.now();
    database.set('k', bytes(900, 6), now);
    const heldMaps = database.slots.slice();
    database.writeObserver = () => {};
    database.flush();
    const kept = heldMaps.find((map) => map.has('k'))?.get('k');
    assert.equal(kept?.value, bytes(900, 6), 'the snapshot still reads the flushed value');
    database.endObservation();
    assert.equal(valueArena.usedBytes, usedBefore);
  });
});
