// codis-ha's view of a product (spec/control-plane.md §9.3, §12.5): every rule that turns a poll
// entry into a proxy's or a server's health, and the status lines it logs.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { polled, proxyPolled, statsOf } from '../../test/helpers/ha-stats.ts';
import { classify, groupLines, proxyLines, serverHealth } from './health.ts';

const M = '127.0.0.1:16379';
const R = '127.0.0.1:16380';

test('proxies: alive with stats; error, timeout, no stats body (timeout) and no entry (missing)', () => {
  const health = classify(
    statsOf(
      [],
      [
        { id: 1, token: 't1', entry: proxyPolled.alive() },
        { id: 2, token: 't2', entry: proxyPolled.error() },
        { id: 3, token: 't3', entry: proxyPolled.timeout() },
        { id: 4, token: 't4', entry: proxyPolled.empty() },
        { id: 5, token: 't5', entry: undefined },
      ],
    ),
  );
  assert.deepEqual(
    health.proxies.map((p) => [p.proxy.token, p.health]),
    [
      ['t1', 'alive'],
      ['t2', 'error'],
      ['t3', 'timeout'],
      ['t4', 'timeout'],
      ['t5', 'missing'],
    ],
  );
  // An error wins over a timeout flag, as in Codis (it is checked first).
  assert.equal(
    classify(statsOf([], [{ id: 1, token: 't', entry: { error: { Cause: 'x' }, timeout: true } }])).proxies[0]
      ?.health,
    'error',
  );
});

test('a master (index 0) is ready without master_addr, out of sync with one', () => {
  assert.equal(serverHealth(polled.master(), 0, M), 'ready');
  assert.equal(serverHealth({ stats: { master_addr: '' } }, 0, M), 'ready');
  assert.equal(serverHealth(polled.up('127.0.0.1:1'), 0, M), 'sync-error');
  assert.equal(serverHealth(polled.down('127.0.0.1:1', 3), 0, M), 'sync-error');
});

test('a replica: out of sync unless it follows servers[0]; then up = ready, down = broken, else out of sync', () => {
  assert.equal(serverHealth(polled.up(M), 1, M), 'ready');
  assert.equal(serverHealth(polled.down(M, 3), 1, M), 'broken');
  assert.equal(serverHealth(polled.link(M, 'connecting'), 1, M), 'sync-error');
  assert.equal(serverHealth(polled.link(M, undefined), 1, M), 'sync-error');
  // Following another server, or no server at all (a new replica before its SLAVEOF: NO:ONE).
  assert.equal(serverHealth(polled.up('127.0.0.1:16381'), 1, M), 'sync-error');
  assert.equal(serverHealth(polled.master(), 1, M), 'sync-error');
});

test('servers that did not answer: error, timeout, no stats body (timeout), not polled (missing)', () => {
  for (const index of [0, 1]) {
    assert.equal(serverHealth(polled.error(), index, M), 'error');
    assert.equal(serverHealth(polled.timeout(), index, M), 'timeout');
    assert.equal(serverHealth(polled.empty(), index, M), 'timeout');
    assert.equal(serverHealth(undefined, index, M), 'missing');
    assert.equal(serverHealth(null, index, M), 'missing');
  }
});

test('classify reads every group in order, the INFO of each server and the promoting state', () => {
  const health = classify(
    statsOf([
      {
        id: 1,
        servers: [
          [M, polled.master()],
          [R, polled.down(M, 2)],
        ],
        promoting: 'prepared',
      },
      { id: 2, servers: [] },
    ]),
  );
  assert.equal(health.groups.length, 2);
  const [g1, g2] = health.groups;
  assert.equal(g1?.promoting, 'prepared');
  assert.equal(g2?.promoting, '');
  assert.deepEqual(
    g1?.servers.map((s) => [s.gid, s.index, s.addr, s.health]),
    [
      [1, 0, M, 'ready'],
      [1, 1, R, 'broken'],
    ],
  );
  assert.equal(g1?.servers[1]?.info.master_link_down_since_seconds, '2');
  // A stats document with nothing in it (a fresh dashboard) is an empty product.
  assert.deepEqual(classify({}), { proxies: [], groups: [] });
  assert.deepEqual(classify({ group: { models: null, stats: null }, proxy: { models: null, stats: null } }), {
    proxies: [],
    groups: [],
  });
});

test('status lines: Codis markers, zero-padded ids, aligned addresses; info when healthy, warn otherwise', () => {
  const health = classify(
    statsOf(
      [
        {
          id: 1,
          servers: [
            [M, polled.master()],
            ['127.0.0.1:1', polled.up(M)],
            [R, polled.down(M, 1)],
          ],
        },
        {
          id: 12,
          servers: [
            ['127.0.0.1:16390', polled.error()],
            ['127.0.0.1:16391', polled.timeout()],
            ['127.0.0.1:16392', undefined],
            ['127.0.0.1:16393', polled.master()],
            ['127.0.0.1:16394', polled.up(M)],
            ['127.0.0.1:16395', polled.up('127.0.0.1:16390')],
            ['127.0.0.1:16396', polled.up('127.0.0.1:16390')],
            ['127.0.0.1:16397', polled.up('127.0.0.1:16390')],
            ['127.0.0.1:16398', polled.up('127.0.0.1:16390')],
            ['127.0.0.1:16399', polled.up('127.0.0.1:16390')],
            ['127.0.0.1:16400', polled.up('127.0.0.1:16390')],
          ],
        },
      ],
      [
        { id: 1, token: 'aa', entry: proxyPolled.alive() },
        { id: 10, token: 'bb', entry: proxyPolled.error() },
        { id: 2, token: 'cc', entry: proxyPolled.timeout() },
        { id: 3, token: 'dd', entry: undefined },
      ],
    ),
  );
  assert.deepEqual(
    proxyLines(health).map((l) => [l.level, l.text]),
    [
      ['info', '[ ] proxy-01 [T] aa [A] 127.0.0.1:11081 [P] 127.0.0.1:19001'],
      ['warn', '[E] proxy-10 [T] bb [A] 127.0.0.1:11090 [P] 127.0.0.1:19010'],
      ['warn', '[T] proxy-02 [T] cc [A] 127.0.0.1:11082 [P] 127.0.0.1:19002'],
      ['warn', '[?] proxy-03 [T] dd [A] 127.0.0.1:11083 [P] 127.0.0.1:19003'],
    ],
  );
  const lines = groupLines(health).map((l) => `${l.level} ${l.text}`);
  assert.deepEqual(lines.slice(0, 8), [
    'info [ ] group-01 [00] 127.0.0.1:16379',
    'info [ ] group-01 [01] 127.0.0.1:1',
    'warn [X] group-01 [02] 127.0.0.1:16380',
    'warn [E] group-12 [00] 127.0.0.1:16390',
    'warn [T] group-12 [01] 127.0.0.1:16391',
    'warn [?] group-12 [02] 127.0.0.1:16392',
    'warn [X] group-12 [03] 127.0.0.1:16393',
    // A replica of the wrong master.
    'warn [X] group-12 [04] 127.0.0.1:16394',
  ]);
  assert.equal(lines.length, 14);
});
