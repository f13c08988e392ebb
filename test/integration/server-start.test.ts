// The test helpers' server start (test/helpers/redis-servers.ts): a server counts as started only
// when its own process listens on the port. A port chosen free can be taken by another test file's
// server before ours binds it; taking that server for ours made a test talk to the wrong process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { portOwner } from '../helpers/port-owner.ts';
import { startServer } from '../helpers/redis-servers.ts';

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => {
      // The probes hang up at once: their resets are expected.
      socket.on('error', () => {});
      socket.end('+PONG\r\n');
    });
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address !== null ? address.port : 0 });
    });
  });
}

test("portOwner tells our listener from another process's and from none", async () => {
  const { server, port } = await listen();
  const other = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    assert.equal(portOwner(port, process.pid), 'ours');
    assert.equal(portOwner(port, other.pid as number), 'other');
  } finally {
    other.kill('SIGKILL');
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  assert.equal(portOwner(port, process.pid), 'none');
});

test('a server whose port another process holds is not taken for started', async () => {
  const { server, port } = await listen();
  try {
    // The foreign listener answers connections at once; before the check, startServer returned
    // as soon as the port answered, with a codis-server that had failed to bind it.
    await assert.rejects(startServer('codis-server', { port }), /exited with 1 before listening/);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('a server on a port of its own starts and answers', async () => {
  const server = await startServer('codis-server');
  try {
    assert.equal(portOwner(server.port, server.process.pid as number) !== 'other', true);
  } finally {
    await server.stop();
  }
});
