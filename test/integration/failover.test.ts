// FAILOVER (Redis 6.2+): argument checks and the state machine run with the same assertions against
// Debian's redis-server 7 and codis-server (a scripted replica and a scripted target show exactly
// what the master does: the pause, the PSYNC ... FAILOVER it sends, aborts and timeouts); then
// real failovers between our servers and redis-server, both ways, with data and offsets checked.
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, afterEach, describe, test } from 'node:test';
import { PARSE_COMMAND, RequestParser } from '../../src/resp/index.ts';
import { conformanceSuite, TARGETS } from '../helpers/conformance.ts';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, type ServerKind, startServer } from '../helpers/redis-servers.ts';

const READONLY = "-READONLY You can't write against a read only replica.\r\n";

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function info(connection: RawConnection): Promise<Map<string, string>> {
  const text = String(await connection.value('INFO', 'replication'));
  const fields = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

async function field(connection: RawConnection, name: string): Promise<string | undefined> {
  return (await info(connection)).get(name);
}

/** A reply that must not come yet (a paused write): none within `ms`. */
async function noReplyWithin(connection: RawConnection, ms: number): Promise<void> {
  await assert.rejects(connection.reply(ms), /no reply within/);
}

// ---- scripted peers

/** A replica speaking just enough protocol: attaches with PSYNC, acknowledges offsets on demand. */
class FakeReplica {
  private readonly socket: Socket;
  closed = false;
  /** What the master sent before the sync (the replies to REPLCONF). */
  private received = '';

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      if (this.received.length < 64) this.received += chunk.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
    });
  }

  /** Attaches to `masterPort` announcing `listeningPort` (where a FakeTarget listens). */
  static async attach(masterPort: number, listeningPort: number): Promise<FakeReplica> {
    const socket = connect(masterPort, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const replica = new FakeReplica(socket);
    // One request at a time, as a replica: Redis refuses PSYNC while replies are pending.
    replica.send('REPLCONF', 'listening-port', String(listeningPort));
    await waitFor('+OK', async () => replica.received === '+OK\r\n');
    replica.send('REPLCONF', 'capa', 'psync2');
    await waitFor('+OK', async () => replica.received === '+OK\r\n+OK\r\n');
    replica.send('PSYNC', '?', '-1');
    return replica;
  }

  send(...argv: string[]): void {
    let text = `*${argv.length}\r\n`;
    for (const arg of argv) text += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
    this.socket.write(text);
  }

  ack(offset: number | string): void {
    this.send('REPLCONF', 'ACK', String(offset));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The replica a master fails over to, scripted: answers the handshake, then PSYNC as told. */
class FakeTarget {
  readonly commands: string[][] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;
  /** Answers PSYNC (the test's script): a reply line, or close. */
  onPsync: (socket: Socket, argv: string[]) => void = () => undefined;

  private constructor() {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      const parser = new RequestParser({ maxBulkLength: 1 << 20 });
      socket.on('data', (chunk: Buffer) => {
        parser.feed(chunk);
        while (parser.next() === PARSE_COMMAND) {
          const argv = parser.argv.slice();
          this.commands.push(argv);
          const name = (argv[0] as string).toUpperCase();
          if (name === 'PING') socket.write('+PONG\r\n');
          else if (name === 'REPLCONF' && argv[1]?.toUpperCase() !== 'ACK') socket.write('+OK\r\n');
          else if (name === 'PSYNC') this.onPsync(socket, argv);
        }
      });
    });
  }

  static async start(): Promise<FakeTarget> {
    const target = new FakeTarget();
    await new Promise<void>((resolve) => target.server.listen(0, '127.0.0.1', resolve));
    const address = target.server.address();
    target.port = typeof address === 'object' && address !== null ? address.port : 0;
    return target;
  }

  psync(): string[] | undefined {
    return this.commands.find((argv) => argv[0]?.toUpperCase() === 'PSYNC');
  }

  close(): void {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
  }
}

// ---- argument checks on a master without replicas

conformanceSuite('FAILOVER arguments', (it) => {
  const cases: Array<[string[], string]> = [
    [['FAILOVER'], '-ERR FAILOVER requires connected replicas.\r\n'],
    [['FAILOVER', 'ABORT'], '-ERR No failover in progress.\r\n'],
    [['FAILOVER', 'abort'], '-ERR No failover in progress.\r\n'],
    [['FAILOVER', 'ABORT', 'x'], '-ERR syntax error\r\n'],
    [['FAILOVER', 'ABORT', 'TIMEOUT', '5'], '-ERR syntax error\r\n'],
    [['FAILOVER', 'TO'], '-ERR syntax error\r\n'],
    [['FAILOVER', 'TO', '127.0.0.1'], '-ERR syntax error\r\n'],
    [['FAILOVER', 'TO', '127.0.0.1', 'abc'], '-ERR value is not an integer or out of range\r\n'],
    [['FAILOVER', 'TO', '127.0.0.1', '6379.5'], '-ERR value is not an integer or out of range\r\n'],
    [
      ['FAILOVER', 'TO', '127.0.0.1', '99999999999999999999'],
      '-ERR value is not an integer or out of range\r\n',
    ],
    [['FAILOVER', 'TO', 'a', '1', 'TO', 'b', '2'], '-ERR syntax error\r\n'],
    [['FAILOVER', 'TIMEOUT'], '-ERR syntax error\r\n'],
    [['FAILOVER', 'TIMEOUT', 'abc'], '-ERR value is not an integer or out of range\r\n'],
    [['FAILOVER', 'TIMEOUT', '0'], '-ERR FAILOVER timeout must be greater than 0\r\n'],
    [['FAILOVER', 'TIMEOUT', '-5'], '-ERR FAILOVER timeout must be greater than 0\r\n'],
    [['FAILOVER', 'TIMEOUT', '10', 'TIMEOUT', '20'], '-ERR syntax error\r\n'],
    [['FAILOVER', 'FORCE', 'FORCE'], '-ERR syntax error\r\n'],
    [['FAILOVER', 'bogus'], '-ERR syntax error\r\n'],
    // Parsed first, then: no replicas (before FORCE's own check).
    [['FAILOVER', 'FORCE'], '-ERR FAILOVER requires connected replicas.\r\n'],
    [['FAILOVER', 'TO', '127.0.0.1', '1', 'FORCE'], '-ERR FAILOVER requires connected replicas.\r\n'],
    [['FAILOVER', 'TIMEOUT', '100', 'FORCE'], '-ERR FAILOVER requires connected replicas.\r\n'],
    [['FAILOVER', 'TO', 'nohost', '1', 'TIMEOUT', '5'], '-ERR FAILOVER requires connected replicas.\r\n'],
  ];
  it('argument errors, in Redis order', async ({ connection }) => {
    for (const [argv, expected] of cases)
      assert.equal(await connection.call(...argv), expected, argv.join(' '));
    assert.equal(await connection.call('FAILOVER', 'ABORT'), '-ERR No failover in progress.\r\n');
  });

  it('not from scripts; a failover PSYNC is for replicas', async ({ connection }) => {
    assert.match(
      await connection.call('EVAL', "return redis.call('failover')", '0'),
      /^-ERR This Redis command is not allowed from script/,
    );
    assert.equal(
      await connection.call('PSYNC', '0123456789012345678901234567890123456789', '1', 'FAILOVER'),
      "-ERR PSYNC FAILOVER can't be sent to a master.\r\n",
    );
  });
});

// ---- the state machine of a master, with a scripted replica and target

for (const kind of TARGETS) {
  describe(`FAILOVER state machine [${kind}]`, { timeout: 120000 }, () => {
    let master: RunningServer | undefined;
    const opened: Array<{ close(): void }> = [];

    afterEach(async () => {
      for (const each of opened.splice(0)) each.close();
      await master?.stop();
      master = undefined;
    });

    /** A master with one scripted replica online (announcing the scripted target's port). */
    async function setup(): Promise<{
      admin: RawConnection;
      replica: FakeReplica;
      target: FakeTarget;
      replid: string;
      offset: number;
    }> {
      // No PING in the stream during a test: the offsets it asserts stay put.
      const args = ['--repl-ping-replica-period', '3600'];
      if (kind === 'redis-server') args.push('--repl-diskless-sync-delay', '0');
      master = await startServer(kind, { args });
      const admin = await RawConnection.open(master.port);
      opened.push(admin);
      const target = await FakeTarget.start();
      opened.push(target);
      const replica = await FakeReplica.attach(master.port, target.port);
      opened.push(replica);
      await waitFor(
        'the replica online',
        async () => (await field(admin, 'slave0'))?.includes(`port=${target.port},state=online`) === true,
      ).catch(async (error: Error) => {
        throw new Error(`${error.message}: ${JSON.stringify([...(await info(admin))])} ${master?.output()}`);
      });
      // Data the replica has not acknowledged: the failover waits for it.
      assert.equal(await admin.call('SET', 'k', 'v'), '+OK\r\n');
      const fields = await info(admin);
      return {
        admin,
        replica,
        target,
        replid: fields.get('master_replid') as string,
        offset: Number(fields.get('master_repl_offset')),
      };
    }

    async function writer(): Promise<RawConnection> {
      const connection = await RawConnection.open((master as RunningServer).port);
      opened.push(connection);
      return connection;
    }

    test('target caught up: PSYNC <replid> <offset+1> FAILOVER, then a replica of it; paused writes get READONLY', async () => {
      const { admin, replica, target, replid, offset } = await setup();
      const newId = 'abcdef0123456789abcdef0123456789abcdef01';
      target.onPsync = (socket) => socket.write(`+CONTINUE ${newId}\r\n`);
      // Blocked before the failover (BLPOP is a write: once paused, it would wait as SET does).
      const blocked = await writer();
      blocked.send('BLPOP', 'queue', '0');
      await waitFor('BLPOP blocked', async () =>
        /blocked_clients:1\r\n/.test(String(await admin.value('INFO', 'clients'))),
      );
      assert.equal(await admin.call('FAILOVER', 'TO', '127.0.0.1', String(target.port)), '+OK\r\n');
      assert.equal(await field(admin, 'master_failover_state'), 'waiting-for-sync');
      assert.equal(
        await admin.call('FAILOVER', 'TO', '127.0.0.1', String(target.port)),
        '-ERR FAILOVER already in progress.\r\n',
      );
      // Writes wait; reads are served.
      const write = await writer();
      write.send('SET', 'during', 'failover');
      await noReplyWithin(write, 300);
      assert.equal(await admin.call('GET', 'k'), '$1\r\nv\r\n');
      assert.equal(target.commands.length, 0);

      replica.ack(offset);
      await waitFor(
        'the failover to end',
        async () => (await field(admin, 'master_failover_state')) === 'no-failover',
      );
      assert.equal((await write.reply()).raw, READONLY);
      // A request blocked on keys ends with an error and its connection closes (master -> replica).
      assert.equal(
        (await blocked.reply()).raw,
        '-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n',
      );
      await blocked.waitClosed();
      assert.deepEqual(target.psync(), ['PSYNC', replid, String(offset + 1), 'FAILOVER']);
      assert.deepEqual(target.commands[0], ['PING']);
      assert.deepEqual(target.commands[1], ['REPLCONF', 'listening-port', String(master?.port)]);

      const fields = await info(admin);
      assert.equal(fields.get('role'), 'slave');
      assert.equal(fields.get('master_host'), '127.0.0.1');
      assert.equal(fields.get('master_port'), String(target.port));
      assert.equal(fields.get('master_link_status'), 'up');
      assert.equal(fields.get('master_replid'), newId);
      assert.equal(fields.get('master_replid2'), replid);
      assert.equal(fields.get('second_repl_offset'), String(offset + 1));
      assert.equal(fields.get('master_repl_offset'), String(offset));
      // The new id reached us: our replicas reconnect to learn it.
      await waitFor('the scripted replica dropped', async () => replica.closed);
      assert.equal(await admin.call('SET', 'after', 'x'), READONLY);
      assert.equal(await admin.call('FAILOVER'), '-ERR FAILOVER is not valid when server is a replica.\r\n');
      assert.equal(await admin.call('FAILOVER', 'ABORT'), '-ERR No failover in progress.\r\n');
    });

    test('FAILOVER without TO: the first replica caught up is the target', async () => {
      const { admin, replica, target, replid, offset } = await setup();
      target.onPsync = (socket, argv) => socket.write(`+CONTINUE ${argv[1]}\r\n`);
      assert.equal(await admin.call('FAILOVER'), '+OK\r\n');
      assert.equal(await field(admin, 'master_failover_state'), 'waiting-for-sync');
      replica.ack(offset - 1);
      await sleep(200);
      assert.equal(await field(admin, 'master_failover_state'), 'waiting-for-sync');
      replica.ack(offset);
      await waitFor(
        'the failover to end',
        async () => (await field(admin, 'master_failover_state')) === 'no-failover',
      );
      assert.deepEqual(target.psync(), ['PSYNC', replid, String(offset + 1), 'FAILOVER']);
      const fields = await info(admin);
      assert.equal(fields.get('role'), 'slave');
      assert.equal(fields.get('master_port'), String(target.port));
      // +CONTINUE with the same id: the history goes on unchanged.
      assert.equal(fields.get('master_replid'), replid);
    });

    test('TIMEOUT without FORCE: aborted, still the master of the same history, writes resume', async () => {
      const { admin, target, replid, offset } = await setup();
      assert.equal(
        await admin.call('FAILOVER', 'TO', '127.0.0.1', String(target.port), 'TIMEOUT', '400'),
        '+OK\r\n',
      );
      const write = await writer();
      write.send('SET', 'during', 'failover');
      await noReplyWithin(write, 150);
      await waitFor(
        'the timeout',
        async () => (await field(admin, 'master_failover_state')) === 'no-failover',
      );
      assert.equal((await write.reply()).raw, '+OK\r\n');
      const fields = await info(admin);
      assert.equal(fields.get('role'), 'master');
      assert.equal(fields.get('master_replid'), replid);
      assert.ok(Number(fields.get('master_repl_offset')) > offset);
      assert.equal(target.commands.length, 0);
    });

    test('TIMEOUT with FORCE: fails over to a target that never caught up', async () => {
      const { admin, target, replid, offset } = await setup();
      target.onPsync = (socket) => socket.write(`+CONTINUE ${replid}\r\n`);
      // FORCE needs both TO and TIMEOUT.
      assert.equal(
        await admin.call('FAILOVER', 'TO', '127.0.0.1', String(target.port), 'FORCE'),
        '-ERR FAILOVER with force option requires both a timeout and target HOST and IP.\r\n',
      );
      assert.equal(
        await admin.call('FAILOVER', 'TIMEOUT', '100', 'FORCE'),
        '-ERR FAILOVER with force option requires both a timeout and target HOST and IP.\r\n',
      );
      assert.equal(
        await admin.call('FAILOVER', 'TO', '127.0.0.1', String(target.port), 'TIMEOUT', '300', 'FORCE'),
        '+OK\r\n',
      );
      await waitFor('the failover to end', async () => {
        const fields = await info(admin);
        return fields.get('master_failover_state') === 'no-failover' && fields.get('role') === 'slave';
      });
      assert.deepEqual(target.psync(), ['PSYNC', replid, String(offset + 1), 'FAILOVER']);
    });

    test('ABORT while waiting: writes resume; CLIENT UNPAUSE does not end the pause', async () => {
      const { admin, target, replid } = await setup();
      assert.equal(
        await admin.call('FAILOVER', 'TO', '127.0.0.1', String(target.port), 'TIMEOUT', '60000'),
        '+OK\r\n',
      );
      assert.equal(await admin.call('FAILOVER'), '-ERR FAILOVER already in progress.\r\n');
      assert.equal(await admin.call('FAILOVER', 'ABORT', 'now'), '-ERR syntax error\r\n');
      const write = await writer();
      write.send('INCR', 'counter');
      await noReplyWithin(write, 200);
      assert.equal(await admin.call('CLIENT', 'UNPAUSE'), '+OK\r\n');
      await noReplyWithin(write, 200);
      assert.equal(await admin.call('FAILOVER', 'ABORT'), '+OK\r\n');
      assert.equal(await field(admin, 'master_failover_state'), 'no-failover');
      assert.equal((await write.reply()).raw, ':1\r\n');
      assert.equal(await admin.call('FAILOVER', 'ABORT'), '-ERR No failover in progress.\r\n');
      const fields = await info(admin);
      assert.equal(fields.get('role'), 'master');
      assert.equal(fields.get('master_replid'), replid);
    });

    test('ABORT in progress (PSYNC FAILOVER unanswered): writes meanwhile meet READONLY; a master again', async () => {
      const { admin, replica, target, replid, offset } = await setup();
      target.onPsync = () => undefined;
      assert.equal(await admin.call('FAILOVER', 'TO', '127.0.0.1', String(target.port)), '+OK\r\n');
      replica.ack(offset);
      await waitFor('PSYNC FAILOVER sent', async () => target.psync() !== undefined);
      const fields = await info(admin);
      assert.equal(fields.get('master_failover_state'), 'failover-in-progress');
      assert.equal(fields.get('role'), 'slave');
      assert.equal(fields.get('master_link_status'), 'down');
      // Already a replica: a write is refused at once rather than paused; reads are served.
      const write = await writer();
      assert.equal(await write.call('SET', 'during', 'failover'), READONLY);
      assert.equal(await admin.call('GET', 'k'), '$1\r\nv\r\n');
      assert.equal(await admin.call('FAILOVER', 'ABORT'), '+OK\r\n');
      const after = await info(admin);
      assert.equal(after.get('master_failover_state'), 'no-failover');
      assert.equal(after.get('role'), 'master');
      assert.equal(after.get('master_replid2'), replid);
      assert.equal(after.get('second_repl_offset'), String(offset + 1));
      assert.equal(await write.call('SET', 'after', 'abort'), '+OK\r\n');
    });

    test('a replica syncing during a failover is refused; the target leaving does not end the wait', async () => {
      const { admin, replica, target } = await setup();
      assert.equal(
        await admin.call('FAILOVER', 'TO', '127.0.0.1', String(target.port), 'TIMEOUT', '1500'),
        '+OK\r\n',
      );
      const other = await writer();
      assert.equal(await other.call('PSYNC', '?', '-1'), "-NOMASTERLINK Can't SYNC while failing over\r\n");
      replica.close();
      await waitFor('the replica gone', async () => (await field(admin, 'connected_slaves')) === '0');
      await sleep(300);
      assert.equal(await field(admin, 'master_failover_state'), 'waiting-for-sync');
      await waitFor(
        'the timeout',
        async () => (await field(admin, 'master_failover_state')) === 'no-failover',
      );
      assert.equal(await field(admin, 'role'), 'master');
      assert.equal(await admin.call('SET', 'k', 'again'), '+OK\r\n');
    });

    for (const [how, answer] of [
      ['refuses PSYNC FAILOVER', (socket: Socket) => socket.write('-ERR refused\r\n')],
      ['closes the link instead of answering', (socket: Socket) => socket.destroy()],
    ] as const) {
      test(`the target ${how}: aborted, a master again with a new id, writes resume`, async () => {
        const { admin, replica, target, replid, offset } = await setup();
        target.onPsync = answer;
        assert.equal(await admin.call('FAILOVER', 'TO', '127.0.0.1', String(target.port)), '+OK\r\n');
        const write = await writer();
        write.send('SET', 'during', 'failover');
        await noReplyWithin(write, 150);
        replica.ack(offset);
        await waitFor(
          'the failover to end',
          async () => (await field(admin, 'master_failover_state')) === 'no-failover',
        );
        assert.deepEqual(target.psync(), ['PSYNC', replid, String(offset + 1), 'FAILOVER']);
        assert.equal((await write.reply()).raw, '+OK\r\n');
        const fields = await info(admin);
        assert.equal(fields.get('role'), 'master');
        assert.notEqual(fields.get('master_replid'), replid);
        assert.equal(fields.get('master_replid2'), replid);
        assert.equal(fields.get('second_repl_offset'), String(offset + 1));
        // Our replicas reconnect to learn the new id.
        await waitFor('the scripted replica dropped', async () => replica.closed);
      });
    }
  });
}

// ---- real failovers: our servers and redis-server, both ways

describe('FAILOVER between servers', { timeout: 180000 }, () => {
  const running: RunningServer[] = [];
  const connections: RawConnection[] = [];

  after(async () => {
    for (const connection of connections) connection.close();
    await Promise.all(running.map((server) => server.stop()));
  });

  async function start(kind: ServerKind): Promise<{ server: RunningServer; admin: RawConnection }> {
    const args = ['--repl-ping-replica-period', '1'];
    if (kind === 'redis-server') args.push('--repl-diskless-sync-delay', '0');
    const server = await startServer(kind, { args });
    running.push(server);
    const admin = await RawConnection.open(server.port);
    connections.push(admin);
    return { server, admin };
  }

  async function synced(master: RawConnection, replicas: RawConnection[]): Promise<void> {
    await waitFor('the replicas in sync', async () => {
      const offset = await field(master, 'master_repl_offset');
      for (const replica of replicas) {
        const fields = await info(replica);
        if (fields.get('master_link_status') !== 'up' || fields.get('master_repl_offset') !== offset)
          return false;
      }
      return true;
    });
  }

  /** The dataset the test writes, as replies (databases 0 and 3). */
  async function dataset(connection: RawConnection): Promise<string> {
    const out = [
      JSON.stringify(((await connection.value('KEYS', '*')) as string[]).sort()),
      await connection.call('LRANGE', 'list', '0', '-1'),
      await connection.call('GET', 'string'),
      await connection.call('SELECT', '3'),
      await connection.call('HGETALL', 'hash'),
      await connection.call('SELECT', '0'),
    ];
    return out.join('');
  }

  for (const [masterKind, targetKind] of [
    ['codis-server', 'codis-server'],
    ['codis-server', 'redis-server'],
    ['redis-server', 'codis-server'],
  ] as const) {
    test(`${masterKind} fails over to a ${targetKind} replica; another replica follows by partial resync`, async () => {
      const master = await start(masterKind);
      const target = await start(targetKind);
      const other = await start(masterKind);
      for (const replica of [target, other])
        assert.equal(
          await replica.admin.call('REPLICAOF', '127.0.0.1', String(master.server.port)),
          '+OK\r\n',
        );
      for (let i = 0; i < 50; i++) await master.admin.call('RPUSH', 'list', `before-${i}`);
      await master.admin.call('SET', 'string', 'before');
      await master.admin.call('SELECT', '3');
      await master.admin.call('HSET', 'hash', 'f', 'v');
      await master.admin.call('SELECT', '0');
      await synced(master.admin, [target.admin, other.admin]);
      const before = await info(master.admin);
      const targetBefore = await info(target.admin);
      const oldId = before.get('master_replid') as string;
      const offset = Number(before.get('master_repl_offset'));
      assert.equal(targetBefore.get('master_replid'), oldId);

      assert.equal(
        await target.admin.call('PSYNC', '0123456789012345678901234567890123456789', '1', 'FAILOVER'),
        '-ERR PSYNC FAILOVER replid must match my replid.\r\n',
      );
      // A client that writes during the failover: paused, then refused by the replica we became.
      const write = await RawConnection.open(master.server.port);
      connections.push(write);
      assert.equal(
        await master.admin.call(
          'FAILOVER',
          'TO',
          '127.0.0.1',
          String(target.server.port),
          'TIMEOUT',
          '10000',
        ),
        '+OK\r\n',
      );
      write.send('SET', 'during', 'failover');
      await waitFor(
        'the failover to end',
        async () => (await field(master.admin, 'master_failover_state')) === 'no-failover',
      );
      // Paused until the failover ends, when this server is a replica: READONLY.
      assert.equal((await write.reply()).raw, READONLY);

      const promoted = await info(target.admin);
      assert.equal(promoted.get('role'), 'master');
      assert.equal(promoted.get('master_replid2'), oldId);
      // The history handed over ends where the old master stopped: after the offset read above, plus
      // any PING (14 bytes, every second here) that entered the stream before the failover began.
      const handedOver = Number(promoted.get('second_repl_offset')) - (offset + 1);
      assert.ok(
        handedOver >= 0 && handedOver % 14 === 0,
        `second_repl_offset ${promoted.get('second_repl_offset')}, offset ${offset}`,
      );
      assert.notEqual(promoted.get('master_replid'), oldId);
      const demoted = await info(master.admin);
      assert.equal(demoted.get('role'), 'slave');
      assert.equal(demoted.get('master_port'), String(target.server.port));
      await waitFor(
        'the old master linked',
        async () => (await field(master.admin, 'master_link_status')) === 'up',
      );
      assert.equal(await field(master.admin, 'master_replid'), promoted.get('master_replid'));

      // Writes go on at the new master and reach the old one (and the replica chained behind it).
      for (let i = 0; i < 20; i++) await target.admin.call('RPUSH', 'list', `after-${i}`);
      await target.admin.call('SET', 'string', 'after');
      assert.equal(await master.admin.call('SET', 'x', 'y'), READONLY);
      await synced(target.admin, [master.admin]);
      await waitFor('the other replica on the new history', async () => {
        const fields = await info(other.admin);
        return (
          fields.get('master_replid') === promoted.get('master_replid') &&
          fields.get('master_link_status') === 'up'
        );
      });
      await synced(master.admin, [other.admin]);
      const expected = await dataset(target.admin);
      assert.match(expected, /\$5\r\nafter\r\n/);
      assert.equal(await dataset(master.admin), expected);
      assert.equal(await dataset(other.admin), expected);
      assert.equal(await master.admin.call('LLEN', 'list'), ':70\r\n');
      // No full sync: the old master continued from the target's backlog (and the other replica
      // from the old master's).
      const stats = String(await target.admin.value('INFO', 'stats'));
      assert.match(stats, /sync_full:0\r\n/);
      assert.match(stats, /sync_partial_ok:1\r\n/);
    });
  }
});
