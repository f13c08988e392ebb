// Transactions and blocking commands through codis-proxy vs straight to codis-server, one client
// at a time (round trips per second, sequential): MULTI/EXEC, WATCH+MULTI/EXEC, BLPOP woken by
// RPUSH; and the backend connections left afterwards (dedicated connections are pooled).
// Run: node_modules/.bin/node bench/proxy-dedicated.ts
import { Redis } from 'ioredis';
import { slotRange, startProxy } from '../test/helpers/proxy-fixture.ts';
import { startServer } from '../test/helpers/redis-servers.ts';

const a = await startServer('codis-server');
const p = await startProxy();
p.proxy.fillSlots(slotRange(0, 1023, `127.0.0.1:${a.port}`));
p.proxy.start();
const admin = new Redis({ port: a.port });
const clients = async () => ((await admin.client('LIST')) as string).trim().split('\n').length;
async function txRate(port: number, n: number) {
  const c = new Redis({ port });
  await c.get('warm');
  const t = performance.now();
  for (let i = 0; i < n; i++) await c.multi().incr('{x}a').incr('{x}b').exec();
  const ms = performance.now() - t;
  c.disconnect();
  return Math.round(n / (ms / 1000));
}
async function watchRate(port: number, n: number) {
  const c = new Redis({ port });
  await c.get('warm');
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    await c.watch('{x}a');
    await c.multi().incr('{x}a').exec();
  }
  const ms = performance.now() - t;
  c.disconnect();
  return Math.round(n / (ms / 1000));
}
async function pingPong(port: number, n: number) {
  const popper = new Redis({ port });
  const pusher = new Redis({ port });
  await popper.get('warm');
  await pusher.get('warm');
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    const pop = popper.blpop('{q}l', 0);
    await new Promise((r) => setImmediate(r));
    await pusher.rpush('{q}l', 'v');
    await pop;
  }
  const ms = performance.now() - t;
  popper.disconnect();
  pusher.disconnect();
  return Math.round(n / (ms / 1000));
}
async function plainRate(port: number, n: number) {
  const c = new Redis({ port });
  await c.get('warm');
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    await c.incr('{x}a');
    await c.incr('{x}b');
  }
  const ms = performance.now() - t;
  c.disconnect();
  return Math.round(n / (ms / 1000));
}
// The proxy's shared connections (one per DB) connect in the background: counted once up.
await new Promise((resolve) => setTimeout(resolve, 300));
const before = await clients();
for (let round = 0; round < 2; round++) {
  console.log('multi/exec tx/s direct', await txRate(a.port, 3000), 'proxy', await txRate(p.port, 3000));
  console.log(
    '2x INCR no tx pairs/s direct',
    await plainRate(a.port, 3000),
    'proxy',
    await plainRate(p.port, 3000),
  );
  console.log(
    'watch+multi/exec /s direct',
    await watchRate(a.port, 2000),
    'proxy',
    await watchRate(p.port, 2000),
  );
  console.log(
    'blpop/rpush round trips/s direct',
    await pingPong(a.port, 2000),
    'proxy',
    await pingPong(p.port, 2000),
  );
}
// The direct clients above close asynchronously: let the server see them go.
await new Promise((resolve) => setTimeout(resolve, 300));
console.log('backend clients before', before, 'after', await clients());
admin.disconnect();
await p.close();
await a.stop();
