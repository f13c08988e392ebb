// backend_max_pipeline (spec/proxy.md §7.3, §12): at most that many requests in flight on one
// backend connection; the others wait in the proxy, in order, and are written as replies come
// back. A scripted backend (a TCP server in the test that answers only when told) shows exactly
// what the proxy has written; a real codis-server shows a deep pipeline through a limit of 1.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DECODE_REQUEST, RequestDecoder } from '../../src/proxy/request-decoder.ts';
import { sleep, slotRange, startProxy } from '../helpers/proxy-fixture.ts';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

/** A backend that records every request and answers GETs only when `answer` is called. */
class ScriptedBackend {
  readonly received: string[][] = [];
  private readonly server: Server;
  private readonly sockets: Socket[] = [];
  /** GETs received and not yet answered, oldest first. */
  private held: Array<{ socket: Socket; key: string }> = [];

  constructor() {
    this.server = createServer((socket) => {
      this.sockets.push(socket);
      this.connections++;
      const decoder = new RequestDecoder();
      socket.on('data', (chunk: Buffer) => {
        decoder.feed(chunk);
        while (decoder.next() === DECODE_REQUEST) {
          const argv = decoder.argv;
          this.received.push(argv);
          const name = (argv[0] as string).toUpperCase();
          if (name === 'GET') this.held.push({ socket, key: argv[1] as string });
          else socket.write(name === 'PING' ? '+PONG\r\n' : '+OK\r\n');
        }
      });
      socket.on('error', () => {});
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve) => {
      this.server.listen(0, '127.0.0.1', () => {
        const address = this.server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
  }

  /** Connections accepted so far. */
  connections = 0;

  get gets(): number {
    return this.received.filter((argv) => argv[0] === 'GET').length;
  }

  /** Answers the oldest `count` held GETs with the key's name as value. */
  answer(count: number): void {
    for (const { socket, key } of this.held.splice(0, count)) socket.write(`$${key.length}\r\n${key}\r\n`);
  }

  /** Drops every connection (the proxy sees EOF). */
  drop(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.length = 0;
    this.held = [];
  }

  close(): Promise<void> {
    this.drop();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('codis-proxy backend_max_pipeline', () => {
  let server: RunningServer;

  before(async () => {
    server = await startServer('codis-server');
  });
  after(async () => {
    await server.stop();
  });

  it('keeps at most backend_max_pipeline requests in flight; the rest wait in order (§7.3)', async () => {
    const backend = new ScriptedBackend();
    const port = await backend.listen();
    const fixture = await startProxy({ backend_max_pipeline: 3, backend_number_databases: 1 });
    fixture.proxy.fillSlots(slotRange(0, 1023, `127.0.0.1:${port}`));
    fixture.proxy.start();
    const c = await RawConnection.open(fixture.port);
    const d = await RawConnection.open(fixture.port);
    for (let i = 0; i < 6; i++) c.send('GET', `c${i}`);
    await until(() => backend.gets === 3, 'three GETs at the backend');
    // A second session shares the connection and its limit: its request waits behind c's.
    d.send('GET', 'd0');
    await sleep(50);
    assert.equal(backend.gets, 3);
    backend.answer(1);
    await until(() => backend.gets === 4, 'the fourth GET');
    await sleep(50);
    assert.equal(backend.gets, 4);
    assert.equal((await c.reply()).raw, '$2\r\nc0\r\n');
    backend.answer(2);
    await until(() => backend.gets === 6, 'the sixth GET');
    await sleep(50);
    assert.equal(backend.gets, 6);
    backend.answer(4);
    await until(() => backend.gets === 7, "d's GET");
    backend.answer(1);
    for (let i = 1; i < 6; i++) assert.equal((await c.reply()).raw, `$2\r\nc${i}\r\n`);
    assert.equal((await d.reply()).raw, '$2\r\nd0\r\n');
    // Written in arrival order.
    assert.deepEqual(
      backend.received.filter((argv) => argv[0] === 'GET').map((argv) => argv[1]),
      ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'd0'],
    );
    c.close();
    d.close();
    await fixture.close();
    await backend.close();
  });

  it('requests waiting for room fail with backend conn reset when the connection drops (§7.4)', async () => {
    const backend = new ScriptedBackend();
    const port = await backend.listen();
    const fixture = await startProxy({ backend_max_pipeline: 2, backend_number_databases: 1 });
    fixture.proxy.fillSlots(slotRange(0, 1023, `127.0.0.1:${port}`));
    fixture.proxy.start();
    const c = await RawConnection.open(fixture.port);
    for (let i = 0; i < 5; i++) c.send('GET', `k${i}`);
    await until(() => backend.gets === 2, 'two GETs at the backend');
    backend.drop();
    assert.equal((await c.reply()).raw, '-ERR handle response, backend conn failure, EOF\r\n');
    for (let i = 1; i < 5; i++)
      assert.equal((await c.reply()).raw, '-ERR handle response, backend conn reset\r\n');
    assert.equal(backend.gets, 2);
    c.close();
    await fixture.close();
    await backend.close();
  });

  it('backend_recv_timeout: no reply in time with requests in flight fails them; an idle connection stays (§7.4)', async () => {
    const backend = new ScriptedBackend();
    const port = await backend.listen();
    const fixture = await startProxy({ backend_recv_timeout: 200, backend_number_databases: 1 });
    fixture.proxy.fillSlots(slotRange(0, 1023, `127.0.0.1:${port}`));
    fixture.proxy.start();
    const c = await RawConnection.open(fixture.port);
    // Idle for longer than the timeout: nothing is in flight, so nothing fails.
    await sleep(400);
    assert.equal(backend.connections, 1);
    c.send('GET', 'a');
    await until(() => backend.gets === 1, 'the GET at the backend');
    backend.answer(1);
    assert.equal((await c.reply()).raw, '$1\r\na\r\n');
    const started = Date.now();
    c.send('GET', 'b');
    c.send('GET', 'c');
    assert.equal((await c.reply()).raw, '-ERR handle response, backend conn failure, read timeout\r\n');
    assert.equal((await c.reply()).raw, '-ERR handle response, backend conn reset\r\n');
    const waited = Date.now() - started;
    assert.ok(waited >= 190 && waited < 2000, `timed out after ${waited} ms`);
    // The proxy reconnects and serves again.
    await until(() => backend.connections === 2, 'a new backend connection');
    c.send('GET', 'd');
    await until(() => backend.gets === 4, 'the last GET');
    backend.answer(3);
    assert.equal((await c.reply()).raw, '$1\r\nd\r\n');
    c.close();
    await fixture.close();
    await backend.close();
  });

  it('a pipeline of 2,000 requests through a limit of 1, and 0 treated as 1', async () => {
    for (const limit of [1, 0]) {
      const fixture = await startProxy({ backend_max_pipeline: limit, backend_number_databases: 1 });
      fixture.proxy.fillSlots(slotRange(0, 1023, `127.0.0.1:${server.port}`));
      fixture.proxy.start();
      const c = await RawConnection.open(fixture.port);
      let pipeline = '';
      for (let i = 0; i < 1000; i++) {
        pipeline += `*3\r\n$3\r\nSET\r\n$${`p${i}`.length}\r\np${i}\r\n$${String(i).length}\r\n${i}\r\n`;
        pipeline += `*2\r\n$3\r\nGET\r\n$${`p${i}`.length}\r\np${i}\r\n`;
      }
      c.sendRaw(pipeline);
      for (let i = 0; i < 1000; i++) {
        assert.equal((await c.reply()).raw, '+OK\r\n');
        assert.equal((await c.reply()).raw, `$${String(i).length}\r\n${i}\r\n`);
      }
      c.close();
      await fixture.close();
    }
  });
});
