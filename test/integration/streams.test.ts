// Streams, against redis-server 7 and codis-server with the same expectations: entry IDs and
// ranges, node layout (stream-node-max-entries / -bytes, radix-tree counts), approximate trimming,
// consumer groups, blocking reads and what wakes them, and the commands replicas receive.
import assert from 'node:assert/strict';
import { conformanceSuite } from '../helpers/conformance.ts';
import type { RawConnection } from '../helpers/raw-connection.ts';
import { bulk } from '../helpers/resp-text.ts';

/** The RESP of one entry: [id, [field, value, ...]]. */
function entry(id: string, ...fields: string[]): string {
  return `*2\r\n${bulk(id)}*${fields.length}\r\n${fields.map(bulk).join('')}`;
}

/** The value after `name` in an XINFO reply (a flat RESP2 map): an integer or a bulk string. */
function infoField(raw: string, name: string): string {
  const lines = raw.split('\r\n');
  const at = lines.indexOf(name);
  assert.ok(at > 0, `${name} in ${raw.slice(0, 200)}`);
  const next = lines[at + 1] as string;
  return next.startsWith(':') ? next.slice(1) : (lines[at + 2] as string);
}

async function fill(c: RawConnection, key: string, count: number, value = 'v', from = 1): Promise<void> {
  for (let i = from; i < from + count; i++) c.send('XADD', key, `${i}-1`, 'field', value);
  for (let i = 0; i < count; i++) assert.equal((await c.reply()).raw[0], '$');
}

conformanceSuite('streams', (it) => {
  it('XADD returns the ID; XRANGE, XREVRANGE and bounds; ms-* IDs', async ({ connection: c }) => {
    assert.equal(await c.call('XADD', 's', '1-1', 'a', '1', 'b', '2'), bulk('1-1'));
    assert.equal(await c.call('XADD', 's', '1-*', 'a', '3'), bulk('1-2'));
    assert.equal(await c.call('XADD', 's', '5', 'c', '4'), bulk('5-0'));
    assert.equal(await c.call('XADD', 's', '7-*', 'c', '5'), bulk('7-0'));
    assert.equal(
      await c.call('XADD', 's', '7-0', 'x', 'y'),
      '-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n',
    );
    assert.equal(
      await c.call('XADD', 'new', '0-0', 'x', 'y'),
      '-ERR The ID specified in XADD must be greater than 0-0\r\n',
    );
    assert.equal(
      await c.call('XADD', 's', '8', 'odd'),
      "-ERR wrong number of arguments for 'xadd' command\r\n",
    );
    assert.equal(await c.call('XLEN', 's'), ':4\r\n');
    assert.equal(
      await c.call('XRANGE', 's', '-', '+'),
      `*4\r\n${entry('1-1', 'a', '1', 'b', '2')}${entry('1-2', 'a', '3')}${entry('5-0', 'c', '4')}${entry('7-0', 'c', '5')}`,
    );
    assert.equal(
      await c.call('XRANGE', 's', '(1-1', '5'),
      `*2\r\n${entry('1-2', 'a', '3')}${entry('5-0', 'c', '4')}`,
    );
    assert.equal(
      await c.call('XRANGE', 's', '1', '1'),
      `*2\r\n${entry('1-1', 'a', '1', 'b', '2')}${entry('1-2', 'a', '3')}`,
    );
    assert.equal(await c.call('XREVRANGE', 's', '+', '-', 'COUNT', '1'), `*1\r\n${entry('7-0', 'c', '5')}`);
    assert.equal(await c.call('XRANGE', 's', '-', '+', 'COUNT', '0'), '*-1\r\n');
    assert.equal(await c.call('XRANGE', 'missing', '-', '+'), '*0\r\n');
    assert.equal(
      await c.call('XRANGE', 's', '(-', '+'),
      '-ERR Invalid stream ID specified as stream command argument\r\n',
    );
    assert.equal(
      await c.call('XRANGE', 's', '(18446744073709551615-18446744073709551615', '+'),
      '-ERR invalid start ID for the interval\r\n',
    );
    assert.equal(await c.call('XDEL', 's', '1-2', '9-9'), ':1\r\n');
    assert.equal(await c.call('XADD', 'no', 'NOMKSTREAM', '*', 'a', '1'), '$-1\r\n');
    assert.equal(await c.call('EXISTS', 'no'), ':0\r\n');
    assert.equal(await c.call('TYPE', 's'), '+stream\r\n');
    assert.equal(await c.call('OBJECT', 'ENCODING', 's'), bulk('stream'));
  });

  it('nodes split at stream-node-max-entries and -bytes; XINFO counts them', async ({ connection: c }) => {
    await fill(c, 'entries', 250);
    let info = await c.call('XINFO', 'STREAM', 'entries');
    assert.equal(infoField(info, 'radix-tree-keys'), '3');
    assert.equal(infoField(info, 'radix-tree-nodes'), '8');
    // Values of 300 bytes: a node fills its 4096 bytes after a dozen entries.
    await fill(c, 'bytes', 50, 'x'.repeat(300));
    info = await c.call('XINFO', 'STREAM', 'bytes');
    assert.equal(infoField(info, 'radix-tree-keys'), '4');
    assert.equal(await c.call('CONFIG', 'SET', 'stream-node-max-entries', '7'), '+OK\r\n');
    try {
      await fill(c, 'seven', 1000, '12345', 1000);
      info = await c.call('XINFO', 'STREAM', 'seven');
      assert.equal(infoField(info, 'radix-tree-keys'), '143');
      assert.equal(infoField(info, 'radix-tree-nodes'), '293');
      // ~ removes whole nodes only, and at most 100 × stream-node-max-entries entries.
      assert.equal(await c.call('XTRIM', 'seven', 'MAXLEN', '~', '500'), ':497\r\n');
      assert.equal(await c.call('XTRIM', 'seven', 'MAXLEN', '~', '0', 'LIMIT', '20'), ':14\r\n');
      assert.equal(await c.call('XTRIM', 'seven', 'MAXLEN', '=', '480'), ':9\r\n');
      assert.equal(await c.call('XLEN', 'seven'), ':480\r\n');
      assert.equal(await c.call('XTRIM', 'seven', 'MINID', '~', '1600'), ':75\r\n');
      assert.equal(await c.call('XTRIM', 'seven', 'MINID', '1600'), ':5\r\n');
      assert.equal(
        await c.call('XRANGE', 'seven', '-', '+', 'COUNT', '1'),
        `*1\r\n${entry('1600-1', 'field', '12345')}`,
      );
    } finally {
      await c.call('CONFIG', 'SET', 'stream-node-max-entries', '100');
    }
  });

  it('trimming options and their errors', async ({ connection: c }) => {
    await fill(c, 's', 5);
    assert.equal(await c.call('XADD', 's', 'MAXLEN', '2', '9-1', 'a', 'b'), bulk('9-1'));
    assert.equal(await c.call('XLEN', 's'), ':2\r\n');
    assert.equal(
      await c.call('XADD', 's', 'MAXLEN', '2', 'LIMIT', '5', '*', 'a', 'b'),
      '-ERR syntax error, LIMIT cannot be used without the special ~ option\r\n',
    );
    assert.equal(
      await c.call('XADD', 's', 'LIMIT', '5', '*', 'a', 'b'),
      '-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy\r\n',
    );
    assert.equal(
      await c.call('XADD', 's', 'MAXLEN', '1', 'MINID', '1', '*', 'a', 'b'),
      '-ERR syntax error, MAXLEN and MINID options at the same time are not compatible\r\n',
    );
    assert.equal(
      await c.call('XADD', 's', 'MAXLEN', '-1', '*', 'a', 'b'),
      '-ERR The MAXLEN argument must be >= 0.\r\n',
    );
    assert.equal(await c.call('XTRIM', 's'), "-ERR wrong number of arguments for 'xtrim' command\r\n");
    assert.equal(
      await c.call('XTRIM', 's', 'LIMIT', '1'),
      '-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy\r\n',
    );
    assert.equal(
      await c.call('XTRIM', 's', 'LIMIT', '0'),
      '-ERR syntax error, XTRIM must be called with a trimming strategy\r\n',
    );
    assert.equal(await c.call('XTRIM', 's', 'MINID', '9-1'), ':1\r\n');
    assert.equal(await c.call('XTRIM', 'missing', 'MAXLEN', '0'), ':0\r\n');
  });

  it('XSETID, XDEL and the counters XINFO reports', async ({ connection: c }) => {
    await fill(c, 's', 3);
    assert.equal(await c.call('XDEL', 's', '2-1'), ':1\r\n');
    assert.equal(
      await c.call('XSETID', 's', '2-0'),
      '-ERR The ID specified in XSETID is smaller than the target stream top item\r\n',
    );
    assert.equal(
      await c.call('XSETID', 's', '10-0', 'ENTRIESADDED', '1'),
      '-ERR The entries_added specified in XSETID is smaller than the target stream length\r\n',
    );
    assert.equal(await c.call('XSETID', 's', '10-0', 'ENTRIESADDED', '9', 'MAXDELETEDID', '3-0'), '+OK\r\n');
    assert.equal(await c.call('XSETID', 'missing', '1'), '-ERR no such key\r\n');
    const info = await c.call('XINFO', 'STREAM', 's');
    assert.equal(infoField(info, 'length'), '2');
    assert.equal(infoField(info, 'last-generated-id'), '10-0');
    assert.equal(infoField(info, 'max-deleted-entry-id'), '3-0');
    assert.equal(infoField(info, 'entries-added'), '9');
    assert.equal(infoField(info, 'recorded-first-entry-id'), '1-1');
    assert.equal(await c.call('XADD', 's', '*', 'a', 'b').then((reply) => reply.startsWith('$')), true);
    assert.equal(await c.call('XINFO', 'STREAM', 'missing'), '-ERR no such key\r\n');
  });

  it('consumer groups: delivery, pending entries, acknowledgements, claims', async ({ connection: c }) => {
    await fill(c, 's', 4);
    assert.equal(await c.call('XGROUP', 'CREATE', 's', 'g', '0'), '+OK\r\n');
    assert.equal(
      await c.call('XGROUP', 'CREATE', 's', 'g', '0'),
      '-BUSYGROUP Consumer Group name already exists\r\n',
    );
    assert.equal(
      await c.call('XGROUP', 'CREATE', 'missing', 'g', '$'),
      '-ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.\r\n',
    );
    assert.equal(
      await c.call('XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '2', 'STREAMS', 's', '>'),
      `*1\r\n*2\r\n${bulk('s')}*2\r\n${entry('1-1', 'field', 'v')}${entry('2-1', 'field', 'v')}`,
    );
    assert.equal(
      await c.call('XREADGROUP', 'GROUP', 'g', 'bob', 'STREAMS', 's', '>'),
      `*1\r\n*2\r\n${bulk('s')}*2\r\n${entry('3-1', 'field', 'v')}${entry('4-1', 'field', 'v')}`,
    );
    assert.equal(await c.call('XREADGROUP', 'GROUP', 'g', 'bob', 'STREAMS', 's', '>'), '*-1\r\n');
    assert.equal(
      await c.call('XPENDING', 's', 'g'),
      `*4\r\n:4\r\n${bulk('1-1')}${bulk('4-1')}*2\r\n*2\r\n${bulk('alice')}${bulk('2')}*2\r\n${bulk('bob')}${bulk('2')}`,
    );
    // History: alice's own pending entries, delivered again.
    assert.equal(
      await c.call('XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '0'),
      `*1\r\n*2\r\n${bulk('s')}*2\r\n${entry('1-1', 'field', 'v')}${entry('2-1', 'field', 'v')}`,
    );
    assert.equal(await c.call('XACK', 's', 'g', '1-1', '9-9'), ':1\r\n');
    assert.equal(await c.call('XDEL', 's', '2-1'), ':1\r\n');
    // A pending entry deleted since: [id, nil].
    assert.equal(
      await c.call('XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '0'),
      `*1\r\n*2\r\n${bulk('s')}*1\r\n*2\r\n${bulk('2-1')}*-1\r\n`,
    );
    assert.equal(
      await c.call('XCLAIM', 's', 'g', 'carol', '0', '3-1', '2-1', 'JUSTID'),
      `*1\r\n${bulk('3-1')}`,
    );
    assert.equal(
      await c.call('XAUTOCLAIM', 's', 'g', 'dave', '0', '0', 'COUNT', '10'),
      `*3\r\n${bulk('0-0')}*2\r\n${entry('3-1', 'field', 'v')}${entry('4-1', 'field', 'v')}*0\r\n`,
    );
    assert.equal(
      await c
        .call('XPENDING', 's', 'g', '-', '+', '10', 'dave')
        .then((reply) => reply.replace(/:\d+\r\n:/g, ':idle\r\n:')),
      `*2\r\n*4\r\n${bulk('3-1')}${bulk('dave')}:idle\r\n:2\r\n*4\r\n${bulk('4-1')}${bulk('dave')}:idle\r\n:2\r\n`,
    );
    assert.equal(
      await c.call('XINFO', 'GROUPS', 's'),
      `*1\r\n*12\r\n${bulk('name')}${bulk('g')}${bulk('consumers')}:4\r\n${bulk('pending')}:2\r\n${bulk('last-delivered-id')}${bulk('4-1')}${bulk('entries-read')}:4\r\n${bulk('lag')}:0\r\n`,
    );
    assert.equal(await c.call('XGROUP', 'DELCONSUMER', 's', 'g', 'dave'), ':2\r\n');
    assert.equal(await c.call('XGROUP', 'CREATECONSUMER', 's', 'g', 'erin'), ':1\r\n');
    assert.equal(await c.call('XGROUP', 'CREATECONSUMER', 's', 'g', 'erin'), ':0\r\n');
    assert.equal(
      await c.call('XGROUP', 'SETID', 's', 'nogroup', '0'),
      "-NOGROUP No such consumer group 'nogroup' for key name 's'\r\n",
    );
    assert.equal(await c.call('XGROUP', 'DESTROY', 's', 'g'), ':1\r\n');
    assert.equal(await c.call('XGROUP', 'DESTROY', 's', 'g'), ':0\r\n');
    assert.equal(
      await c.call('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '>'),
      "-NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option\r\n",
    );
  });

  it('lag and entries-read follow deletions', async ({ connection: c }) => {
    await fill(c, 's', 5);
    await c.call('XGROUP', 'CREATE', 's', 'g', '0');
    await c.call('XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '2', 'STREAMS', 's', '>');
    assert.equal(await c.call('XDEL', 's', '4-1'), ':1\r\n');
    let groups = await c.call('XINFO', 'GROUPS', 's');
    assert.match(groups, /entries-read\r\n:2\r\n\$3\r\nlag\r\n\$-1\r\n/);
    await c.call('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '>');
    groups = await c.call('XINFO', 'GROUPS', 's');
    assert.match(groups, /entries-read\r\n:5\r\n\$3\r\nlag\r\n:0\r\n/);
    await c.call('XGROUP', 'CREATE', 's', 'late', '2-1');
    groups = await c.call('XINFO', 'GROUPS', 's');
    assert.match(groups, /late[\s\S]*entries-read\r\n\$-1\r\n\$3\r\nlag\r\n\$-1\r\n/);
  });

  it('a blocked XREAD is served by an XADD, for that key only; $ means after the last ID', async ({
    connection: c,
    connect,
  }) => {
    const reader = await connect();
    await c.call('XADD', 'a', '1-1', 'old', 'x');
    reader.send('XREAD', 'BLOCK', '5000', 'STREAMS', 'a', 'b', '$', '$');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await c.call('MULTI');
    await c.call('XADD', 'b', '5-1', 'f', 'v');
    await c.call('XADD', 'a', '2-1', 'f', 'w');
    await c.call('EXEC');
    assert.equal((await reader.reply()).raw, `*1\r\n*2\r\n${bulk('b')}*1\r\n${entry('5-1', 'f', 'v')}`);
    assert.equal(await reader.call('XREAD', 'BLOCK', '10', 'STREAMS', 'a', '$'), '*-1\r\n');
    assert.equal(await c.call('MULTI'), '+OK\r\n');
    assert.equal(await c.call('XREAD', 'BLOCK', '0', 'STREAMS', 'a', '$'), '+QUEUED\r\n');
    assert.equal(await c.call('EXEC'), '*1\r\n*-1\r\n');
    assert.equal(
      await c.call('EVAL', "return redis.pcall('XREAD', 'BLOCK', '0', 'STREAMS', 'a', '$')", '0'),
      '-ERR XREAD command is not allowed with BLOCK option from scripts\r\n',
    );
    assert.equal(await c.call('XREAD', 'BLOCK', '-1', 'STREAMS', 'a', '0'), '-ERR timeout is negative\r\n');
  });

  it('a blocked XREADGROUP is served, or told its stream or group went away', async ({
    connection: c,
    connect,
  }) => {
    const reader = await connect();
    await c.call('XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM');
    reader.send('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '5000', 'STREAMS', 's', '>');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await c.call('XADD', 's', '1-1', 'f', 'v');
    assert.equal((await reader.reply()).raw, `*1\r\n*2\r\n${bulk('s')}*1\r\n${entry('1-1', 'f', 'v')}`);
    assert.match(await c.call('XPENDING', 's', 'g'), /^\*4\r\n:1\r\n/);
    reader.send('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '5000', 'STREAMS', 's', '>');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await c.call('XGROUP', 'DESTROY', 's', 'g');
    assert.equal(
      (await reader.reply()).raw,
      '-NOGROUP the consumer group this client was blocked on no longer exists\r\n',
    );
    await c.call('XGROUP', 'CREATE', 's', 'g', '$');
    reader.send('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '5000', 'STREAMS', 's', '>');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await c.call('DEL', 's');
    assert.equal((await reader.reply()).raw, '-UNBLOCKED the stream key no longer exists\r\n');
    // An expiry found by the active cycle ends the read too.
    await c.call('XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM');
    await c.call('PEXPIRE', 's', '50');
    assert.equal(
      await reader.call('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '3000', 'STREAMS', 's', '>'),
      '-UNBLOCKED the stream key no longer exists\r\n',
    );
  });

  it('key events of stream commands', async ({ connection: c, connect }) => {
    assert.equal(await c.call('CONFIG', 'SET', 'notify-keyspace-events', 'Etg'), '+OK\r\n');
    const listener = await connect();
    await listener.call('PSUBSCRIBE', '__keyevent@0__:*');
    const commands = [
      ['XADD', 's', '1-1', 'f', 'v'],
      ['XADD', 's', 'MAXLEN', '1', '2-1', 'f', 'v'],
      ['XADD', 's', '3-1', 'f', 'v'],
      ['XDEL', 's', '3-1', '9-9'],
      ['XTRIM', 's', 'MAXLEN', '0'],
      ['XSETID', 's', '5-0'],
      ['XGROUP', 'CREATE', 's', 'g', '0'],
      ['XGROUP', 'CREATECONSUMER', 's', 'g', 'c'],
      ['XADD', 's', '6-1', 'f', 'v'],
      ['XREADGROUP', 'GROUP', 'g', 'reader', 'STREAMS', 's', '>'],
      ['XCLAIM', 's', 'g', 'claimer', '0', '6-1'],
      ['XGROUP', 'SETID', 's', 'g', '0'],
      ['XGROUP', 'DELCONSUMER', 's', 'g', 'c'],
      ['XGROUP', 'DESTROY', 's', 'g'],
      ['DEL', 's'],
    ];
    for (const command of commands) await c.call(...command);
    const events: string[] = [];
    for (;;) {
      const message = (await listener.reply()).raw;
      const event = /__keyevent@0__:([^\r]+)\r\n\$1\r\ns\r\n$/.exec(message)?.[1] as string;
      events.push(event);
      if (event === 'del') break;
    }
    assert.deepEqual(events, [
      'xadd',
      'xadd',
      'xtrim',
      'xadd',
      'xdel',
      'xtrim',
      'xsetid',
      'xgroup-create',
      'xgroup-createconsumer',
      'xadd',
      'xgroup-createconsumer',
      'xgroup-createconsumer',
      'xgroup-setid',
      'xgroup-delconsumer',
      'xgroup-destroy',
      'del',
    ]);
    await c.call('CONFIG', 'SET', 'notify-keyspace-events', '');
  });

  it('XSETID below the deleted entries an empty stream kept: nodes and ranges as Redis, DUMP and RESTORE', async ({
    connection: c,
  }) => {
    // XTRIM MINID leaves the node of a deleted entry with no live one: the stream is empty but keeps
    // the node; XSETID may then go below that node's master ID, and later entries follow the
    // deleted ones in it (IDs no longer ascending inside the node), until a new node is made,
    // whose key sorts before it. Redis iterates nodes by key and entries in node order.
    await c.call('XADD', 'k', '5-0', 'f', 'v');
    await c.call('XADD', 'k', '10-0', 'f', 'v');
    assert.equal(await c.call('XDEL', 'k', '10-0'), ':1\r\n');
    assert.equal(await c.call('XTRIM', 'k', 'MINID', '6'), ':1\r\n');
    assert.equal(infoField(await c.call('XINFO', 'STREAM', 'k'), 'radix-tree-keys'), '1');
    assert.equal(await c.call('XSETID', 'k', '1-0'), '+OK\r\n');
    assert.equal(await c.call('XADD', 'k', '2-0', 'f', 'v2'), bulk('2-0'));
    assert.equal(await c.call('XADD', 'k', '3-0', 'f', 'v3'), bulk('3-0'));
    assert.equal(await c.call('XRANGE', 'k', '3', '+'), `*1\r\n${entry('3-0', 'f', 'v3')}`);
    await c.call('CONFIG', 'SET', 'stream-node-max-entries', '4');
    try {
      await c.call('XADD', 'k', '4-0', 'f', 'v4');
      await c.call('XADD', 'k', '6-0', 'f', 'v6');
      assert.equal(infoField(await c.call('XINFO', 'STREAM', 'k'), 'radix-tree-keys'), '3');
      // By node key: 4-0's node, the old node (key 5-0) with 2-0 and 3-0, then 6-0's node.
      const all = [
        entry('4-0', 'f', 'v4'),
        entry('2-0', 'f', 'v2'),
        entry('3-0', 'f', 'v3'),
        entry('6-0', 'f', 'v6'),
      ];
      assert.equal(await c.call('XRANGE', 'k', '-', '+'), `*4\r\n${all.join('')}`);
      // A range is read from the node keyed at or below its start, deleted entries skipped.
      assert.equal(
        await c.call('XRANGE', 'k', '3', '5'),
        `*2\r\n${entry('4-0', 'f', 'v4')}${entry('3-0', 'f', 'v3')}`,
      );
      assert.equal(await c.call('XREVRANGE', 'k', '+', '-'), `*4\r\n${all.slice().reverse().join('')}`);
      // The whole stream travels as it is and loads back.
      const payload = (await c.value('DUMP', 'k')) as Buffer | string;
      assert.equal(await c.call('RESTORE', 'copy', '0', payload), '+OK\r\n');
      assert.equal(await c.call('XRANGE', 'copy', '-', '+'), `*4\r\n${all.join('')}`);
      // Approximate trimming removes whole nodes from the first key: 4-0's and the old one go.
      await c.call('XADD', 'k', 'MAXLEN', '~', '1', '7-0', 'f', 'v7');
      assert.equal(await c.call('XLEN', 'k'), ':2\r\n');
      assert.equal(await c.call('XDEL', 'k', '3-0'), ':0\r\n');
      assert.equal(
        await c.call('XRANGE', 'k', '-', '+'),
        `*2\r\n${entry('6-0', 'f', 'v6')}${entry('7-0', 'f', 'v7')}`,
      );
    } finally {
      await c.call('CONFIG', 'SET', 'stream-node-max-entries', '100');
    }
  });

  it('RESP3: XREAD answers a map', async ({ connection: c }) => {
    await c.call('HELLO', '3');
    await c.call('XADD', 's', '1-1', 'f', 'v');
    assert.equal(
      await c.call('XREAD', 'STREAMS', 's', '0'),
      `%1\r\n${bulk('s')}*1\r\n${entry('1-1', 'f', 'v')}`,
    );
    assert.equal(await c.call('XREAD', 'STREAMS', 's', '1-1'), '_\r\n');
  });
});
