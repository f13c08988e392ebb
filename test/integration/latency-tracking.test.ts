// Latency tracking (Redis 7.0): INFO latencystats percentiles and LATENCY HISTOGRAM, on
// redis-server and codis-server alike. Timings differ between servers; the shapes may not.
import assert from 'node:assert/strict';
import { conformanceSuite } from '../helpers/conformance.ts';

conformanceSuite('latency tracking', (it) => {
  it('INFO latencystats and LATENCY HISTOGRAM', async ({ connection: c }) => {
    assert.equal(await c.call('CONFIG', 'RESETSTAT'), '+OK\r\n');
    for (let i = 0; i < 10; i++) await c.call('SET', 'k', 'v');
    await c.call('GET', 'k');
    const info = await c.call('INFO', 'latencystats');
    assert.match(info, /# Latencystats\r\n/);
    assert.match(
      info,
      /\r\nlatency_percentiles_usec_set:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}\r\n/,
    );
    const histogram = await c.call('LATENCY', 'HISTOGRAM', 'set', 'nosuchcommand', 'get');
    assert.match(
      histogram,
      /^\*4\r\n\$3\r\nset\r\n\*4\r\n\$5\r\ncalls\r\n:10\r\n\$14\r\nhistogram_usec\r\n\*\d+\r\n(:\d+\r\n:\d+\r\n)+\$3\r\nget\r\n\*4\r\n\$5\r\ncalls\r\n:1\r\n/,
    );
    assert.equal(await c.call('CONFIG', 'SET', 'latency-tracking-info-percentiles', '50.0 99'), '+OK\r\n');
    assert.match(
      await c.call('INFO', 'latencystats'),
      /latency_percentiles_usec_set:p50=\d+\.\d{3},p99=\d+\.\d{3}\r\n/,
    );
    assert.equal(
      await c.call('CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 101'),
      "-ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - latency-tracking-info-percentiles parameters should sit between [0.0,100.0]\r\n",
    );
    await c.call('CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 99 99.9');
    await c.call('CONFIG', 'SET', 'latency-tracking', 'no');
    await c.call('CONFIG', 'RESETSTAT');
    await c.call('SET', 'k', 'v');
    assert.equal(await c.call('LATENCY', 'HISTOGRAM', 'set'), '*0\r\n');
    await c.call('CONFIG', 'SET', 'latency-tracking', 'yes');
  });
});
