// Golden tests: the records Codis 3.2 wrote in the verification run (spec/control-plane.md §14,
// shown there compacted with `jq -c`, which keeps key order) decode with our models, and encoding
// them again gives the same bytes: Go's 4-space MarshalIndent, keys in struct order.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ModelDecodeError } from './decode.ts';
import { decodeGroup, encodeGroup, type Group } from './group.ts';
import { decodeJodis, encodeJodis } from './jodis.ts';
import { decodeProxy, encodeProxy } from './proxy.ts';
import { decodeSentinel, emptySentinel, encodeSentinel } from './sentinel.ts';
import {
  decodeSlotMapping,
  encodeSlotMapping,
  SLOT_ACTION_STATES,
  type SlotMapping,
} from './slot-mapping.ts';
import { decodeTopom, encodeTopom } from './topom.ts';

/**
 * What Codis's files look like: the §14 sample re-indented by Go's rules. Go also escapes `<`, `>` and
 * `&`, which in these samples only occur inside strings (the `<ROOT>` placeholder of the spec).
 */
function goIndented(compact: string): string {
  return JSON.stringify(JSON.parse(compact), null, 4)
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026');
}

function assertGolden(compact: string, roundTrip: (text: string) => string): void {
  const ours = roundTrip(compact);
  assert.equal(JSON.stringify(JSON.parse(ours)), compact, 'same keys, order and values');
  assert.equal(ours, goIndented(compact), 'same bytes as Go MarshalIndent');
  // Decoding what Codis wrote to disk (indented) gives the same record.
  assert.equal(roundTrip(goIndented(compact)), ours);
}

const TOPOM_SAMPLES = [
  '{"token":"1c32b1575c12715c19b6725a6a01d912","start_time":"2026-11-25 01:32:32.844359033 +0000 UTC m=+0.004552902","admin_addr":"127.0.0.1:18080","product_name":"codis-demo","pid":12586,"pwd":"<ROOT>","sys":"Linux vm 6.18.44-fc-v657 #1 SMP PREEMPT_DYNAMIC @0 x86_64 GNU/Linux"}',
];

// The topom file as stored (spec §3.2), byte for byte; Go writes the spec's `<ROOT>` placeholder
// with escapes.
const TOPOM_FILE = `{
    "token": "1c32b1575c12715c19b6725a6a01d912",
    "start_time": "2026-11-25 01:32:32.844359033 +0000 UTC m=+0.004552902",
    "admin_addr": "127.0.0.1:18080",
    "product_name": "codis-demo",
    "pid": 12586,
    "pwd": "\\u003cROOT\\u003e",
    "sys": "Linux vm 6.18.44-fc-v657 #1 SMP PREEMPT_DYNAMIC @0 x86_64 GNU/Linux"
}`;

const SLOT_SAMPLES = [
  '{"id":0,"group_id":1,"action":{}}',
  '{"id":50,"group_id":1,"action":{"index":51,"state":"pending","target_id":2}}',
  '{"id":99,"group_id":1,"action":{"index":100,"state":"pending","target_id":2}}',
  '{"id":50,"group_id":2,"action":{}}',
  '{"id":512,"group_id":1,"action":{}}',
  '{"id":1023,"group_id":0,"action":{"index":512,"state":"pending","target_id":2}}',
  '{"id":442,"group_id":1,"action":{"index":1,"state":"pending","target_id":3}}',
  '{"id":853,"group_id":2,"action":{"index":171,"state":"pending","target_id":3}}',
  '{"id":441,"group_id":2,"action":{}}',
  '{"id":443,"group_id":3,"action":{}}',
  '{"id":1023,"group_id":0,"action":{}}',
];

const GROUP_SAMPLES = [
  '{"id":1,"servers":[],"promoting":{},"out_of_sync":false}',
  '{"id":2,"servers":[],"promoting":{},"out_of_sync":false}',
  '{"id":2,"servers":[{"server":"127.0.0.1:16381","datacenter":"dc1","action":{},"replica_group":false},{"server":"127.0.0.1:16382","datacenter":"","action":{},"replica_group":false}],"promoting":{},"out_of_sync":false}',
  '{"id":1,"servers":[{"server":"127.0.0.1:16379","datacenter":"","action":{},"replica_group":false},{"server":"127.0.0.1:16380","datacenter":"","action":{"state":"synced"},"replica_group":false}],"promoting":{},"out_of_sync":false}',
  '{"id":2,"servers":[{"server":"127.0.0.1:16382","datacenter":"","action":{"state":"synced"},"replica_group":false},{"server":"127.0.0.1:16381","datacenter":"dc1","action":{},"replica_group":false}],"promoting":{},"out_of_sync":true}',
  '{"id":1,"servers":[{"server":"127.0.0.1:16380","datacenter":"","action":{},"replica_group":false},{"server":"127.0.0.1:16379","datacenter":"","action":{},"replica_group":false}],"promoting":{},"out_of_sync":false}',
  '{"id":2,"servers":[{"server":"127.0.0.1:16381","datacenter":"dc1","action":{},"replica_group":false},{"server":"127.0.0.1:16382","datacenter":"","action":{"state":"synced"},"replica_group":false}],"promoting":{},"out_of_sync":false}',
  '{"id":3,"servers":[{"server":"127.0.0.1:16383","datacenter":"","action":{},"replica_group":false}],"promoting":{},"out_of_sync":false}',
  // §14.10: the promote sequence (servers elided in the spec); §14.4: a pending sync action.
  '{"id":1,"servers":[{"server":"127.0.0.1:16379","datacenter":"","action":{},"replica_group":false},{"server":"127.0.0.1:16380","datacenter":"","action":{"state":"synced"},"replica_group":true}],"promoting":{"index":1,"state":"preparing"},"out_of_sync":false}',
  '{"id":1,"servers":[],"promoting":{"index":1,"state":"prepared"},"out_of_sync":false}',
  '{"id":1,"servers":[],"promoting":{"state":"finished"},"out_of_sync":false}',
  '{"id":2,"servers":[{"server":"127.0.0.1:16382","datacenter":"","action":{"index":2,"state":"pending"},"replica_group":false}],"promoting":{},"out_of_sync":false}',
];

const PROXY_SAMPLES = [
  '{"id":1,"token":"2e7212a146c4e36a17404fc19d2ed3cf","start_time":"2026-11-25 01:32:55.075393046 +0000 UTC m=+0.004377963","admin_addr":"127.0.0.1:11080","proto_type":"tcp4","proxy_addr":"127.0.0.1:19000","product_name":"codis-demo","pid":12783,"pwd":"<ROOT>","sys":"Linux vm ...","hostname":"vm","datacenter":""}',
  // The proxy's own model before registration: no id.
  '{"token":"2e7212a146c4e36a17404fc19d2ed3cf","start_time":"2026-11-25 01:32:55.075393046 +0000 UTC m=+0.004377963","admin_addr":"127.0.0.1:11080","proto_type":"tcp4","proxy_addr":"127.0.0.1:19000","product_name":"codis-demo","pid":12783,"pwd":"<ROOT>","sys":"Linux vm ...","hostname":"vm","datacenter":""}',
  '{"id":2,"token":"45a8c25b3bf1cb93f2b9ecd2e133e96a","start_time":"2026-11-25 01:38:05.30314294 +0000 UTC m=+0.004640765","admin_addr":"127.0.0.1:11081","proto_type":"tcp4","proxy_addr":"127.0.0.1:19001","jodis_path":"/jodis/codis-demo/proxy-45a8c25b3bf1cb93f2b9ecd2e133e96a","product_name":"codis-demo","pid":24257,"pwd":"<ROOT>","sys":"Linux vm ...","hostname":"vm","datacenter":"dc1"}',
];

const SENTINEL_SAMPLES = [
  '{"out_of_sync":false}',
  '{"servers":["127.0.0.1:26379"],"out_of_sync":true}',
  '{"servers":["127.0.0.1:26379","127.0.0.1:26380","127.0.0.1:26381"],"out_of_sync":true}',
  '{"servers":["127.0.0.1:26379","127.0.0.1:26380","127.0.0.1:26381"],"out_of_sync":false}',
  '{"servers":["127.0.0.1:26379","127.0.0.1:26380"],"out_of_sync":true}',
  '{"servers":["127.0.0.1:26379"],"out_of_sync":false}',
];

describe('golden records of spec/control-plane.md §14', () => {
  test('topom', () => {
    for (const sample of TOPOM_SAMPLES) assertGolden(sample, (t) => encodeTopom(decodeTopom(t)));
    assert.equal(encodeTopom(decodeTopom(TOPOM_FILE)), TOPOM_FILE);
  });
  test('slot mappings', () => {
    for (const sample of SLOT_SAMPLES) assertGolden(sample, (t) => encodeSlotMapping(decodeSlotMapping(t)));
  });
  test('groups', () => {
    for (const sample of GROUP_SAMPLES) assertGolden(sample, (t) => encodeGroup(decodeGroup(t)));
  });
  test('proxies', () => {
    for (const sample of PROXY_SAMPLES) assertGolden(sample, (t) => encodeProxy(decodeProxy(t)));
  });
  test('sentinel', () => {
    for (const sample of SENTINEL_SAMPLES) assertGolden(sample, (t) => encodeSentinel(decodeSentinel(t)));
    assert.equal(encodeSentinel(emptySentinel()), '{\n    "out_of_sync": false\n}');
  });
  test('jodis node data has sorted keys (spec/proxy.md §11)', () => {
    const text = `{
    "addr": "127.0.0.1:19000",
    "admin": "127.0.0.1:11080",
    "start": "2026-11-25 01:32:55.075393046 +0000 UTC m=+0.004377963",
    "state": "online",
    "token": "2e7212a146c4e36a17404fc19d2ed3cf"
}`;
    assert.equal(encodeJodis(decodeJodis(text)), text);
  });
  test('decoded fields have the values of the sample', () => {
    const group = decodeGroup(GROUP_SAMPLES[4] as string);
    assert.deepEqual(group, {
      id: 2,
      servers: [
        {
          addr: '127.0.0.1:16382',
          datacenter: '',
          action: { index: 0, state: 'synced' },
          replicaGroup: false,
        },
        { addr: '127.0.0.1:16381', datacenter: 'dc1', action: { index: 0, state: '' }, replicaGroup: false },
      ],
      promoting: { index: 0, state: '' },
      outOfSync: true,
    } satisfies Group);
    assert.deepEqual(decodeSlotMapping(SLOT_SAMPLES[1] as string), {
      id: 50,
      groupId: 1,
      action: { index: 51, state: 'pending', targetId: 2 },
    } satisfies SlotMapping);
    const proxy = decodeProxy(PROXY_SAMPLES[1] as string);
    assert.equal(proxy.id, 0);
    assert.equal(proxy.jodisPath, '');
    assert.deepEqual(decodeSentinel('{"out_of_sync":false}'), emptySentinel());
  });
});

describe('decoding what Go may also write', () => {
  test('a nil slice (null) reads as empty, unknown fields are ignored', () => {
    const group = decodeGroup('{"id":4,"servers":null,"promoting":{},"out_of_sync":false,"extra":1}');
    assert.deepEqual(group.servers, []);
    assert.equal(encodeGroup(group), goIndented('{"id":4,"servers":[],"promoting":{},"out_of_sync":false}'));
    assert.deepEqual(decodeSentinel('{"servers":null,"out_of_sync":true}').servers, []);
  });
  test('HTML characters are escaped as Go escapes them', () => {
    const sentinel = encodeSentinel({ servers: ['a&b<c>'], outOfSync: false });
    assert.match(sentinel, /"a\\u0026b\\u003cc\\u003e"/);
    assert.deepEqual(decodeSentinel(sentinel).servers, ['a&b<c>']);
  });
});

describe('bad records are refused with the path and the field', () => {
  const path = '/codis3/demo/group/group-0001';
  function refuses(decode: () => unknown, field: string | undefined, reason: RegExp): void {
    assert.throws(decode, (error: unknown) => {
      assert.ok(error instanceof ModelDecodeError, String(error));
      assert.equal(error.code, 'ERR_MODEL_DECODE');
      assert.equal(error.field, field);
      assert.match(error.reason, reason);
      return true;
    });
  }
  test('corrupt JSON and empty data', () => {
    refuses(() => decodeGroup('{"id":1,', path), undefined, /corrupt JSON/);
    refuses(() => decodeGroup(new Uint8Array(), path), undefined, /empty/);
    refuses(() => decodeGroup('[1,2]', path), undefined, /expected an object/);
    assert.throws(
      () => decodeGroup('{"id":1,', path),
      /invalid group record at \/codis3\/demo\/group\/group-0001/,
    );
  });
  test('missing fields', () => {
    refuses(() => decodeGroup('{"id":1,"servers":[],"promoting":{}}', path), 'out_of_sync', /missing/);
    refuses(() => decodeSlotMapping('{"id":1,"group_id":2}'), 'action', /missing/);
    refuses(
      () =>
        decodeGroup(
          '{"id":1,"servers":[{"server":"a:1","action":{},"replica_group":false}],"promoting":{},"out_of_sync":false}',
        ),
      'servers[0].datacenter',
      /missing/,
    );
    refuses(() => decodeTopom('{"token":"t"}'), 'start_time', /missing/);
  });
  test('wrong types, unknown states, out-of-range ids', () => {
    refuses(() => decodeSlotMapping('{"id":"1","group_id":2,"action":{}}'), 'id', /expected an integer/);
    refuses(() => decodeSlotMapping('{"id":1024,"group_id":2,"action":{}}'), 'id', /out of range/);
    refuses(() => decodeSlotMapping('{"id":1,"group_id":2.5,"action":{}}'), 'group_id', /integer/);
    refuses(
      () => decodeSlotMapping('{"id":1,"group_id":2,"action":{"state":"moving"}}'),
      'action.state',
      /unknown value "moving"/,
    );
    refuses(
      () => decodeGroup('{"id":0,"servers":[],"promoting":{},"out_of_sync":false}'),
      'id',
      /out of range/,
    );
    refuses(
      () =>
        decodeGroup(
          '{"id":1,"servers":[{"server":"a:1","datacenter":"","action":{"state":"done"},"replica_group":false}],"promoting":{},"out_of_sync":false}',
        ),
      'servers[0].action.state',
      /unknown value/,
    );
    refuses(() => decodeSentinel('{"servers":[1],"out_of_sync":false}'), 'servers[0]', /expected a string/);
    refuses(() => decodeSentinel('{"out_of_sync":"no"}'), 'out_of_sync', /expected a boolean/);
  });
});

describe('round trips', () => {
  const state = fc.constantFrom(...SLOT_ACTION_STATES);
  test('slot mappings', () => {
    fc.assert(
      fc.property(
        fc.record({
          id: fc.integer({ min: 0, max: 1023 }),
          groupId: fc.integer({ min: 0, max: 9999 }),
          action: fc.record({ index: fc.nat(), state, targetId: fc.integer({ min: 0, max: 9999 }) }),
        }),
        (slot) => assert.deepEqual(decodeSlotMapping(encodeSlotMapping(slot)), structuredClone(slot)),
      ),
    );
  });
  test('groups with any server text', () => {
    const server = fc.record({
      addr: fc.string({ unit: 'grapheme' }),
      datacenter: fc.string(),
      action: fc.record({
        index: fc.nat(),
        state: fc.constantFrom('', 'pending', 'syncing', 'synced', 'synced_failed' as const),
      }),
      replicaGroup: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.record({
          id: fc.integer({ min: 1, max: 9999 }),
          servers: fc.array(server, { maxLength: 4 }),
          promoting: fc.record({
            index: fc.nat(),
            state: fc.constantFrom('', 'preparing', 'prepared', 'finished' as const),
          }),
          outOfSync: fc.boolean(),
        }),
        (group) => assert.deepEqual(decodeGroup(encodeGroup(group)), structuredClone(group)),
      ),
    );
  });
});
