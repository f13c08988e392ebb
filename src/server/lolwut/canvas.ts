// The canvas LOLWUT draws on (lolwut.c of Redis 7.0): a grid of small integer colors, Bresenham
// lines, and squares rotated about their centre. The arithmetic keeps C's types: `float` values go
// through Math.fround at each step and C's round() rounds halves away from zero, so the same
// random draws give the same pixels as redis-server.

/** C's rand(): an integer in [0, RAND_MAX]. */
export type Random = () => number;

export const RAND_MAX = 2147483647;

/**
 * Redis's literal 1.4142135623, not Math.SQRT2: the last digits decide some rounded corners. Written
 * as a quotient of exact integers, which rounds to the same double as the literal.
 */
const REDIS_SQRT2 = 14142135623 / 1e10;

/** Math.random as C's rand() (Redis seeds rand() from the time and pid: not reproducible either). */
export const systemRandom: Random = () => Math.floor(Math.random() * (RAND_MAX + 1));

export class Canvas {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;

  /** lwCreateCanvas: every pixel set to `background`. */
  constructor(width: number, height: number, background: number) {
    this.width = width;
    this.height = height;
    this.pixels = new Uint8Array(width * height).fill(background);
  }

  /** lwDrawPixel: writing outside the canvas is allowed and does nothing. */
  drawPixel(x: number, y: number, color: number): void {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return;
    this.pixels[x + y * this.width] = color;
  }

  /** lwGetPixel: 0 outside the canvas. */
  getPixel(x: number, y: number): number {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return 0;
    return this.pixels[x + y * this.width] as number;
  }

  /** lwDrawLine: Bresenham from (x1, y1) to (x2, y2), both ends included. */
  drawLine(x1: number, y1: number, x2: number, y2: number, color: number): void {
    const dx = Math.abs(x2 - x1);
    const dy = Math.abs(y2 - y1);
    const sx = x1 < x2 ? 1 : -1;
    const sy = y1 < y2 ? 1 : -1;
    let err = dx - dy;
    let x = x1;
    let y = y1;
    for (;;) {
      this.drawPixel(x, y, color);
      if (x === x2 && y === y2) break;
      const e2 = err * 2;
      if (e2 > -dy) {
        err -= dy;
        x += sx;
      }
      if (e2 < dx) {
        err += dx;
        y += sy;
      }
    }
  }

  /**
   * lwDrawSquare: a square of side `size` centred on (x, y), rotated by `angle` radians: its corners
   * are points of the circumscribed circle, starting at 45° + angle, 90° apart. `size` and `angle`
   * are C floats.
   */
  drawSquare(x: number, y: number, size: number, angle: number, color: number): void {
    // float size /= 1.4142135623 (in double, stored as float); size = round(size).
    let radius = Math.fround(Math.fround(size) / REDIS_SQRT2);
    radius = Math.fround(cRound(radius));
    let k = Math.fround(Math.PI / 4 + Math.fround(angle));
    const px = [0, 0, 0, 0];
    const py = [0, 0, 0, 0];
    for (let j = 0; j < 4; j++) {
      px[j] = cRound(Math.sin(k) * radius + x);
      py[j] = cRound(Math.cos(k) * radius + y);
      k = Math.fround(k + Math.PI / 2);
    }
    for (let j = 0; j < 4; j++) {
      const next = (j + 1) % 4;
      this.drawLine(px[j] as number, py[j] as number, px[next] as number, py[next] as number, color);
    }
  }
}

/** C's round(): halves away from zero (Math.round takes -2.5 to -2). */
export function cRound(value: number): number {
  return value < 0 ? -Math.round(-value) : Math.round(value);
}
