// Replication with Redis's protocol, both ways with Debian's redis-server 7: full sync of every
// type, the stream under writes, partial resync after a broken link, full resync after the backlog
// was outrun, read-only replicas, WAIT, expiry and promotion.
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { type RunningServer, type ServerKind, startServer } from '../helpers/redis-servers.ts';

const running: RunningServer[] = [];
const clients: Redis[] = [];

async function start(kind: ServerKind, args: string[] = []): Promise<RunningServer> {
  const server = await startServer(kind, { args: ['--repl-ping-replica-period', '1', ...args] });
  running.push(server);
  return server;
}

function client(server: RunningServer): Redis {
  const redis = new Redis({
    port: server.port,
    host: '127.0.0.1',
    lazyConnect: false,
    maxRetriesPerRequest: 1,
  });
  clients.push(redis);
  return redis;
}

after(async () => {
  for (const redis of clients) redis.disconnect();
  await Promise.all(running.map((server) => server.stop()));
});

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function info(redis: Redis, field: string): Promise<string | undefined> {
  const text = await redis.info('all');
  const match = new RegExp(`^${field}:(.*)\\r?$`, 'm').exec(text);
  return match?.[1]?.trim();
}

async function linkUp(replica: Redis): Promise<void> {
  await waitFor('master_link_status:up', async () => (await info(replica, 'master_link_status')) === 'up');
}

/** Every type, small (compact encodings) and big, integers, TTLs, binary data, in two databases. */
async function populate(redis: Redis, prefix: string): Promise<void> {
  for (const db of [0, 3]) {
    const pipeline = redis.pipeline();
    pipeline.select(db);
    pipeline.set(`${prefix}:str`, 'hello');
    pipeline.set(`${prefix}:int`, '12345');
    pipeline.set(`${prefix}:bin`, Buffer.from([0, 1, 2, 255, 13, 10]));
    pipeline.set(`${prefix}:long`, 'x'.repeat(5000));
    pipeline.set(`${prefix}:ttl`, 'v', 'EX', 1000);
    pipeline.rpush(`${prefix}:list`, 'a', 'b', 'c');
    pipeline.rpush(`${prefix}:biglist`, ...Array.from({ length: 1000 }, (_, i) => `item-${i}`));
    pipeline.hset(`${prefix}:hash`, 'f1', 'v1', 'f2', '2');
    pipeline.hset(
      `${prefix}:bighash`,
      ...Array.from({ length: 600 }, (_, i) => `f${i}`).flatMap((f) => [f, `${f}v`]),
    );
    pipeline.sadd(`${prefix}:intset`, 1, 2, 3, -40);
    pipeline.sadd(`${prefix}:set`, 'a', 'b', 'c');
    pipeline.sadd(`${prefix}:bigset`, ...Array.from({ length: 700 }, (_, i) => `m${i}`));
    pipeline.zadd(`${prefix}:zset`, 1, 'a', 2.5, 'b', -3, 'c');
    pipeline.zadd(`${prefix}:bigzset`, ...Array.from({ length: 300 }, (_, i) => [i * 1.5, `z${i}`]).flat());
    pipeline.pfadd(`${prefix}:hll`, 'a', 'b', 'c');
    pipeline.expire(`${prefix}:list`, 2000);
    await pipeline.exec();
  }
  await redis.select(0);
}

/** The logical content of databases 0..3: type, value and whether a TTL is set, per key. */
async function dataset(redis: Redis): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (let db = 0; db < 4; db++) {
    await redis.select(db);
    const keys = (await redis.keys('*')).sort();
    for (const key of keys) {
      const type = await redis.type(key);
      let value: unknown;
      if (type === 'string') value = (await redis.getBuffer(key))?.toString('hex');
      else if (type === 'list') value = await redis.lrange(key, 0, -1);
      else if (type === 'hash') value = Object.entries(await redis.hgetall(key)).sort();
      else if (type === 'set') value = (await redis.smembers(key)).sort();
      else if (type === 'zset') value = await redis.zrange(key, '0', '-1', 'WITHSCORES');
      const ttl = await redis.pttl(key);
      out[`${db}/${key}`] = { type, value, ttl: ttl > 0 ? 'yes' : String(ttl) };
    }
  }
  await redis.select(0);
  return out;
}

async function inSync(master: Redis, replica: Redis): Promise<void> {
  let last = '';
  try {
    await waitFor('the replica to match the master', async () => {
      const [a, b] = [await dataset(master), await dataset(replica)];
      last = JSON.stringify({
        missing: Object.keys(a).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])),
      });
      return JSON.stringify(a) === JSON.stringify(b);
    });
  } catch (error) {
    throw new Error(`${(error as Error).message}: ${last}`);
  }
}

/** Writes of every kind under way, including rewritten ones (relative expires, SPOP, INCRBYFLOAT). */
async function writeLoad(redis: Redis, rounds: number): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const pipeline = redis.pipeline();
    pipeline.select(i % 2 === 0 ? 0 : 3);
    pipeline.incr('counter');
    pipeline.incrbyfloat('float', '1.1');
    pipeline.lpush('live:list', `e${i}`);
    pipeline.hincrby('live:hash', `f${i % 5}`, 1);
    pipeline.sadd('live:set', `s${i}`);
    pipeline.zincrby('live:zset', 1, `m${i % 7}`);
    pipeline.setex(`live:ex${i % 3}`, 100, `v${i}`);
    pipeline.set(`live:px${i % 3}`, `v${i}`, 'PX', 100000);
    pipeline.pexpire('live:list', 500000);
    pipeline.spop('live:set');
    pipeline.append('live:str', 'ab');
    pipeline.del(`live:tmp${i % 4}`);
    pipeline.set(`live:tmp${(i + 1) % 4}`, 'x');
    // Values of 128 B to 128 KB: the request parser hands them to SET as bytes.
    pipeline.set(`live:big${i % 3}`, `${i}`.padEnd(200 + i, 'b'));
    pipeline.rpoplpush('live:list', 'live:list2');
    await pipeline.exec();
    // A transaction (Redis wraps it in MULTI/EXEC in the stream).
    await redis.multi().incr('tx:a').lpush('tx:list', `t${i}`).hset('tx:hash', 'n', String(i)).exec();
  }
  await redis.select(0);
}

describe('replication', { timeout: 120000 }, () => {
  test('a redis-server replica of codis-server: full sync of every type, then the stream', async () => {
    const master = await start('codis-server');
    const replica = await start('redis-server');
    const m = client(master);
    const r = client(replica);
    await populate(m, 'before');
    assert.equal(await r.replicaof('127.0.0.1', String(master.port)), 'OK');
    await linkUp(r);
    await inSync(m, r);
    await populate(m, 'after');
    await writeLoad(m, 50);
    await inSync(m, r);
    // Transactions arrive as transactions.
    assert.match(await r.info('commandstats'), /cmdstat_multi:calls=[1-9]/);
    assert.match(await r.info('commandstats'), /cmdstat_exec:calls=[1-9]/);
    await waitFor('the master to see its replica online', async () =>
      /state=online/.test((await info(m, 'slave0')) ?? ''),
    );
    assert.equal(await info(m, 'connected_slaves'), '1');
    const role = (await m.call('ROLE')) as [string, number, string[][]];
    assert.equal(role[0], 'master');
    assert.equal(role[2].length, 1);
    assert.equal(role[2][0]?.[1], String(replica.port));
    // The expired key reaches the replica as a DEL.
    await m.set('short', 'v', 'PX', 50);
    await waitFor(
      'short to be replicated',
      async () => (await r.exists('short')) === 1 || (await m.exists('short')) === 0,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    await m.get('short');
    await inSync(m, r);
    // Partial resync after the link breaks: the replica continues from the backlog.
    const before = Number(await info(m, 'sync_partial_ok'));
    await m.call('CLIENT', 'KILL', 'TYPE', 'replica');
    await m.set('while-down', '1');
    await waitFor('a partial resync', async () => Number(await info(m, 'sync_partial_ok')) > before);
    await linkUp(r);
    await inSync(m, r);
    assert.equal(Number(await info(m, 'sync_full')), 1);
    assert.match(replica.output(), /Successful partial resynchronization with master/);
  });

  test('codis-server replica of a redis-server master: full sync, stream, read-only, partial resync', async () => {
    const master = await start('redis-server');
    const replica = await start('codis-server');
    const m = client(master);
    const r = client(replica);
    await populate(m, 'before');
    assert.equal(await r.replicaof('127.0.0.1', String(master.port)), 'OK');
    assert.equal(
      await r.call('REPLICAOF', '127.0.0.1', String(master.port)),
      'OK Already connected to specified master',
    );
    await linkUp(r);
    await inSync(m, r);
    await populate(m, 'after');
    await writeLoad(m, 50);
    await inSync(m, r);
    assert.equal(await info(r, 'role'), 'slave');
    assert.equal(await info(r, 'master_port'), String(master.port));
    assert.equal(await info(r, 'slave_read_only'), '1');
    const role = (await r.call('ROLE')) as unknown[];
    assert.deepEqual(role.slice(0, 4), ['slave', '127.0.0.1', master.port, 'connected']);
    await assert.rejects(r.set('x', '1'), /READONLY You can't write against a read only replica\./);
    assert.equal(await r.get('before:str'), 'hello');
    await waitFor('the replica ACKs', async () =>
      /state=online,offset=[1-9]/.test((await info(m, 'slave0')) ?? ''),
    );
    // The link breaks: our replica continues with PSYNC.
    await m.call('CLIENT', 'KILL', 'TYPE', 'replica');
    await m.set('while-down', '1');
    await waitFor('a partial resync', async () => Number(await info(m, 'sync_partial_ok')) >= 1);
    await linkUp(r);
    await inSync(m, r);
    assert.equal(Number(await info(m, 'sync_full')), 1);
    // Promotion: a new history, the old one kept as replid2.
    const oldId = await info(r, 'master_replid');
    assert.equal(await r.replicaof('NO', 'ONE'), 'OK');
    assert.equal(await info(r, 'role'), 'master');
    assert.equal(await info(r, 'master_replid2'), oldId);
    assert.equal(await r.set('x', '1'), 'OK');
  });

  test('replicaof in the configuration: a replica from the start; REPLICAOF updates it', async () => {
    const master = await start('codis-server');
    const m = client(master);
    await m.set('k', 'v');
    const replica = await start('codis-server', ['--replicaof', '127.0.0.1', String(master.port)]);
    const r = client(replica);
    await linkUp(r);
    assert.equal(await r.get('k'), 'v');
    assert.deepEqual(await r.config('GET', 'replicaof'), ['replicaof', `127.0.0.1 ${master.port}`]);
    await waitFor('slave0 online', async () =>
      new RegExp(`^ip=127\\.0\\.0\\.1,port=${replica.port},state=online,offset=\\d+,lag=\\d+$`).test(
        (await info(m, 'slave0')) ?? '',
      ),
    );
    await r.replicaof('NO', 'ONE');
    assert.deepEqual(await r.config('GET', 'replicaof'), ['replicaof', '']);
    await assert.rejects(r.config('SET', 'replicaof', '127.0.0.1 1'), /can't set immutable config/);
  });

  test('masterauth: replicas authenticate to masters with requirepass, both ways', async () => {
    const ours = await start('codis-server', ['--requirepass', 'secret']);
    const theirs = await start('redis-server', ['--requirepass', 'secret', '--masterauth', 'secret']);
    const o = new Redis({ port: ours.port, host: '127.0.0.1', password: 'secret' });
    const t = new Redis({ port: theirs.port, host: '127.0.0.1', password: 'secret' });
    clients.push(o, t);
    await o.set('from-ours', '1');
    await t.replicaof('127.0.0.1', String(ours.port));
    await linkUp(t);
    assert.equal(await t.get('from-ours'), '1');
    // Now the other way: ours replicates from redis-server with masterauth.
    await t.replicaof('NO', 'ONE');
    await t.set('from-theirs', '2');
    await o.config('SET', 'masterauth', 'wrong');
    await o.replicaof('127.0.0.1', String(theirs.port));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await info(o, 'master_link_status'), 'down');
    await o.config('SET', 'masterauth', 'secret');
    await linkUp(o);
    assert.equal(await o.get('from-theirs'), '2');
  });

  test('a large dataset crosses in one full sync, both ways', async () => {
    const theirs = await start('redis-server');
    const ours = await start('codis-server');
    const t = client(theirs);
    const o = client(ours);
    await t.call('DEBUG', 'POPULATE', '200000', 'key', '100');
    await o.replicaof('127.0.0.1', String(theirs.port));
    await linkUp(o);
    assert.equal(await o.dbsize(), 200000);
    assert.equal(await o.get('key:123'), await t.get('key:123'));
    await o.replicaof('NO', 'ONE');
    await o.set('extra', '1');
    await t.replicaof('127.0.0.1', String(ours.port));
    await linkUp(t);
    assert.equal(await t.dbsize(), 200001);
  });

  test('a chain and a replica that outran the backlog gets a full resync; WAIT', async () => {
    const master = await start('codis-server', ['--repl-backlog-size', '16384']);
    const replica = await start('codis-server');
    const sub = await start('redis-server');
    const m = client(master);
    const r = client(replica);
    const s = client(sub);
    await populate(m, 'before');
    await r.replicaof('127.0.0.1', String(master.port));
    await linkUp(r);
    await s.replicaof('127.0.0.1', String(replica.port));
    await linkUp(s);
    await writeLoad(m, 20);
    await inSync(m, r);
    await inSync(m, s);
    await m.set('w', '1');
    assert.equal(await m.call('WAIT', '1', '5000'), 1);
    const started = Date.now();
    assert.equal(await m.call('WAIT', '2', '300'), 1);
    assert.ok(Date.now() - started >= 250);
    assert.equal(await m.call('WAIT', '0', '0'), 1);
    await assert.rejects(r.call('WAIT', '1', '10'), /WAIT cannot be used with replica instances/);
    // min-replicas-to-write: writes need that many replicas acknowledging in time.
    await m.config('SET', 'min-replicas-to-write', '2');
    await assert.rejects(m.set('x', '1'), /NOREPLICAS Not enough good replicas to write\./);
    await m.config('SET', 'min-replicas-to-write', '1');
    assert.equal(await m.set('x', '1'), 'OK');
    await m.config('SET', 'min-replicas-to-write', '0');
    // The replica stops while the master writes more than its backlog, then reconnects.
    replica.process.kill('SIGSTOP');
    try {
      await m.call('CLIENT', 'KILL', 'TYPE', 'replica');
      for (let i = 0; i < 20; i++) await m.set(`big${i}`, 'y'.repeat(4000));
    } finally {
      replica.process.kill('SIGCONT');
    }
    await waitFor('a second full sync', async () => Number(await info(m, 'sync_full')) === 2);
    await linkUp(r);
    await inSync(m, r);
    await inSync(m, s);
    assert.match(master.output(), /Full resync requested by replica/);
    // A replica whose master is unreachable, with replica-serve-stale-data no, refuses reads.
    await r.config('SET', 'replica-serve-stale-data', 'no');
    await r.replicaof('127.0.0.1', '1');
    await waitFor('the link to be down', async () => (await info(r, 'master_link_status')) === 'down');
    await assert.rejects(
      r.get('x'),
      /MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'\./,
    );
    assert.equal(await info(r, 'role'), 'slave');
  });

  test('the handshake sends PSYNC only once the master answered every REPLCONF, as Redis does', async () => {
    // A redis-server that reads PSYNC while its REPLCONF replies are still unsent refuses it ("SYNC
    // and PSYNC are invalid with pending output"): a master here that answers REPLCONF late must
    // not see PSYNC before its answers.
    const received: string[] = [];
    let answeredReplconf = 0;
    let psyncBeforeAnswers = false;
    const fakeMaster = createServer((socket: Socket) => {
      let buffered = '';
      socket.on('data', (chunk) => {
        buffered += chunk.toString('latin1');
        for (;;) {
          const match = /^\*(\d+)\r\n/.exec(buffered);
          if (match === null) return;
          const parts: string[] = [];
          let at = match[0].length;
          for (let i = 0; i < Number(match[1]); i++) {
            const header = /^\$(\d+)\r\n/.exec(buffered.slice(at));
            if (header === null) return;
            const length = Number(header[1]);
            const start = at + header[0].length;
            if (buffered.length < start + length + 2) return;
            parts.push(buffered.slice(start, start + length));
            at = start + length + 2;
          }
          buffered = buffered.slice(at);
          const name = (parts[0] as string).toUpperCase();
          received.push(name);
          if (name === 'PING') socket.write('+PONG\r\n');
          else if (name === 'REPLCONF')
            setTimeout(() => {
              answeredReplconf++;
              socket.write('+OK\r\n');
            }, 100);
          else if (name === 'PSYNC') {
            psyncBeforeAnswers = answeredReplconf < received.filter((each) => each === 'REPLCONF').length;
            socket.end();
          }
        }
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => fakeMaster.listen(0, '127.0.0.1', resolve));
    try {
      const replica = await start('codis-server');
      const r = client(replica);
      const { port } = fakeMaster.address() as { port: number };
      assert.equal(await r.replicaof('127.0.0.1', String(port)), 'OK');
      await waitFor('PSYNC at the fake master', async () => received.includes('PSYNC'));
      assert.deepEqual(received.slice(0, 4), ['PING', 'REPLCONF', 'REPLCONF', 'PSYNC']);
      assert.equal(psyncBeforeAnswers, false);
      await r.replicaof('NO', 'ONE');
    } finally {
      fakeMaster.close();
    }
  });
});
