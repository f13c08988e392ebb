import assert from 'node:assert/strict';
import { conformanceSuite } from '../helpers/conformance.ts';

// Codis's slot commands (spec/server-slots.md §2.2 and §5); redis-server has none of them.
conformanceSuite(
  'slots',
  (it) => {
    it('SLOTSHASHKEY: the worked examples of §2.2', async ({ connection: c }) => {
      assert.equal(await c.call('SLOTSHASHKEY', 'a', 'b', 'c'), '*3\r\n:579\r\n:1017\r\n:879\r\n');
      assert.equal(await c.call('slotshashkey', ''), '*1\r\n:0\r\n');
      assert.equal(await c.call('slotshashkey', '{}', '{}abc', 'x{}y'), '*3\r\n:0\r\n:0\r\n:0\r\n');
      assert.equal(
        await c.call('slotshashkey', 'user:{1000}:name', '1000', '{1000}'),
        '*3\r\n:791\r\n:791\r\n:791\r\n',
      );
      assert.equal(
        await c.call('slotshashkey', '{{a}}', '{a', 'a{b}c{d}', 'b'),
        '*4\r\n:780\r\n:780\r\n:1017\r\n:1017\r\n',
      );
      assert.equal(
        await c.call('slotshashkey', 'abc{', 'abc}', '}{x}', 'x'),
        '*4\r\n:228\r\n:465\r\n:643\r\n:643\r\n',
      );
      assert.equal(await c.call('slotshashkey', '\xff', '{\xff}zz'), '*2\r\n:0\r\n:0\r\n');
      assert.equal(await c.call('slotshashkey', '123456789', 'hello world'), '*2\r\n:294\r\n:389\r\n');
      assert.equal(await c.call('slotshashkey', '{plumless}1', '{buckeroo}2'), '*2\r\n:37\r\n:37\r\n');
      assert.equal(
        await c.call('slotshashkey', '{ }', 'b', 'c', 'bar', 'abc}', '1000'),
        '*6\r\n:837\r\n:1017\r\n:879\r\n:170\r\n:465\r\n:791\r\n',
      );
      assert.equal(await c.call('slotshashkey', '{user1000}.following', 'foo'), '*2\r\n:870\r\n:289\r\n');
      assert.equal(await c.call('slotshashkey'), '*0\r\n');
    });

    it('SLOTSINFO ranges, errors and the 32-bit overflow quirk', async ({ connection: c }) => {
      assert.equal(await c.call('slotsinfo'), '*0\r\n');
      for (const [key, value] of [
        ['a', '100'],
        ['b', '1'],
        ['c', '1'],
        ['{a}1', 'x'],
        ['{a}2', 'x'],
      ] as const)
        assert.equal(await c.call('SET', key, value), '+OK\r\n');
      const all = '*3\r\n*2\r\n:579\r\n:3\r\n*2\r\n:879\r\n:1\r\n*2\r\n:1017\r\n:1\r\n';
      assert.equal(await c.call('slotsinfo'), all);
      assert.equal(await c.call('slotsinfo', '579'), all);
      assert.equal(await c.call('slotsinfo', '579', '1'), '*1\r\n*2\r\n:579\r\n:3\r\n');
      assert.equal(await c.call('slotsinfo', '580', '437'), '*1\r\n*2\r\n:879\r\n:1\r\n');
      assert.equal(await c.call('slotsinfo', '0', '0'), '*0\r\n');
      assert.equal(await c.call('slotsinfo', '1023', '100000'), '*0\r\n');
      assert.equal(await c.call('slotsinfo', '1024'), '-ERR invalid slot number = 1024\r\n');
      assert.equal(await c.call('slotsinfo', '-1'), '-ERR invalid slot number = -1\r\n');
      assert.equal(await c.call('slotsinfo', '0', '-1'), '-ERR invalid slot count = -1\r\n');
      assert.equal(await c.call('slotsinfo', 'x'), '-ERR value is not an integer or out of range\r\n');
      assert.equal(await c.call('slotsinfo', '1.5'), '-ERR value is not an integer or out of range\r\n');
      assert.equal(await c.call('slotsinfo', '+5'), '-ERR value is not an integer or out of range\r\n');
      assert.equal(
        await c.call('slotsinfo', '0', '10', 'extra'),
        "-ERR wrong number of arguments for 'slotsinfo' command\r\n",
      );
      assert.equal(await c.call('slotsinfo', '2147483648'), '-ERR value is out of range\r\n');
      assert.equal(await c.call('slotsinfo', '0', '2147483647'), all);
      assert.equal(await c.call('slotsinfo', '1', '2147483647'), '*0\r\n');
    });

    it('SLOTSINFO and SLOTSSCAN follow the selected DB, RENAME-free writes and DEL', async ({
      connection: c,
    }) => {
      assert.equal(await c.call('SET', 'a', '1'), '+OK\r\n');
      assert.equal(await c.call('SELECT', '2'), '+OK\r\n');
      assert.equal(await c.call('slotsinfo'), '*0\r\n');
      assert.equal(await c.call('SET', 'b', '1'), '+OK\r\n');
      assert.equal(await c.call('slotsinfo'), '*1\r\n*2\r\n:1017\r\n:1\r\n');
      assert.equal(await c.call('SELECT', '0'), '+OK\r\n');
      assert.equal(await c.call('slotsinfo'), '*1\r\n*2\r\n:579\r\n:1\r\n');
      assert.equal(await c.call('DEL', 'a'), ':1\r\n');
      assert.equal(await c.call('slotsinfo'), '*0\r\n');
      assert.equal(await c.call('slotsscan', '579', '0'), '*2\r\n$1\r\n0\r\n*0\r\n');
    });

    it('SLOTSSCAN lists a slot, pages with COUNT, and checks its arguments', async ({ connection: c }) => {
      for (const key of ['a', '{a}1', '{a}2']) assert.equal(await c.call('SET', key, 'v'), '+OK\r\n');
      const whole = await c.call('slotsscan', '579', '0');
      assert.match(whole, /^\*2\r\n\$1\r\n0\r\n\*3\r\n/);
      for (const key of ['a', '{a}1', '{a}2']) assert.ok(whole.includes(`$${key.length}\r\n${key}\r\n`));
      assert.equal(await c.call('slotsscan', '0', '0'), '*2\r\n$1\r\n0\r\n*0\r\n');
      assert.equal(await c.call('slotsscan', '0', '+0'), '*2\r\n$1\r\n0\r\n*0\r\n');
      assert.equal(await c.call('slotsscan', '0', '000'), '*2\r\n$1\r\n0\r\n*0\r\n');
      assert.equal(await c.call('slotsscan', '1024', '0'), '-ERR invalid slot number = 1024\r\n');
      assert.equal(await c.call('slotsscan', '579', 'x'), '-ERR invalid cursor\r\n');
      assert.equal(await c.call('slotsscan', '579', ' 0'), '-ERR invalid cursor\r\n');
      assert.equal(await c.call('slotsscan', '579', '0 '), '-ERR invalid cursor\r\n');
      assert.equal(await c.call('slotsscan', '579', '18446744073709551616'), '-ERR invalid cursor\r\n');
      assert.equal(await c.call('slotsscan', '579', '0', 'count', '0'), '-ERR syntax error\r\n');
      assert.equal(await c.call('slotsscan', '579', '0', 'count', '-3'), '-ERR syntax error\r\n');
      assert.equal(await c.call('slotsscan', '579', '0', 'limit', '5'), '-ERR syntax error\r\n');
      assert.equal(await c.call('slotsscan', '579', '0', 'match', '*'), '-ERR syntax error\r\n');
      assert.equal(
        await c.call('slotsscan', '579', '0', 'count'),
        "-ERR wrong number of arguments for 'slotsscan' command\r\n",
      );
      assert.equal(
        await c.call('slotsscan', '579'),
        "-ERR wrong number of arguments for 'slotsscan' command\r\n",
      );
      assert.equal(
        await c.call('slotsscan', '579', '0', 'count', 'x'),
        '-ERR value is not an integer or out of range\r\n',
      );
      assert.equal(
        await c.call('slotsscan', '579', '0', 'count', '2147483648'),
        '-ERR value is out of range\r\n',
      );

      // 25 keys in slot 689, paged 10 at a time: every key comes back, and the scan ends at "0".
      for (let i = 0; i < 25; i++) assert.equal(await c.call('SET', `{p}${i}`, 'v'), '+OK\r\n');
      const seen = new Set<string>();
      let cursor = '0';
      let calls = 0;
      do {
        const reply = await c.value('slotsscan', '689', cursor, 'COUNT', '10');
        assert.ok(Array.isArray(reply));
        cursor = String(reply[0]);
        for (const key of reply[1] as unknown[]) seen.add(String(key));
        calls++;
      } while (cursor !== '0' && calls < 100);
      assert.equal(seen.size, 25);
      for (let i = 0; i < 25; i++) assert.ok(seen.has(`{p}${i}`));
    });

    it('SLOTSDEL validates every slot first, then empties each', async ({ connection: c }) => {
      for (const key of ['a', 'b', 'c', '{a}1', '{a}2'])
        assert.equal(await c.call('SET', key, 'v'), '+OK\r\n');
      assert.equal(await c.call('slotsdel', '5', '1024', '879'), '-ERR invalid slot number = 1024\r\n');
      assert.equal(await c.call('slotsdel', '5', 'x'), '-ERR value is not an integer or out of range\r\n');
      assert.equal(await c.call('slotsdel', '5', '-1'), '-ERR invalid slot number = -1\r\n');
      assert.equal(await c.call('DBSIZE'), ':5\r\n');
      assert.equal(
        await c.call('slotsdel', '879', '1017', '5'),
        '*3\r\n*2\r\n:879\r\n:0\r\n*2\r\n:1017\r\n:0\r\n*2\r\n:5\r\n:0\r\n',
      );
      assert.equal(await c.call('slotsdel', '879', '879'), '*2\r\n*2\r\n:879\r\n:0\r\n*2\r\n:879\r\n:0\r\n');
      assert.equal(await c.call('slotsdel'), "-ERR wrong number of arguments for 'slotsdel' command\r\n");
      assert.equal(await c.call('EXISTS', 'b', 'c', 'a'), ':1\r\n');
      assert.equal(await c.call('slotsdel', '579'), '*1\r\n*2\r\n:579\r\n:0\r\n');
      assert.equal(await c.call('DBSIZE'), ':0\r\n');
    });

    it('SLOTSCHECK passes and ignores extra arguments; expired keys are reclaimed', async ({
      connection: c,
    }) => {
      assert.equal(await c.call('slotscheck'), '+OK\r\n');
      assert.equal(await c.call('slotscheck', 'extra', 'args'), '+OK\r\n');
      assert.equal(await c.call('slotshashkey', 'k1', 'k2'), '*2\r\n:169\r\n:275\r\n');
      assert.equal(await c.call('SET', 'k2', 'v'), '+OK\r\n');
      assert.equal(await c.call('SET', 'k1', 'v', 'PX', '20'), '+OK\r\n');
      await new Promise((resolve) => setTimeout(resolve, 60));
      // Whether k1 was already reclaimed by the active cycle or not, a check leaves a clean index.
      const first = await c.call('slotscheck');
      assert.ok(first === '+OK\r\n' || first === "-ERR step 1, miss = 'k1'\r\n", first);
      assert.equal(await c.call('slotsinfo'), '*1\r\n*2\r\n:275\r\n:1\r\n');
      assert.equal(await c.call('slotscheck'), '+OK\r\n');
    });
  },
  { only: 'codis-server' },
);
