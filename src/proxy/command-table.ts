// Codis 3.2's command classification (pkg/proxy/mapper.go, spec/proxy.md §3) as data, plus the
// deliberate departures of this port, each marked "better than Codis" below. Routing key positions
// come from the shared command table (src/commands), see routing-keys.ts.

/** The command modifies data. */
export const FLAG_WRITE = 1;
/** Never served by a replica (scans). */
export const FLAG_MASTER_ONLY = 2;
/** Unknown commands: treated as writes. */
export const FLAG_MAY_WRITE = 4;
/** Rejected with `command 'X' is not allowed`. */
export const FLAG_NOT_ALLOWED = 8;
/** Pub/sub: served by pubsub/ unless proxy.toml turns it off (then refused or forwarded as Codis does). */
export const FLAG_PUBSUB = 16;

// How the proxy handles a command beyond plain forwarding (§4.3–§4.6).
export const SPECIAL_NONE = 0;
export const SPECIAL_QUIT = 1;
export const SPECIAL_AUTH = 2;
export const SPECIAL_SELECT = 3;
export const SPECIAL_PING = 4;
export const SPECIAL_INFO = 5;
export const SPECIAL_MGET = 6;
export const SPECIAL_MSET = 7;
/** DEL, EXISTS, TOUCH, UNLINK: split by slot, integer replies summed. */
export const SPECIAL_SUM = 8;
export const SPECIAL_SLOTSINFO = 9;
export const SPECIAL_SLOTSSCAN = 10;
export const SPECIAL_SLOTSMAPPING = 11;
export const SPECIAL_HELLO = 12;
// Refused by Codis; served over the whole product unless proxy.toml turns them off (keyspace.ts,
// scripts.ts).
export const SPECIAL_SCAN = 13;
export const SPECIAL_DBSIZE = 14;
export const SPECIAL_RANDOMKEY = 15;
export const SPECIAL_KEYS = 16;
export const SPECIAL_SCRIPT = 17;
/** EVALSHA and EVALSHA_RO: retried with the script's body after NOSCRIPT. */
export const SPECIAL_EVALSHA = 18;
/**
 * Forwarded, FUNCTION LOAD would reach one group only (a shared-connection hazard below); with
 * scripting enabled it goes to every master, so FCALL works whichever group its keys are in.
 */
export const SPECIAL_FUNCTION = 19;

// Refused by Codis; served through dedicated backend connections unless proxy.toml turns them off
// (transaction.ts, blocking.ts). Numbered apart from the others' specials.
export const SPECIAL_TRANSACTION = 40;
export const SPECIAL_BLOCKING = 41;
/**
 * XREAD, XREADGROUP: keys after their STREAMS option (routing-keys.ts); with a BLOCK option a
 * blocking command (blocking.ts, proxy_blocking_enabled), a plain one without.
 */
export const SPECIAL_STREAM_READ = 42;

export interface CommandInfo {
  /** The normalised name (stats key, error texts). */
  readonly name: string;
  readonly flags: number;
  readonly special: number;
}

export function isReadOnly(flags: number): boolean {
  return (flags & (FLAG_WRITE | FLAG_MAY_WRITE)) === 0;
}

export function isMasterOnly(flags: number): boolean {
  return (flags & (FLAG_WRITE | FLAG_MAY_WRITE | FLAG_MASTER_ONLY)) !== 0;
}

// Codis's table in source order. W = Write, M = MasterOnly, Y = MayWrite, N = NotAllow. Entries
// whose name contains `-` are omitted: Codis never reaches them (§3.1.3, §15.1) and forwards those
// commands as unknown ones, which this port reproduces.
const CODIS_TABLE =
  'APPEND:W ASKING:N AUTH: BGREWRITEAOF:N BGSAVE:N BITCOUNT: BITFIELD:W BITOP:WN BITPOS: BLPOP:WN ' +
  'BRPOP:WN BRPOPLPUSH:WN CLIENT:N CLUSTER:N COMMAND: CONFIG:N DBSIZE:N DEBUG:N DECR:W DECRBY:W DEL:W ' +
  'DISCARD:N DUMP: ECHO: EVAL:W EVALSHA:W EXEC:N EXISTS: EXPIRE:W EXPIREAT:W FLUSHALL:WN FLUSHDB:WN ' +
  'GEOADD:W GEODIST: GEOHASH: GEOPOS: GEORADIUS:W GEORADIUSBYMEMBER:W GET: GETBIT: GETRANGE: GETSET:W ' +
  'HDEL:W HEXISTS: HGET: HGETALL: HINCRBY:W HINCRBYFLOAT:W HKEYS: HLEN: HMGET: HMSET:W HOST::N HSCAN:M ' +
  'HSET:W HSETNX:W HSTRLEN: HVALS: INCR:W INCRBY:W INCRBYFLOAT:W INFO: KEYS:N LASTSAVE:N LATENCY:N ' +
  'LINDEX: LINSERT:W LLEN: LPOP:W LPUSH:W LPUSHX:W LRANGE: LREM:W LSET:W LTRIM:W MGET: MIGRATE:WN ' +
  'MONITOR:N MOVE:WN MSET:W MSETNX:WN MULTI:N OBJECT:N PERSIST:W PEXPIRE:W PEXPIREAT:W PFADD:W PFCOUNT: ' +
  'PFDEBUG:W PFMERGE:W PFSELFTEST: PING: POST:N PSETEX:W PSUBSCRIBE:N PSYNC:N PTTL: PUBLISH:N PUBSUB: ' +
  'PUNSUBSCRIBE:N QUIT: RANDOMKEY:N READONLY:N READWRITE:N RENAME:WN RENAMENX:WN REPLCONF:N RESTORE:WN ' +
  'ROLE: RPOP:W RPOPLPUSH:W RPUSH:W RPUSHX:W SADD:W SAVE:N SCAN:MN SCARD: SCRIPT:N SDIFF: SDIFFSTORE:W ' +
  'SELECT: SET:W SETBIT:W SETEX:W SETNX:W SETRANGE:W SHUTDOWN:N SINTER: SINTERSTORE:W SISMEMBER: ' +
  'SLAVEOF:N SLOTSCHECK:N SLOTSDEL:WN SLOTSHASHKEY: SLOTSINFO:M SLOTSMAPPING: SLOTSMGRTONE:WN ' +
  'SLOTSMGRTSLOT:WN SLOTSMGRTTAGONE:WN SLOTSMGRTTAGSLOT:WN SLOTSRESTORE:W SLOTSSCAN:M SLOWLOG:N ' +
  'SMEMBERS: SMOVE:W SORT:W SPOP:W SRANDMEMBER: SREM:W SSCAN:M STRLEN: SUBSCRIBE:N SUBSTR: SUNION: ' +
  'SUNIONSTORE:W SYNC:N TIME:N TOUCH:W TTL: TYPE: UNSUBSCRIBE:N UNWATCH:N WAIT:N WATCH:N ZADD:W ZCARD: ' +
  'ZCOUNT: ZINCRBY:W ZINTERSTORE:W ZLEXCOUNT: ZRANGE: ZRANGEBYLEX: ZRANGEBYSCORE: ZRANK: ZREM:W ' +
  'ZREMRANGEBYLEX:W ZREMRANGEBYRANK:W ZREMRANGEBYSCORE:W ZREVRANGE: ZREVRANGEBYLEX: ZREVRANGEBYSCORE: ' +
  'ZREVRANK: ZSCAN:M ZSCORE: ZUNIONSTORE:W';

// Better than Codis: Redis 7's stream commands, which Codis (Redis 3.2) forwards as unknown MayWrite
// commands, with their real flags, so that the reads may be served by replicas (§6.4). XREADGROUP
// writes (it creates consumers and moves entries to pending lists); XGROUP writes (HELP aside) and
// XINFO only reads.
const STREAM_COMMANDS =
  'XADD:W XLEN: XRANGE: XREVRANGE: XDEL:W XTRIM:W XSETID:W XREAD: XREADGROUP:W XGROUP:W XACK:W ' +
  'XPENDING: XCLAIM:W XAUTOCLAIM:W XINFO:';

// Better than Codis: commands a Redis 7 backend knows that would change the state of the shared
// backend connection (protocol, database, subscriptions, replication) or block it for every
// session using it. Codis forwards them as unknown commands because Redis 3.2 did not have them.
const SHARED_CONNECTION_HAZARDS =
  'RESET SSUBSCRIBE SUNSUBSCRIBE SPUBLISH REPLICAOF FAILOVER SWAPDB BLMOVE BLMPOP BZPOPMIN BZPOPMAX ' +
  'BZMPOP WAITAOF ACL MODULE FUNCTION';

// Better than Codis: Codis forwards these dash-named commands (its table entries are unreachable,
// §3.1.3), but they switch the database or credentials of the shared backend connection.
const DASHED_HAZARDS = 'SLOTSRESTORE-ASYNC-SELECT SLOTSRESTORE-ASYNC-AUTH';

const SPECIALS: Record<string, number> = {
  QUIT: SPECIAL_QUIT,
  AUTH: SPECIAL_AUTH,
  SELECT: SPECIAL_SELECT,
  PING: SPECIAL_PING,
  INFO: SPECIAL_INFO,
  MGET: SPECIAL_MGET,
  MSET: SPECIAL_MSET,
  DEL: SPECIAL_SUM,
  EXISTS: SPECIAL_SUM,
  // Better than Codis: TOUCH and UNLINK are split like DEL (Codis asks only the first key's backend).
  TOUCH: SPECIAL_SUM,
  UNLINK: SPECIAL_SUM,
  SLOTSINFO: SPECIAL_SLOTSINFO,
  SLOTSSCAN: SPECIAL_SLOTSSCAN,
  SLOTSMAPPING: SPECIAL_SLOTSMAPPING,
  HELLO: SPECIAL_HELLO,
  SCAN: SPECIAL_SCAN,
  DBSIZE: SPECIAL_DBSIZE,
  RANDOMKEY: SPECIAL_RANDOMKEY,
  KEYS: SPECIAL_KEYS,
  SCRIPT: SPECIAL_SCRIPT,
  EVALSHA: SPECIAL_EVALSHA,
  FUNCTION: SPECIAL_FUNCTION,
  MULTI: SPECIAL_TRANSACTION,
  EXEC: SPECIAL_TRANSACTION,
  DISCARD: SPECIAL_TRANSACTION,
  WATCH: SPECIAL_TRANSACTION,
  UNWATCH: SPECIAL_TRANSACTION,
  BLPOP: SPECIAL_BLOCKING,
  BRPOP: SPECIAL_BLOCKING,
  BRPOPLPUSH: SPECIAL_BLOCKING,
  BLMOVE: SPECIAL_BLOCKING,
  BLMPOP: SPECIAL_BLOCKING,
  BZPOPMIN: SPECIAL_BLOCKING,
  BZPOPMAX: SPECIAL_BLOCKING,
  BZMPOP: SPECIAL_BLOCKING,
  XREAD: SPECIAL_STREAM_READ,
  XREADGROUP: SPECIAL_STREAM_READ,
};

function buildTable(): Map<string, CommandInfo> {
  const table = new Map<string, CommandInfo>();
  for (const entry of `${CODIS_TABLE} ${STREAM_COMMANDS}`.split(' ')) {
    const colon = entry.lastIndexOf(':');
    const name = entry.slice(0, colon);
    const letters = entry.slice(colon + 1);
    let flags = 0;
    if (letters.includes('W')) flags |= FLAG_WRITE;
    if (letters.includes('M')) flags |= FLAG_MASTER_ONLY;
    if (letters.includes('Y')) flags |= FLAG_MAY_WRITE;
    if (letters.includes('N')) flags |= FLAG_NOT_ALLOWED;
    table.set(name, { name, flags, special: SPECIALS[name] ?? SPECIAL_NONE });
  }
  // Better than Codis: OBJECT is read-only introspection of one key; forwarded like TYPE or TTL.
  table.set('OBJECT', { name: 'OBJECT', flags: 0, special: SPECIAL_NONE });
  table.set('UNLINK', { name: 'UNLINK', flags: FLAG_WRITE, special: SPECIAL_SUM });
  table.set('HELLO', { name: 'HELLO', flags: 0, special: SPECIAL_HELLO });
  for (const name of SHARED_CONNECTION_HAZARDS.split(' ')) {
    table.set(name, { name, flags: FLAG_WRITE | FLAG_NOT_ALLOWED, special: SPECIALS[name] ?? SPECIAL_NONE });
  }
  return table;
}

// Better than Codis: pub/sub on dedicated backend connections (pubsub/hub.ts). PUBLISH and
// SPUBLISH must reach the master, where the subscriptions are held, never a replica.
const PUBSUB_COMMANDS =
  'SUBSCRIBE PSUBSCRIBE SSUBSCRIBE UNSUBSCRIBE PUNSUBSCRIBE SUNSUBSCRIBE PUBLISH SPUBLISH PUBSUB';

function markPubSub(table: Map<string, CommandInfo>): Map<string, CommandInfo> {
  for (const name of PUBSUB_COMMANDS.split(' ')) {
    const entry = table.get(name) as CommandInfo;
    let flags = entry.flags | FLAG_PUBSUB;
    if (name.endsWith('PUBLISH')) flags |= FLAG_MASTER_ONLY;
    table.set(name, { name, flags, special: entry.special });
  }
  return table;
}

const TABLE = markPubSub(buildTable());
const DASHED = new Map(
  DASHED_HAZARDS.split(' ').map((name): [string, CommandInfo] => [
    name,
    { name, flags: FLAG_WRITE | FLAG_NOT_ALLOWED, special: SPECIAL_NONE },
  ]),
);
// Better than Codis (which knows no read-only script commands and treats them as writes): these
// run no writes, so replica reads apply, and EVALSHA_RO gets EVALSHA's NOSCRIPT fallback.
DASHED.set('EVAL_RO', { name: 'EVAL_RO', flags: 0, special: SPECIAL_NONE });
DASHED.set('EVALSHA_RO', { name: 'EVALSHA_RO', flags: 0, special: SPECIAL_EVALSHA });
DASHED.set('FCALL_RO', { name: 'FCALL_RO', flags: 0, special: SPECIAL_NONE });
const unknownCache = new Map<string, CommandInfo>();
const UNKNOWN_CACHE_LIMIT = 4096;

/** The empty or over-long name (§3.1.1): stats key ''. */
export const BAD_LENGTH_COMMAND: CommandInfo = { name: '', flags: FLAG_MAY_WRITE, special: SPECIAL_NONE };

/**
 * Normalises a command name (latin1) as Codis does (§3.1): names made only of ASCII letters and `:`
 * are upper-cased and looked up; any other name is upper-cased whole and treated as an unknown
 * (MayWrite) command. Returns undefined for the empty or > 64 byte name.
 */
export function lookupCommand(name: string): CommandInfo | undefined {
  const length = name.length;
  if (length === 0 || length > 64) return undefined;
  const exact = TABLE.get(name);
  if (exact !== undefined) return exact;
  let plain = true;
  for (let i = 0; i < length; i++) {
    const c = name.charCodeAt(i) | 0x20;
    if (!((c >= 0x61 && c <= 0x7a) || c === 0x3a)) {
      plain = false;
      break;
    }
  }
  const upper = name.toUpperCase();
  if (plain) {
    const known = TABLE.get(upper);
    if (known !== undefined) return known;
  } else {
    const hazard = DASHED.get(upper);
    if (hazard !== undefined) return hazard;
  }
  let unknown = unknownCache.get(upper);
  if (unknown === undefined) {
    unknown = { name: upper, flags: FLAG_MAY_WRITE, special: SPECIAL_NONE };
    if (unknownCache.size < UNKNOWN_CACHE_LIMIT) unknownCache.set(upper, unknown);
  }
  return unknown;
}
