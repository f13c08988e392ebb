// Synchronous slot migration between two (and three) of our servers on loopback (spec §7–§8):
// SLOTSRESTORE, SLOTSMGRTONE / TAGONE / SLOT / TAGSLOT, TTLs, tag groups, AUTH/SELECT caching,
// target credentials, failures that leave the source untouched.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../helpers/free-port.ts';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

const HELLO = Buffer.from('000568656c6c6f07009c400a856dfef510', 'hex');
const LIST_AB = Buffer.from('0e0111110000000d0000000200000161030162ff07007bf68cd3cb48d2e1', 'hex');

describe('synchronous migration', () => {
  let a: RunningServer;
  let b: RunningServer;
  let ca: RawConnection;
  let cb: RawConnection;

  before(async () => {
    [a, b] = await Promise.all([startServer('codis-server'), startServer('codis-server')]);
    [ca, cb] = await Promise.all([RawConnection.open(a.port), RawConnection.open(b.port)]);
  });
  after(async () => {
    ca.close();
    cb.close();
    await Promise.all([a.stop(), b.stop()]);
  });

  it('SLOTSRESTORE: replace, TTL, atomicity, errors', async () => {
    assert.equal(await cb.call('slotsrestore', 's1', '0', HELLO), '+OK\r\n');
    assert.equal(await cb.call('pttl', 's1'), ':-1\r\n');
    assert.equal(await cb.call('slotsrestore', 's1', '5000', HELLO, 'l1', '0', LIST_AB), '+OK\r\n');
    const pttl = Number((await cb.call('pttl', 's1')).slice(1, -2));
    assert.ok(pttl > 4900 && pttl <= 5000, String(pttl));
    assert.equal(await cb.call('lrange', 'l1', '0', '-1'), '*2\r\n$1\r\na\r\n$1\r\nb\r\n');
    assert.equal(await cb.call('slotsrestore', 'l1', '0', HELLO), '+OK\r\n');
    assert.equal(await cb.call('type', 'l1'), '+string\r\n');
    const arity = "-ERR wrong number of arguments for 'slotsrestore' command\r\n";
    assert.equal(await cb.call('slotsrestore', 'k', '0'), arity);
    assert.equal(await cb.call('slotsrestore', 'k', '0', 'x', 'y'), arity);
    assert.equal(await cb.call('slotsrestore', 'k', '-1', HELLO), '-ERR invalid ttl value, must be >= 0\r\n');
    assert.equal(
      await cb.call('slotsrestore', 'k', 'abc', HELLO),
      '-ERR value is not an integer or out of range\r\n',
    );
    assert.equal(
      await cb.call('slotsrestore', 'k', '0', 'garbage'),
      '-ERR dump payload version or checksum are wrong\r\n',
    );
    assert.equal(
      await cb.call('slotsrestore', 'new1', '0', HELLO, 'new2', '0', 'garbage'),
      '-ERR dump payload version or checksum are wrong\r\n',
    );
    assert.equal(await cb.call('exists', 'new1'), ':0\r\n');
    assert.equal(await cb.call('flushall'), '+OK\r\n');
  });

  it('SLOTSMGRTONE and SLOTSMGRTTAGONE: every type, TTLs, tag groups, missing keys', async () => {
    const port = String(b.port);
    await ca.call('set', 'a', '100');
    await ca.call('pexpire', 'a', '60000');
    await ca.call('rpush', '{tag}list', '1', '2', '3');
    await ca.call('hset', '{tag}hash', 'f', 'v');
    await ca.call('sadd', 'b{tag}set', 'm');
    await ca.call('set', 'x{tag}', '1');
    await ca.call('zadd', '{tag2}z', '1.5', 'm');
    assert.equal(await ca.call('slotsmgrtone', '127.0.0.1', port, '1000', 'a'), ':1\r\n');
    assert.equal(await cb.call('get', 'a'), '$3\r\n100\r\n');
    const pttl = Number((await cb.call('pttl', 'a')).slice(1, -2));
    assert.ok(pttl > 59000 && pttl <= 60000, String(pttl));
    assert.equal(await ca.call('exists', 'a'), ':0\r\n');
    assert.equal(await ca.call('slotsmgrtone', '127.0.0.1', port, '1000', 'a'), ':0\r\n');
    assert.equal(await ca.call('slotsmgrtone', '127.0.0.1', port, '1000', 'nokey'), ':0\r\n');
    assert.equal(await ca.call('slotsmgrttagone', '127.0.0.1', port, '1000', '{tag}'), ':4\r\n');
    assert.equal(await ca.call('slotsmgrttagone', '127.0.0.1', port, '1000', '{tag}'), ':0\r\n');
    assert.equal(await cb.call('lrange', '{tag}list', '0', '-1'), '*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n');
    assert.equal(await cb.call('hget', '{tag}hash', 'f'), '$1\r\nv\r\n');
    assert.equal(await cb.call('smembers', 'b{tag}set'), '*1\r\n$1\r\nm\r\n');
    assert.equal(await cb.call('get', 'x{tag}'), '$1\r\n1\r\n');
    assert.equal(await ca.call('slotsmgrtone', '127.0.0.1', port, '1000', '{tag2}z'), ':1\r\n');
    assert.equal(await cb.call('zscore', '{tag2}z', 'm'), '$3\r\n1.5\r\n');
    await ca.call('set', 'plain', 'p');
    assert.equal(await ca.call('slotsmgrttagone', '127.0.0.1', port, '1000', 'plain'), ':1\r\n');
    // Empty tag: {}a, {}b and x{} share tag-CRC 0; CRC collisions move together.
    await ca.call('mset', '{}a', '1', '{}b', '2', 'x{}', '3', '{plumless}1', '1', '{buckeroo}2', '2');
    assert.equal(await ca.call('slotsmgrttagone', '127.0.0.1', port, '1000', '{}'), ':3\r\n');
    assert.equal(await ca.call('slotsmgrttagone', '127.0.0.1', port, '1000', '{plumless}'), ':2\r\n');
    assert.equal(await cb.call('get', '{buckeroo}2'), '$1\r\n2\r\n');
    assert.equal(await ca.call('dbsize'), ':0\r\n');
  });

  it('SLOTSMGRTSLOT and SLOTSMGRTTAGSLOT: one key or one group per call, empty slots', async () => {
    const port = String(b.port);
    await ca.call('mset', '{s}0', 'v', '{s}1', 'v', '{s}2', 'v');
    assert.equal(await ca.call('slotshashkey', '{s}0'), '*1\r\n:779\r\n');
    assert.equal(await ca.call('slotsmgrtslot', '127.0.0.1', port, '1000', '779'), '*2\r\n:1\r\n:2\r\n');
    assert.equal(await ca.call('slotsmgrtslot', '127.0.0.1', port, '1000', '779'), '*2\r\n:1\r\n:1\r\n');
    assert.equal(await ca.call('slotsmgrtslot', '127.0.0.1', port, '1000', '779'), '*2\r\n:1\r\n:0\r\n');
    assert.equal(await ca.call('slotsmgrtslot', '127.0.0.1', port, '1000', '779'), '*2\r\n:0\r\n:0\r\n');
    await ca.call('mset', '{s}0', 'w', '{s}1', 'w', '{s}2', 'w');
    assert.equal(await ca.call('slotsmgrttagslot', '127.0.0.1', port, '1000', '779'), '*2\r\n:3\r\n:0\r\n');
    assert.equal(await ca.call('slotsmgrttagslot', '127.0.0.1', port, '1000', '779'), '*2\r\n:0\r\n:0\r\n');
    assert.equal(await cb.call('mget', '{s}0', '{s}2'), '*2\r\n$1\r\nw\r\n$1\r\nw\r\n');
    // An expired key is picked but not moved.
    await ca.call('debug', 'set-active-expire', '0');
    await ca.call('set', '{s}x', 'v', 'px', '1');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const reply = await ca.call('slotsmgrtslot', '127.0.0.1', port, '1000', '779');
    assert.equal(reply, '*2\r\n:0\r\n:0\r\n');
    await ca.call('debug', 'set-active-expire', '1');
  });

  it('argument errors', async () => {
    const port = String(b.port);
    assert.equal(
      await ca.call('slotsmgrtslot', '127.0.0.1', port, '1000', '1024'),
      '-ERR invalid slot number = 1024\r\n',
    );
    assert.equal(
      await ca.call('slotsmgrtslot', '127.0.0.1', port, '-1', '5'),
      '-ERR invalid timeout = -1\r\n',
    );
    assert.equal(
      await ca.call('slotsmgrtslot', '127.0.0.1', port, 'x', '5'),
      '-ERR value is not an integer or out of range\r\n',
    );
    assert.equal(
      await ca.call('slotsmgrtslot', '127.0.0.1', port, '1000'),
      "-ERR wrong number of arguments for 'slotsmgrtslot' command\r\n",
    );
  });

  it('an unreachable or silent target: clear errors, the source keeps its key', async () => {
    await ca.call('set', 'q', 'v');
    const closed = await freePort();
    assert.equal(
      await ca.call('slotsmgrtone', '127.0.0.1', String(closed), '1000', 'q'),
      '-IOERR error or timeout writing to target\r\n',
    );
    assert.equal(
      await ca.call('slotsmgrtone', 'no.such.host.invalid', '1', '1000', 'missingkey'),
      "-ERR Can't connect to target node: Name or service not known\r\n",
    );
    const silent: Server = createServer((socket) => socket.on('data', () => {}));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as { port: number }).port;
    const start = Date.now();
    assert.equal(
      await ca.call('slotsmgrtone', '127.0.0.1', String(silentPort), '0', 'q'),
      '-IOERR error or timeout reading from target\r\n',
    );
    const took = Date.now() - start;
    assert.ok(took >= 90 && took < 1000, `timeout 0 means 100 ms, took ${took}`);
    silent.close();
    assert.equal(await ca.call('get', 'q'), '$1\r\nv\r\n');
    await ca.call('del', 'q');
  });

  it('SELECT is sent for the caller database; other clients keep being served', async () => {
    const port = String(b.port);
    await ca.call('select', '3');
    await ca.call('set', 'db3key', 'x');
    assert.equal(await ca.call('slotsmgrtone', '127.0.0.1', port, '1000', 'db3key'), ':1\r\n');
    await ca.call('select', '0');
    await cb.call('select', '3');
    assert.equal(await cb.call('get', 'db3key'), '$1\r\nx\r\n');
    await cb.call('select', '0');
  });
});

describe('synchronous migration with passwords', () => {
  let a: RunningServer;
  let c: RunningServer;
  let ca: RawConnection;
  let cc: RawConnection;

  before(async () => {
    [a, c] = await Promise.all([
      startServer('codis-server'),
      startServer('codis-server', { args: ['--requirepass', 'pw'] }),
    ]);
    [ca, cc] = await Promise.all([RawConnection.open(a.port), RawConnection.open(c.port)]);
    assert.equal(await cc.call('auth', 'pw'), '+OK\r\n');
  });
  after(async () => {
    ca.close();
    cc.close();
    await Promise.all([a.stop(), c.stop()]);
  });

  it('AUTH with the source requirepass, or migration-target-auth for a target with its own', async () => {
    const port = String(c.port);
    await ca.call('mset', 'p1', '1', 'p2', '2', 'p3', '3');
    assert.equal(
      await ca.call('slotsmgrtone', '127.0.0.1', port, '1000', 'p1'),
      '-ERR error on slotsrestore, select failed\r\n',
    );
    assert.equal(await ca.call('exists', 'p1'), ':1\r\n');
    assert.equal(await ca.call('config', 'set', 'requirepass', 'pw'), '+OK\r\n');
    assert.equal(await ca.call('auth', 'pw'), '+OK\r\n');
    assert.equal(await ca.call('slotsmgrtone', '127.0.0.1', port, '1000', 'p1'), ':1\r\n');
    assert.equal(await cc.call('get', 'p1'), '$1\r\n1\r\n');
    // A fresh socket (another host spelling) with the wrong password.
    assert.equal(await ca.call('config', 'set', 'requirepass', 'other'), '+OK\r\n');
    assert.equal(
      await ca.call('slotsmgrtone', 'localhost', port, '1000', 'p2'),
      '-ERR error on slotsrestore, auth failed\r\n',
    );
    // Better than Codis: the target's own password.
    assert.equal(await ca.call('config', 'set', 'migration-target-auth', 'pw'), '+OK\r\n');
    assert.equal(await ca.call('slotsmgrtone', 'localhost', port, '1000', 'p2'), ':1\r\n');
    assert.equal(await cc.call('get', 'p2'), '$1\r\n2\r\n');
  });
});

describe('replicas of the source see the moved keys deleted', () => {
  it('sync and async migrations propagate DEL of the moved keys; the target replicates the restore', async () => {
    const [a, b, replica] = await Promise.all([0, 1, 2].map(() => startServer('codis-server')));
    const servers = [a, b, replica] as RunningServer[];
    const [ca, cb, cr] = await Promise.all(servers.map((s) => RawConnection.open(s.port)));
    const [source, target, copy] = [ca, cb, cr] as [RawConnection, RawConnection, RawConnection];
    const until = async (check: () => Promise<boolean>): Promise<void> => {
      const deadline = Date.now() + 10000;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error('replica did not catch up');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    try {
      const [sourceServer, targetServer] = servers as [RunningServer, RunningServer];
      assert.equal(await copy.call('replicaof', '127.0.0.1', String(sourceServer.port)), '+OK\r\n');
      await source.call('mset', '{r}1', 'a', '{r}2', 'b', 'r3', 'c');
      await until(async () => (await copy.call('dbsize')) === ':3\r\n');
      const port = String(targetServer.port);
      assert.equal(await source.call('slotsmgrttagone', '127.0.0.1', port, '1000', '{r}'), ':2\r\n');
      await until(async () => (await copy.call('dbsize')) === ':1\r\n');
      assert.equal(
        await source.call('slotsmgrtone-async', '127.0.0.1', port, '1000', '0', '0', 'r3'),
        ':1\r\n',
      );
      await until(async () => (await copy.call('dbsize')) === ':0\r\n');
      assert.equal(
        await target.call('mget', '{r}1', '{r}2', 'r3'),
        '*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n',
      );
      // The target's own replica receives SLOTSRESTORE / SLOTSRESTORE-ASYNC as they ran.
      assert.equal(await copy.call('replicaof', '127.0.0.1', port), '+OK\r\n');
      await until(async () => (await copy.call('dbsize')) === ':3\r\n');
      await source.call('set', 'r4', 'd');
      assert.equal(
        await source.call('slotsmgrtone-async', '127.0.0.1', port, '1000', '0', '0', 'r4'),
        ':1\r\n',
      );
      await until(async () => (await copy.call('get', 'r4')) === '$1\r\nd\r\n');
    } finally {
      for (const c of [ca, cb, cr]) c?.close();
      await Promise.all(servers.map((s) => s.stop()));
    }
  });
});
