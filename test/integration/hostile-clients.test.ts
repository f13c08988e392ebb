// Clients that misbehave must not take the server down or make it hold unbounded memory.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

async function rssOf(connection: RawConnection): Promise<number> {
  const info = String(await connection.value('INFO', 'memory'));
  return Number(/^used_memory_rss:(\d+)/m.exec(info)?.[1]);
}

describe('hostile clients against codis-server', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer('codis-server');
  });
  after(async () => {
    await server?.stop();
  });

  test('a client that never reads its replies is paused, not buffered without bound', async () => {
    const admin = await RawConnection.open(server.port);
    const value = Buffer.alloc(1024 * 1024, 0x61);
    assert.equal(await admin.call('SET', 'big', value), '+OK\r\n');
    const rssBefore = await rssOf(admin);
    // 3,000 GETs of 1 MB: 3 GB of replies if the server buffered them all.
    const hostile = await RawConnection.open(server.port);
    const request = Buffer.from('*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n');
    hostile.pauseReading();
    for (let i = 0; i < 3000; i++) hostile.sendRaw(request);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const growth = (await rssOf(admin)) - rssBefore;
    assert.ok(growth < 400 * 1024 * 1024, `RSS grew by ${growth} bytes`);
    assert.equal(await admin.call('PING'), '+PONG\r\n');
    hostile.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(await admin.call('PING'), '+PONG\r\n');
    admin.close();
  });

  test('garbage, half requests and abrupt disconnects leave the server serving others', async () => {
    const admin = await RawConnection.open(server.port);
    for (const bytes of [
      '\x00\x01\x02\xff\r\n',
      '*3\r\n$3\r\nSET\r\n$1\r\n',
      '$$$$\r\n',
      '*-5\r\n*1\r\n$-1\r\n',
    ]) {
      const hostile = await RawConnection.open(server.port);
      hostile.sendRaw(bytes);
      await new Promise((resolve) => setTimeout(resolve, 20));
      hostile.close();
    }
    const partial = await RawConnection.open(server.port);
    partial.sendRaw('*2\r\n$3\r\nGET\r\n$1000000\r\nabc');
    partial.close();
    assert.equal(await admin.call('PING'), '+PONG\r\n');
    assert.equal(await admin.call('SET', 'k', 'v'), '+OK\r\n');
    assert.equal(await admin.call('GET', 'k'), '$1\r\nv\r\n');
    admin.close();
  });
});
