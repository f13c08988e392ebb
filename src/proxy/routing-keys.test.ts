import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FLAG_MAY_WRITE,
  FLAG_NOT_ALLOWED,
  isMasterOnly,
  isReadOnly,
  lookupCommand,
  SPECIAL_SUM,
} from './command-table.ts';
import { CROSS_SLOT, hashKeyOf } from './routing-keys.ts';

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
});
