import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { BackendConnection } from './backend.ts';
import { defaultProxyConfig } from './config/index.ts';
import { scheduleFlush } from './flush.ts';
import { SILENT_LOGGER } from './logger.ts';
import { Request, type RequestOwner } from './request.ts';
import { encodeRequest } from './request-decoder.ts';

const SET = encodeRequest(['SET', 'key', 'value']);
const PING = encodeRequest(['PING']);

/** A backend that answers +OK to every request and records how many requests each read held. */
class CountingBackend {
  readonly reads: number[] = [];
  /** The size of every request the test sends. */
  requestSize = SET.length;
  private readonly server: Server;
  private readonly sockets: Socket[] = [];
  port = 0;

  constructor() {
    this.server = createServer((socket) => {
      this.sockets.push(socket);
      let bytes = 0;
      socket.on('data', (chunk: Buffer) => {
        this.reads.push(chunk.length / this.requestSize);
        // Every request is requestSize bytes: each one completed by this read is answered.
        const before = Math.floor(bytes / this.requestSize);
        bytes += chunk.length;
        socket.write('+OK\r\n'.repeat(Math.floor(bytes / this.requestSize) - before));
      });
      socket.on('error', () => {});
    });
  }

  /** Requests read in all. */
  get requestsRead(): number {
    return this.reads.reduce((sum, requests) => sum + requests, 0);
  }

  async listen(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
    await once(this.server, 'close');
  }
}

/** A session as the backend connection sees it: counts its replies and its turns. */
class Sender implements RequestOwner {
  readonly broken = false;
  sentInWindow = -1;
  replies = 0;

  onBackendReply(): void {
    this.replies++;
  }

  onBackendFailure(_request: Request, message: string): void {
    failures.push(message);
  }

  send(connection: BackendConnection, raw = SET): void {
    const request = new Request();
    request.owner = this;
    request.raw = raw;
    connection.send(request);
  }
}

/** Requests that failed (none should). */
const failures: string[] = [];

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** Two windows of busyTurn without senders: a crowd before is forgotten. */
async function quiet(): Promise<void> {
  for (let window = 0; window < 2; window++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    let flushed = false;
    scheduleFlush({
      flushQueued: false,
      flush() {
        flushed = true;
      },
    });
    while (!flushed) await nextTurn();
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

describe('backend batches in a busy proxy (backend_batch_wait)', () => {
  let backend: CountingBackend;
  let pong: CountingBackend;
  const connections: BackendConnection[] = [];

  before(async () => {
    backend = new CountingBackend();
    await backend.listen();
    pong = new CountingBackend();
    pong.requestSize = PING.length;
    await pong.listen();
  });

  after(async () => {
    for (const connection of connections) connection.close();
    await backend.close();
    await pong.close();
    assert.deepEqual(failures, []);
  });

  async function connect(wait: number): Promise<BackendConnection> {
    const config = { ...defaultProxyConfig(), backend_batch_wait: wait };
    const connection = new BackendConnection(`127.0.0.1:${backend.port}`, 0, config, SILENT_LOGGER);
    connections.push(connection);
    await until(() => connection.usable, 'the backend connection');
    backend.reads.length = 0;
    backend.requestSize = SET.length;
    return connection;
  }

  /**
   * Three sessions send a request each to `connection`, turn after turn, for `turns` turns, while
   * 17 others send to another backend connection in the same turns: 20 sessions make a busy proxy.
   */
  async function threeSessions(connection: BackendConnection, turns: number, raw = SET): Promise<void> {
    backend.requestSize = raw.length;
    const others = await otherConnection();
    const senders = [new Sender(), new Sender(), new Sender()];
    const crowd = Array.from({ length: 17 }, () => new Sender());
    for (let turn = 0; turn < turns; turn++) {
      for (const sender of senders) sender.send(connection, raw);
      for (const sender of crowd) sender.send(others, PING);
      await nextTurn();
    }
    await until(() => senders.every((sender) => sender.replies === turns), 'every reply');
    await until(() => crowd.every((sender) => sender.replies === turns), "the others' replies");
  }

  /** A connection to a backend that answers PINGs, for the sessions that make the proxy busy. */
  let other: BackendConnection | undefined;
  async function otherConnection(): Promise<BackendConnection> {
    if (other === undefined) {
      const connection = new BackendConnection(
        `127.0.0.1:${pong.port}`,
        0,
        defaultProxyConfig(),
        SILENT_LOGGER,
      );
      connections.push(connection);
      await until(() => connection.usable, 'the other backend connection');
      other = connection;
    }
    return other;
  }

  it('gathers requests from several sessions into batches of at least 16', async () => {
    // A wait far longer than the test, so that a slow machine cannot end a batch early.
    const connection = await connect(2000);
    await threeSessions(connection, 6);
    assert.equal(backend.requestsRead, 18);
    assert.ok((backend.reads[0] as number) >= 16, `the first read held ${backend.reads[0]} requests`);
  });

  it('writes each turn at once with backend_batch_wait = 0', async () => {
    const connection = await connect(0);
    await threeSessions(connection, 6);
    assert.equal(backend.requestsRead, 18);
    assert.ok(backend.reads.length >= 3, `the backend read ${backend.reads.length} times`);
  });

  it('writes batches of big requests at once', async () => {
    const connection = await connect(2000);
    await threeSessions(connection, 6, encodeRequest(['SET', 'key', 'v'.repeat(6000)]));
    assert.equal(backend.requestsRead, 18);
    assert.ok(backend.reads.length >= 3, `the backend read ${backend.reads.length} times`);
  });

  it('never holds a lone session', async () => {
    const connection = await connect(2000);
    await quiet();
    const sender = new Sender();
    const started = performance.now();
    for (let i = 1; i <= 5; i++) {
      sender.send(connection);
      await until(() => sender.replies === i, `reply ${i}`);
    }
    assert.deepEqual(backend.reads, [1, 1, 1, 1, 1]);
    assert.ok(performance.now() - started < 1000, 'no request waited');
  });

  it('writes a waiting batch once the requests stop coming', async () => {
    const connection = await connect(2000);
    const started = performance.now();
    await threeSessions(connection, 1);
    // The proxy stops being busy within milliseconds, long before the 2 s wait.
    assert.ok(performance.now() - started < 1000);
    assert.deepEqual(backend.reads, [3]);
  });
});
