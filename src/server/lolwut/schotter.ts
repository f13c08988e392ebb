// LOLWUT VERSION 5 (lolwut5.c of Redis 7.0): Georg Nees' "Schotter" (1968), a grid of squares that
// rotate and shift more and more at random going down, drawn in Unicode Braille: each character is
// a 2×4 block of pixels.
import { Canvas, RAND_MAX, type Random } from './canvas.ts';

const f = Math.fround;

/**
 * lwDrawSchotter: a canvas `consoleColumns` characters wide holding squaresPerRow ×
 * squaresPerColumn squares; the first two rows of squares are straight, so their pixels do not
 * depend on `random`.
 */
export function drawSchotter(
  consoleColumns: number,
  squaresPerRow: number,
  squaresPerColumn: number,
  random: Random,
): Canvas {
  const canvasWidth = consoleColumns * 2;
  const padding = canvasWidth > 4 ? 2 : 0;
  // The C code's float arithmetic, step by step.
  const squareSide = f(f(canvasWidth - padding * 2) / f(squaresPerRow));
  const canvasHeight = Math.trunc(f(f(squareSide * squaresPerColumn) + padding * 2));
  const canvas = new Canvas(canvasWidth, canvasHeight, 0);
  const half = f(squareSide / 2);
  const third = (value: number): number => f(f(value * squareSide) / 3);
  for (let y = 0; y < squaresPerColumn; y++) {
    for (let x = 0; x < squaresPerRow; x++) {
      let sx = Math.trunc(f(f(f(x * squareSide) + half) + padding));
      let sy = Math.trunc(f(f(f(y * squareSide) + half) + padding));
      let angle = 0;
      if (y > 1) {
        let r1 = randomShare(random, squaresPerColumn, y);
        let r2 = randomShare(random, squaresPerColumn, y);
        let r3 = randomShare(random, squaresPerColumn, y);
        if (random() % 2) r1 = -r1;
        if (random() % 2) r2 = -r2;
        if (random() % 2) r3 = -r3;
        angle = r1;
        sx = Math.trunc(f(sx + third(r2)));
        sy = Math.trunc(f(sy + third(r3)));
      }
      canvas.drawSquare(sx, sy, squareSide, angle, 1);
    }
  }
  return canvas;
}

/** (float)rand() / (float)RAND_MAX / squares_per_col * y */
function randomShare(random: Random, squaresPerColumn: number, y: number): number {
  return f(f(f(f(random()) / f(RAND_MAX)) / f(squaresPerColumn)) * y);
}

/**
 * The canvas in Braille characters, as UTF-8 bytes in a latin1 string (one char per byte, what the
 * reply writer sends). A newline ends each text row but the last, unless the canvas height is not
 * a multiple of 4 plus 1 (Redis compares the pixel row with height - 1).
 */
export function renderBraille(canvas: Canvas): string {
  let text = '';
  for (let y = 0; y < canvas.height; y += 4) {
    for (let x = 0; x < canvas.width; x += 2) {
      let byte = 0;
      if (canvas.getPixel(x, y)) byte |= 1 << 0;
      if (canvas.getPixel(x, y + 1)) byte |= 1 << 1;
      if (canvas.getPixel(x, y + 2)) byte |= 1 << 2;
      if (canvas.getPixel(x + 1, y)) byte |= 1 << 3;
      if (canvas.getPixel(x + 1, y + 1)) byte |= 1 << 4;
      if (canvas.getPixel(x + 1, y + 2)) byte |= 1 << 5;
      if (canvas.getPixel(x, y + 3)) byte |= 1 << 6;
      if (canvas.getPixel(x + 1, y + 3)) byte |= 1 << 7;
      text += brailleBytes(byte);
    }
    if (y !== canvas.height - 1) text += '\n';
  }
  return text;
}

/** lwTranslatePixelsGroup: U+2800 + byte in UTF-8 (three bytes: 1110xxxx 10xxxxxx 10xxxxxx). */
function brailleBytes(byte: number): string {
  const code = 0x2800 + byte;
  return String.fromCharCode(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
}
