import assert from 'node:assert/strict';
import { test } from 'node:test';
import { globMatch } from './glob.ts';

test('glob patterns match as Redis stringmatchlen', () => {
  const cases: Array<[string, string, boolean]> = [
    ['*', 'anything', true],
    ['h?llo', 'hello', true],
    ['h?llo', 'hllo', false],
    ['h*llo', 'heeeello', true],
    ['h[ae]llo', 'hallo', true],
    ['h[ae]llo', 'hillo', false],
    ['h[^e]llo', 'hallo', true],
    ['h[^e]llo', 'hello', false],
    ['h[a-b]llo', 'hbllo', true],
    ['h[b-a]llo', 'hallo', true],
    ['h\\*llo', 'h*llo', true],
    ['h\\*llo', 'hello', false],
    ['user:*', 'user:1', true],
    ['*:1', 'user:2', false],
    ['', '', true],
    ['a*b*c', 'aXbYc', true],
    ['[', 'x', false],
  ];
  for (const [pattern, text, expected] of cases) {
    assert.equal(globMatch(pattern, text), expected, `${pattern} ~ ${text}`);
  }
  assert.equal(globMatch('HELLO', 'hello', true), true);
});
