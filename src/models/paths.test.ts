import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  assertProductName,
  groupIdOfPath,
  groupPath,
  isValidProductName,
  jodisPath,
  proxyPath,
  proxyTokenOfPath,
  sentinelPath,
  slotIdOfPath,
  slotPath,
  topomPath,
} from './paths.ts';

test('coordinator paths of spec §3.1 and the jodis paths of spec/proxy.md §11', () => {
  assert.equal(topomPath('codis-demo'), '/codis3/codis-demo/topom');
  assert.equal(slotPath('codis-demo', 7), '/codis3/codis-demo/slots/slot-0007');
  assert.equal(slotPath('codis-demo', 1023), '/codis3/codis-demo/slots/slot-1023');
  assert.equal(groupPath('codis-demo', 1), '/codis3/codis-demo/group/group-0001');
  assert.equal(proxyPath('codis-demo', 'ab12'), '/codis3/codis-demo/proxy/proxy-ab12');
  assert.equal(sentinelPath('codis-demo'), '/codis3/codis-demo/sentinel');
  assert.equal(jodisPath('codis-demo', 'ab12'), '/jodis/codis-demo/proxy-ab12');
  assert.equal(jodisPath('codis-demo', 'ab12', true), '/zk/codis/db_codis-demo/proxy/ab12');
});

test('names of listed children parse back', () => {
  assert.equal(slotIdOfPath('/codis3/p/slots/slot-0042'), 42);
  assert.equal(slotIdOfPath('/codis3/p/slots/slot-1024'), undefined);
  assert.equal(slotIdOfPath('/codis3/p/slots/slot-42'), undefined);
  assert.equal(groupIdOfPath('/codis3/p/group/group-9999'), 9999);
  assert.equal(groupIdOfPath('/codis3/p/group/other'), undefined);
  assert.equal(proxyTokenOfPath('/codis3/p/proxy/proxy-ab12'), 'ab12');
  assert.equal(proxyTokenOfPath('/codis3/p/proxy/proxy-'), undefined);
});

test('product names follow ^\\w[\\w.-]*$', () => {
  for (const good of ['codis-demo', 'a', '_x.y-z', '0abc']) assert.ok(isValidProductName(good), good);
  for (const bad of ['', '-a', '.a', 'a/b', 'a b', 'é', 'a\n']) assert.ok(!isValidProductName(bad), bad);
  assert.throws(() => assertProductName('a/b'), {
    code: 'ERR_MODEL_PRODUCT_NAME',
    message: 'bad product name = a/b',
  });
});
