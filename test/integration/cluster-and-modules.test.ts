// Commands of features a codis-server does not have, answered as a Redis 7 without them answers:
// Redis Cluster's commands with cluster support disabled, MODULE with no module loaded.
import assert from 'node:assert/strict';
import { conformanceSuite } from '../helpers/conformance.ts';

const DISABLED = '-ERR This instance has cluster support disabled\r\n';

conformanceSuite('cluster and modules', (it) => {
  it('CLUSTER, READONLY, READWRITE and ASKING: cluster support disabled', async ({ connection: c }) => {
    for (const command of [
      ['CLUSTER', 'INFO'],
      ['CLUSTER', 'KEYSLOT', 'a'],
      ['CLUSTER', 'HELP'],
      ['READONLY'],
      ['READWRITE'],
      ['ASKING'],
    ])
      assert.equal(await c.call(...command), DISABLED);
    assert.equal(
      await c.call('CLUSTER', 'KEYSLOT'),
      "-ERR wrong number of arguments for 'cluster|keyslot' command\r\n",
    );
    assert.equal(await c.call('CLUSTER', 'FOO'), "-ERR unknown subcommand 'FOO'. Try CLUSTER HELP.\r\n");
  });

  it('RESTORE-ASKING runs as RESTORE outside a cluster', async ({ connection: c }) => {
    await c.call('SET', 'a', 'v');
    const payload = (await c.value('DUMP', 'a')) as string;
    assert.equal(
      await c.call('RESTORE-ASKING', 'a', '0', payload),
      '-BUSYKEY Target key name already exists.\r\n',
    );
    assert.equal(await c.call('RESTORE-ASKING', 'b', '0', payload), '+OK\r\n');
    assert.equal(await c.call('GET', 'b'), '$1\r\nv\r\n');
    assert.equal(
      await c.call('RESTORE-ASKING', 'c', '0', 'x'),
      '-ERR DUMP payload version or checksum are wrong\r\n',
    );
  });

  it('MODULE: none loaded, and loading refused under enable-module-command no', async ({ connection: c }) => {
    assert.equal(await c.call('MODULE', 'LIST'), '*0\r\n');
    const refused =
      '-ERR MODULE command not allowed. If the enable-module-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.\r\n';
    assert.equal(await c.call('MODULE', 'LOAD', '/nonexistent.so'), refused);
    assert.equal(await c.call('MODULE', 'UNLOAD', 'x'), refused);
    assert.match(await c.call('MODULE', 'HELP'), /^\*11\r\n\+MODULE <subcommand>/);
    assert.equal(
      await c.call('CONFIG', 'GET', 'enable-module-command'),
      '*2\r\n$21\r\nenable-module-command\r\n$2\r\nno\r\n',
    );
  });
});
