import assert from 'node:assert/strict';
import { type RespValue, RespVerbatim } from '../../src/resp/index.ts';
import { conformanceSuite } from '../helpers/conformance.ts';

function text(value: RespValue): string {
  if (typeof value === 'string') return value;
  if (value instanceof RespVerbatim) return value.text;
  throw new Error('not a string reply');
}

function fields(line: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of line.trim().split(' ')) {
    const at = pair.indexOf('=');
    out.set(pair.slice(0, at), pair.slice(at + 1));
  }
  return out;
}

const FIELD_ORDER =
  'id addr laddr fd name age idle flags db sub psub ssub multi qbuf qbuf-free argv-mem multi-mem rbs rbp obl oll omem tot-mem events cmd user redir resp';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

conformanceSuite('client command', (it) => {
  it('CLIENT ID, INFO, LIST with Redis 7.0 fields', async ({ connection: c, connect, port }) => {
    const id = (await c.value('CLIENT', 'ID')) as number;
    const info = text(await c.value('CLIENT', 'INFO'));
    assert.ok(info.endsWith('\n'));
    const mine = fields(info);
    assert.equal([...mine.keys()].join(' '), FIELD_ORDER);
    assert.equal(mine.get('id'), String(id));
    assert.equal(mine.get('laddr'), `127.0.0.1:${port}`);
    assert.equal(mine.get('cmd'), 'client|info');
    assert.equal(mine.get('flags'), 'N');
    assert.equal(mine.get('user'), 'default');
    assert.equal(mine.get('resp'), '2');
    const other = await connect();
    await other.call('CLIENT', 'SETNAME', 'second');
    await other.call('SELECT', '3');
    const list = text(await c.value('CLIENT', 'LIST'))
      .trimEnd()
      .split('\n')
      .map(fields);
    assert.ok(list.length >= 2);
    const second = list.find((each) => each.get('name') === 'second');
    assert.equal(second?.get('db'), '3');
    assert.equal(second?.get('cmd'), 'select');
    assert.equal(list.find((each) => each.get('id') === String(id))?.get('cmd'), 'client|list');
    const byId = text(await c.value('CLIENT', 'LIST', 'ID', String(id), '999999'))
      .trimEnd()
      .split('\n');
    assert.equal(byId.length, 1);
    assert.equal(text(await c.value('CLIENT', 'LIST', 'TYPE', 'pubsub')), '');
    assert.equal(await c.call('CLIENT', 'LIST', 'TYPE', 'foo'), "-ERR Unknown client type 'foo'\r\n");
    assert.equal(await c.call('CLIENT', 'LIST', 'ID', 'abc'), '-ERR Invalid client ID\r\n');
    assert.equal(await c.call('CLIENT', 'LIST', 'bogus'), '-ERR syntax error\r\n');
  });

  it('CLIENT SETNAME and GETNAME', async ({ connection: c }) => {
    assert.equal(await c.call('CLIENT', 'GETNAME'), '$-1\r\n');
    assert.equal(await c.call('CLIENT', 'SETNAME', 'worker-1'), '+OK\r\n');
    assert.equal(await c.call('CLIENT', 'GETNAME'), '$8\r\nworker-1\r\n');
    assert.equal(
      await c.call('CLIENT', 'SETNAME', 'a b'),
      '-ERR Client names cannot contain spaces, newlines or special characters.\r\n',
    );
    assert.equal(
      await c.call('CLIENT', 'SETNAME', 'a\nb'),
      '-ERR Client names cannot contain spaces, newlines or special characters.\r\n',
    );
    assert.equal(await c.call('CLIENT', 'SETNAME', ''), '+OK\r\n');
    assert.equal(await c.call('CLIENT', 'GETNAME'), '$-1\r\n');
  });

  it('CLIENT KILL by address and by filters', async ({ connection: c, connect }) => {
    const victim = await connect();
    const victimInfo = fields(text(await victim.value('CLIENT', 'INFO')));
    assert.equal(await c.call('CLIENT', 'KILL', victimInfo.get('addr') as string), '+OK\r\n');
    await victim.waitClosed();
    assert.equal(await c.call('CLIENT', 'KILL', '1.2.3.4:5'), '-ERR No such client\r\n');
    const second = await connect();
    const secondId = (await second.value('CLIENT', 'ID')) as number;
    assert.equal(await c.call('CLIENT', 'KILL', 'ID', String(secondId)), ':1\r\n');
    await second.waitClosed();
    assert.equal(await c.call('CLIENT', 'KILL', 'ID', '999999'), ':0\r\n');
    assert.equal(await c.call('CLIENT', 'KILL', 'ID', '0'), '-ERR client-id should be greater than 0\r\n');
    assert.equal(await c.call('CLIENT', 'KILL', 'TYPE', 'foo'), "-ERR Unknown client type 'foo'\r\n");
    assert.equal(await c.call('CLIENT', 'KILL', 'USER', 'nobody'), "-ERR No such user 'nobody'\r\n");
    assert.equal(await c.call('CLIENT', 'KILL', 'bogus', 'x'), '-ERR syntax error\r\n');
    assert.equal(await c.call('CLIENT', 'KILL', 'SKIPME', 'maybe'), '-ERR syntax error\r\n');
    const third = await connect();
    await third.call('PING');
    const myId = (await c.value('CLIENT', 'ID')) as number;
    assert.equal(await c.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes'), ':1\r\n');
    await third.waitClosed();
    assert.equal(await c.call('CLIENT', 'ID'), `:${myId}\r\n`);
    assert.equal(await c.call('CLIENT', 'KILL', 'ID', String(myId), 'SKIPME', 'no'), ':1\r\n');
    await c.waitClosed();
  });

  it('CLIENT REPLY OFF, SKIP and ON', async ({ connection: c }) => {
    c.send('CLIENT', 'REPLY', 'OFF');
    c.send('SET', 'a', '1');
    c.send('CLIENT', 'REPLY', 'ON');
    assert.equal((await c.reply()).raw, '+OK\r\n');
    c.send('CLIENT', 'REPLY', 'SKIP');
    c.send('GET', 'a');
    c.send('GET', 'a');
    assert.equal((await c.reply()).raw, '$1\r\n1\r\n');
    assert.equal(await c.call('CLIENT', 'REPLY', 'bad'), '-ERR syntax error\r\n');
  });

  it('CLIENT PAUSE WRITE parks writes but not reads; UNPAUSE resumes', async ({ connection: c, connect }) => {
    const other = await connect();
    assert.equal(await c.call('CLIENT', 'PAUSE', '10000', 'WRITE'), '+OK\r\n');
    const started = Date.now();
    other.send('SET', 'k', 'v');
    assert.equal(await c.call('GET', 'k'), '$-1\r\n');
    await sleep(150);
    assert.equal(await c.call('CLIENT', 'UNPAUSE'), '+OK\r\n');
    assert.equal((await other.reply()).raw, '+OK\r\n');
    assert.ok(Date.now() - started >= 150);
    assert.equal(await c.call('GET', 'k'), '$1\r\nv\r\n');
  });

  it('CLIENT PAUSE ALL ends by itself after the timeout', async ({ connection: c, connect }) => {
    const other = await connect();
    const started = Date.now();
    assert.equal(await c.call('CLIENT', 'PAUSE', '200'), '+OK\r\n');
    assert.equal(await other.call('PING'), '+PONG\r\n');
    assert.ok(Date.now() - started >= 150);
    assert.equal(
      await c.call('CLIENT', 'PAUSE', 'abc'),
      '-ERR timeout is not an integer or out of range\r\n',
    );
    assert.equal(
      await c.call('CLIENT', 'PAUSE', '10', 'bad'),
      '-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n',
    );
  });

  it('CLIENT UNBLOCK, NO-EVICT and HELP', async ({ connection: c, connect }) => {
    const blocked = await connect();
    const blockedId = (await blocked.value('CLIENT', 'ID')) as number;
    blocked.send('BLPOP', 'nolist', '0');
    await sleep(100);
    assert.match(
      fields(text(await c.value('CLIENT', 'LIST', 'ID', String(blockedId)))).get('flags') ?? '',
      /b/,
    );
    assert.equal(await c.call('CLIENT', 'UNBLOCK', String(blockedId)), ':1\r\n');
    assert.equal((await blocked.reply()).raw, '*-1\r\n');
    blocked.send('BLPOP', 'nolist', '0');
    await sleep(100);
    assert.equal(await c.call('CLIENT', 'UNBLOCK', String(blockedId), 'ERROR'), ':1\r\n');
    assert.equal((await blocked.reply()).raw, '-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n');
    assert.equal(await c.call('CLIENT', 'UNBLOCK', String(blockedId)), ':0\r\n');
    assert.equal(
      await c.call('CLIENT', 'UNBLOCK', 'abc'),
      '-ERR value is not an integer or out of range\r\n',
    );
    assert.equal(
      await c.call('CLIENT', 'UNBLOCK', '5', 'bad'),
      '-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n',
    );
    assert.equal(await c.call('CLIENT', 'NO-EVICT', 'on'), '+OK\r\n');
    assert.equal(await c.call('CLIENT', 'NO-EVICT', 'off'), '+OK\r\n');
    assert.equal(await c.call('CLIENT', 'NO-EVICT', 'maybe'), '-ERR syntax error\r\n');
    assert.equal(((await c.value('CLIENT', 'HELP')) as unknown[]).length, 48);
    assert.equal(await c.call('CLIENT', 'BOGUS'), "-ERR unknown subcommand 'BOGUS'. Try CLIENT HELP.\r\n");
  });
});

conformanceSuite(
  'client command (codis-server only)',
  (it) => {
    it('CLIENT SETINFO LIB-NAME and LIB-VER (Redis 7.2, sent by client libraries)', async ({
      connection: c,
    }) => {
      assert.equal(await c.call('CLIENT', 'SETINFO', 'LIB-NAME', 'ioredis'), '+OK\r\n');
      assert.equal(await c.call('CLIENT', 'SETINFO', 'lib-ver', '5.0.0'), '+OK\r\n');
      assert.equal(await c.call('CLIENT', 'SETINFO', 'bogus', 'x'), "-ERR Unrecognized option 'bogus'\r\n");
      assert.equal(
        await c.call('CLIENT', 'SETINFO', 'lib-name', 'a b'),
        '-ERR lib-name cannot contain spaces, newlines or special characters.\r\n',
      );
      assert.equal(
        await c.call('CLIENT', 'SETINFO', 'lib-name'),
        "-ERR wrong number of arguments for 'client|setinfo' command\r\n",
      );
    });
  },
  { only: 'codis-server' },
);
