// LOLWUT VERSION 6 (lolwut6.c of Redis 7.0): a city skyline after the parallax backgrounds of 8-bit
// games (Plaguemon's), in the four grays of a color terminal: two layers of plain background
// buildings in light and dark gray, then black foreground buildings with lit windows.
import { Canvas, type Random } from './canvas.ts';

const WHITE = 3;

/** Foreground and background escapes for each gray, black first. */
const COLOR_ESCAPES = ['0;30;40m', '0;90;100m', '0;37;47m', '0;97;107m'];

interface Skyscraper {
  xoff: number;
  width: number;
  height: number;
  windows: boolean;
  color: number;
}

/** generateSkyline on a new white canvas. */
export function drawSkyline(columns: number, rows: number, random: Random): Canvas {
  const canvas = new Canvas(columns, rows, WHITE);
  const height = canvas.height;
  // Background buildings, lighter ones first so they stay behind.
  for (let color = 2; color >= 1; color--) {
    for (let offset = -10; offset < canvas.width; ) {
      offset += random() % 8;
      const width = 10 + (random() % 9);
      // C precedence: height/2 + (rand() % height) / 2.
      const tall =
        color === 2
          ? Math.trunc(height / 2) + Math.trunc((random() % height) / 2)
          : Math.trunc(height / 2) + Math.trunc((random() % height) / 3);
      drawSkyscraper(canvas, { xoff: offset, width, height: tall, windows: false, color }, random);
      offset += color === 2 ? Math.trunc(width / 2) : width + 1;
    }
  }
  // Foreground buildings, with windows.
  for (let offset = -10; offset < canvas.width; ) {
    offset += random() % 8;
    let width = 5 + (random() % 14);
    if (width % 4) width += width % 3;
    const tall = Math.trunc(height / 3) + Math.trunc((random() % height) / 2);
    drawSkyscraper(canvas, { xoff: offset, width, height: tall, windows: true, color: 0 }, random);
    offset += width + 5;
  }
  return canvas;
}

/** generateSkyscraper: a building standing on the bottom row, its roof two pixels narrower each side. */
function drawSkyscraper(canvas: Canvas, building: Skyscraper, random: Random): void {
  const { xoff, width, windows } = building;
  const startY = canvas.height - 1;
  const endY = startY - building.height + 1;
  for (let y = startY; y >= endY; y--) {
    for (let x = xoff; x < xoff + width; x++) {
      if (y === endY && (x <= xoff + 1 || x >= xoff + width - 2)) continue;
      let color = building.color;
      // Windows only inside the walls: two pixels wide, one tall (terminal cells are not square).
      if (windows && x > xoff + 1 && x < xoff + width - 2 && y > endY + 1 && y < startY - 1) {
        const relx = x - (xoff + 1);
        const rely = y - (endY + 1);
        if (Math.trunc(relx / 2) % 2 && rely % 2) {
          do {
            color = 1 + (random() % 2);
          } while (color === building.color);
          // The second pixel of a window takes the first one's color (its draw is spent anyway).
          if (relx % 2) color = canvas.getPixel(x - 1, y);
        }
      }
      canvas.drawPixel(x, y, color);
    }
  }
}

/** renderCanvas: each pixel a space with its gray as foreground and background, rows joined by newlines. */
export function renderGrays(canvas: Canvas): string {
  const rows: string[] = [];
  for (let y = 0; y < canvas.height; y++) {
    let row = '';
    for (let x = 0; x < canvas.width; x++) {
      const colorEscape = COLOR_ESCAPES[canvas.getPixel(x, y)] ?? (COLOR_ESCAPES[0] as string);
      row += `\x1b[${colorEscape} \x1b[0m`;
    }
    rows.push(row);
  }
  return rows.join('\n');
}
