import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodingLimits } from './encoding-limits.ts';
import { ENTRIES_READ_UNKNOWN, FLAG_SAME_FIELDS, StreamValue } from './stream.ts';
import { formatId, type StreamId, streamId } from './stream-id.ts';

const id = (ms: number, seq = 1): StreamId => streamId(BigInt(ms), BigInt(seq));

function filled(count: number, value = 'v'): StreamValue {
  const stream = new StreamValue();
  for (let i = 1; i <= count; i++) stream.append(id(i), ['field', value]);
  return stream;
}

test('nodes split as Redis 7.0 splits its listpacks (entries and bytes)', () => {
  // The node counts redis-server 7.0 reports for the same appends (test/integration/streams.test.ts).
  assert.equal(filled(250).nodes.length, 3);
  assert.equal(filled(50, 'x'.repeat(300)).nodes.length, 4);
  const stream = filled(3);
  const node = stream.nodes[0];
  assert.ok(node !== undefined);
  assert.deepEqual(
    node.entries.map((entry) => entry.flags),
    [FLAG_SAME_FIELDS, FLAG_SAME_FIELDS, FLAG_SAME_FIELDS],
  );
  stream.append(id(4), ['other', 'v']);
  assert.equal(node.entries[3]?.flags, 0);
  // Entries with the master's fields share its strings.
  assert.equal(node.entries[1]?.fields[0], node.masterFields[0]);
});

test('stream-node-max-entries 0 and max-bytes 0 mean no limit but the listpack maximum', () => {
  const saved = { ...encodingLimits };
  try {
    encodingLimits.streamNodeMaxEntries = 0;
    encodingLimits.streamNodeMaxBytes = 0;
    assert.equal(filled(1000).nodes.length, 1);
  } finally {
    Object.assign(encodingLimits, saved);
  }
});

test('deleting flags entries; the last live entry of a node takes the node with it', () => {
  const stream = filled(150);
  assert.equal(stream.nodes.length, 2);
  assert.ok(stream.delete(id(2)));
  assert.equal(stream.delete(id(2)), false);
  assert.equal(stream.nodes[0]?.deleted, 1);
  assert.equal(stream.find(id(2)), undefined);
  for (let i = 101; i <= 150; i++) assert.ok(stream.delete(id(i)));
  assert.equal(stream.nodes.length, 1);
  assert.equal(stream.length, 99);
  assert.deepEqual(
    [...stream.range(id(1), id(4))].map((entry) => formatId(entry.id)),
    ['1-1', '3-1', '4-1'],
  );
  assert.deepEqual(
    [...stream.range(id(1), id(4), true)].map((entry) => formatId(entry.id)),
    ['4-1', '3-1', '1-1'],
  );
});

test('trimming: exact, approximate (whole nodes only) and limited', () => {
  let stream = filled(250);
  assert.equal(stream.trim(120, undefined, true, 0), 100);
  assert.equal(stream.length, 150);
  assert.equal(stream.trim(120, undefined, false, 0), 30);
  assert.equal(stream.length, 120);
  assert.equal(formatId(stream.firstId), '131-1');
  stream = filled(250);
  assert.equal(stream.trim(0, undefined, true, 150), 100);
  stream = filled(250);
  assert.equal(stream.trim(undefined, id(205), true, 0), 200);
  assert.equal(stream.trim(undefined, id(205), false, 0), 4);
  assert.equal(formatId(stream.firstId), '205-1');
});

test('IDs from the clock, and the counters behind lag', () => {
  const stream = filled(5);
  assert.deepEqual(stream.autoId(1000), streamId(1000n, 0n));
  assert.deepEqual(stream.autoId(2), id(5, 2));
  assert.equal(stream.entriesAdded, 5n);
  assert.equal(stream.distanceFromFirstEverEntry(id(5)), 5n);
  assert.equal(stream.distanceFromFirstEverEntry(id(1)), 1n);
  assert.equal(stream.distanceFromFirstEverEntry(id(9)), ENTRIES_READ_UNKNOWN);
  const group = stream.createGroup('g', id(2), 2n);
  assert.ok(group !== undefined);
  assert.equal(stream.createGroup('g', id(0), 0n), undefined);
  assert.equal(stream.groupLag(group), 3n);
  stream.delete(id(4));
  stream.maxDeletedEntryId = id(4);
  assert.equal(stream.groupLag(group), undefined);
});
