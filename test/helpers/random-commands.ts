// Seeded random commands for differential tests against redis-server: strings, keys, lists,
// hashes, sets, sorted sets, GEO, HyperLogLog, streams, scripts and transactions over a handful of
// keys and values, with edge cases (huge integers, inf, empty strings, bad options, missing
// arguments) mixed in.
//
// Only commands whose replies redis-server itself gives deterministically are generated: no
// relative TTLs (the servers' clocks differ by a millisecond), no DUMP (our payloads use Codis's RDB
// version), no stream IDs from the clock (`*`), no SCAN of hash-table
// encoded collections and no SPOP/SRANDMEMBER (Redis's hash order is seeded at random per process),
// no GEO STOREDIST (its distances can differ from glibc's in the last bit). Set replies, whose order
// is Redis's random hash order, are compared sorted (comparableReply); commands whose reply is
// random under some encoding are replaced by a DEL of their key (randomUnderEncoding).

export const DIFFERENTIAL_KEYS = ['k0', 'k1', 'k2', 'k3', '{t}a', '{t}b'];

const VALUES = [
  '0',
  '1',
  '-1',
  '7',
  '10',
  '-5',
  '100',
  '3.5',
  '-0.25',
  'abc',
  '',
  'hello world',
  '9223372036854775807',
  '-9223372036854775808',
  '1e3',
  ' 1',
  '01',
  'inf',
  '-inf',
  '+5',
  '0x10',
  'xyz',
];
const NUMBERS = [
  '0',
  '1',
  '-1',
  '2',
  '3',
  '5',
  '-2',
  '10',
  '-10',
  '100',
  '1.5',
  'x',
  '9223372036854775807',
  '',
  '-0',
];
/** Expiry amounts that are refused, or expire the key at once: deterministic on both servers. */
const BAD_TTLS = ['0', '-1', 'x', '', '9223372036854775807', '-9223372036854775808', '1.5'];
const SCORES = ['0', '1', '-1', '2.5', '-inf', '+inf', '1e10', '3', '5', '(1', '(3', 'abc', '-0', '0.1'];
const LEX = ['-', '+', '[a', '(a', '[b', '(c', '[m', 'a', '[', '(zz'];
/** Past 64 bytes a member turns a listpack into a hash table or skiplist. */
const LONG_MEMBER = 'L'.repeat(65);
const MEMBERS = ['a', 'b', 'c', 'd', 'm', '1', '2', '10', 'zz', '', LONG_MEMBER];
const INDEXES = ['0', '1', '-1', '2', '-2', '5', '-100', '100'];
const PLACES = [
  ['13.361389', '38.115556'],
  ['15.087269', '37.502669'],
  ['2.349014', '48.864716'],
  ['-122.4194', '37.7749'],
  ['139.6917', '35.6895'],
  ['-58.3816', '-34.6037'],
  ['0', '0'],
  ['180', '85.05112878'],
  ['-180', '-85.05112878'],
  ['179.9999', '-1'],
  ['12.5', '41.9'],
  ['15', '37'],
  ['10', '80.5'],
];
const SCRIPTS = [
  'return redis.call("GET", KEYS[1])',
  'return redis.call("INCR", KEYS[1])',
  'return redis.pcall("LPUSH", KEYS[1], ARGV[1])',
  'return {1, 2.5, "x", {3}, false, true}',
  'return redis.call("HGETALL", KEYS[1])',
  'return redis.error_reply("boom")',
  'return redis.status_reply("fine")',
  'return redis.call("ZRANGE", KEYS[1], 0, -1, "WITHSCORES")',
  'return redis.call("NOPE")',
  'return redis.sha1hex(ARGV[1])',
  'return tonumber(ARGV[1])',
  'return tostring(tonumber(ARGV[1]))',
];
/** Replies in Redis's hash order (sets, and hashes past the listpack), compared sorted. */
const UNORDERED = new Set(['SMEMBERS', 'SINTER', 'SUNION', 'SDIFF', 'HKEYS', 'HVALS']);
/** Field-value pairs in hash order, compared as sorted pairs. */
const UNORDERED_PAIRS = new Set(['HGETALL']);

type Generator = (r: RandomCommands) => string[];

const STREAM_FIELDS = ['f', 'g', '1', 'field', ''];
const STREAM_GROUPS = ['g1', 'g2'];
const STREAM_CONSUMERS = ['c1', 'c2'];
/** Appends ARGV[1] entries with `<n>-*` IDs after the stream's last one, trimming with MAXLEN ~. */
const STREAM_FILL = `local last = 200
local ok, info = pcall(redis.call, 'XINFO', 'STREAM', KEYS[1])
if ok then last = tonumber(string.match(info[8], '^(%d+)')) + 1 end
for i = 1, tonumber(ARGV[1]) do
  redis.pcall('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], (last + i) .. '-*', 'f', i, 'g', string.rep('v', i % 7 * 10))
end
return redis.pcall('XLEN', KEYS[1])`;

const GENERATORS: Generator[] = [
  // strings
  (r) => [
    'SET',
    r.key(),
    r.value(),
    ...r.pick([
      [],
      ['NX'],
      ['XX'],
      ['GET'],
      ['KEEPTTL'],
      ['EX', r.badTtl()],
      ['PX', r.badTtl()],
      ['NX', 'GET'],
    ]),
    ...r.maybe(0.2, 'EXAT', '4102444800'),
  ],
  (r) => ['GET', r.key()],
  (r) => ['GETSET', r.key(), r.value()],
  (r) => ['APPEND', r.key(), r.value()],
  (r) => ['STRLEN', r.key()],
  (r) => ['INCR', r.key()],
  (r) => ['DECR', r.key()],
  (r) => ['INCRBY', r.key(), r.number()],
  (r) => ['DECRBY', r.key(), r.number()],
  (r) => ['INCRBYFLOAT', r.key(), r.number()],
  (r) => ['SETRANGE', r.key(), r.pick(['0', '1', '5', '-1', '20']), r.value()],
  (r) => ['GETRANGE', r.key(), r.index(), r.index()],
  (r) => ['MSET', ...r.some(() => [r.key(), r.value()]).flat()],
  (r) => ['MGET', ...r.some(() => r.key(), 4)],
  (r) => ['MSETNX', ...r.some(() => [r.key(), r.value()]).flat()],
  (r) => ['SETNX', r.key(), r.value()],
  (r) => ['GETDEL', r.key()],
  (r) => [
    'GETEX',
    r.key(),
    ...r.pick([[], ['PERSIST'], ['EX', r.badTtl()], ['PXAT', '4102444800000'], ['EX', '5', 'PX', '5']]),
  ],
  (r) => ['SETEX', r.key(), r.badTtl(), r.value()],
  (r) => [
    'LCS',
    r.key(),
    r.key(),
    ...r.pick([[], ['LEN'], ['IDX'], ['IDX', 'WITHMATCHLEN'], ['IDX', 'MINMATCHLEN', '2']]),
  ],
  (r) => ['SETBIT', r.key(), r.pick(['0', '1', '7', '100', '-1']), r.pick(['0', '1', '2'])],
  (r) => ['GETBIT', r.key(), r.pick(['0', '1', '7', '100'])],
  (r) => ['BITCOUNT', r.key(), ...r.pick([[], [r.index(), r.index()], [r.index(), r.index(), 'BIT']])],
  (r) => ['BITPOS', r.key(), r.pick(['0', '1']), ...r.pick([[], [r.index()], [r.index(), r.index()]])],
  (r) => ['BITOP', r.pick(['AND', 'OR', 'XOR', 'NOT']), r.key(), ...r.some(() => r.key(), 2)],
  (r) => [
    'BITFIELD',
    r.key(),
    ...r.pick([
      ['GET', 'u8', '0'],
      ['SET', 'i5', '3', r.number()],
      ['INCRBY', 'u4', '2', r.number()],
    ]),
  ],
  // keys
  (r) => ['DEL', ...r.some(() => r.key())],
  (r) => ['EXISTS', ...r.some(() => r.key())],
  (r) => ['TYPE', r.key()],
  (r) => ['RENAME', r.key(), r.key()],
  (r) => ['RENAMENX', r.key(), r.key()],
  (r) => [
    'EXPIREAT',
    r.key(),
    r.pick(['4102444800', '0', '-5']),
    ...r.pick([[], ['NX'], ['XX'], ['GT'], ['LT']]),
  ],
  (r) => [
    'EXPIRE',
    r.key(),
    r.pick(['0', '-1', 'x', '9223372036854775807']),
    ...r.pick([[], ['NX'], ['GT']]),
  ],
  (r) => ['PEXPIREAT', r.key(), r.pick(['4102444800000', '4102444800500'])],
  (r) => ['PERSIST', r.key()],
  (r) => ['EXPIRETIME', r.key()],
  (r) => ['PEXPIRETIME', r.key()],
  (r) => ['COPY', r.key(), r.key(), ...r.maybe(0.5, 'REPLACE')],
  (r) => ['UNLINK', ...r.some(() => r.key())],
  (r) => ['TOUCH', ...r.some(() => r.key())],
  (r) => [
    'SORT',
    r.key(),
    ...r.maybe(0.3, 'ALPHA'),
    ...r.maybe(0.3, 'DESC'),
    ...r.maybe(0.3, 'LIMIT', '0', '2'),
  ],
  // Numeric only: with ALPHA, elements whose weights tie stay in Redis's (random) hash order.
  (r) => ['SORT', r.key(), 'BY', r.pick(['k*', '{t}*']), 'GET', r.pick(['#', 'k*', '{t}*->m'])],
  (r) => ['SORT_RO', r.key(), ...r.maybe(0.5, 'ALPHA')],
  // lists
  (r) => ['LPUSH', r.key(), ...r.some(() => r.member())],
  (r) => ['RPUSH', r.key(), ...r.some(() => r.member())],
  (r) => ['LPUSHX', r.key(), r.member()],
  (r) => ['LPOP', r.key(), ...r.maybe(0.4, r.number())],
  (r) => ['RPOP', r.key(), ...r.maybe(0.4, r.number())],
  (r) => ['LRANGE', r.key(), r.index(), r.index()],
  (r) => ['LINDEX', r.key(), r.index()],
  (r) => ['LSET', r.key(), r.index(), r.member()],
  (r) => ['LINSERT', r.key(), r.pick(['BEFORE', 'AFTER', 'x']), r.member(), r.member()],
  (r) => ['LREM', r.key(), r.pick(['0', '1', '-1', '2']), r.member()],
  (r) => ['LTRIM', r.key(), r.index(), r.index()],
  (r) => ['LLEN', r.key()],
  (r) => [
    'LPOS',
    r.key(),
    r.member(),
    ...r.pick([[], ['RANK', r.pick(['1', '-1', '0'])], ['COUNT', '0'], ['MAXLEN', '2']]),
  ],
  (r) => ['LMOVE', r.key(), r.key(), r.pick(['LEFT', 'RIGHT']), r.pick(['LEFT', 'RIGHT'])],
  (r) => ['RPOPLPUSH', r.key(), r.key()],
  (r) => ['LMPOP', '2', r.key(), r.key(), r.pick(['LEFT', 'RIGHT']), ...r.maybe(0.5, 'COUNT', r.number())],
  // hashes
  (r) => ['HSET', r.key(), ...r.some(() => [r.member(), r.value()]).flat()],
  (r) => ['HGET', r.key(), r.member()],
  (r) => ['HDEL', r.key(), ...r.some(() => r.member())],
  (r) => ['HLEN', r.key()],
  (r) => ['HGETALL', r.key()],
  (r) => ['HINCRBY', r.key(), r.member(), r.number()],
  (r) => ['HINCRBYFLOAT', r.key(), r.member(), r.number()],
  (r) => ['HMGET', r.key(), ...r.some(() => r.member())],
  (r) => ['HKEYS', r.key()],
  (r) => ['HVALS', r.key()],
  (r) => ['HSETNX', r.key(), r.member(), r.value()],
  (r) => ['HSTRLEN', r.key(), r.member()],
  (r) => ['HSCAN', r.key(), r.pick(['0', 'x']), ...r.maybe(0.4, 'MATCH', r.pick(['*', 'a*', '?', '[ab]']))],
  // sets
  (r) => ['SADD', r.key(), ...r.some(() => r.member())],
  (r) => ['SREM', r.key(), ...r.some(() => r.member())],
  (r) => ['SCARD', r.key()],
  (r) => ['SISMEMBER', r.key(), r.member()],
  (r) => ['SMISMEMBER', r.key(), ...r.some(() => r.member())],
  (r) => ['SMEMBERS', r.key()],
  (r) => ['SINTER', ...r.some(() => r.key())],
  (r) => ['SUNION', ...r.some(() => r.key())],
  (r) => ['SDIFF', ...r.some(() => r.key())],
  (r) => ['SINTERSTORE', r.key(), ...r.some(() => r.key())],
  (r) => ['SUNIONSTORE', r.key(), ...r.some(() => r.key())],
  (r) => ['SDIFFSTORE', r.key(), ...r.some(() => r.key())],
  (r) => ['SMOVE', r.key(), r.key(), r.member()],
  (r) => ['SINTERCARD', '2', r.key(), r.key(), ...r.maybe(0.5, 'LIMIT', r.number())],
  // sorted sets
  (r) => [
    'ZADD',
    r.key(),
    ...r.pick([[], ['NX'], ['XX'], ['GT'], ['LT'], ['CH'], ['INCR'], ['GT', 'CH'], ['NX', 'GT']]),
    ...r.some(() => [r.score(), r.member()]).flat(),
  ],
  (r) => ['ZREM', r.key(), ...r.some(() => r.member())],
  (r) => ['ZSCORE', r.key(), r.member()],
  (r) => ['ZINCRBY', r.key(), r.score(), r.member()],
  (r) => ['ZCARD', r.key()],
  (r) => ['ZRANGE', r.key(), r.index(), r.index(), ...r.maybe(0.4, 'WITHSCORES')],
  (r) => [
    'ZRANGE',
    r.key(),
    r.score(),
    r.score(),
    'BYSCORE',
    ...r.maybe(0.3, 'REV'),
    ...r.maybe(0.3, 'LIMIT', '0', r.pick(['1', '2', '-1'])),
    ...r.maybe(0.3, 'WITHSCORES'),
  ],
  (r) => [
    'ZRANGE',
    r.key(),
    r.pick(LEX),
    r.pick(LEX),
    'BYLEX',
    ...r.maybe(0.3, 'REV'),
    ...r.maybe(0.3, 'LIMIT', '1', '2'),
  ],
  (r) => ['ZRANGEBYSCORE', r.key(), r.score(), r.score(), ...r.maybe(0.3, 'WITHSCORES')],
  (r) => ['ZREVRANGEBYSCORE', r.key(), r.score(), r.score()],
  (r) => ['ZRANGEBYLEX', r.key(), r.pick(LEX), r.pick(LEX)],
  (r) => ['ZRANK', r.key(), r.member()],
  (r) => ['ZREVRANK', r.key(), r.member()],
  (r) => ['ZCOUNT', r.key(), r.score(), r.score()],
  (r) => ['ZLEXCOUNT', r.key(), r.pick(LEX), r.pick(LEX)],
  (r) => ['ZPOPMIN', r.key(), ...r.maybe(0.4, r.number())],
  (r) => ['ZPOPMAX', r.key(), ...r.maybe(0.4, r.number())],
  (r) => ['ZMSCORE', r.key(), ...r.some(() => r.member())],
  (r) => [
    'ZUNIONSTORE',
    r.key(),
    '2',
    r.key(),
    r.key(),
    ...r.maybe(0.3, 'WEIGHTS', r.score(), r.score()),
    ...r.maybe(0.3, 'AGGREGATE', r.pick(['MIN', 'MAX', 'SUM'])),
  ],
  (r) => [
    'ZINTERSTORE',
    r.key(),
    '2',
    r.key(),
    r.key(),
    ...r.maybe(0.3, 'AGGREGATE', r.pick(['MIN', 'MAX', 'SUM'])),
  ],
  (r) => ['ZDIFFSTORE', r.key(), '2', r.key(), r.key()],
  (r) => ['ZUNION', '2', r.key(), r.key(), ...r.maybe(0.5, 'WITHSCORES')],
  (r) => ['ZINTER', '2', r.key(), r.key(), ...r.maybe(0.5, 'WITHSCORES')],
  (r) => ['ZRANGESTORE', r.key(), r.key(), r.index(), r.index()],
  (r) => ['ZREMRANGEBYSCORE', r.key(), r.score(), r.score()],
  (r) => ['ZREMRANGEBYRANK', r.key(), r.index(), r.index()],
  (r) => ['ZREMRANGEBYLEX', r.key(), r.pick(LEX), r.pick(LEX)],
  (r) => ['ZMPOP', '2', r.key(), r.key(), r.pick(['MIN', 'MAX']), ...r.maybe(0.5, 'COUNT', r.number())],
  // GEO
  (r) => [
    'GEOADD',
    r.key(),
    ...r.pick([[], ['NX'], ['XX'], ['CH'], ['NX', 'XX']]),
    ...r.some(() => [...r.place(), r.member()]).flat(),
  ],
  (r) => ['GEODIST', r.key(), r.member(), r.member(), ...r.maybe(0.6, r.unit())],
  (r) => ['GEOHASH', r.key(), ...r.some(() => r.member())],
  (r) => ['GEOPOS', r.key(), ...r.some(() => r.member())],
  (r) => ['GEORADIUS', r.key(), ...r.place(), r.radius(), r.unit(), ...r.geoOptions(true)],
  (r) => ['GEORADIUSBYMEMBER_RO', r.key(), r.member(), r.radius(), r.unit(), ...r.geoOptions(false)],
  (r) => ['GEOSEARCH', r.key(), ...r.geoFrom(), ...r.geoBy(), ...r.geoOptions(false)],
  (r) => ['GEOSEARCHSTORE', r.key(), r.key(), ...r.geoFrom(), ...r.geoBy(), ...r.geoOptions(false)],
  // many members at once: the encodings' size limits (128 entries, 512 integers)
  (r) => [r.pick(['RPUSH', 'SADD', 'HSET']), r.key(), ...r.many()],
  (r) => ['ZADD', r.key(), ...r.many().flatMap((member, i) => [String(i % 7), member])],
  (r) => ['OBJECT', 'ENCODING', r.key()],
  // HyperLogLog
  (r) => ['PFADD', r.key(), ...r.some(() => r.member(), 5)],
  (r) => ['PFCOUNT', ...r.some(() => r.key(), 2)],
  (r) => ['PFMERGE', r.key(), ...r.some(() => r.key(), 2)],
  // blocking commands with a short timeout (they answer at once when there is something to pop)
  (r) => [r.pick(['BLPOP', 'BRPOP', 'BZPOPMIN', 'BZPOPMAX']), r.key(), r.key(), '0.01'],
  (r) => ['BLMOVE', r.key(), r.key(), r.pick(['LEFT', 'RIGHT']), r.pick(['LEFT', 'RIGHT']), '0.01'],
  // more of the string, key and sorted set families
  (r) => ['SORT', r.key(), ...r.maybe(0.5, 'ALPHA'), 'STORE', r.key()],
  (r) => ['ZINTERCARD', '2', r.key(), r.key(), ...r.maybe(0.5, 'LIMIT', r.number())],
  (r) => ['BITFIELD_RO', r.key(), 'GET', r.pick(['u8', 'i16', 'u63', 'i64']), r.pick(['0', '3', '#1'])],
  (r) => ['SUBSTR', r.key(), r.index(), r.index()],
  (r) => ['PSETEX', r.key(), r.badTtl(), r.value()],
  (r) => ['COPY', r.key(), r.key(), 'DB', r.pick(['0', '1', '16']), ...r.maybe(0.5, 'REPLACE')],
  // streams: explicit IDs only (`*` takes each server's clock), no idle-time options
  (r) => [
    'XADD',
    r.key(),
    ...r.maybe(0.1, 'NOMKSTREAM'),
    ...r.maybe(0.3, ...r.streamTrim()),
    r.streamId(true),
    ...r.some(() => [r.pick(STREAM_FIELDS), r.value()]).flat(),
  ],
  (r) => ['EVAL', STREAM_FILL, '1', r.key(), String(1 + r.below(250)), r.pick(['1', '3', '10', '100000'])],
  (r) => ['XLEN', r.key()],
  (r) => [
    r.pick(['XRANGE', 'XREVRANGE']),
    r.key(),
    r.streamBound(),
    r.streamBound(),
    ...r.maybe(0.4, 'COUNT', r.pick(['0', '1', '2', '-1', 'x'])),
  ],
  (r) => ['XDEL', r.key(), ...r.some(() => r.streamId(false))],
  (r) => ['XTRIM', r.key(), ...r.streamTrim()],
  (r) => [
    'XSETID',
    r.key(),
    r.streamId(false),
    ...r.maybe(0.3, 'ENTRIESADDED', r.pick(['0', '5', '1000', '-1'])),
    ...r.maybe(0.3, 'MAXDELETEDID', r.streamId(false)),
  ],
  (r) => [
    'XREAD',
    ...r.maybe(0.4, 'COUNT', r.pick(['1', '2', '0', '-3'])),
    ...r.maybe(0.1, 'BLOCK', '5'),
    'STREAMS',
    ...r.streamReads(['$', '0', '0-0']),
  ],
  (r) => [
    'XGROUP',
    'CREATE',
    r.key(),
    r.pick(STREAM_GROUPS),
    r.pick(['$', '0', '2-1', '100']),
    ...r.maybe(0.5, 'MKSTREAM'),
    ...r.maybe(0.2, 'ENTRIESREAD', r.pick(['0', '3', '-1', '-2'])),
  ],
  (r) => [
    'XGROUP',
    'SETID',
    r.key(),
    r.pick(STREAM_GROUPS),
    r.pick(['$', '0', '3-0', '-']),
    ...r.maybe(0.3, 'ENTRIESREAD', '2'),
  ],
  (r) => ['XGROUP', r.pick(['DESTROY']), r.key(), r.pick(STREAM_GROUPS)],
  (r) => [
    'XGROUP',
    r.pick(['CREATECONSUMER', 'DELCONSUMER']),
    r.key(),
    r.pick(STREAM_GROUPS),
    r.pick(STREAM_CONSUMERS),
  ],
  (r) => [
    'XREADGROUP',
    'GROUP',
    r.pick(STREAM_GROUPS),
    r.pick(STREAM_CONSUMERS),
    ...r.maybe(0.4, 'COUNT', r.pick(['1', '2', '0'])),
    ...r.maybe(0.2, 'NOACK'),
    ...r.maybe(0.1, 'BLOCK', '5'),
    'STREAMS',
    ...r.streamReads(['>', '>', '0', '$']),
  ],
  (r) => ['XACK', r.key(), r.pick(STREAM_GROUPS), ...r.some(() => r.streamId(false))],
  (r) => ['XPENDING', r.key(), r.pick(STREAM_GROUPS)],
  (r) => [
    'XPENDING',
    r.key(),
    r.pick(STREAM_GROUPS),
    ...r.maybe(0.2, 'IDLE', '0'),
    r.streamBound(),
    r.streamBound(),
    r.pick(['1', '5', '0', 'x']),
    ...r.maybe(0.4, r.pick(STREAM_CONSUMERS)),
  ],
  (r) => [
    'XCLAIM',
    r.key(),
    r.pick(STREAM_GROUPS),
    r.pick(STREAM_CONSUMERS),
    '0',
    ...r.some(() => r.streamId(false)),
    ...r.maybe(0.3, 'JUSTID'),
    ...r.maybe(0.3, 'FORCE'),
    ...r.maybe(0.2, 'RETRYCOUNT', r.pick(['0', '7', 'x'])),
    ...r.maybe(0.2, 'TIME', '1000'),
    ...r.maybe(0.2, 'LASTID', r.streamId(false)),
  ],
  (r) => [
    'XAUTOCLAIM',
    r.key(),
    r.pick(STREAM_GROUPS),
    r.pick(STREAM_CONSUMERS),
    '0',
    r.streamBound(),
    ...r.maybe(0.4, 'COUNT', r.pick(['1', '2', '0', '100'])),
    ...r.maybe(0.3, 'JUSTID'),
  ],
  (r) => ['XINFO', r.pick(['STREAM', 'GROUPS']), r.key()],
  (r) => ['XINFO', 'STREAM', r.key(), 'FULL', ...r.maybe(0.5, 'COUNT', r.pick(['0', '1', '3']))],
  (r) => ['XINFO', 'CONSUMERS', r.key(), r.pick(STREAM_GROUPS)],
  // databases
  (r) => ['SELECT', r.pick(['0', '1'])],
  (r) => ['MOVE', r.key(), r.pick(['0', '1', '2', 'x', '99'])],
  (r) => ['SWAPDB', r.pick(['0', '1']), r.pick(['0', '1', '16'])],
  () => ['DBSIZE'],
  // scripts and transactions
  (r) => ['EVAL', r.pick(SCRIPTS), '1', r.key(), r.value()],
  (r) => [r.pick(['MULTI', 'EXEC', 'DISCARD', 'UNWATCH'])],
  (r) => ['WATCH', r.key()],
];

export class RandomCommands {
  private state: number;

  /** 'streams': mostly stream commands (plus the odd DEL, SET, TYPE on the same keys). */
  private readonly focus: 'streams' | undefined;

  constructor(seed: number, focus?: 'streams') {
    this.state = seed >>> 0;
    this.focus = focus;
  }

  /** A number in [0, 1) from a 31-bit linear congruential generator. */
  random(): number {
    this.state = (Math.imul(this.state, 1103515245) + 12345) & 0x7fffffff;
    return this.state / 0x80000000;
  }

  below(n: number): number {
    return Math.floor(this.random() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)] as T;
  }

  some<T>(make: () => T, max = 3): T[] {
    const items: T[] = [];
    const count = 1 + this.below(max);
    for (let i = 0; i < count; i++) items.push(make());
    return items;
  }

  maybe(probability: number, ...words: string[]): string[] {
    return this.random() < probability ? words : [];
  }

  key(): string {
    return this.pick(DIFFERENTIAL_KEYS);
  }

  value(): string {
    return this.pick(VALUES);
  }

  number(): string {
    return this.pick(NUMBERS);
  }

  /** 1-150 members: integers (an intset's) or strings. */
  many(): string[] {
    const count = 1 + this.below(150);
    const integers = this.random() < 0.5;
    const items: string[] = [];
    for (let i = 0; i < count; i++) items.push(integers ? String(i * 3) : `m${i}`);
    return items;
  }

  badTtl(): string {
    return this.pick(BAD_TTLS);
  }

  score(): string {
    return this.pick(SCORES);
  }

  member(): string {
    return this.pick(MEMBERS);
  }

  index(): string {
    return this.pick(INDEXES);
  }

  place(): string[] {
    const roll = this.random();
    if (roll < 0.06)
      return [this.pick(['181', '-181', '10', 'x', 'inf']), this.pick(['86', '10', '-85.06', 'y'])];
    if (roll < 0.4) {
      const digits = this.below(8);
      return [(this.random() * 360 - 180).toFixed(digits), (this.random() * 170 - 85).toFixed(digits)];
    }
    return [...this.pick(PLACES)];
  }

  unit(): string {
    return this.pick(['m', 'km', 'KM', 'ft', 'mi', 'x']);
  }

  radius(): string {
    return this.pick(['0', '1', '100', '200', '1000', '5000', '20000', '-1', 'x', '0.5']);
  }

  geoOptions(store: boolean): string[] {
    const options: string[] = [];
    const choices = [
      ['WITHDIST'],
      ['WITHCOORD'],
      ['WITHHASH'],
      ['ASC'],
      ['DESC'],
      ['COUNT', this.pick(['1', '2', '0', 'x'])],
      ['ANY'],
    ];
    if (store) choices.push(['STORE', this.key()]);
    const count = this.below(4);
    for (let i = 0; i < count; i++) options.push(...this.pick(choices));
    return options;
  }

  /** A stream ID: small explicit ones, and in XADD `<ms>-*`; sometimes an invalid one. */
  streamId(forAdd: boolean): string {
    const roll = this.random();
    const ms = this.pick(['0', '1', '2', '3', '5', '100', '18446744073709551615']);
    if (roll < 0.05) return this.pick(['x', '1-', '-1', '1-2-3', '18446744073709551616']);
    if (forAdd && roll < 0.3) return `${ms}-*`;
    if (roll < 0.5) return ms;
    return `${ms}-${this.pick(['0', '1', '2', '18446744073709551615'])}`;
  }

  /** An XRANGE bound: `-`, `+`, an ID or an exclusive `(` one. */
  streamBound(): string {
    const roll = this.random();
    if (roll < 0.2) return '-';
    if (roll < 0.4) return '+';
    if (roll < 0.55) return `(${this.streamId(false)}`;
    return this.streamId(false);
  }

  /** MAXLEN/MINID with `=`, `~` or neither, and sometimes LIMIT. */
  streamTrim(): string[] {
    const minid = this.random() < 0.3;
    const mode = this.pick([[], ['='], ['~']]);
    const threshold = minid ? this.streamId(false) : this.pick(['0', '1', '2', '5', '100', '-1', 'x']);
    return [
      minid ? 'MINID' : 'MAXLEN',
      ...mode,
      threshold,
      ...this.maybe(0.2, 'LIMIT', this.pick(['0', '1', '100', '-1'])),
    ];
  }

  /** STREAMS arguments: one or two keys and as many IDs (`special` ones among them). */
  streamReads(special: readonly string[]): string[] {
    const keys = this.some(() => this.key(), 2);
    const ids = keys.map(() => (this.random() < 0.6 ? this.pick(special) : this.streamId(false)));
    if (this.random() < 0.03) ids.pop();
    return [...keys, ...ids];
  }

  geoFrom(): string[] {
    return this.random() < 0.5 ? ['FROMMEMBER', this.member()] : ['FROMLONLAT', ...this.place()];
  }

  geoBy(): string[] {
    return this.random() < 0.5
      ? ['BYRADIUS', this.radius(), this.unit()]
      : ['BYBOX', this.radius(), this.radius(), this.unit()];
  }

  /** The next command; one in twenty loses trailing arguments (arity and syntax errors). */
  next(): string[] {
    let command = this.pick(GENERATORS)(this);
    if (this.focus === 'streams') {
      while (
        !isStreamCommand(command) &&
        !(this.random() < 0.03 && ['DEL', 'SET', 'TYPE'].includes(command[0] as string))
      )
        command = this.pick(GENERATORS)(this);
    }
    if (this.random() < 0.05 && command.length > 1)
      return command.slice(0, 1 + this.below(command.length - 1));
    return command;
  }
}

function isStreamCommand(command: readonly string[]): boolean {
  return (command[0] as string).startsWith('X') || command[1] === STREAM_FILL;
}

/**
 * The key and the encoding under which Redis's reply to the command is random: a lex range over a
 * skiplist follows its random levels when members are out of lex order, HSCAN over a hash table
 * its hash order. The tests replace such a command by a DEL of its key.
 */
export function randomUnderEncoding(command: readonly string[]): [key: string, encoding: string] | undefined {
  const name = (command[0] as string).toUpperCase();
  const key = command[1];
  if (key === undefined) return undefined;
  if (name === 'HSCAN') return [key, 'hashtable'];
  const lex =
    name === 'ZRANGEBYLEX' ||
    name === 'ZREVRANGEBYLEX' ||
    name === 'ZLEXCOUNT' ||
    name === 'ZREMRANGEBYLEX' ||
    (name === 'ZRANGE' && command.some((word) => word.toUpperCase() === 'BYLEX'));
  return lex ? [key, 'skiplist'] : undefined;
}

/** How elements of the reply are ordered: 0 as is, 1 elements in hash order, 2 pairs in hash order. */
function hashOrder(command: readonly string[]): number {
  const name = (command[0] as string).toUpperCase();
  if (UNORDERED.has(name)) return 1;
  if (UNORDERED_PAIRS.has(name) || (name === 'EVAL' && (command[1] ?? '').includes('HGETALL'))) return 2;
  return 0;
}

/** Whether the command's reply lists elements in Redis's hash order. */
export function hasUnorderedReply(command: readonly string[]): boolean {
  return hashOrder(command) !== 0;
}

/** A reply as compared: hash-ordered elements (or pairs) sorted, any other reply as is. */
export function comparableReply(command: readonly string[], raw: string): string {
  // XADD <ms>-* when <ms> has no sequence left: Redis 7.0 picks its message from a stale errno.
  if (
    (command[0] as string).toUpperCase() === 'XADD' &&
    raw === '-ERR Elements are too large to be stored\r\n'
  )
    return '-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n';
  // Delivery and seen times, and idle times, follow each server's clock.
  if ((command[0] as string).toUpperCase() === 'XINFO') {
    const sub = (command[1] ?? '').toUpperCase();
    if (sub === 'STREAM')
      return raw
        .replace(/(\$9\r\nseen-time\r\n):\d+/g, '$1:t')
        .replace(/(\*4\r\n\$\d+\r\n\d+-\d+\r\n\$\d+\r\n[^\r]*\r\n):\d+/g, '$1:t')
        .replace(/(\*3\r\n\$\d+\r\n\d+-\d+\r\n):\d+/g, '$1:t');
    if (sub === 'CONSUMERS') return raw.replace(/(\$4\r\nidle\r\n):\d+/g, '$1:t');
  }
  // Pending entries' idle times follow each server's clock.
  if ((command[0] as string).toUpperCase() === 'XPENDING' && command.length > 3)
    return raw.replace(/(\*4\r\n\$\d+\r\n[^\r]*\r\n\$\d+\r\n[^\r]*\r\n):\d+\r\n/g, '$1:idle\r\n');
  const order = hashOrder(command);
  // An array, or in RESP3 a set (~) or a map (%).
  if (order === 0 || (raw[0] !== '*' && raw[0] !== '~' && raw[0] !== '%')) return raw;
  // Elements are single-line bulk strings here: two lines each ($length, then the bytes).
  const lines = raw.split('\r\n');
  const width = order * 2;
  const elements: string[] = [];
  for (let i = 1; i + width - 1 < lines.length; i += width)
    elements.push(lines.slice(i, i + width).join('\r\n'));
  return `${lines[0]}\r\n${elements.sort().join('\r\n')}`;
}
