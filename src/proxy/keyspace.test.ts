import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { slotOf } from '../slots/index.ts';
import { patternSlot } from './keyspace.ts';

describe('patternSlot', () => {
  it('a fixed hash tag gives its slot', () => {
    assert.equal(patternSlot('{user1}*'), slotOf('{user1}'));
    assert.equal(patternSlot('prefix{user1}:[ab]?*'), slotOf('{user1}'));
    assert.equal(patternSlot('{user1}:1'), slotOf('{user1}'));
  });

  it('a pattern with no glob character is the one key it matches', () => {
    for (const pattern of ['plain-key', 'x{', '{}x', 'a{}b{c}'])
      assert.equal(patternSlot(pattern), slotOf(pattern));
  });

  it('a glob character before or inside the tag, or an empty tag, allows any slot', () => {
    for (const pattern of ['*{user1}', 'a?{x}', '{us*er}', '{[ab]}', '{\\x}', '{}x*', 'x{*', '*', 'a\\*b']) {
      assert.equal(patternSlot(pattern), -1, pattern);
    }
  });
});
