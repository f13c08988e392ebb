import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SHORT_LATIN1, shortLatin1 } from './short-latin1.ts';

test('shortLatin1 decodes every length up to SHORT_LATIN1 as latin1Slice does, at the end of a buffer too', () => {
  const bytes = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37 + 200) & 0xff));
  for (let length = 0; length <= SHORT_LATIN1; length++) {
    for (const start of [0, 7, 100, bytes.length - length]) {
      const text = shortLatin1(bytes, start, length);
      assert.equal(text, bytes.latin1Slice(start, start + length), `length ${length} at ${start}`);
      assert.equal(text.length, length);
    }
  }
});
