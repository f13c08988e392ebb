import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderSparkline } from './sparkline.ts';

test('each sample is a column quantized to three steps per row', () => {
  // Values 0..11 over 4 rows: one step each, the top of the column moving up a third of a row.
  const samples = Array.from({ length: 12 }, (_, value) => ({ value }));
  assert.equal(
    renderSparkline(samples, 80, 4, false),
    ['         _-`', '      _-`   ', '   _-`      ', '_-`         ', ''].join('\n'),
  );
  // Filled: `_`, `o`, `#` on top, `|` below.
  assert.equal(
    renderSparkline(samples, 80, 4, true),
    ['         _o#', '      _o#|||', '   _o#||||||', '_o#|||||||||', ''].join('\n'),
  );
});

test('labels are written vertically one blank row below the graph', () => {
  const output = renderSparkline(
    [
      { value: 1, label: '12s' },
      { value: 3, label: '' },
      { value: 2, label: '5m' },
    ],
    80,
    2,
    true,
  );
  // 1, 3, 2 over 6 steps: steps 0, 5 (6 clamped) and 3.
  assert.equal(output, [' #_', '_||', '   ', '1 5', '2 m', 's  ', ''].join('\n'));
});

test('a flat sequence sits on the bottom row; no labels, no margin row', () => {
  assert.equal(renderSparkline([{ value: 7 }, { value: 7 }], 80, 3, true), '  \n  \n__\n');
  assert.equal(renderSparkline([], 80, 3, true), '');
});

test('longer sequences wrap every `columns` samples, scaled to the whole sequence', () => {
  const samples = [0, 5, 0, 5, 10].map((value) => ({ value }));
  // Steps 0, 1, 0, 1, 2 of 3 (10 is the maximum of the whole sequence, not of its last part).
  assert.equal(renderSparkline(samples, 2, 1, true), '_o\n\n_o\n\n#\n');
});
