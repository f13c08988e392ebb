import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { encodeGoJson, encodeGoJsonCompact, quoteGoString } from './go-json.ts';
import { goTimeString, parseGoTime } from './go-time.ts';

describe('Go JSON encoding', () => {
  test('indents like MarshalIndent, empty containers stay compact, undefined is omitted', () => {
    const text = encodeGoJson({ a: 1, b: [], c: {}, d: [true, null], e: undefined, f: { g: 'h' } });
    assert.equal(
      text,
      '{\n    "a": 1,\n    "b": [],\n    "c": {},\n    "d": [\n        true,\n        null\n    ],\n    "f": {\n        "g": "h"\n    }\n}',
    );
    assert.equal(encodeGoJsonCompact({ a: [1, 2], b: {} }), '{"a":[1,2],"b":{}}');
  });
  test('escapes strings as Go does (HTML characters, control characters, U+2028, bad surrogates)', () => {
    // The spec's error reply shows `\u0026` for `&`.
    assert.equal(quoteGoString('name & auth'), '"name \\u0026 auth"');
    assert.equal(quoteGoString('<>'), '"\\u003c\\u003e"');
    assert.equal(quoteGoString('a\nb\rc\td"e\\f'), '"a\\nb\\rc\\td\\"e\\\\f"');
    assert.equal(quoteGoString('\b\f\u0000\u001f'), '"\\u0008\\u000c\\u0000\\u001f"');
    assert.equal(quoteGoString('\u2028\u2029\u007f'), '"\\u2028\\u2029\u007f"');
    assert.equal(quoteGoString('\ud83d\ude00'), '"\ud83d\ude00"');
    assert.equal(quoteGoString('x\ud800y'), '"x\\ufffdy"');
  });
  test('any string survives a round trip through JSON.parse', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const back = JSON.parse(quoteGoString(s)) as string;
        assert.equal(back, s.toWellFormed());
      }),
    );
  });
  test('without strings, the output is the one of JSON.stringify', () => {
    fc.assert(
      fc.property(fc.jsonValue({ noUnicodeString: true }), (value) => {
        const json = JSON.parse(JSON.stringify(value));
        const text = JSON.stringify(json, null, 4);
        if (/[<>&\\]/.test(text)) return;
        assert.equal(encodeGoJson(json), text);
      }),
    );
  });
});

describe('Go time strings', () => {
  test('format and parse', () => {
    const nanos = BigInt(Date.UTC(2026, 10, 25, 1, 32, 32)) * 1_000_000n + 844_359_033n;
    assert.equal(goTimeString(nanos, 0.004552902), '2026-11-25 01:32:32.844359033 +0000 UTC m=+0.004552902');
    const halfSecond = BigInt(Date.UTC(2026, 0, 2, 3, 4, 5)) * 1_000_000n + 500_000_000n;
    assert.equal(goTimeString(halfSecond), '2026-01-02 03:04:05.5 +0000 UTC');
    assert.equal(goTimeString(BigInt(Date.UTC(2026, 0, 2)) * 1_000_000n), '2026-01-02 00:00:00 +0000 UTC');
    const parsed = parseGoTime('2026-11-25 01:32:32.844359033 +0000 UTC m=+0.004552902') ?? 0;
    assert.ok(Math.abs(parsed - (Date.UTC(2026, 10, 25, 1, 32, 32) + 844.359033)) < 1e-3, String(parsed));
    assert.equal(parseGoTime('2026-11-25 09:32:32 +0800 CST'), Date.UTC(2026, 10, 25, 1, 32, 32));
    assert.equal(parseGoTime('yesterday'), undefined);
  });
});
