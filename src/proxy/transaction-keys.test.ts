// The keys transactions and blocking commands check (routing-keys.ts): keyless commands go with
// any slot inside MULTI, every key of a multi-key command is moved before a migrating EXEC.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CROSS_SLOT, keyedHashKey, requestKeys } from './routing-keys.ts';

describe('transaction keys', () => {
  it('keyless commands have no hash key, keyed ones their first key', () => {
    for (const argv of [['PING'], ['ECHO', 'x'], ['TIME'], ['EVAL', 'return 1', '0', 'arg'], ['UNWATCH']])
      assert.equal(keyedHashKey(argv[0] as string, argv), '', argv.join(' '));
    assert.equal(keyedHashKey('GET', ['GET', 'k']), 'k');
    assert.equal(keyedHashKey('OBJECT', ['OBJECT', 'ENCODING', 'k']), 'k');
    assert.equal(keyedHashKey('OBJECT', ['OBJECT', 'HELP']), '');
    assert.equal(keyedHashKey('EVAL', ['EVAL', 's', '2', '{t}a', '{t}b', 'arg']), '{t}a');
    assert.equal(keyedHashKey('EVAL', ['EVAL', 's', '2', 'a', 'b']), CROSS_SLOT);
    assert.equal(keyedHashKey('MSET', ['MSET', '{t}a', '1', '{t}b', '2']), '{t}a');
    assert.equal(keyedHashKey('BLMPOP', ['BLMPOP', '0', '2', '{t}a', '{t}b', 'LEFT']), '{t}a');
    assert.equal(keyedHashKey('BZMPOP', ['BZMPOP', '0', '2', 'a', 'b', 'MIN']), CROSS_SLOT);
  });

  it('lists every distinct key of a request', () => {
    assert.deepEqual(requestKeys('BLPOP', ['BLPOP', '{t}a', '{t}b', '{t}a', '0'], '{t}a'), ['{t}a', '{t}b']);
    assert.deepEqual(requestKeys('BLMOVE', ['BLMOVE', '{t}s', '{t}d', 'LEFT', 'RIGHT', '0'], '{t}s'), [
      '{t}s',
      '{t}d',
    ]);
    assert.deepEqual(requestKeys('MSET', ['MSET', '{t}a', '1', '{t}b', '2'], '{t}a'), ['{t}a', '{t}b']);
    assert.deepEqual(requestKeys('GET', ['GET', 'k'], 'k'), ['k']);
    assert.deepEqual(requestKeys('WATCH', ['WATCH', '{t}a', '{t}b'], '{t}a'), ['{t}a', '{t}b']);
  });
});
