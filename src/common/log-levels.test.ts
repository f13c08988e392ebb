import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pinoLevel } from './log-levels.ts';

test("Codis's level names map to pino's, in any case; others to undefined", () => {
  assert.equal(pinoLevel('WARNING'), 'warn');
  assert.equal(pinoLevel('warn'), 'warn');
  assert.equal(pinoLevel('Info'), 'info');
  assert.equal(pinoLevel('none'), 'silent');
  assert.equal(pinoLevel('ERROR'), 'error');
  assert.equal(pinoLevel('debug'), 'debug');
  assert.equal(pinoLevel('verbose'), undefined);
  assert.equal(pinoLevel(''), undefined);
});
