import assert from 'node:assert/strict';
import { test } from 'node:test';
import { slotOf } from '../../slots/index.ts';
import { createCodisServer, ServerConfig } from '../index.ts';
import { Database } from '../keyspace/database.ts';
import type { CodisServer } from '../server.ts';
import type { StreamValue } from '../types/stream.ts';
import { formatId } from '../types/stream-id.ts';
import { loadRdb } from './rdb-file.ts';
import { type SnapshotConsumer, snapshotServiceOf } from './snapshot-job.ts';

function serverWith(keys: number): CodisServer {
  const server = createCodisServer(new ServerConfig());
  const database = server.databases[0] as Database;
  for (let i = 0; i < keys; i++) database.add(`key:${i}`, `value-${i}-${'x'.repeat(40)}`, Date.now());
  return server;
}

/** A consumer that keeps every byte; `done` resolves with them. */
function collector(): { consumer: SnapshotConsumer; done: Promise<Buffer>; chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  let resolve: (payload: Buffer) => void = () => undefined;
  let reject: (error: Error) => void = () => undefined;
  const done = new Promise<Buffer>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  const consumer: SnapshotConsumer = {
    data: (chunk) => chunks.push(Buffer.from(chunk)),
    end: () => resolve(Buffer.concat(chunks)),
    failed: (error) => reject(error),
  };
  return { consumer, done, chunks };
}

function emptyDatabases(): Database[] {
  return Array.from(
    { length: 16 },
    (_, index) => new Database(index, { keyExpired: () => undefined, expiryHidesOnly: false }),
  );
}

function load(payload: Buffer, keepExpired = false): Database[] {
  const databases = emptyDatabases();
  loadRdb(payload, 'test', databases, Date.now(), { keepExpired });
  return databases;
}

test('one snapshot serves a consumer that joins late with the same bytes, as at the start', async () => {
  const server = serverWith(60_000);
  const service = snapshotServiceOf(server);
  const first = collector();
  const job = service.start('rdb');
  job.add(first.consumer);
  job.keepsPrefix(first.consumer, (length) => Buffer.concat(first.chunks).subarray(0, length));
  // Wait until part of the image is out, then change keys and join.
  while (job.bytes === 0) await new Promise((resolve) => setImmediate(resolve));
  assert.ok(!job.done, 'the snapshot is written across several turns');
  const client = server.createInternalClient();
  client.authenticated = true;
  server.execute(client, ['SET', 'key:59999', 'changed']);
  server.execute(client, ['SET', 'new-key', '1']);
  server.execute(client, ['DEL', 'key:0']);
  assert.equal(service.joinable('rdb'), job);
  assert.equal(service.joinable('aof-base'), undefined);
  const second = collector();
  job.add(second.consumer);
  const [a, b] = await Promise.all([first.done, second.done]);
  assert.ok(a.equals(b));
  const database = load(a)[0] as Database;
  assert.equal(database.size, 60_000);
  assert.equal(database.findRaw('key:59999')?.value, `value-59999-${'x'.repeat(40)}`);
  assert.notEqual(database.findRaw('key:0'), undefined);
  assert.equal(database.findRaw('new-key'), undefined);
  assert.equal(service.current, undefined);
  assert.equal((server.databases[0] as Database).writeObserver, undefined);
});

test('requests wait while a snapshot runs; a snapshot whose consumers all left stops', async () => {
  const server = serverWith(60_000);
  const service = snapshotServiceOf(server);
  const only = collector();
  const job = service.start('aof-base');
  job.add(only.consumer);
  let ran = false;
  service.whenIdle(() => {
    ran = true;
  });
  assert.throws(() => service.start('rdb'));
  job.remove(only.consumer);
  assert.ok(job.done);
  assert.equal((server.databases[0] as Database).writeObserver, undefined);
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(ran);
  const next = collector();
  service.start('rdb').add(next.consumer);
  assert.equal((load(await next.done)[0] as Database).size, 60_000);
  assert.equal(service.started, 2);
});

test('loadRdb keeps keys already expired when asked (a replica), reports repl-stream-db', async () => {
  const server = serverWith(0);
  const database = server.databases[2] as Database;
  const entry = database.add('old', 'v', Date.now());
  database.setExpire('old', entry, Date.now() - 1000);
  database.add('kept', 'v', Date.now());
  server.expiryHidesOnly = true;
  const service = snapshotServiceOf(server);
  service.replicationPoint = () => ({ replicationId: 'a'.repeat(40), offset: 42, streamDatabase: 2 });
  const image = collector();
  service.start('rdb').add(image.consumer);
  const payload = await image.done;
  assert.equal((load(payload, true)[2] as Database).size, 2);
  assert.equal((load(payload, false)[2] as Database).size, 1);
  const result = loadRdb(payload, 'test', emptyDatabases(), Date.now());
  assert.equal(result.streamDatabase, 2);
  assert.equal(result.aux.get('repl-offset'), '42');
});

test('a stream changed by group commands during a snapshot is written as it was', async () => {
  const server = serverWith(60_000);
  const client = server.createInternalClient();
  client.authenticated = true;
  // A key of the last slot: the snapshot reaches it last.
  let key = 'stream';
  for (let i = 0; slotOf(key) !== 1023; i++) key = `stream:${i}`;
  for (let i = 1; i <= 5; i++) server.execute(client, ['XADD', key, `${i}-1`, 'f', 'v']);
  server.execute(client, ['XGROUP', 'CREATE', key, 'g', '0']);
  server.execute(client, ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '2', 'STREAMS', key, '>']);
  const service = snapshotServiceOf(server);
  const image = collector();
  const job = service.start('rdb');
  job.add(image.consumer);
  while (job.bytes === 0) await new Promise((resolve) => setImmediate(resolve));
  assert.ok(!job.done);
  server.execute(client, ['XREADGROUP', 'GROUP', 'g', 'bob', 'STREAMS', key, '>']);
  server.execute(client, ['XACK', key, 'g', '1-1']);
  server.execute(client, ['XCLAIM', key, 'g', 'carol', '0', '2-1']);
  server.execute(client, ['XAUTOCLAIM', key, 'g', 'dave', '0', '0']);
  const loaded = load(await image.done)[0]?.findRaw(key)?.value as StreamValue;
  const group = loaded.group('g');
  assert.ok(group !== undefined);
  assert.deepEqual([...group.consumers.keys()], ['alice']);
  assert.equal(group.pel.size, 2);
  assert.equal(formatId(group.lastId), '2-1');
});
