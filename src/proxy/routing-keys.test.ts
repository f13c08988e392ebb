import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FLAG_MAY_WRITE,
  FLAG_NOT_ALLOWED,
  isMasterOnly,
  isReadOnly,
  lookupCommand,
  SPECIAL_STREAM_READ,
  SPECIAL_SUM,
} from './command-table.ts';
import {
  CROSS_SLOT,
  hashKeyOf,
  keyedHashKey,
  requestKeys,
  routedByFirstArgument,
  streamRead,
} from './routing-keys.ts';

describe('command classification (spec §3)', () => {
  it('normalises names as Codis does', () => {
    assert.equal(lookupCommand('get')?.name, 'GET');
    assert.equal(lookupCommand('host:')?.name, 'HOST:');
    assert.equal(lookupCommand(''), undefined);
    assert.equal(lookupCommand('x'.repeat(65)), undefined);
    const dashed = lookupCommand('slotsmgrt-exec-wrapper');
    assert.equal(dashed?.name, 'SLOTSMGRT-EXEC-WRAPPER');
    assert.equal(dashed?.flags, FLAG_MAY_WRITE);
    assert.equal(lookupCommand('GET\ta')?.name, 'GET\tA');
    assert.equal(lookupCommand('foo')?.flags, FLAG_MAY_WRITE);
  });

  it('flags: rejected, read-only, master-only', () => {
    for (const name of ['KEYS', 'MULTI', 'SCAN', 'FLUSHALL', 'BLPOP', 'RESET', 'SLOTSRESTORE-ASYNC-SELECT']) {
      assert.ok(((lookupCommand(name)?.flags ?? 0) & FLAG_NOT_ALLOWED) !== 0, name);
    }
    assert.ok(isReadOnly(lookupCommand('GET')?.flags ?? -1));
    assert.ok(!isMasterOnly(lookupCommand('GET')?.flags ?? -1));
    assert.ok(isMasterOnly(lookupCommand('HSCAN')?.flags ?? 0));
    assert.ok(isMasterOnly(lookupCommand('SET')?.flags ?? 0));
    assert.ok(!isMasterOnly(lookupCommand('OBJECT')?.flags ?? -1));
    assert.equal(lookupCommand('unlink')?.special, SPECIAL_SUM);
    assert.equal(lookupCommand('touch')?.special, SPECIAL_SUM);
  });

  it('flags the stream commands: reads replica-eligible, writes master-only', () => {
    for (const name of ['XLEN', 'XRANGE', 'XREVRANGE', 'XREAD', 'XPENDING', 'XINFO']) {
      const flags = lookupCommand(name.toLowerCase())?.flags ?? -1;
      assert.ok(isReadOnly(flags) && !isMasterOnly(flags), name);
    }
    for (const name of [
      'XADD',
      'XDEL',
      'XTRIM',
      'XSETID',
      'XREADGROUP',
      'XGROUP',
      'XACK',
      'XCLAIM',
      'XAUTOCLAIM',
    ]) {
      const flags = lookupCommand(name)?.flags ?? 0;
      assert.ok(!isReadOnly(flags) && isMasterOnly(flags), name);
      assert.equal(flags & (FLAG_MAY_WRITE | FLAG_NOT_ALLOWED), 0, name);
    }
    assert.equal(lookupCommand('xread')?.special, SPECIAL_STREAM_READ);
    assert.equal(lookupCommand('XREADGROUP')?.special, SPECIAL_STREAM_READ);
  });
});

describe('hash keys and the cross-slot check (spec §4.2)', () => {
  it('routes by the first key, or Codis index 3 for EVAL and Z*STORE', () => {
    assert.equal(hashKeyOf('GET', ['GET', 'a']), 'a');
    assert.equal(hashKeyOf('PING', ['PING']), '');
    assert.equal(hashKeyOf('ECHO', ['ECHO', 'hello']), 'hello');
    assert.equal(hashKeyOf('COMMAND', ['COMMAND', 'COUNT']), 'COUNT');
    assert.equal(hashKeyOf('EVAL', ['EVAL', 'return 1', '1', 'k']), 'k');
    assert.equal(hashKeyOf('EVAL', ['EVAL', 'return 1', '0']), '');
    assert.equal(hashKeyOf('ZUNIONSTORE', ['ZUNIONSTORE', '{t}d', '2', '{t}a', '{t}b']), '{t}a');
    assert.equal(hashKeyOf('OBJECT', ['OBJECT', 'ENCODING', 'k']), 'k');
    assert.equal(hashKeyOf('FOO', ['FOO', 'bar']), 'bar');
  });

  it('refuses keys in different slots', () => {
    assert.equal(hashKeyOf('SDIFF', ['SDIFF', '{t}1', '{t}2', '{t}3']), '{t}1');
    assert.equal(hashKeyOf('SDIFF', ['SDIFF', 'a', 'b']), CROSS_SLOT);
    assert.equal(hashKeyOf('SMOVE', ['SMOVE', 'a', 'b', 'm']), CROSS_SLOT);
    assert.equal(hashKeyOf('SMOVE', ['SMOVE', '{x}a', '{x}b', 'm']), '{x}a');
    assert.equal(hashKeyOf('ZUNIONSTORE', ['ZUNIONSTORE', 'd', '2', '{t}a', '{t}b']), CROSS_SLOT);
    assert.equal(hashKeyOf('EVAL', ['EVAL', 's', '2', 'a', 'b']), CROSS_SLOT);
    assert.equal(hashKeyOf('PFCOUNT', ['PFCOUNT', 'a', 'b']), CROSS_SLOT);
    // GEORADIUS's STORE key is an option (COMMAND's key range does not cover it); the last wins.
    const near = ['GEORADIUS', 'a', '15', '37', '200', 'km'];
    assert.equal(hashKeyOf('GEORADIUS', near), 'a');
    assert.equal(hashKeyOf('GEORADIUS', [...near, 'STORE', 'b']), CROSS_SLOT);
    assert.equal(hashKeyOf('GEORADIUS', [...near, 'storedist', '{a}b']), 'a');
    assert.equal(hashKeyOf('GEORADIUS', [...near, 'STORE', '{a}b', 'STOREDIST', 'c']), CROSS_SLOT);
    assert.equal(
      hashKeyOf('GEORADIUSBYMEMBER', ['GEORADIUSBYMEMBER', 'a', 'm', '1', 'km', 'STORE', 'b']),
      CROSS_SLOT,
    );
    assert.equal(hashKeyOf('GEOSEARCHSTORE', ['GEOSEARCHSTORE', 'b', 'a', 'FROMMEMBER', 'm']), CROSS_SLOT);
    assert.equal(hashKeyOf('GEOSEARCHSTORE', ['GEOSEARCHSTORE', '{a}b', 'a', 'FROMMEMBER', 'm']), '{a}b');
    // Members and values are not keys.
    assert.equal(hashKeyOf('SADD', ['SADD', 'k', 'a', 'b']), 'k');
    assert.equal(hashKeyOf('ZINTER', ['ZINTER', '2', '{z}a', '{z}b', 'WITHSCORES']), '{z}a');
  });

  it('routes XREAD and XREADGROUP by the keys after STREAMS', () => {
    const xread = (...args: string[]) => hashKeyOf('XREAD', ['XREAD', ...args]);
    const xreadgroup = (...args: string[]) => hashKeyOf('XREADGROUP', ['XREADGROUP', ...args]);
    assert.ok(!routedByFirstArgument('XREAD'));
    assert.ok(!routedByFirstArgument('XREADGROUP'));
    assert.equal(xread('STREAMS', 'k', '0'), 'k');
    assert.equal(xread('COUNT', '2', 'STREAMS', 'k', '0'), 'k');
    assert.equal(xread('count', '2', 'block', '0', 'streams', '{t}a', '{t}b', '0', '$'), '{t}a');
    assert.equal(xread('STREAMS', 'a', 'b', '0', '0'), CROSS_SLOT);
    // Only the keys count: IDs are not keys.
    assert.equal(xread('STREAMS', '{t}a', '{t}b', 'x', 'y'), '{t}a');
    // A key named like an option, or an option's argument named STREAMS.
    assert.equal(xread('STREAMS', 'STREAMS', '0'), 'STREAMS');
    assert.equal(xread('COUNT', 'streams', 'STREAMS', 'k', '0'), 'k');
    assert.equal(xreadgroup('GROUP', 'g', 'c', 'STREAMS', 'k', '>'), 'k');
    assert.equal(xreadgroup('GROUP', 'streams', 'streams', 'NOACK', 'BLOCK', '5', 'STREAMS', 'k', '>'), 'k');
    assert.equal(xreadgroup('GROUP', 'g', 'c', 'STREAMS', '{u}1', '{u}2', '>', '>'), '{u}1');
    assert.equal(xreadgroup('GROUP', 'g', 'c', 'STREAMS', 'a', 'b', '>', '>'), CROSS_SLOT);
    // Malformed (the backend answers its error): no key, slot 0.
    assert.equal(xread('COUNT', '2', 'k', '0'), '');
    assert.equal(xread('STREAMS', 'a', 'b', '0'), '');
    assert.equal(xread('STREAMS'), '');
    assert.equal(xread('BLOCK', '0', 'FOO', 'STREAMS', 'k', '0'), '');
    assert.equal(xread(), '');
    assert.equal(xreadgroup('GROUP', 'g', 'STREAMS', 'k', '>'), '');
    assert.equal(keyedHashKey('XREAD', ['XREAD', 'STREAMS', 'a', 'b', '0']), '');
    assert.equal(keyedHashKey('XREAD', ['XREAD', 'STREAMS', 'a', '0']), 'a');
    assert.deepEqual(requestKeys('XREAD', ['XREAD', 'STREAMS', '{t}a', '{t}b', '0', '0'], '{t}a'), [
      '{t}a',
      '{t}b',
    ]);
  });

  it('finds the BLOCK option of XREAD and XREADGROUP', () => {
    assert.deepEqual(streamRead(['XREAD', 'STREAMS', 'k', '0']), { firstKey: 2, keys: 1, timeout: 0 });
    assert.deepEqual(streamRead(['XREAD', 'BLOCK', '10', 'STREAMS', 'a', 'b', '0', '0']), {
      firstKey: 4,
      keys: 2,
      timeout: 2,
    });
    assert.deepEqual(
      streamRead(['XREADGROUP', 'GROUP', 'block', 'c', 'COUNT', '1', 'Block', '0', 'STREAMS', 'k', '>']),
      { firstKey: 9, keys: 1, timeout: 7 },
    );
    // BLOCK as a key or an ID is not the option.
    assert.equal(streamRead(['XREAD', 'STREAMS', 'BLOCK', '0']).timeout, 0);
    assert.equal(streamRead(['XREAD', 'STREAMS', 'k', 'BLOCK']).timeout, 0);
  });

  it('routes XGROUP and XINFO by the key of their subcommand', () => {
    assert.equal(hashKeyOf('XGROUP', ['XGROUP', 'CREATE', 'k', 'g', '$']), 'k');
    assert.equal(hashKeyOf('XGROUP', ['XGROUP', 'createconsumer', 'k', 'g', 'c']), 'k');
    assert.equal(hashKeyOf('XINFO', ['XINFO', 'STREAM', 'k', 'FULL']), 'k');
    assert.equal(hashKeyOf('XINFO', ['XINFO', 'consumers', 'k', 'g']), 'k');
    assert.equal(keyedHashKey('XINFO', ['XINFO', 'HELP']), '');
    for (const name of ['XADD', 'XRANGE', 'XACK', 'XCLAIM', 'XAUTOCLAIM', 'XPENDING', 'XSETID', 'XTRIM']) {
      assert.ok(routedByFirstArgument(name), name);
      assert.equal(hashKeyOf(name, [name, 'k', 'x', 'y', 'z']), 'k');
    }
  });
});
