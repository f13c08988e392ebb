// redis.conf compatibility: every parameter Debian's redis-server 7 reports (CONFIG GET *) is written
// into a configuration file as Redis's own CONFIG REWRITE would write it; codis-server must start
// from that file and report the same names with the same values. Then the parameters whose feature
// codis-server lacks refuse to be enabled, with a message that says so.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

/** Set per server by the test harness (its own port, directory, files). */
const PER_SERVER = new Set(['port', 'bind', 'dir', 'pidfile', 'logfile', 'daemonize', 'unixsocket']);
/** Parameters whose value is a list of words, written unquoted as Redis writes them. */
const WORD_LISTS = new Set([
  'save',
  'client-output-buffer-limit',
  'oom-score-adj-values',
  'latency-tracking-info-percentiles',
  'shutdown-on-sigint',
  'shutdown-on-sigterm',
]);

async function configOf(port: number): Promise<Map<string, string>> {
  const connection = await RawConnection.open(port);
  try {
    const flat = (await connection.value('CONFIG', 'GET', '*')) as Array<{ toString(): string }>;
    const map = new Map<string, string>();
    for (let i = 0; i < flat.length; i += 2) map.set(String(flat[i]), String(flat[i + 1]));
    return map;
  } finally {
    connection.close();
  }
}

function directive(name: string, value: string): string {
  if (WORD_LISTS.has(name) && value !== '') return `${name} ${value}`;
  return `${name} "${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

describe('codis-server reads a configuration file of every redis-server 7 parameter', () => {
  let redis: RunningServer;
  let codis: RunningServer | undefined;
  let reference: Map<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'config-compat-'));

  before(async () => {
    redis = await startServer('redis-server');
    reference = await configOf(redis.port);
    const lines = [...reference]
      .filter(([name]) => !PER_SERVER.has(name))
      .map(([name, value]) => directive(name, value));
    writeFileSync(join(dir, 'redis.conf'), `${lines.join('\n')}\n`);
    codis = await startServer('codis-server', { configFile: join(dir, 'redis.conf') });
  });

  after(async () => {
    await Promise.all([redis?.stop(), codis?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts from the file and reports every parameter with the same value', async () => {
    const ours = await configOf((codis as RunningServer).port);
    const missing = [...reference.keys()].filter((name) => !ours.has(name));
    assert.deepEqual(missing, []);
    const different = [...reference]
      .filter(([name, value]) => !PER_SERVER.has(name) && ours.get(name) !== value)
      .map(
        ([name, value]) => `${name}: redis ${JSON.stringify(value)}, ours ${JSON.stringify(ours.get(name))}`,
      );
    assert.deepEqual(different, []);
  });

  it('CONFIG SET of a part of client-output-buffer-limit keeps the other classes', async () => {
    const connection = await RawConnection.open((codis as RunningServer).port);
    try {
      assert.equal(
        await connection.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 64mb 16mb 90'),
        '+OK\r\n',
      );
      assert.equal(
        String(((await connection.value('CONFIG', 'GET', 'client-output-buffer-limit')) as unknown[])[1]),
        'normal 0 0 0 slave 268435456 67108864 60 pubsub 67108864 16777216 90',
      );
      assert.match(
        await connection.call('CONFIG', 'SET', 'client-output-buffer-limit', 'nosuch 1 1 1'),
        /Invalid client class specified in buffer limit configuration/,
      );
    } finally {
      connection.close();
    }
  });

  it('refuses to enable what codis-server does not have: TLS, cluster mode, syslog, active defrag', async () => {
    const connection = await RawConnection.open((codis as RunningServer).port);
    try {
      assert.match(
        await connection.call('CONFIG', 'SET', 'activedefrag', 'yes'),
        /Active defragmentation cannot be enabled/,
      );
      assert.match(await connection.call('CONFIG', 'SET', 'tls-replication', 'yes'), /TLS is not supported/);
      assert.equal(await connection.call('CONFIG', 'SET', 'activedefrag', 'no'), '+OK\r\n');
    } finally {
      connection.close();
    }
    for (const [name, value, message] of [
      ['tls-port', '6380', /TLS is not supported by codis-server/],
      ['cluster-enabled', 'yes', /cluster mode is not supported/],
      ['syslog-enabled', 'yes', /does not log to syslog/],
    ] as const) {
      await assert.rejects(startServer('codis-server', { args: [`--${name}`, value] }), message);
    }
  });
});

describe('shutdown-on-sigterm and shutdown-on-sigint, as redis-server', () => {
  for (const kind of ['redis-server', 'codis-server'] as const) {
    it(`${kind}: save forces the final snapshot, nosave skips it`, async () => {
      const cases = [
        { signal: 'SIGTERM', args: ['--shutdown-on-sigterm', 'save'], saved: true },
        { signal: 'SIGINT', args: ['--shutdown-on-sigint', 'nosave', '--save', '3600 1'], saved: false },
        { signal: 'SIGTERM', args: [], saved: false },
      ] as const;
      for (const { signal, args, saved } of cases) {
        const dir = mkdtempSync(join(tmpdir(), 'shutdown-signal-'));
        const server = await startServer(kind, { dir, args: [...args] });
        try {
          const connection = await RawConnection.open(server.port);
          assert.equal(await connection.call('SET', 'k', 'v'), '+OK\r\n');
          connection.close();
          const exited = new Promise((resolve) => server.process.once('exit', resolve));
          server.process.kill(signal);
          await exited;
          assert.equal(existsSync(join(dir, 'dump.rdb')), saved, `${signal} ${args.join(' ')}`);
        } finally {
          await server.stop();
          rmSync(dir, { recursive: true, force: true });
        }
      }
    });
  }
});
