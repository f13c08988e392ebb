import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCodisServer, ServerConfig } from '../index.ts';
import { parseCommands } from '../persistence/aof.ts';
import { type PropagationTarget, propagatorOf } from './index.ts';

/** A target that records what it is sent, decoded. */
class Recorder implements PropagationTarget {
  accepting = true;
  selectedDatabase = -1;
  private readonly chunks: Buffer[] = [];
  append(bytes: Buffer): void {
    this.chunks.push(bytes);
  }
  take(): string[][] {
    const commands = parseCommands(Buffer.concat(this.chunks)).commands;
    this.chunks.length = 0;
    return commands;
  }
}

function setup() {
  const server = createCodisServer(new ServerConfig());
  const propagator = propagatorOf(server);
  const first = new Recorder();
  propagator.addTarget(first);
  const client = server.createInternalClient();
  client.authenticated = true;
  const run = (...argv: string[]): void => {
    server.execute(client, argv);
    client.out.length = 0;
  };
  return { server, propagator, first, run };
}

test('one stream, a SELECT per target where its stream was elsewhere; reads and no-ops send nothing', () => {
  const { propagator, first, run } = setup();
  run('SET', 'a', '1');
  run('GET', 'a');
  run('SET', 'a', '2', 'NX');
  const second = new Recorder();
  propagator.addTarget(second);
  run('SELECT', '3');
  run('RPUSH', 'l', 'x');
  run('SELECT', '0');
  run('INCR', 'n');
  assert.deepEqual(first.take(), [
    ['SELECT', '0'],
    ['SET', 'a', '1'],
    ['SELECT', '3'],
    ['RPUSH', 'l', 'x'],
    ['SELECT', '0'],
    ['INCR', 'n'],
  ]);
  assert.deepEqual(second.take(), [
    ['SELECT', '3'],
    ['RPUSH', 'l', 'x'],
    ['SELECT', '0'],
    ['INCR', 'n'],
  ]);
  second.accepting = false;
  run('INCR', 'n');
  assert.deepEqual(second.take(), []);
  assert.deepEqual(first.take(), [['INCR', 'n']]);
});

test('relative expires go out absolute; transactions and scripts as MULTI ... EXEC', () => {
  const { first, run } = setup();
  run('SET', 'k', 'v', 'EX', '100');
  const [select, set] = first.take();
  assert.deepEqual(select, ['SELECT', '0']);
  assert.equal(set?.[3], 'PXAT');
  assert.ok(Math.abs(Number(set?.[4]) - (Date.now() + 100_000)) < 5000);
  run('MULTI');
  run('INCR', 'a');
  run('GET', 'a');
  run('INCR', 'b');
  run('EXEC');
  assert.deepEqual(first.take(), [['MULTI'], ['INCR', 'a'], ['INCR', 'b'], ['EXEC']]);
  run('MULTI');
  run('GET', 'a');
  run('EXEC');
  assert.deepEqual(first.take(), []);
  run(
    'EVAL',
    "redis.call('SET', KEYS[1], 'x'); redis.call('DEL', 'nothing'); return redis.call('INCR', 'c')",
    '1',
    's',
  );
  assert.deepEqual(first.take(), [['MULTI'], ['SET', 's', 'x'], ['INCR', 'c'], ['EXEC']]);
});

test('expired keys go out as DEL', async () => {
  const { first, run } = setup();
  run('SET', 'short', 'v', 'PX', '1');
  first.take();
  await new Promise((resolve) => setTimeout(resolve, 10));
  run('GET', 'short');
  assert.deepEqual(first.take(), [['DEL', 'short']]);
});
