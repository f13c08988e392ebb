import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lolwutText } from '../commands/lolwut.ts';
import { Canvas, cRound, type Random } from './canvas.ts';
import { drawSchotter, renderBraille } from './schotter.ts';
import { drawSkyline, renderGrays } from './skyline.ts';

const SCHOTTER = '\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. 7.0.15\n';
const SKYLINE =
  '\nDedicated to the 8 bit game developers of past and present.\nOriginal 8 bit image from Plaguemon by hikikomori. Redis ver. 7.0.15\n';

/** A random source for drawings that must not use one. */
const noRandom: Random = () => {
  throw new Error('rand() called');
};

/** A seeded linear congruential rand(), for reproducible random drawings. */
function seeded(seed: number): Random {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state >>> 1;
  };
}

/** The reply's bytes (UTF-8 in a latin1 string) as text. */
function utf8(text: string): string {
  return Buffer.from(text, 'latin1').toString('utf8');
}

function reply(argv: string[], random: Random = noRandom): string {
  const result = lolwutText(argv, random);
  if ('error' in result) throw new Error(result.error);
  return result.text;
}

// Captured from Debian's redis-server 7.0.15: the first two rows of squares are never rotated or
// moved, so these drawings are the same on every run.
test('LOLWUT VERSION 5 with two rows of squares, as redis-server 7.0.15 draws it', () => {
  assert.equal(
    utf8(reply(['LOLWUT', 'VERSION', '5', '20', '4', '2'])),
    // 36 pixel rows: the last Braille row (pixels 32-35) still ends with a newline.
    [
      '⠀⡤⠤⠤⠤⣤⠤⠤⠤⢤⡤⠤⠤⠤⣤⠤⠤⠤⢤⠀',
      '⠀⡇⠀⠀⠀⣿⠀⠀⠀⢸⡇⠀⠀⠀⣿⠀⠀⠀⢸⠀',
      '⠀⣧⣤⣤⣤⣿⣤⣤⣤⣼⣧⣤⣤⣤⣿⣤⣤⣤⣼⠀',
      '⠀⡇⠀⠀⠀⣿⠀⠀⠀⢸⡇⠀⠀⠀⣿⠀⠀⠀⢸⠀',
      '⠀⣇⣀⣀⣀⣿⣀⣀⣀⣸⣇⣀⣀⣀⣿⣀⣀⣀⣸⠀',
      '⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀',
      SCHOTTER,
    ].join('\n'),
  );
  const wide = utf8(reply(['lolwut', 'version', '5', '66', '8', '2'])).split('\n');
  assert.equal(wide.length, 12);
  assert.equal(wide[0], `⠀⡤${'⠤⠤⠤⠤⠤⠤⠤⡤'.repeat(7)}⠤⠤⠤⠤⠤⠤⠤⡄`);
  assert.equal(wide[4], `⠀⡧${'⠤⠤⠤⠤⠤⠤⠤⡧'.repeat(7)}⠤⠤⠤⠤⠤⠤⠤⡇`);
  assert.equal(wide[8], `⠀⠧${'⠤⠤⠤⠤⠤⠤⠤⠧'.repeat(7)}⠤⠤⠤⠤⠤⠤⠤⠇`);
  assert.equal(utf8(reply(['LOLWUT', 'VERSION', '5', '7', '3', '1'])), `⠀⡤⡄⡤⣤⢤⠀\n⠀⠉⠁⠉⠉⠉⠀\n${SCHOTTER}`);
  assert.equal(utf8(reply(['LOLWUT', 'VERSION', '5', '3', '1', '2'])), `⠀⡤⡄\n⠀⠯⠇\n${SCHOTTER}`);
  // Out of range arguments are clamped: 1 column, 1 square.
  assert.equal(utf8(reply(['LOLWUT', 'VERSION', '5', '1', '0', '0'])), `⠋\n${SCHOTTER}`);
});

test('LOLWUT VERSION 5 by default: 66 columns, 8 × 12 squares, the lower rows at random', () => {
  const text = utf8(reply(['LOLWUT', 'VERSION', '5'], seeded(1)));
  assert.ok(text.endsWith(SCHOTTER));
  // 132 × 196 pixels: 49 rows of 66 Braille characters (2 × 4 pixels each), each ending a line.
  assert.ok(text.endsWith(`\n${SCHOTTER}`));
  const rows = text.slice(0, -SCHOTTER.length - 1).split('\n');
  assert.equal(rows.length, 49);
  for (const row of rows) assert.match(row, /^[\u2800-\u28ff]{66}$/u);
  // The same draws give the same drawing; other draws another one.
  assert.equal(utf8(reply(['LOLWUT', 'VERSION', '5'], seeded(1))), text);
  assert.notEqual(utf8(reply(['LOLWUT', 'VERSION', '5'], seeded(2))), text);
});

test('LOLWUT VERSION 6: a skyline in four grays, 80 × 20 by default', () => {
  const text = reply(['LOLWUT', 'VERSION', '6'], seeded(7));
  assert.ok(text.endsWith(SKYLINE));
  const rows = text.slice(0, -SKYLINE.length).split('\n');
  assert.equal(rows.length, 20);
  const cell = (colors: string): string => `\x1b[0;${colors}m \x1b[0m`;
  const anyCell = new RegExp(`^(?:${cell('(?:30;40|90;100|37;47|97;107)').replaceAll('[', '\\[')}){80}$`);
  for (const row of rows) assert.match(row, anyCell);
  // At 20 rows no building reaches the top row (19 at most): it is all sky.
  assert.equal(rows[0], cell('97;107').repeat(80));
  // The black foreground buildings stand on the bottom row.
  assert.ok((rows[19] as string).includes(cell('30;40')));
  const small = reply(['LOLWUT', 'VERSION', '6', '3', '2'], seeded(7));
  assert.equal(small.slice(0, -SKYLINE.length).split('\n').length, 2);
  const canvas = drawSkyline(40, 12, seeded(3));
  assert.ok(canvas.pixels.every((pixel) => pixel <= 3));
  assert.equal(renderGrays(canvas).split('\n').length, 12);
});

test('other versions, and Redis 7.0 by default, print only the version', () => {
  assert.equal(reply(['LOLWUT']), 'Redis ver. 7.0.15\n');
  assert.equal(reply(['LOLWUT', 'VERSION', '7', 'ignored']), 'Redis ver. 7.0.15\n');
  assert.equal(reply(['LOLWUT', 'VERSION', '4']), 'Redis ver. 7.0.15\n');
  assert.equal(reply(['LOLWUT', 'VERSION', '59']), 'Redis ver. 7.0.15\n');
  assert.equal(reply(['LOLWUT', '5']), 'Redis ver. 7.0.15\n');
  assert.equal(reply(['LOLWUT', 'VERSION']), 'Redis ver. 7.0.15\n');
  // (unsigned int)ver: -4294967291 is 5.
  assert.ok(reply(['LOLWUT', 'VERSION', '-4294967291', '1', '1', '1']).endsWith(SCHOTTER));
  const error = 'ERR value is not an integer or out of range';
  assert.deepEqual(lolwutText(['LOLWUT', 'VERSION', 'x']), { error });
  assert.deepEqual(lolwutText(['LOLWUT', 'VERSION', '5', '10', '+2']), { error });
  assert.deepEqual(lolwutText(['LOLWUT', 'VERSION', '6', '10', '1.5']), { error });
});

test('canvas: Bresenham lines, squares about their centre, C rounding', () => {
  const canvas = new Canvas(5, 3, 0);
  canvas.drawLine(0, 0, 4, 2, 1);
  assert.deepEqual([...canvas.pixels], [1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1]);
  canvas.drawPixel(-1, 0, 1);
  canvas.drawPixel(5, 0, 1);
  assert.equal(canvas.getPixel(9, 9), 0);
  const square = new Canvas(9, 9, 0);
  square.drawSquare(4, 4, 6, 0, 1);
  // Side 6 / √2 rounded = 4, corners at 45° + k·90° of a radius-4 circle: a 7 × 7 outline.
  for (let i = 1; i <= 7; i++) {
    assert.equal(square.getPixel(i, 1), 1);
    assert.equal(square.getPixel(i, 7), 1);
    assert.equal(square.getPixel(1, i), 1);
    assert.equal(square.getPixel(7, i), 1);
  }
  assert.equal(square.getPixel(4, 4), 0);
  assert.equal(cRound(2.5), 3);
  assert.equal(cRound(-2.5), -3);
  assert.equal(cRound(-2.4), -2);
  assert.equal(renderBraille(drawSchotter(1, 1, 1, noRandom)), '⠋\n'.replace('⠋', '\xe2\xa0\x8b'));
});
