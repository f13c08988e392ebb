// LOLWUT on redis-server and codis-server alike: the drawings are random below their first rows, so
// the deterministic ones are compared byte for byte and the others by shape.
import assert from 'node:assert/strict';
import { conformanceSuite } from '../helpers/conformance.ts';
import { NOT_INTEGER } from '../helpers/resp-text.ts';

const VERSION = 'Redis ver. 7.0.15\n';
const SCHOTTER = '\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. 7.0.15\n';
const SKYLINE =
  '\nDedicated to the 8 bit game developers of past and present.\nOriginal 8 bit image from Plaguemon by hikikomori. Redis ver. 7.0.15\n';

/** A bulk reply's body, its UTF-8 bytes decoded. */
function text(reply: string): string {
  assert.match(reply, /^\$\d+\r\n/);
  const body = reply.slice(reply.indexOf('\r\n') + 2, -2);
  assert.equal(Number(reply.slice(1, reply.indexOf('\r\n'))), body.length);
  return Buffer.from(body, 'latin1').toString('utf8');
}

conformanceSuite('lolwut', (it) => {
  it('LOLWUT prints the version; VERSION 5 and 6 draw, others print the version', async ({
    connection: c,
  }) => {
    assert.equal(text(await c.call('LOLWUT')), VERSION);
    assert.equal(text(await c.call('LOLWUT', '5')), VERSION);
    assert.equal(text(await c.call('LOLWUT', 'VERSION', '7', 'any', 'thing')), VERSION);
    assert.equal(text(await c.call('LOLWUT', 'version', '4')), VERSION);
    assert.equal(await c.call('LOLWUT', 'VERSION', 'five'), NOT_INTEGER);
    assert.equal(await c.call('LOLWUT', 'VERSION', '5', '10', 'x'), NOT_INTEGER);
    assert.equal(await c.call('LOLWUT', 'VERSION', '6', '-'), NOT_INTEGER);
    await c.call('HELLO', '3');
    assert.equal(await c.call('LOLWUT'), `=${VERSION.length + 4}\r\ntxt:${VERSION}\r\n`);
  });

  it('LOLWUT VERSION 5: two rows of squares are drawn the same every time', async ({ connection: c }) => {
    assert.equal(
      text(await c.call('LOLWUT', 'VERSION', '5', '20', '4', '2')),
      `${[
        '⠀⡤⠤⠤⠤⣤⠤⠤⠤⢤⡤⠤⠤⠤⣤⠤⠤⠤⢤⠀',
        '⠀⡇⠀⠀⠀⣿⠀⠀⠀⢸⡇⠀⠀⠀⣿⠀⠀⠀⢸⠀',
        '⠀⣧⣤⣤⣤⣿⣤⣤⣤⣼⣧⣤⣤⣤⣿⣤⣤⣤⣼⠀',
        '⠀⡇⠀⠀⠀⣿⠀⠀⠀⢸⡇⠀⠀⠀⣿⠀⠀⠀⢸⠀',
        '⠀⣇⣀⣀⣀⣿⣀⣀⣀⣸⣇⣀⣀⣀⣿⣀⣀⣀⣸⠀',
        '⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀',
      ].join('\n')}\n${SCHOTTER}`,
    );
    assert.equal(
      text(await c.call('LOLWUT', 'VERSION', '5', '7', '3', '1')),
      `⠀⡤⡄⡤⣤⢤⠀\n⠀⠉⠁⠉⠉⠉⠀\n${SCHOTTER}`,
    );
    assert.equal(text(await c.call('LOLWUT', 'VERSION', '5', '0', '-1', '0')), `⠋\n${SCHOTTER}`);
    // The default: 66 columns, 8 × 12 squares: 49 rows of Braille.
    const art = text(await c.call('LOLWUT', 'VERSION', '5'));
    assert.ok(art.endsWith(`\n${SCHOTTER}`));
    const rows = art.slice(0, -SCHOTTER.length - 1).split('\n');
    assert.equal(rows.length, 49);
    for (const row of rows) assert.match(row, /^[\u2800-\u28ff]{66}$/u);
  });

  it('LOLWUT VERSION 6: a skyline of colored cells, columns × rows', async ({ connection: c }) => {
    const cell = '\x1b\\[0;(?:30;40|90;100|37;47|97;107)m \x1b\\[0m';
    for (const [args, columns, rows] of [
      [[], 80, 20],
      [['12', '5'], 12, 5],
      [['0', '0'], 1, 1],
    ] as const) {
      const art = text(await c.call('LOLWUT', 'VERSION', '6', ...args));
      assert.ok(art.endsWith(SKYLINE));
      const lines = art.slice(0, -SKYLINE.length).split('\n');
      assert.equal(lines.length, rows);
      for (const line of lines) assert.match(line, new RegExp(`^(?:${cell}){${columns}}$`));
    }
    // 20 rows: no building reaches the top row (19 at most), black ones stand on the bottom row.
    const lines = text(await c.call('LOLWUT', 'VERSION', '6')).split('\n');
    assert.equal(lines[0], '\x1b[0;97;107m \x1b[0m'.repeat(80));
    assert.ok(lines[19]?.includes('\x1b[0;30;40m \x1b[0m'));
  });
});
