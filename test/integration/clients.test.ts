// Real clients against codis-server: ioredis, node-redis, redis-cli (commands on stdin and --pipe
// bulk loading) and redis-benchmark.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

describe('clients against codis-server', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer('codis-server');
  });
  after(async () => {
    await server?.stop();
  });

  test('ioredis: commands, pipelines and binary values', async () => {
    const client = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
    await client.connect();
    try {
      assert.equal(await client.set('io:k', 'v'), 'OK');
      assert.equal(await client.get('io:k'), 'v');
      const results = await client.pipeline().incr('io:n').incr('io:n').get('io:n').exec();
      assert.deepEqual(
        results?.map(([, value]) => value),
        [1, 2, '2'],
      );
      const binary = Buffer.from([0, 255, 1, 254, 13, 10]);
      await client.set(binary, binary);
      assert.deepEqual(await client.getBuffer(binary), binary);
      await assert.rejects(client.call('nosuch'), /unknown command/);
    } finally {
      client.disconnect();
    }
  });

  for (const protocol of [2, 3] as const) {
    test(`node-redis with RESP${protocol}`, async () => {
      const client = createClient({ url: `redis://127.0.0.1:${server.port}`, RESP: protocol });
      client.on('error', () => {});
      await client.connect();
      try {
        assert.equal(await client.set('nr:k', 'value'), 'OK');
        assert.equal(await client.get('nr:k'), 'value');
        assert.equal(await client.incrBy(`nr:n${protocol}`, 5), 5);
        assert.deepEqual(await client.mGet(['nr:k', 'nr:missing']), ['value', null]);
        assert.equal(await client.ping(), 'PONG');
      } finally {
        client.destroy();
      }
    });
  }

  test('redis-cli runs commands from arguments and from stdin', () => {
    const single = spawnSync('redis-cli', ['-p', String(server.port), 'SET', 'cli:k', 'hello'], {
      encoding: 'utf8',
    });
    assert.equal(single.status, 0, single.stderr);
    assert.equal(single.stdout.trim(), 'OK');
    const script = spawnSync('redis-cli', ['-p', String(server.port)], {
      input: 'GET cli:k\nINCR cli:n\nINCR cli:n\nNOSUCH\n',
      encoding: 'utf8',
    });
    assert.equal(script.status, 0, script.stderr);
    assert.deepEqual(script.stdout.trim().split('\n'), [
      'hello',
      '1',
      '2',
      "ERR unknown command 'NOSUCH', with args beginning with:",
    ]);
  });

  test('redis-cli --pipe bulk-loads 20000 commands', () => {
    const lines: string[] = [];
    for (let i = 0; i < 20000; i++) {
      const key = `pipe:${i}`;
      const value = `value-${i}`;
      lines.push(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`);
    }
    const result = spawnSync('redis-cli', ['-p', String(server.port), '--pipe'], {
      input: lines.join(''),
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /errors: 0, replies: 20000/);
    const check = spawnSync('redis-cli', ['-p', String(server.port), 'GET', 'pipe:19999'], {
      encoding: 'utf8',
    });
    assert.equal(check.stdout.trim(), 'value-19999');
  });

  test('redis-benchmark completes its SET/GET/INCR/MSET workloads', () => {
    const result = spawnSync(
      'redis-benchmark',
      ['-p', String(server.port), '-n', '5000', '-c', '10', '-q', '-t', 'set,get,incr,mset', '-P', '4'],
      { encoding: 'utf8', timeout: 60000 },
    );
    assert.equal(result.status, 0, result.stderr);
    for (const name of ['SET', 'GET', 'INCR', 'MSET'])
      assert.match(result.stdout, new RegExp(`${name}[^:]*: [\\d.]+ requests per second`));
  });
});
