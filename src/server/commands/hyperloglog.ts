// HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST (hyperloglog.c of Redis 7.0).
// The values are plain strings in Redis's exact HLL format (src/server/hll), so GET/SET move them
// between servers.
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { WRONG_TYPE } from '../errors.ts';
import { countRawRegisters, HLL_DENSE, HLL_REGISTERS, HllBuffer, isHllString } from '../hll/hyperloglog.ts';
import { hllSelfTest } from '../hll/self-test.ts';
import { type Entry, STRING_RAW } from '../keyspace/entry.ts';
import { keyChanged, lookupRead, lookupWrite, notify } from './keyspace-access.ts';

const INVALID_HLL = 'INVALIDOBJ Corrupted HLL object detected';
const NOT_HLL = 'WRONGTYPE Key is not a valid HyperLogLog string value.';

/** isHLLObjectOrReply: the value as an HLL string, or undefined after replying the error. */
function hllOf(client: Client, entry: Entry): string | undefined {
  const value = entry.value;
  if (typeof value === 'object') {
    client.replyError(WRONG_TYPE);
    return undefined;
  }
  // An int-encoded string is never an HLL (Redis checks for an sds encoding first).
  if (typeof value === 'number' || !isHllString(value)) {
    client.replyError(NOT_HLL);
    return undefined;
  }
  return value;
}

function sparseMaxBytes(client: Client): number {
  return client.server.config.getNumber('hll-sparse-max-bytes');
}

function pfadd(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  const entry = lookupWrite(client, key);
  let hll: HllBuffer;
  let updated = 0;
  if (entry === undefined) {
    hll = HllBuffer.create();
    updated++;
  } else {
    const value = hllOf(client, entry);
    if (value === undefined) return;
    hll = HllBuffer.fromString(value);
  }
  const maxBytes = sparseMaxBytes(client);
  for (let i = 2; i < argv.length; i++) {
    const result = hll.add(argv[i] as string, maxBytes);
    if (result === -1) {
      // Redis fails mid-way on a corrupted value; registers already set stay set.
      if (updated > 0) storeHll(client, key, entry, hll);
      client.replyError(INVALID_HLL);
      return;
    }
    updated += result;
  }
  if (updated > 0) {
    hll.invalidateCache();
    storeHll(client, key, entry, hll);
    keyChanged(client, key, updated);
    notify(client, '$', 'pfadd', key);
  }
  client.out.integer(updated > 0 ? 1 : 0);
}

/** HLLs are written in place: Redis's raw encoding. */
function storeHll(client: Client, key: string, entry: Entry | undefined, hll: HllBuffer): void {
  if (entry === undefined)
    client.database.add(key, hll.toString(), client.server.cachedNow).stringForm = STRING_RAW;
  else {
    entry.value = hll.toString();
    entry.stringForm = STRING_RAW;
  }
}

function pfcount(client: Client, argv: string[]): void {
  if (argv.length > 2) {
    // The cardinality of the union: registers merged into an 8-bit-per-register array.
    const max = new Uint8Array(HLL_REGISTERS);
    for (let i = 1; i < argv.length; i++) {
      const entry = lookupRead(client, argv[i] as string);
      if (entry === undefined) continue;
      const value = hllOf(client, entry);
      if (value === undefined) return;
      if (!HllBuffer.fromString(value).mergeInto(max)) {
        client.replyError(INVALID_HLL);
        return;
      }
    }
    client.out.integer(countRawRegisters(max));
    return;
  }
  const key = argv[1] as string;
  const entry = lookupRead(client, key);
  if (entry === undefined) {
    client.out.integer(0);
    return;
  }
  const value = hllOf(client, entry);
  if (value === undefined) return;
  const hll = HllBuffer.fromString(value);
  const cached = hll.cachedCardinality();
  if (cached >= 0) {
    client.out.integer(cached);
    return;
  }
  const cardinality = hll.count();
  if (cardinality < 0) {
    client.replyError(INVALID_HLL);
    return;
  }
  // Caching the estimate modifies the string, so it counts as a change (and is propagated).
  hll.setCachedCardinality(cardinality);
  // PFCOUNT looks its key up as a read: a running snapshot keeps the string as it was first.
  client.database.beforeWrite(key);
  storeHll(client, key, entry, hll);
  keyChanged(client, key);
  client.out.integer(cardinality);
}

function pfmerge(client: Client, argv: string[]): void {
  const max = new Uint8Array(HLL_REGISTERS);
  let useDense = false;
  for (let i = 1; i < argv.length; i++) {
    const entry = lookupRead(client, argv[i] as string);
    if (entry === undefined) continue;
    const value = hllOf(client, entry);
    if (value === undefined) return;
    const source = HllBuffer.fromString(value);
    if (source.encoding === HLL_DENSE) useDense = true;
    if (!source.mergeInto(max)) {
      client.replyError(INVALID_HLL);
      return;
    }
  }
  const key = argv[1] as string;
  const entry = lookupWrite(client, key);
  // An existing destination was validated as the first source above.
  const hll = entry === undefined ? HllBuffer.create() : HllBuffer.fromString(entry.value as string);
  if (useDense && !hll.toDense()) {
    client.replyError(INVALID_HLL);
    return;
  }
  const maxBytes = sparseMaxBytes(client);
  for (let i = 0; i < HLL_REGISTERS; i++) {
    const count = max[i] as number;
    if (count === 0) continue;
    hll.raise(i, count, maxBytes);
  }
  hll.invalidateCache();
  storeHll(client, key, entry, hll);
  keyChanged(client, key);
  notify(client, '$', 'pfadd', key);
  client.out.ok();
}

/** PFDEBUG GETREG|DECODE|ENCODING|TODENSE key: Redis's HLL internals, for tests and debugging. */
function pfdebug(client: Client, argv: string[]): void {
  const subcommand = argv[1] as string;
  const key = argv[2] as string;
  const entry = lookupWrite(client, key);
  if (entry === undefined) {
    client.replyError('ERR The specified key does not exist');
    return;
  }
  const value = hllOf(client, entry);
  if (value === undefined) return;
  const name = subcommand.toLowerCase();
  if (!['getreg', 'decode', 'encoding', 'todense'].includes(name)) {
    client.replyError(`ERR Unknown PFDEBUG subcommand '${subcommand}'`);
    return;
  }
  const hll = HllBuffer.fromString(value);
  const out = client.out;
  if (name === 'encoding') {
    out.status(hll.encoding === HLL_DENSE ? 'dense' : 'sparse');
    return;
  }
  if (name === 'decode') {
    if (hll.encoding === HLL_DENSE) client.replyError('ERR HLL encoding is not sparse');
    else out.bulk(hll.describeSparse());
    return;
  }
  // GETREG and TODENSE turn a sparse HLL dense for good (a change, propagated).
  let converted = false;
  if (hll.encoding !== HLL_DENSE) {
    if (!hll.toDense()) {
      client.replyError(INVALID_HLL);
      return;
    }
    storeHll(client, key, entry, hll);
    keyChanged(client, key);
    converted = true;
  }
  if (name === 'todense') {
    out.integer(converted ? 1 : 0);
    return;
  }
  out.arrayHeader(HLL_REGISTERS);
  for (let i = 0; i < HLL_REGISTERS; i++) out.integer(hll.register(i));
}

/** PFSELFTEST: the implementation's self-test on the live code (blocks, as in Redis: ~1-2 s). */
function pfselftest(client: Client): void {
  const failure = hllSelfTest(sparseMaxBytes(client));
  if (failure === undefined) client.out.ok();
  else client.replyError(failure);
}

export const hyperLogLogCommands: CommandDefinition[] = [
  { name: 'pfselftest', handler: pfselftest },
  { name: 'pfadd', handler: pfadd },
  { name: 'pfdebug', handler: pfdebug },
  { name: 'pfcount', handler: pfcount },
  { name: 'pfmerge', handler: pfmerge },
];
