import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  createKeyspaceNotifier,
  formatKeyspaceEvents,
  normalizeKeyspaceEvents,
  parseKeyspaceEvents,
} from './notifications.ts';

test('parse and format follow Redis 7.0 (A hides n)', () => {
  assert.equal(normalizeKeyspaceEvents('KEA$m'), 'AKEm');
  assert.equal(normalizeKeyspaceEvents('nAKE'), 'AKE');
  assert.equal(normalizeKeyspaceEvents('Kgxn'), 'gxnK');
  assert.equal(normalizeKeyspaceEvents(''), '');
  assert.equal(parseKeyspaceEvents('Q'), -1);
  assert.throws(() => normalizeKeyspaceEvents('KEQ'), /Invalid event class character/);
});

test('the canonical form parses back to itself', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...'Ag$lshzxeKEtmdn'), { maxLength: 20 }), (letters) => {
      const shown = normalizeKeyspaceEvents(letters.join(''));
      assert.equal(normalizeKeyspaceEvents(shown), shown);
    }),
  );
});

test('the notifier publishes only enabled classes, on the enabled channel kinds', () => {
  assert.equal(
    createKeyspaceNotifier('A', () => {}),
    undefined,
  );
  const published: string[] = [];
  const notifier = createKeyspaceNotifier('K$', (channel, message) =>
    published.push(`${channel} ${message}`),
  );
  assert.ok(notifier !== undefined);
  notifier('$', 'set', 'k', 3);
  notifier('g', 'del', 'k', 3);
  assert.deepEqual(published, ['__keyspace@3__:k set']);
  assert.equal(formatKeyspaceEvents(parseKeyspaceEvents('EKg')), 'gKE');
});
