// Codis's slot introspection and maintenance commands that need no migration: SLOTSHASHKEY,
// SLOTSINFO, SLOTSSCAN, SLOTSDEL, SLOTSCHECK (spec/server-slots.md §4–§5). All of them act on the
// caller's selected database, whose keys are already partitioned by slot.
import { MAX_SLOTS, slotOf } from '../../slots/index.ts';
import { isKeyword, parseCursor } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { SYNTAX, wrongArity } from '../errors.ts';
import type { Entry } from '../keyspace/entry.ts';
import { keyChanged, lookupRead, notify } from './keyspace-access.ts';
import { parseIntArgument, parseSlotArgument } from './slot-arguments.ts';

const DEFAULT_SCAN_COUNT = 10;

function slotMapOf(client: Client, slot: number): Map<string, Entry> {
  return client.database.slots[slot] as Map<string, Entry>;
}

function slotshashkey(client: Client, argv: string[]): void {
  client.out.arrayHeader(argv.length - 1);
  for (let i = 1; i < argv.length; i++) client.out.integer(slotOf(argv[i] as string));
}

function slotsinfo(client: Client, argv: string[]): void {
  let start = 0;
  let end = MAX_SLOTS;
  if (argv.length > 1) {
    const parsed = parseSlotArgument(client, argv[1] as string);
    if (parsed === undefined) return;
    start = parsed;
  }
  if (argv.length > 2) {
    const count = parseIntArgument(client, argv[2] as string);
    if (count === undefined) return;
    if (count < 0) {
      client.replyError(`ERR invalid slot count = ${count}`);
      return;
    }
    // Codis adds in 32-bit signed arithmetic: `SLOTSINFO 1 2147483647` wraps to a negative end and
    // answers an empty array. Reproduced so replies match the original byte for byte.
    const wrapped = (start + count) | 0;
    if (wrapped < end) end = wrapped;
  }
  if (argv.length > 3) {
    client.replyError(wrongArity('slotsinfo'));
    return;
  }
  const slots = client.database.slots;
  let nonEmpty = 0;
  for (let slot = start; slot < end; slot++) if ((slots[slot] as Map<string, Entry>).size > 0) nonEmpty++;
  const out = client.out;
  out.arrayHeader(nonEmpty);
  for (let slot = start; slot < end; slot++) {
    const size = (slots[slot] as Map<string, Entry>).size;
    if (size === 0) continue;
    out.arrayHeader(2);
    out.integer(slot);
    out.integer(size);
  }
}

function slotsscan(client: Client, argv: string[]): void {
  const slot = parseSlotArgument(client, argv[1] as string);
  if (slot === undefined) return;
  const cursor = parseCursor(argv[2] as string);
  if (cursor === undefined) {
    client.replyError('ERR invalid cursor');
    return;
  }
  if (argv.length !== 3 && argv.length !== 5) {
    client.replyError(wrongArity('slotsscan'));
    return;
  }
  let count = DEFAULT_SCAN_COUNT;
  if (argv.length === 5) {
    if (!isKeyword(argv[3] as string, 'count')) {
      client.replyError(SYNTAX);
      return;
    }
    const parsed = parseIntArgument(client, argv[4] as string);
    if (parsed === undefined) return;
    if (parsed < 1) {
      client.replyError(SYNTAX);
      return;
    }
    count = parsed;
  }
  // Expired-but-unreclaimed keys are listed, as Codis does: the slot map is read raw.
  const map = slotMapOf(client, slot);
  const keys: string[] = [];
  const next = client.server.scanCursors.scan(
    map,
    cursor,
    count,
    () => map.keys(),
    (key) => keys.push(key),
  );
  client.out.arrayHeader(2);
  client.out.bulk(String(next));
  client.out.bulkArray(keys);
}

function slotsdel(client: Client, argv: string[]): void {
  const slots: number[] = [];
  // Every slot is validated before anything is deleted.
  for (let i = 1; i < argv.length; i++) {
    const slot = parseSlotArgument(client, argv[i] as string);
    if (slot === undefined) return;
    slots.push(slot);
  }
  const database = client.database;
  const out = client.out;
  out.arrayHeader(slots.length);
  for (const slot of slots) {
    const map = slotMapOf(client, slot);
    if (map.size > 0) {
      for (const key of [...map.keys()]) {
        database.delete(key);
        keyChanged(client, key);
        notify(client, 'g', 'del', key);
      }
    }
    out.arrayHeader(2);
    out.integer(slot);
    out.integer(map.size);
  }
}

function slotscheck(client: Client, _argv: string[]): void {
  const slots = client.database.slots;
  // Step 1: every key of every slot must be found by a (reclaiming) read lookup.
  for (let slot = 0; slot < MAX_SLOTS; slot++) {
    for (const key of (slots[slot] as Map<string, Entry>).keys()) {
      if (lookupRead(client, key) === undefined) {
        client.replyError(`ERR step 1, miss = '${key}'`);
        return;
      }
    }
  }
  // Step 2: every key must sit in the map of its own slot. Our keyspace has no separate tag
  // index, so Codis's step 3 has nothing to check.
  for (let slot = 0; slot < MAX_SLOTS; slot++) {
    for (const key of (slots[slot] as Map<string, Entry>).keys()) {
      if (slotOf(key) !== slot) {
        client.replyError(`ERR step 2, miss = '${key}'`);
        return;
      }
    }
  }
  client.out.ok();
}

export const slotCommands: CommandDefinition[] = [
  { name: 'slotshashkey', handler: slotshashkey },
  { name: 'slotsinfo', handler: slotsinfo },
  { name: 'slotsscan', handler: slotsscan },
  { name: 'slotsdel', handler: slotsdel },
  { name: 'slotscheck', handler: slotscheck },
];
