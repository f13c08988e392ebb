// A big stream moved by SLOTSMGRTTAGONE-ASYNC in xnodes chunks (stream-chunks.ts): 200,000 entries
// in several field layouts, with deletions, consumer groups with pending entries and a TTL, part
// of it loaded by RESTORE (undecoded listpacks) and part written by commands (decoded nodes, whose
// listpacks are rebuilt for the chunks). The target ends with the same stream (DUMP bytes, XRANGE,
// XINFO STREAM FULL), in hundreds of messages, while another client's PINGs on both servers are
// timed (printed; asserted within 100 ms with MIGRATION_STRICT_LATENCY=1): no event-loop turn on
// either side works on the whole stream.
import assert from 'node:assert/strict';
import { type AddressInfo, createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { createDumpPayload } from '../../src/server/rdb/payload.ts';
import { StreamValue } from '../../src/server/types/stream.ts';
import { streamId } from '../../src/server/types/stream-id.ts';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

const LOADED = 190_000;
const WRITTEN = 10_000;
const MAX_DELAY_MS = 100;
/** maxbulks of the move (MIGRATION_STREAM_MAXBULKS=300000 sends the stream whole, for comparison). */
const MAXBULKS = process.env.MIGRATION_STREAM_MAXBULKS ?? '300';
const KEY = '{s}stream';

/** PING one at a time, 1 ms apart, until told to stop; then the largest delay and the count. */
const PROBER = `
const { parentPort, workerData } = require('node:worker_threads');
const { connect } = require('node:net');
let max = 0;
let count = 0;
let running = true;
let bad;
let start = 0;
let pending = '';
const socket = connect(workerData.port, '127.0.0.1');
const finish = () => {
  socket.destroy();
  parentPort.postMessage({ max, count, bad });
};
const send = () => {
  if (!running) return finish();
  start = performance.now();
  socket.write('*1\\r\\n$4\\r\\nping\\r\\n');
};
socket.on('connect', send);
socket.on('data', (chunk) => {
  pending += chunk.latin1Slice();
  if (pending.length < 7) return;
  max = Math.max(max, performance.now() - start);
  count++;
  if (pending !== '+PONG\\r\\n' && bad === undefined) bad = pending;
  pending = '';
  setTimeout(send, 1);
});
socket.on('error', (error) => {
  bad ??= String(error);
  running = false;
  finish();
});
parentPort.on('message', () => {
  running = false;
});
`;

interface Probe {
  readonly worker: Worker;
  readonly result: Promise<{ max: number; count: number; bad: string | undefined }>;
}

function probe(port: number): Probe {
  const worker = new Worker(PROBER, { eval: true, workerData: { port } });
  const result = new Promise<{ max: number; count: number; bad: string | undefined }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { worker, result };
}

async function stopProbe(probe: Probe): Promise<{ max: number; count: number; bad: string | undefined }> {
  probe.worker.postMessage('stop');
  const result = await probe.result;
  await probe.worker.terminate();
  return result;
}

/** The loaded part: three field layouts, ms IDs with a few sequences. */
function loadedPart(): Buffer {
  const stream = new StreamValue();
  for (let i = 1; i <= LOADED; i++) {
    const fields =
      i % 5 === 0
        ? ['kind', 'other', 'n', String(i), 'extra', 'x'.repeat(i % 40)]
        : i % 7 === 0
          ? ['solo', `value-${i}`]
          : ['sensor', `s${i % 13}`, 'reading', String(i * 3)];
    stream.append(streamId(BigInt(1_700_000_000_000 + Math.floor(i / 3)), BigInt(i % 3)), fields);
  }
  return createDumpPayload(stream);
}

/** Sends commands pipelined, `step` at a time, checking each reply against `expected`. */
async function pipeline(connection: RawConnection, commands: string[][], expected: RegExp): Promise<void> {
  const step = 1000;
  for (let at = 0; at < commands.length; at += step) {
    const slice = commands.slice(at, at + step);
    for (const command of slice) connection.send(...command);
    for (let i = 0; i < slice.length; i++) assert.match((await connection.reply(30_000)).raw, expected);
  }
}

describe('a 200,000-entry stream in async migration chunks', { timeout: 300_000 }, () => {
  let a: RunningServer;
  let b: RunningServer;
  let ca: RawConnection;
  let cb: RawConnection;

  before(async () => {
    [a, b] = await Promise.all([startServer('codis-server'), startServer('codis-server')]);
    [ca, cb] = await Promise.all([RawConnection.open(a.port), RawConnection.open(b.port)]);
  });
  after(async () => {
    ca?.close();
    cb?.close();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('moves in many chunks, arrives equal, and neither server stalls', async () => {
    assert.equal(await ca.call('restore', KEY, '0', loadedPart()), '+OK\r\n');
    // Written by commands: other layouts and explicit IDs after the loaded ones.
    const adds: string[][] = [];
    for (let i = 1; i <= WRITTEN; i++) {
      const fields =
        i % 2 === 0 ? ['sensor', `w${i}`, 'reading', String(i)] : ['a', String(i), 'b', 'c', 'd', 'e'];
      adds.push(['xadd', KEY, `1800000000000-${i}`, ...fields]);
    }
    await pipeline(ca, adds, /^\$\d+\r\n1800000000000-\d+\r\n$/);
    // Deletions spread over loaded and written nodes (the nodes they touch get decoded).
    const deletions: string[][] = [];
    for (let i = 37; i <= LOADED; i += 997) {
      const id = `${1_700_000_000_000 + Math.floor(i / 3)}-${i % 3}`;
      deletions.push(['xdel', KEY, id]);
    }
    for (let i = 5; i <= WRITTEN; i += 211) deletions.push(['xdel', KEY, `1800000000000-${i}`]);
    await pipeline(ca, deletions, /^:1\r\n$/);
    // Groups: pending entries owned by two consumers, some acknowledged; one group at the end.
    assert.equal(await ca.call('xgroup', 'create', KEY, 'readers', '0'), '+OK\r\n');
    assert.equal(await ca.call('xgroup', 'create', KEY, 'late', '$'), '+OK\r\n');
    ca.send('xreadgroup', 'group', 'readers', 'alice', 'count', '3000', 'streams', KEY, '>');
    await ca.reply(30_000);
    ca.send('xreadgroup', 'group', 'readers', 'bob', 'count', '2000', 'streams', KEY, '>');
    await ca.reply(30_000);
    const acked = await ca.call(
      'xack',
      KEY,
      'readers',
      '1700000000000-1',
      '1700000000000-2',
      '1700000000001-0',
    );
    assert.equal(acked, ':3\r\n');
    assert.equal(await ca.call('pexpire', KEY, '600000'), ':1\r\n');
    const length = Number(await ca.value('xlen', KEY));
    assert.equal(length, LOADED + WRITTEN - deletions.length);

    // What the target must end with, read from a copy (reads would decode the source's nodes).
    const dump = (await ca.value('dump', KEY)) as string;
    assert.equal(await ca.call('restore', 'copy', '0', Buffer.from(dump, 'latin1')), '+OK\r\n');

    const probes = [probe(a.port), probe(b.port)];
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    ca.send('slotsmgrttagone-async', '127.0.0.1', String(b.port), '30000', MAXBULKS, '1048576', KEY);
    const moved = (await ca.reply(120_000)).raw;
    const took = performance.now() - started;
    const [source, target] = await Promise.all(probes.map(stopProbe));
    assert.equal(moved, ':1\r\n');
    console.log(
      `# moved a ${length}-entry stream (${dump.length} bytes dumped) in ${took.toFixed(0)} ms; ` +
        `max PING delay ${source?.max.toFixed(1)} ms on the source (${source?.count} PINGs), ` +
        `${target?.max.toFixed(1)} ms on the target (${target?.count} PINGs)`,
    );
    assert.equal(source?.bad, undefined);
    assert.equal(target?.bad, undefined);

    assert.equal(await ca.call('exists', KEY), ':0\r\n');
    assert.equal(await cb.value('dump', KEY), dump);
    const pttl = Number(await cb.value('pttl', KEY));
    assert.ok(pttl > 500_000 && pttl <= 600_000, String(pttl));
    // Whole XRANGE by pages (one multi-megabyte reply is slow to parse here), XINFO FULL with every
    // pending entry (at most 5,000 per group) and the first 6,000 entries.
    const range = async (connection: RawConnection, key: string): Promise<string[]> => {
      const pages: string[] = [];
      let from = '-';
      for (;;) {
        const reply = await connection.value('xrange', key, from, '+', 'count', '5000');
        const entries = reply as Array<[string, string[]]>;
        if (entries.length === 0) return pages;
        pages.push(JSON.stringify(entries));
        from = `(${(entries.at(-1) as [string, string[]])[0]}`;
      }
    };
    const full = async (connection: RawConnection, key: string): Promise<string> => {
      connection.send('xinfo', 'stream', key, 'full', 'count', '6000');
      return (await connection.reply(30_000)).raw;
    };
    const pages = await range(cb, KEY);
    assert.equal(pages.length, Math.ceil(length / 5000));
    assert.deepEqual(pages, await range(ca, 'copy'));
    assert.ok((await full(cb, KEY)) === (await full(ca, 'copy')), 'XINFO STREAM FULL differs');
    assert.equal(await cb.call('xinfo', 'groups', KEY), await ca.call('xinfo', 'groups', 'copy'));
    // Tests assert no timings (the delays are printed above; bench/RESULTS.md keeps them): what
    // must hold is that the stream went in many messages. MIGRATION_STRICT_LATENCY=1 also asserts
    // the delays.
    const restores = /cmdstat_slotsrestore-async\|?[a-z]*:calls=(\d+)/.exec(
      await cb.call('INFO', 'commandstats'),
    );
    if (MAXBULKS === '300') assert.ok(Number(restores?.[1] ?? 0) > 100, `restore messages: ${restores?.[1]}`);
    if (process.env.MIGRATION_STRICT_LATENCY === '1') {
      assert.ok((source?.max ?? 0) <= MAX_DELAY_MS, `source PING delay ${source?.max.toFixed(1)} ms`);
      assert.ok((target?.max ?? 0) <= MAX_DELAY_MS, `target PING delay ${target?.max.toFixed(1)} ms`);
    }
  });

  it('while its chunks are in flight the stream is protected, STATUS shows it, CANCEL leaves the source whole', async () => {
    // A target that reads and never answers: the batch stays in flight.
    const received: Buffer[] = [];
    const silent = createServer((socket) => socket.on('data', (chunk) => received.push(chunk)));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      assert.equal(await ca.call('flushall'), '+OK\r\n');
      const adds: string[][] = [];
      for (let i = 1; i <= 5000; i++) adds.push(['xadd', KEY, `${i}-1`, 'f', String(i)]);
      await pipeline(ca, adds, /^\$\d+\r\n\d+-1\r\n$/);
      const before = (await ca.value('dump', KEY)) as string;
      const caller = await RawConnection.open(a.port);
      caller.send('slotsmgrttagone-async', '127.0.0.1', String(port), '30000', '100', '8192', KEY);
      for (let i = 0; i < 100 && Buffer.concat(received).indexOf('xnodes') < 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 10));
      assert.ok(Buffer.concat(received).indexOf('xnodes') >= 0, 'xnodes chunks were sent');
      assert.equal(
        await ca.call('slotsmgrt-exec-wrapper', KEY, 'xadd', KEY, '*', 'f', 'v'),
        '*2\r\n:1\r\n-ERR the specified key is being migrated\r\n',
      );
      assert.equal(await ca.call('slotsmgrt-exec-wrapper', KEY, 'xlen', KEY), '*2\r\n:2\r\n:5000\r\n');
      const status = JSON.stringify(await ca.value('slotsmgrt-async-status'));
      assert.match(status, /"stage","2"/);
      assert.equal(await ca.call('slotsmgrt-async-cancel'), ':1\r\n');
      assert.equal((await caller.reply()).raw, '-ERR interrupted: canceled\r\n');
      caller.close();
      assert.equal(await ca.value('dump', KEY), before);
      // Only a window's worth went (8 KB of the ~60 KB stream), and no xmeta.
      assert.ok(Buffer.concat(received).indexOf('xmeta') < 0);
    } finally {
      silent.close();
    }
  });
});
