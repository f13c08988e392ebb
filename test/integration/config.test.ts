import assert from 'node:assert/strict';
import { RespMap, type RespValue } from '../../src/resp/index.ts';
import { conformanceSuite } from '../helpers/conformance.ts';

/** A CONFIG GET reply as a sorted list of [name, value] (Redis answers in hash-table order). */
function pairs(value: RespValue): Array<[string, string]> {
  const flat: RespValue[] =
    value instanceof RespMap
      ? value.entries.flat()
      : Array.isArray(value)
        ? value
        : assert.fail('not an array');
  const out: Array<[string, string]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i] as string, flat[i + 1] as string]);
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

conformanceSuite('config', (it) => {
  it('CONFIG GET exact names, aliases, patterns and several patterns', async ({ connection: c, port }) => {
    assert.equal(await c.call('CONFIG', 'GET', 'maxmemory'), '*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n');
    assert.equal(
      await c.call('CONFIG', 'GET', 'slave-read-only'),
      '*2\r\n$15\r\nslave-read-only\r\n$3\r\nyes\r\n',
    );
    assert.equal(
      await c.call('CONFIG', 'GET', 'slave-read*'),
      '*2\r\n$15\r\nslave-read-only\r\n$3\r\nyes\r\n',
    );
    assert.deepEqual(pairs(await c.value('CONFIG', 'GET', 'port', 'maxmemory', 'port')), [
      ['maxmemory', '0'],
      ['port', String(port)],
    ]);
    assert.deepEqual(pairs(await c.value('CONFIG', 'GET', 'maxmemory-*')), [
      ['maxmemory-clients', '0'],
      ['maxmemory-eviction-tenacity', '10'],
      ['maxmemory-policy', 'noeviction'],
      ['maxmemory-samples', '5'],
    ]);
    assert.equal(await c.call('CONFIG', 'GET', 'nosuchparameter'), '*0\r\n');
    assert.equal(
      await c.call('CONFIG', 'GET'),
      "-ERR wrong number of arguments for 'config|get' command\r\n",
    );
    await c.call('HELLO', '3');
    assert.equal(await c.call('CONFIG', 'GET', 'maxmemory'), '%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n');
  });

  it('CONFIG SET validates, converts units, and is all or nothing', async ({ connection: c }) => {
    assert.equal(
      await c.call('CONFIG', 'SET', 'maxmemory', '10mb', 'maxmemory-policy', 'allkeys-lru'),
      '+OK\r\n',
    );
    assert.deepEqual(pairs(await c.value('CONFIG', 'GET', 'maxmemory', 'maxmemory-policy')), [
      ['maxmemory', '10485760'],
      ['maxmemory-policy', 'allkeys-lru'],
    ]);
    assert.equal(
      await c.call('CONFIG', 'SET', 'maxmemory', '0', 'maxmemory-policy', 'bogus'),
      "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction\r\n",
    );
    assert.deepEqual(pairs(await c.value('CONFIG', 'GET', 'maxmemory')), [['maxmemory', '10485760']]);
    assert.equal(
      await c.call('CONFIG', 'SET', 'maxmemory', 'abc'),
      "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value\r\n",
    );
    assert.equal(
      await c.call('CONFIG', 'SET', 'maxmemory', '1', 'maxmemory', '2'),
      "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter\r\n",
    );
    assert.equal(
      await c.call('CONFIG', 'SET', 'bogus', '1'),
      "-ERR Unknown option or number of arguments for CONFIG SET - 'bogus'\r\n",
    );
    assert.equal(
      await c.call('CONFIG', 'SET', 'databases', '3'),
      "-ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config\r\n",
    );
    assert.equal(
      await c.call('CONFIG', 'SET', 'maxclients', 'abc'),
      "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer\r\n",
    );
    assert.equal(
      await c.call('CONFIG', 'SET', 'appendonly', 'maybe'),
      "-ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'\r\n",
    );
    assert.equal(
      await c.call('CONFIG', 'SET', 'save', '1 2 3'),
      "-ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters\r\n",
    );
    assert.equal(await c.call('CONFIG', 'SET', 'maxmemory', '1', 'hz'), '-ERR syntax error\r\n');
    assert.equal(await c.call('CONFIG', 'SET', 'slave-read-only', 'no'), '+OK\r\n');
    assert.deepEqual(pairs(await c.value('CONFIG', 'GET', 'replica-read-only')), [
      ['replica-read-only', 'no'],
    ]);
    await c.call(
      'CONFIG',
      'SET',
      'slave-read-only',
      'yes',
      'maxmemory',
      '0',
      'maxmemory-policy',
      'noeviction',
    );
  });

  it('CONFIG REWRITE without a config file, RESETSTAT and HELP', async ({ connection: c }) => {
    assert.equal(await c.call('CONFIG', 'REWRITE'), '-ERR The server is running without a config file\r\n');
    assert.equal(await c.call('CONFIG', 'RESETSTAT'), '+OK\r\n');
    const help = (await c.value('CONFIG', 'HELP')) as unknown[];
    assert.equal(help.length, 11);
    assert.equal(await c.call('CONFIG', 'BOGUS'), "-ERR unknown subcommand 'BOGUS'. Try CONFIG HELP.\r\n");
  });
});
