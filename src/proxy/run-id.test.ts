// The run_id comparison of §6.8: an alias of the current master is recognised as the same process
// and its slots are not re-filled; a different server is switched to; unknown ids never match.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../test/helpers/free-port.ts';
import { type RunningServer, startServer } from '../../test/helpers/redis-servers.ts';
import { defaultProxyConfig } from './config/types.ts';
import { SILENT_LOGGER } from './logger.ts';
import { Router } from './router.ts';
import { fetchRunId, fetchRunIds } from './run-id.ts';

describe('run_id comparison before a sentinel switch', () => {
  let plain: RunningServer;
  let guarded: RunningServer;

  before(async () => {
    [plain, guarded] = await Promise.all([
      startServer('codis-server'),
      startServer('codis-server', { args: ['--requirepass', 'sesame'] }),
    ]);
  });
  after(async () => {
    await Promise.all([plain.stop(), guarded.stop()]);
  });

  it('reads the same run_id through two addresses of one server', async () => {
    const direct = await fetchRunId(`127.0.0.1:${plain.port}`, '', 2000);
    const alias = await fetchRunId(`localhost:${plain.port}`, '', 2000);
    assert.match(direct ?? '', /^[0-9a-f]{40}$/);
    assert.equal(alias, direct);
    assert.notEqual(await fetchRunId(`127.0.0.1:${guarded.port}`, 'sesame', 2000), direct);
  });

  it('authenticates with product_auth, and treats refusals and silence as unknown', async () => {
    assert.match((await fetchRunId(`127.0.0.1:${guarded.port}`, 'sesame', 2000)) ?? '', /^[0-9a-f]{40}$/);
    assert.equal(await fetchRunId(`127.0.0.1:${guarded.port}`, '', 2000), undefined);
    assert.equal(await fetchRunId(`127.0.0.1:${guarded.port}`, 'wrong', 2000), undefined);
    assert.equal(await fetchRunId(`127.0.0.1:${await freePort()}`, '', 2000), undefined);
    const ids = await fetchRunIds([`127.0.0.1:${plain.port}`, `127.0.0.1:${plain.port}`], '', 2000);
    assert.equal(ids.size, 1);
  });

  it('keeps slots whose new master is the same process, switches the others', async () => {
    const router = new Router(defaultProxyConfig(), SILENT_LOGGER);
    try {
      const current = `127.0.0.1:${plain.port}`;
      router.fill([
        { id: 0, backend_addr: current, backend_addr_group_id: 1 },
        { id: 1, backend_addr: current, backend_addr_group_id: 1 },
        { id: 2, backend_addr: `127.0.0.1:${guarded.port}`, backend_addr_group_id: 2 },
      ]);
      const masters = new Map([
        [1, `localhost:${plain.port}`],
        [2, `127.0.0.1:${plain.port}`],
      ]);
      const pairs = router.masterSwitchPairs(masters);
      assert.equal(pairs.length, 3);
      // A loaded test machine can take longer than the 100 ms the proxy allows itself.
      const ids = await fetchRunIds(pairs.flat(), '', 2000);
      const same = (a: string, b: string) => ids.get(a) !== undefined && ids.get(a) === ids.get(b);
      assert.equal(router.switchMasters(masters, same), true, 'slot 2 moves: group 2 now has another server');
      const records = router.records();
      assert.equal(records[0]?.backend_addr, current, 'an alias of the same run_id is not switched to');
      assert.equal(records[1]?.backend_addr, current);
      assert.equal(records[2]?.backend_addr, `127.0.0.1:${plain.port}`);
      assert.equal(
        router.switchMasters(new Map([[1, `localhost:${plain.port}`]])),
        true,
        'no check: switched',
      );
    } finally {
      router.close();
    }
  });
});
