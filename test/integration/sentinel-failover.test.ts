// Failover of a group of codis-servers by three of Debian's redis-sentinels while a client writes:
// the master is killed, a replica is promoted, the other follows it, and the old master rejoins as
// a replica when it comes back. Prints how long writes failed and how many acknowledged writes
// were lost.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { type Daemon, requireExecutable, startDaemon } from '../helpers/daemon.ts';
import { freePort } from '../helpers/free-port.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

const SENTINEL = '/usr/bin/redis-sentinel';
const GROUP = 'codis-group';

const servers: RunningServer[] = [];
const sentinels: Daemon[] = [];
const redises: Redis[] = [];
const dirs: string[] = [];
let running = true;

after(async () => {
  running = false;
  for (const redis of redises) redis.disconnect();
  await Promise.all(sentinels.map((sentinel) => sentinel.stop()));
  await Promise.all(servers.map((server) => server.stop()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function connect(port: number): Redis {
  const redis = new Redis({
    port,
    host: '127.0.0.1',
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    lazyConnect: true,
  });
  redis.on('error', () => undefined);
  redises.push(redis);
  return redis;
}

async function open(port: number): Promise<Redis> {
  const redis = connect(port);
  await redis.connect();
  return redis;
}

/** The Sentinels' and servers' recent output, for failure messages. */
function diagnostics(): string {
  const tail = (text: string): string => text.slice(-4000);
  return [
    ...sentinels.map((sentinel, i) => `--- sentinel ${i}\n${tail(sentinel.output())}`),
    ...servers.map((server) => `--- codis-server ${server.port}\n${tail(server.output())}`),
  ].join('\n');
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${diagnostics()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A field of INFO replication, on a new connection (Sentinel kills normal clients when it reconfigures). */
async function infoField(port: number, field: string): Promise<string | undefined> {
  const redis = await open(port);
  try {
    const text = await redis.info('replication');
    return new RegExp(`^${field}:(.*)\\r?$`, 'm').exec(text)?.[1]?.trim();
  } finally {
    redis.disconnect();
  }
}

async function dbsize(port: number): Promise<number> {
  const redis = await open(port);
  try {
    return await redis.dbsize();
  } finally {
    redis.disconnect();
  }
}

async function startServerOf(port?: number): Promise<RunningServer> {
  const server = await startServer('codis-server', {
    args: ['--repl-ping-replica-period', '1'],
    ...(port === undefined ? {} : { port }),
  });
  servers.push(server);
  return server;
}

interface SentinelSpec {
  port: number;
  id: string;
}

async function startSentinel(self: SentinelSpec, peers: SentinelSpec[], masterPort: number): Promise<Daemon> {
  const dir = mkdtempSync(join(tmpdir(), 'sentinel-'));
  dirs.push(dir);
  const file = join(dir, 'sentinel.conf');
  // The peers are known from the start, so the Sentinels need not discover each other through
  // hello messages before they can agree on a failover.
  const lines = [
    `port ${self.port}`,
    'bind 127.0.0.1',
    `dir ${dir}`,
    `sentinel myid ${self.id}`,
    `sentinel monitor ${GROUP} 127.0.0.1 ${masterPort} 2`,
    `sentinel down-after-milliseconds ${GROUP} 1500`,
    `sentinel failover-timeout ${GROUP} 4000`,
    `sentinel parallel-syncs ${GROUP} 2`,
    ...peers.map((peer) => `sentinel known-sentinel ${GROUP} 127.0.0.1 ${peer.port} ${peer.id}`),
  ];
  writeFileSync(file, `${lines.join('\n')}\n`);
  const daemon = await startDaemon({
    command: SENTINEL,
    args: [file],
    ready: async () => {
      const redis = connect(self.port);
      try {
        await redis.connect();
        return (await redis.ping()) === 'PONG';
      } finally {
        redis.disconnect();
      }
    },
    ports: [self.port],
  });
  sentinels.push(daemon);
  return daemon;
}

async function masterAddress(sentinel: Redis): Promise<number> {
  const reply = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', GROUP)) as [string, string];
  return Number(reply[1]);
}

async function sentinelMasterField(sentinel: Redis, field: string): Promise<string | undefined> {
  const reply = (await sentinel.call('SENTINEL', 'MASTER', GROUP)) as string[];
  const at = reply.indexOf(field);
  return at < 0 ? undefined : reply[at + 1];
}

test('three redis-sentinels fail over a group of codis-servers under writes', {
  timeout: 120000,
}, async () => {
  requireExecutable(SENTINEL, 'redis-sentinel');
  const master = await startServerOf();
  const replicas = [await startServerOf(), await startServerOf()];
  for (const replica of replicas) {
    const redis = await open(replica.port);
    await redis.replicaof('127.0.0.1', String(master.port));
    await waitFor('link up', async () => (await infoField(replica.port, 'master_link_status')) === 'up');
  }
  const specs: SentinelSpec[] = [];
  for (let i = 0; i < 3; i++) specs.push({ port: await freePort(), id: randomBytes(20).toString('hex') });
  for (const spec of specs)
    await startSentinel(
      spec,
      specs.filter((other) => other !== spec),
      master.port,
    );
  const sentinelClients = await Promise.all(specs.map((spec) => open(spec.port)));
  for (const sentinel of sentinelClients) {
    await waitFor('the sentinels to see the replicas and each other', async () => {
      return (
        (await sentinelMasterField(sentinel, 'num-slaves')) === '2' &&
        (await sentinelMasterField(sentinel, 'num-other-sentinels')) === '2'
      );
    });
  }

  // The writer: SET w:<n> on whatever the Sentinels call the master, acknowledged writes recorded.
  const acknowledged: number[] = [];
  let failedSince = 0;
  let failedMs = 0;
  let writerPort = master.port;
  let writer = await open(writerPort);
  const sentinel = sentinelClients[0] as Redis;
  const writes = (async () => {
    for (let n = 0; running; n++) {
      try {
        await writer.set(`w:${n}`, String(n));
        acknowledged.push(n);
        if (failedSince !== 0) {
          failedMs += Date.now() - failedSince;
          failedSince = 0;
        }
      } catch {
        if (failedSince === 0) failedSince = Date.now();
        const port = await masterAddress(sentinel).catch(() => writerPort);
        if (port !== writerPort || writer.status !== 'ready') {
          writer.disconnect();
          writerPort = port;
          writer = connect(port);
          await writer.connect().catch(() => undefined);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();

  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(await masterAddress(sentinel), master.port, `no failover before the kill\n${diagnostics()}`);
  const killedAt = Date.now();
  master.process.kill('SIGKILL');
  await waitFor(
    'a replica to be promoted',
    async () => (await masterAddress(sentinel)) !== master.port,
    30000,
  );
  const promotedPort = await masterAddress(sentinel);
  const promoted = replicas.find((replica) => replica.port === promotedPort);
  assert.ok(promoted, `the new master ${promotedPort} is one of the replicas`);
  const other = replicas.find((replica) => replica !== promoted) as RunningServer;
  assert.equal(await infoField(promoted.port, 'role'), 'master');
  await waitFor('the other replica to follow the new master', async () => {
    return (
      (await infoField(other.port, 'master_port')) === String(promoted.port) &&
      (await infoField(other.port, 'master_link_status')) === 'up'
    );
  });
  await waitFor('writes to succeed again', async () => failedSince === 0 && acknowledged.length > 0);
  const failoverSeconds = (Date.now() - killedAt) / 1000;

  // The old master comes back (empty: no persistence) and the Sentinels make it a replica.
  const restarted = await startServerOf(master.port);
  await waitFor(
    'the old master to rejoin as a replica',
    async () =>
      (await infoField(restarted.port, 'master_port')) === String(promoted.port) &&
      (await infoField(restarted.port, 'master_link_status')) === 'up',
    40000,
  );
  running = false;
  await writes;

  // Acknowledged writes missing from the new master: the ones the old master took and died with.
  let lost = 0;
  const promotedClient = await open(promoted.port);
  const pipeline = promotedClient.pipeline();
  for (const n of acknowledged) pipeline.exists(`w:${n}`);
  const results = (await pipeline.exec()) ?? [];
  for (const [, exists] of results) if (exists !== 1) lost++;
  // The other replica continued from the promoted one's backlog (PSYNC with the old id).
  const stats = await promotedClient.info('stats');
  const partial = Number(/^sync_partial_ok:(\d+)/m.exec(stats)?.[1]);
  console.log(
    `sentinel failover: writes failed for ${(failedMs / 1000).toFixed(2)} s, ${lost} of ${acknowledged.length} acknowledged writes lost, promoted after ${failoverSeconds.toFixed(2)} s, partial resyncs on the new master: ${partial}`,
  );
  assert.ok(lost <= acknowledged.length);
  assert.ok(
    partial >= 1,
    `the other replica resynchronized partially (sync_partial_ok:${partial})\n${diagnostics()}`,
  );
  // The whole group agrees on the data.
  const size = await promotedClient.dbsize();
  await waitFor('the replicas to have the same data', async () => {
    return (await dbsize(other.port)) === size && (await dbsize(restarted.port)) === size;
  });
});
