import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ListValue } from './list.ts';

test('pushes and pops at both ends, index access, iteration', () => {
  const list = new ListValue();
  list.pushTail('b');
  list.pushHead('a');
  list.pushTail('c');
  assert.equal(list.size, 3);
  assert.deepEqual(list.toArray(), ['a', 'b', 'c']);
  assert.deepEqual([...list], ['a', 'b', 'c']);
  assert.equal(list.at(1), 'b');
  list.setAt(1, 'B');
  assert.equal(list.popHead(), 'a');
  assert.equal(list.popTail(), 'c');
  assert.equal(list.popTail(), 'B');
  assert.equal(list.popTail(), undefined);
  assert.equal(list.popHead(), undefined);
  assert.equal(list.size, 0);
});

test('fromArray, clone and encoding', () => {
  const list = ListValue.fromArray(['x', 'y']);
  const copy = list.clone();
  copy.pushTail('z');
  assert.deepEqual(list.toArray(), ['x', 'y']);
  assert.deepEqual(copy.toArray(), ['x', 'y', 'z']);
  assert.equal(list.type, 'list');
  assert.equal(list.encoding(), 'quicklist');
  assert.ok(list.memoryUsage() > 0);
});

test('grows across the wrap point and shrinks back', () => {
  const list = new ListValue();
  for (let i = 0; i < 1000; i++) {
    if (i % 2 === 0) list.pushHead(String(i));
    else list.pushTail(String(i));
  }
  assert.equal(list.size, 1000);
  assert.equal(list.at(0), '998');
  assert.equal(list.at(999), '999');
  for (let i = 0; i < 990; i++) list.popHead();
  assert.equal(list.size, 10);
  assert.equal(list.at(9), '999');
});

type Operation =
  | { kind: 'pushHead' | 'pushTail'; value: string }
  | { kind: 'popHead' | 'popTail' }
  | { kind: 'insert'; at: number; value: string }
  | { kind: 'removeRange'; at: number; count: number }
  | { kind: 'removeMatching'; value: string; limit: number; fromTail: boolean }
  | { kind: 'set'; at: number; value: string };

const valueArbitrary = fc.constantFrom('a', 'b', 'c', '', 'long value here');
const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constantFrom('pushHead' as const, 'pushTail' as const), value: valueArbitrary }),
  fc.record({ kind: fc.constantFrom('popHead' as const, 'popTail' as const) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(40), value: valueArbitrary }),
  fc.record({ kind: fc.constant('removeRange' as const), at: fc.nat(40), count: fc.nat(10) }),
  fc.record({
    kind: fc.constant('removeMatching' as const),
    value: valueArbitrary,
    limit: fc.nat(3),
    fromTail: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(40), value: valueArbitrary }),
);

test('behaves as an array under any sequence of operations', () => {
  fc.assert(
    fc.property(fc.array(operationArbitrary, { maxLength: 300 }), (operations) => {
      const list = new ListValue();
      const model: string[] = [];
      for (const operation of operations) {
        switch (operation.kind) {
          case 'pushHead':
            list.pushHead(operation.value);
            model.unshift(operation.value);
            break;
          case 'pushTail':
            list.pushTail(operation.value);
            model.push(operation.value);
            break;
          case 'popHead':
            assert.equal(list.popHead(), model.shift());
            break;
          case 'popTail':
            assert.equal(list.popTail(), model.pop());
            break;
          case 'insert': {
            const at = Math.min(operation.at, model.length);
            list.insertAt(at, operation.value);
            model.splice(at, 0, operation.value);
            break;
          }
          case 'removeRange': {
            const at = Math.min(operation.at, model.length);
            const count = Math.min(operation.count, model.length - at);
            list.removeRange(at, count);
            model.splice(at, count);
            break;
          }
          case 'removeMatching': {
            const { value, limit, fromTail } = operation;
            let removed = 0;
            if (fromTail) {
              for (let i = model.length - 1; i >= 0; i--) {
                if (model[i] === value && (limit === 0 || removed < limit)) {
                  model.splice(i, 1);
                  removed++;
                }
              }
            } else {
              for (let i = 0; i < model.length; ) {
                if (model[i] === value && (limit === 0 || removed < limit)) {
                  model.splice(i, 1);
                  removed++;
                } else i++;
              }
            }
            assert.equal(list.removeMatching(value, limit, fromTail), removed);
            break;
          }
          case 'set':
            if (operation.at < model.length) {
              list.setAt(operation.at, operation.value);
              model[operation.at] = operation.value;
            }
            break;
        }
        assert.equal(list.size, model.length);
      }
      assert.deepEqual(list.toArray(), model);
      const bytes = model.reduce((sum, item) => sum + item.length, 0);
      assert.equal(list.memoryUsage(), 48 + bytes + model.length * 2);
    }),
    { numRuns: 300 },
  );
});
