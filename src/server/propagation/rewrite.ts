// What a write command sends to replicas and the AOF. Most commands go as they were called; those
// whose effect depends on the clock or on chance are rewritten into deterministic ones, as Redis 7
// does: relative expires become PEXPIREAT / SET ... PXAT, INCRBYFLOAT a SET KEEPTTL, RESTORE and
// SLOTSRESTORE get absolute TTLs, and a command that popped at random (SPOP), was served while
// blocked (BLPOP...) or migrated keys away (SLOTSMGRT*) is replaced by the resulting state of its keys.
import type { Database } from '../keyspace/database.ts';
import { createDumpPayload } from '../rdb/index.ts';

/** The RESP multibulk encoding of a command (arguments are latin1 strings). */
export function encodeCommand(argv: readonly string[]): Buffer {
  let text = `*${argv.length}\r\n`;
  for (const arg of argv) text += `$${arg.length}\r\n${arg}\r\n`;
  return Buffer.from(text, 'latin1');
}

/** Commands replaced by the state of the keys they changed. */
const SNAPSHOT_COMMANDS = new Set([
  'slotsmgrtone',
  'slotsmgrttagone',
  'slotsmgrtslot',
  'slotsmgrttagslot',
  'slotsmgrtone-async',
  'slotsmgrttagone-async',
  'slotsmgrtslot-async',
  'slotsmgrttagslot-async',
  'spop',
  'blpop',
  'brpop',
  'brpoplpush',
  'blmove',
  'blmpop',
  'bzpopmin',
  'bzpopmax',
  'bzmpop',
]);

const EXPIRE_COMMANDS = new Set(['expire', 'pexpire', 'expireat', 'pexpireat']);

/** DEL, or DEL then RESTORE with the absolute TTL: a key's whole state, for any replica. */
function snapshotKey(database: Database, key: string, out: string[][]): void {
  const entry = database.findRaw(key);
  out.push(['DEL', key]);
  if (entry === undefined) return;
  const payload = createDumpPayload(entry.value).latin1Slice();
  out.push(['RESTORE', key, String(entry.expireAt), payload, 'ABSTTL']);
}

/** The expire of a key after the command, as a PEXPIREAT (or DEL when the key is gone). */
function absoluteExpire(database: Database, key: string): string[] {
  const entry = database.findRaw(key);
  if (entry === undefined) return ['DEL', key];
  if (entry.expireAt === 0) return ['PERSIST', key];
  return ['PEXPIREAT', key, String(entry.expireAt)];
}

/**
 * The commands to propagate for one write command that changed the dataset. `touched` lists the
 * keys the command modified (in the client's database, or others for MOVE/COPY).
 */
export function commandsToPropagate(
  database: Database,
  argv: string[],
  touched: ReadonlyArray<readonly [Database, string]>,
): string[][] {
  const name = (argv[0] as string).toLowerCase();
  if (SNAPSHOT_COMMANDS.has(name)) {
    const out: string[][] = [];
    const seen = new Set<string>();
    for (const [db, key] of touched) {
      if (db !== database || seen.has(key)) continue;
      seen.add(key);
      snapshotKey(db, key, out);
    }
    return out;
  }
  if (EXPIRE_COMMANDS.has(name)) return [absoluteExpire(database, argv[1] as string)];
  if (name === 'setex' || name === 'psetex') {
    const key = argv[1] as string;
    const entry = database.findRaw(key);
    if (entry === undefined || entry.expireAt === 0) return [['DEL', key]];
    return [['SET', key, argv[3] as string, 'PXAT', String(entry.expireAt)]];
  }
  if (name === 'set' && argv.length > 3) {
    const rewritten = ['SET', argv[1] as string, argv[2] as string];
    let relative = false;
    for (let i = 3; i < argv.length; i++) {
      const option = (argv[i] as string).toLowerCase();
      if (option === 'ex' || option === 'px' || option === 'exat' || option === 'pxat') {
        relative = true;
        i++;
      } else if (option !== 'get') rewritten.push(argv[i] as string);
    }
    if (!relative) return [argv];
    const entry = database.findRaw(argv[1] as string);
    if (entry === undefined) return [['DEL', argv[1] as string]];
    rewritten.push('PXAT', String(entry.expireAt));
    return [rewritten];
  }
  if (name === 'getex') return [absoluteExpire(database, argv[1] as string)];
  if (name === 'incrbyfloat') {
    const entry = database.findRaw(argv[1] as string);
    if (entry === undefined || typeof entry.value === 'object') return [argv];
    return [['SET', argv[1] as string, String(entry.value), 'KEEPTTL']];
  }
  if (name === 'slotsrestore') {
    // SLOTSRESTORE key ttl payload [key ttl payload ...]: each key as a RESTORE with its absolute TTL.
    const out: string[][] = [];
    for (let i = 1; i + 2 < argv.length; i += 3) {
      const key = argv[i] as string;
      const entry = database.findRaw(key);
      if (entry === undefined) out.push(['DEL', key]);
      else out.push(['RESTORE', key, String(entry.expireAt), argv[i + 2] as string, 'REPLACE', 'ABSTTL']);
    }
    return out;
  }
  if (name === 'restore' || name === 'restore-asking') {
    const entry = database.findRaw(argv[1] as string);
    if (entry === undefined || entry.expireAt === 0) return [argv];
    const rewritten = argv.slice();
    rewritten[2] = String(entry.expireAt);
    if (!rewritten.some((arg, i) => i > 3 && arg.toLowerCase() === 'absttl')) rewritten.push('ABSTTL');
    return [rewritten];
  }
  return [argv];
}
