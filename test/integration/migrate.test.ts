// MIGRATE, with redis-server and codis-server as sources and targets: replies, errors, COPY,
// REPLACE, KEYS, AUTH, TTLs and databases must be the same whichever server is the source.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, type ServerKind, startServer } from '../helpers/redis-servers.ts';

const KINDS: readonly ServerKind[] = ['redis-server', 'codis-server'];

describe('MIGRATE', () => {
  const servers = new Map<ServerKind, RunningServer>();
  let protectedTarget: RunningServer;

  before(async () => {
    for (const kind of KINDS) servers.set(kind, await startServer(kind));
    protectedTarget = await startServer('codis-server', { args: ['--requirepass', 'secret'] });
  });

  after(async () => {
    await Promise.all([...servers.values(), protectedTarget].map((server) => server?.stop()));
  });

  for (const sourceKind of KINDS) {
    for (const targetKind of KINDS) {
      if (sourceKind === targetKind) continue;
      test(`from ${sourceKind} to ${targetKind}`, async () => {
        const sourceServer = servers.get(sourceKind) as RunningServer;
        const targetServer = servers.get(targetKind) as RunningServer;
        const [source, target] = await Promise.all([
          RawConnection.open(sourceServer.port),
          RawConnection.open(targetServer.port),
        ]);
        try {
          await source.call('FLUSHALL');
          await target.call('FLUSHALL');
          const port = String(targetServer.port);
          await source.call('SET', 'a', '1');
          await source.call('RPUSH', 'b', 'x', 'y');
          await source.call('SET', 'c', '3', 'PX', '100000');
          await source.call('XADD', 's', '1-1', 'f', 'v');
          await target.call('SET', 'b', 'taken');
          assert.equal(await source.call('MIGRATE', '127.0.0.1', port, 'nokey', '0', '1000'), '+NOKEY\r\n');
          assert.equal(await source.call('MIGRATE', '127.0.0.1', port, 'a', '0', '1000'), '+OK\r\n');
          assert.equal(
            await source.call('MIGRATE', '127.0.0.1', port, 'b', '0', '1000'),
            '-ERR Target instance replied with error: BUSYKEY Target key name already exists.\r\n',
          );
          assert.equal(
            await source.call('MIGRATE', '127.0.0.1', port, 'b', '0', '1000', 'COPY', 'REPLACE'),
            '+OK\r\n',
          );
          assert.equal(await source.call('LRANGE', 'b', '0', '-1'), '*2\r\n$1\r\nx\r\n$1\r\ny\r\n');
          assert.equal(
            await source.call('MIGRATE', '127.0.0.1', port, '', '2', '1000', 'KEYS', 'c', 's', 'gone'),
            '+OK\r\n',
          );
          assert.equal(await source.call('EXISTS', 'a', 'c', 's'), ':0\r\n');
          assert.equal(await target.call('LRANGE', 'b', '0', '-1'), '*2\r\n$1\r\nx\r\n$1\r\ny\r\n');
          assert.equal(await target.call('GET', 'a'), '$1\r\n1\r\n');
          await target.call('SELECT', '2');
          assert.match(await target.call('PTTL', 'c'), /^:9\d{4}\r\n$/);
          assert.equal(
            await target.call('XRANGE', 's', '-', '+'),
            '*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n',
          );
          assert.equal(
            await source.call('MIGRATE', '127.0.0.1', port, 'k', '0', '1000', 'KEYS', 'b'),
            '-ERR When using MIGRATE KEYS option, the key argument must be set to the empty string\r\n',
          );
          assert.equal(
            await source.call('MIGRATE', '127.0.0.1', port, 'b', 'x', '1000'),
            '-ERR value is not an integer or out of range\r\n',
          );
          assert.equal(
            await source.call('MIGRATE', '127.0.0.1', port, 'b', '0', '1000', 'AUTH2', 'u'),
            '-ERR syntax error\r\n',
          );
          assert.equal(
            await source.call('MIGRATE', '127.0.0.1', '1', 'b', '0', '1000'),
            '-IOERR error or timeout writing to target instance\r\n',
          );
          // AUTH towards a target with a password: wrong, then right.
          const protectedPort = String(protectedTarget.port);
          assert.match(
            await source.call(
              'MIGRATE',
              '127.0.0.1',
              protectedPort,
              'b',
              '0',
              '1000',
              'COPY',
              'AUTH',
              'wrong',
            ),
            /^-ERR Target instance replied with error: WRONGPASS/,
          );
          assert.equal(
            await source.call(
              'MIGRATE',
              '127.0.0.1',
              protectedPort,
              'b',
              '0',
              '1000',
              'REPLACE',
              'AUTH',
              'secret',
            ),
            '+OK\r\n',
          );
          assert.equal(await source.call('EXISTS', 'b'), ':0\r\n');
        } finally {
          source.close();
          target.close();
        }
      });
    }
  }
});
