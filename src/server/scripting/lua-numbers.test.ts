import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatG } from '../../resp/double.ts';

// Expected strings are glibc's printf("%.14g") and printf("%.17g") of the same doubles.
const CASES: Array<[number, string, string]> = [
  [123456789012345, '1.2345678901234e+14', '123456789012345'],
  [2 ** 53, '9.007199254741e+15', '9007199254740992'],
  [1e15, '1e+15', '1000000000000000'],
  [0.1, '0.1', '0.10000000000000001'],
  [-123.456, '-123.456', '-123.456'],
  [1 / 3, '0.33333333333333', '0.33333333333333331'],
  [1e-5, '1e-05', '1.0000000000000001e-05'],
  [123456789, '123456789', '123456789'],
  [1e100, '1e+100', '1e+100'],
  [-0.5, '-0.5', '-0.5'],
  [2.5, '2.5', '2.5'],
  [0.000123, '0.000123', '0.00012300000000000001'],
  [1234567.125, '1234567.125', '1234567.125'],
  [99999999999999.5, '1e+14', '99999999999999.5'],
  [999999999999995, '1e+15', '999999999999995'],
  [5e-324, '4.9406564584125e-324', '4.9406564584124654e-324'],
  [1.7976931348623157e308, '1.7976931348623e+308', '1.7976931348623157e+308'],
  [0, '0', '0'],
  [-0, '-0', '-0'],
  [Number.POSITIVE_INFINITY, 'inf', 'inf'],
  [Number.NEGATIVE_INFINITY, '-inf', '-inf'],
  [Number.NaN, 'nan', 'nan'],
];

test('formatG prints the sign of a NaN as glibc does', () => {
  const negative = new Float64Array([Number.NaN]);
  new Uint8Array(negative.buffer)[7] = 0xff;
  assert.equal(formatG(negative[0] as number, 14), '-nan');
  assert.equal(formatG(Number.NaN, 14), 'nan');
});

test('formatG prints as printf %.14g and %.17g, ties to even included', () => {
  for (const [value, g14, g17] of CASES) {
    assert.equal(formatG(value, 14), g14, `%.14g of ${value}`);
    assert.equal(formatG(value, 17), g17, `%.17g of ${value}`);
  }
});
