import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dashboardXAuth, hardwareAddresses, newToken, proxyToken, proxyXAuth, xauth } from './auth.ts';

describe('token and xauth (spec §8.2)', () => {
  it('token matches the observed Codis value', () => {
    const macs = ['02:fc:00:00:00:01', '0e:97:42:cc:9a:13', 'de:6e:07:4d:8e:36'];
    assert.equal(
      proxyToken('codis-spec', '127.0.0.1:37090', '127.0.0.1:37091', macs),
      '7ca2383596df3b1d9c3abe30e5336d64',
    );
  });
  it('proxy xauth matches the observed Codis value', () => {
    assert.equal(
      proxyXAuth('codis-spec', '', '7ca2383596df3b1d9c3abe30e5336d64'),
      'ba53ba004e6481848da893357af77dd9',
    );
  });
  it('dashboard xauth matches the observed Codis value', () => {
    assert.equal(dashboardXAuth('codis-spec'), '3e0a81b39c98c22cf1d85aafedb12800');
    assert.equal(xauth('codis-spec'), '3e0a81b39c98c22cf1d85aafedb12800');
  });
  it('hardware addresses are sorted lowercase MACs without loopback', () => {
    const macs = hardwareAddresses();
    assert.deepEqual(macs, [...macs].sort());
    for (const mac of macs) assert.match(mac, /^[0-9a-f]{2}(:[0-9a-f]{2})+$/);
    assert.equal(newToken(['a']), newToken(['a'], macs));
  });
});
