import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, formatSize, goDurationString, parseDuration, parseSize } from './units.ts';

describe('proxy.toml sizes', () => {
  it('parses every unit as a power of 1024', () => {
    assert.equal(parseSize('0'), 0);
    assert.equal(parseSize('1024'), 1024);
    assert.equal(parseSize('7b'), 7);
    assert.equal(parseSize('1k'), 1024);
    assert.equal(parseSize('1kb'), 1024);
    assert.equal(parseSize('128kb'), 131072);
    assert.equal(parseSize('2m'), 2 * 1024 ** 2);
    assert.equal(parseSize('1024mb'), 1024 ** 3);
    assert.equal(parseSize('1g'), 1024 ** 3);
    assert.equal(parseSize('3gb'), 3 * 1024 ** 3);
    assert.equal(parseSize('1t'), 1024 ** 4);
    assert.equal(parseSize('1tb'), 1024 ** 4);
    assert.equal(parseSize('1p'), 1024 ** 5);
    assert.equal(parseSize('2pb'), 2 * 1024 ** 5);
  });
  it('accepts spaces, decimals (truncated) and negatives', () => {
    assert.equal(parseSize('  64 kb  '), 65536);
    assert.equal(parseSize('1.5kb'), 1536);
    assert.equal(parseSize('1.3'), 1);
    assert.equal(parseSize('-1kb'), -1024);
    assert.equal(parseSize('.5m'), 512 * 1024);
  });
  it('rejects uppercase units, unknown units and bad numbers with Codis text', () => {
    for (const text of ['1KB', '1MB', '1x', '1kib', 'abc', '', '1.2.3kb', '.', '--1', '1 k b']) {
      assert.throws(() => parseSize(text), { message: `invalid bytesize = '${text}'` }, text);
    }
  });
  it('prints the canonical form', () => {
    assert.equal(formatSize(0), '0');
    assert.equal(formatSize(1024 ** 3), '1gb');
    assert.equal(formatSize(131072), '128kb');
    assert.equal(formatSize(64 * 1024), '64kb');
    assert.equal(formatSize(256 * 1024 ** 2), '256mb');
    assert.equal(formatSize(1024 ** 4), '1tb');
    assert.equal(formatSize(3 * 1024 ** 5), '3pb');
    assert.equal(formatSize(1536), '1536');
    assert.equal(formatSize(1000), '1000');
    assert.equal(formatSize(-2048), '-2kb');
  });
});

describe('proxy.toml durations', () => {
  it('parses Go units and bare seconds into milliseconds', () => {
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('30m'), 1_800_000);
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('1500us'), 1.5);
    assert.equal(parseDuration('2000000ns'), 2);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('20'), 20_000);
    assert.equal(parseDuration('0.25'), 250);
    assert.equal(parseDuration(' 5 s '), 5000);
    assert.equal(parseDuration('-1s'), -1000);
    assert.equal(parseDuration('0'), 0);
  });
  it('rejects text outside the regex with Codis text', () => {
    for (const text of ['1h30m', 'abc', '', '5S', '1.2.3s', '5 µs']) {
      assert.throws(() => parseDuration(text), { message: `invalid timesize = '${text}'` }, text);
    }
  });
  it('rejects unknown units with Go text', () => {
    assert.throws(() => parseDuration('5d'), { message: 'time: unknown unit "d" in duration "5d"' });
    assert.throws(() => parseDuration('5sec'), { message: 'time: unknown unit "sec" in duration "5sec"' });
  });
  it('prints the canonical form', () => {
    assert.equal(formatDuration(0), '0');
    assert.equal(formatDuration(30_000), '30s');
    assert.equal(formatDuration(1_800_000), '30m');
    assert.equal(formatDuration(3_600_000), '1h');
    assert.equal(formatDuration(90_000), '90s');
    assert.equal(formatDuration(5_400_000), '90m');
    assert.equal(formatDuration(1500), '1500ms');
    assert.equal(formatDuration(1.5), '1500us');
    assert.equal(formatDuration(0.0015), '1.5µs');
    assert.equal(formatDuration(-1000), '-1s');
  });
  it("prints Go's Duration.String for odd values", () => {
    assert.equal(goDurationString(1), '1ns');
    assert.equal(goDurationString(1500), '1.5µs');
    assert.equal(goDurationString(1_500_001), '1.500001ms');
    assert.equal(goDurationString(3_723_000_000_001), '1h2m3.000000001s');
    assert.equal(goDurationString(61_000_000_001), '1m1.000000001s');
  });
});
