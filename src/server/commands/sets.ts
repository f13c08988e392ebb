// Set commands with Redis 7.0's replies and errors: membership, random pops and samples, moves,
// the algebra (SINTER, SUNION, SDIFF and their STORE forms, SINTERCARD) and SSCAN.
import { isKeyword, parseInt64 } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { SYNTAX, WRONG_TYPE } from '../errors.ts';
import { SetValue } from '../types/set.ts';
import { parseScanCursor, parseScanOptions, replyEmptyScan, replyScan } from './collection-scan.ts';
import { keyChanged, lookupWrite, notify, readCollection, writeCollection } from './keyspace-access.ts';
import { parseRandomCount, sampleDistinctIndices } from './random-sample.ts';

/** Deletes the key of a set that became empty (Redis never keeps empty collections). */
function deleteIfEmpty(client: Client, key: string, set: SetValue): void {
  if (set.size !== 0) return;
  client.database.delete(key);
  notify(client, 'g', 'del', key);
}

function replyMembers(client: Client, set: SetValue): void {
  const out = client.out;
  out.setHeader(set.size);
  for (const member of set.members()) out.bulk(member);
}

function sadd(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  let set = writeCollection<SetValue>(client, key, 'set');
  if (set === undefined) return;
  if (set === null) {
    set = new SetValue();
    client.database.add(key, set, client.server.cachedNow);
  }
  let added = 0;
  for (let i = 2; i < argv.length; i++) if (set.add(argv[i] as string)) added++;
  if (added > 0) {
    keyChanged(client, key, added);
    notify(client, 's', 'sadd', key);
  }
  client.out.integer(added);
}

function srem(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  const set = writeCollection<SetValue>(client, key, 'set');
  if (set === undefined) return;
  if (set === null) {
    client.out.integer(0);
    return;
  }
  let removed = 0;
  for (let i = 2; i < argv.length; i++) {
    if (set.delete(argv[i] as string)) {
      removed++;
      if (set.size === 0) break;
    }
  }
  if (removed > 0) {
    keyChanged(client, key, removed);
    notify(client, 's', 'srem', key);
    deleteIfEmpty(client, key, set);
  }
  client.out.integer(removed);
}

function scard(client: Client, argv: string[]): void {
  const set = readCollection<SetValue>(client, argv[1] as string, 'set');
  if (set === undefined) return;
  client.out.integer(set === null ? 0 : set.size);
}

function sismember(client: Client, argv: string[]): void {
  const set = readCollection<SetValue>(client, argv[1] as string, 'set');
  if (set === undefined) return;
  client.out.integer(set?.has(argv[2] as string) ? 1 : 0);
}

function smismember(client: Client, argv: string[]): void {
  const set = readCollection<SetValue>(client, argv[1] as string, 'set');
  if (set === undefined) return;
  const out = client.out;
  out.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) out.integer(set?.has(argv[i] as string) ? 1 : 0);
}

function smembers(client: Client, argv: string[]): void {
  const set = readCollection<SetValue>(client, argv[1] as string, 'set');
  if (set === undefined) return;
  if (set === null) client.out.setHeader(0);
  else replyMembers(client, set);
}

function smove(client: Client, argv: string[]): void {
  const source = argv[1] as string;
  const destination = argv[2] as string;
  const member = argv[3] as string;
  const sourceEntry = lookupWrite(client, source);
  const destinationEntry = lookupWrite(client, destination);
  if (sourceEntry === undefined) {
    client.out.integer(0);
    return;
  }
  const sourceSet = sourceEntry.value;
  const destinationValue = destinationEntry?.value;
  if (
    !(sourceSet instanceof SetValue) ||
    (destinationValue !== undefined && !(destinationValue instanceof SetValue))
  ) {
    client.replyError(WRONG_TYPE);
    return;
  }
  let destinationSet = destinationValue ?? null;
  if (sourceSet === destinationSet) {
    client.out.integer(sourceSet.has(member) ? 1 : 0);
    return;
  }
  if (!sourceSet.delete(member)) {
    client.out.integer(0);
    return;
  }
  notify(client, 's', 'srem', source);
  deleteIfEmpty(client, source, sourceSet);
  keyChanged(client, source);
  if (destinationSet === null) {
    destinationSet = new SetValue();
    client.database.add(destination, destinationSet, client.server.cachedNow);
  }
  if (destinationSet.add(member)) {
    keyChanged(client, destination);
    notify(client, 's', 'sadd', destination);
  }
  client.out.integer(1);
}

function spop(client: Client, argv: string[]): void {
  if (argv.length === 3) {
    spopWithCount(client, argv);
    return;
  }
  if (argv.length > 3) {
    client.replyError(SYNTAX);
    return;
  }
  const key = argv[1] as string;
  const set = writeCollection<SetValue>(client, key, 'set');
  if (set === undefined) return;
  if (set === null) {
    client.out.nullBulk();
    return;
  }
  const member = set.randomMember();
  set.delete(member);
  notify(client, 's', 'spop', key);
  deleteIfEmpty(client, key, set);
  keyChanged(client, key);
  client.out.bulk(member);
}

function spopWithCount(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  const parsed = parseInt64(argv[2] as string);
  // Redis answers the same for a non-integer and a negative count.
  if (parsed === undefined || parsed < 0) {
    client.replyError('ERR value is out of range, must be positive');
    return;
  }
  const count = Number(parsed);
  const set = writeCollection<SetValue>(client, key, 'set');
  if (set === undefined) return;
  const out = client.out;
  if (set === null || count === 0) {
    out.setHeader(0);
    return;
  }
  const size = set.size;
  notify(client, 's', 'spop', key);
  // Popping at least the whole set: reply all of it (in the set's order) and drop the key.
  if (count >= size) {
    replyMembers(client, set);
    client.database.delete(key);
    notify(client, 'g', 'del', key);
    keyChanged(client, key, size);
    return;
  }
  out.setHeader(count);
  for (let i = 0; i < count; i++) {
    const member = set.randomMember();
    set.delete(member);
    out.bulk(member);
  }
  keyChanged(client, key, count);
}

function srandmember(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  if (argv.length > 3) {
    client.replyError(SYNTAX);
    return;
  }
  if (argv.length === 2) {
    const set = readCollection<SetValue>(client, key, 'set');
    if (set === undefined) return;
    if (set === null) client.out.nullBulk();
    else client.out.bulk(set.randomMember());
    return;
  }
  const count = parseRandomCount(client, argv[2] as string);
  if (count === undefined) return;
  const set = readCollection<SetValue>(client, key, 'set');
  if (set === undefined) return;
  const out = client.out;
  if (set === null || count === 0) {
    out.arrayHeader(0);
    return;
  }
  const size = set.size;
  // Negative count: that many independent draws, repetitions allowed.
  if (count < 0) {
    out.arrayHeader(-count);
    for (let i = 0; i < -count; i++) out.bulk(set.randomMember());
    return;
  }
  if (count >= size) {
    out.arrayHeader(size);
    for (const member of set.members()) out.bulk(member);
    return;
  }
  out.arrayHeader(count);
  for (const index of sampleDistinctIndices(size, count)) out.bulk(set.memberAt(index));
}

/**
 * The sets at argv[from..from+count): a missing key is null. Every key's type is checked first, as
 * in Redis 7.0; returns undefined after a WRONGTYPE error.
 */
function lookupSets(
  client: Client,
  keys: string[],
  from: number,
  count: number,
): (SetValue | null)[] | undefined {
  const sets: (SetValue | null)[] = [];
  for (let i = from; i < from + count; i++) {
    const set = readCollection<SetValue>(client, keys[i] as string, 'set');
    if (set === undefined) return undefined;
    sets.push(set);
  }
  return sets;
}

/** The members of every set, smallest set first (fewest membership tests). */
function intersect(sets: SetValue[], limit: number, collect: SetValue | undefined): number {
  sets.sort((a, b) => a.size - b.size);
  const smallest = sets[0];
  if (smallest === undefined) return 0;
  let cardinality = 0;
  outer: for (const member of smallest.members()) {
    for (let i = 1; i < sets.length; i++) if (!(sets[i] as SetValue).has(member)) continue outer;
    cardinality++;
    collect?.add(member);
    if (limit > 0 && cardinality >= limit) break;
  }
  return cardinality;
}

/** Stores a computed set at `destination` (or deletes it when empty) and replies its size. */
function storeResult(client: Client, destination: string, result: SetValue, event: string): void {
  const database = client.database;
  if (result.size > 0) {
    database.set(destination, result, client.server.cachedNow);
    keyChanged(client, destination);
    notify(client, 's', event, destination);
  } else if (database.lookup(destination, client.server.cachedNow) !== undefined) {
    database.delete(destination);
    keyChanged(client, destination);
    notify(client, 'g', 'del', destination);
  }
  client.out.integer(result.size);
}

function sinterGeneric(client: Client, argv: string[], destination: string | undefined): void {
  const from = destination === undefined ? 1 : 2;
  const found = lookupSets(client, argv, from, argv.length - from);
  if (found === undefined) return;
  const result = new SetValue();
  if (!found.includes(null)) intersect(found as SetValue[], 0, result);
  if (destination === undefined) replyMembers(client, result);
  else storeResult(client, destination, result, 'sinterstore');
}

function sinter(client: Client, argv: string[]): void {
  sinterGeneric(client, argv, undefined);
}

function sinterstore(client: Client, argv: string[]): void {
  sinterGeneric(client, argv, argv[1] as string);
}

function sintercard(client: Client, argv: string[]): void {
  const numberOfKeys = parseInt64(argv[1] as string);
  if (numberOfKeys === undefined || numberOfKeys < 1) {
    client.replyError('ERR numkeys should be greater than 0');
    return;
  }
  if (numberOfKeys > argv.length - 2) {
    client.replyError("ERR Number of keys can't be greater than number of args");
    return;
  }
  const keyCount = Number(numberOfKeys);
  let limit = 0;
  for (let i = 2 + keyCount; i < argv.length; i += 2) {
    const value = argv[i + 1];
    if (value !== undefined && isKeyword(argv[i] as string, 'limit')) {
      const parsed = parseInt64(value);
      if (parsed === undefined || parsed < 0) {
        client.replyError("ERR LIMIT can't be negative");
        return;
      }
      limit = Number(parsed);
    } else {
      client.replyError(SYNTAX);
      return;
    }
  }
  const found = lookupSets(client, argv, 2, keyCount);
  if (found === undefined) return;
  client.out.integer(found.includes(null) ? 0 : intersect(found as SetValue[], limit, undefined));
}

const UNION = 0;
const DIFF = 1;

function unionDiffGeneric(
  client: Client,
  argv: string[],
  destination: string | undefined,
  operation: number,
): void {
  const from = destination === undefined ? 1 : 2;
  const found = lookupSets(client, argv, from, argv.length - from);
  if (found === undefined) return;
  const result = new SetValue();
  if (operation === UNION) {
    for (const set of found) if (set !== null) for (const member of set.members()) result.add(member);
  } else {
    const first = found[0];
    if (first != null) {
      outer: for (const member of first.members()) {
        for (let i = 1; i < found.length; i++) if (found[i]?.has(member)) continue outer;
        result.add(member);
      }
    }
  }
  if (destination === undefined) replyMembers(client, result);
  else storeResult(client, destination, result, operation === UNION ? 'sunionstore' : 'sdiffstore');
}

function sunion(client: Client, argv: string[]): void {
  unionDiffGeneric(client, argv, undefined, UNION);
}

function sunionstore(client: Client, argv: string[]): void {
  unionDiffGeneric(client, argv, argv[1] as string, UNION);
}

function sdiff(client: Client, argv: string[]): void {
  unionDiffGeneric(client, argv, undefined, DIFF);
}

function sdiffstore(client: Client, argv: string[]): void {
  unionDiffGeneric(client, argv, argv[1] as string, DIFF);
}

function sscan(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  const cursor = parseScanCursor(client, argv[2] as string);
  if (cursor === undefined) return;
  const set = readCollection<SetValue>(client, key, 'set');
  if (set === undefined) return;
  if (set === null) {
    replyEmptyScan(client);
    return;
  }
  const options = parseScanOptions(client, argv, 3);
  if (options === undefined) return;
  const items: string[] = [];
  if (set.isIntset()) {
    // An intset is scanned whole in one call, as Redis does.
    for (const member of set.members()) items.push(member);
    replyScan(client, 0n, items, 1, options.pattern);
    return;
  }
  const next = client.server.scanCursors.scan(
    set,
    cursor,
    options.count,
    () => set.members(),
    (member: string) => {
      items.push(member);
    },
  );
  replyScan(client, next, items, 1, options.pattern);
}

export const setCommands: CommandDefinition[] = [
  { name: 'sadd', handler: sadd },
  { name: 'srem', handler: srem },
  { name: 'scard', handler: scard },
  { name: 'sismember', handler: sismember },
  { name: 'smismember', handler: smismember },
  { name: 'smembers', handler: smembers },
  { name: 'smove', handler: smove },
  { name: 'spop', handler: spop },
  { name: 'srandmember', handler: srandmember },
  { name: 'sinter', handler: sinter },
  { name: 'sintercard', handler: sintercard },
  { name: 'sinterstore', handler: sinterstore },
  { name: 'sunion', handler: sunion },
  { name: 'sunionstore', handler: sunionstore },
  { name: 'sdiff', handler: sdiff },
  { name: 'sdiffstore', handler: sdiffstore },
  { name: 'sscan', handler: sscan },
];
