import assert from 'node:assert/strict';
import { RespMap, type RespValue, RespVerbatim } from '../../src/resp/index.ts';
import { conformanceSuite } from '../helpers/conformance.ts';

function text(value: RespValue): string {
  if (typeof value === 'string') return value;
  if (value instanceof RespVerbatim) return value.text;
  throw new Error(`not a string reply: ${String(value)}`);
}

function infoFields(value: RespValue): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text(value).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

conformanceSuite('server administration', (it) => {
  it('COMMAND INFO is redis-server 7.0 own entry; unknown names are null', async ({ connection: c }) => {
    const raw = await c.call('COMMAND', 'INFO', 'get', 'nosuchcommand');
    assert.ok(
      raw.startsWith('*2\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n'),
    );
    assert.ok(raw.endsWith('$-1\r\n'));
    assert.equal(
      await c.call('COMMAND', 'INFO', 'config|get'),
      await c.call('COMMAND', 'INFO', 'CONFIG|GET'),
    );
    const configGet = await c.value('COMMAND', 'INFO', 'config|get');
    assert.ok(Array.isArray(configGet) && Array.isArray(configGet[0]));
    assert.equal((configGet[0] as RespValue[])[1], -3);
    await c.call('HELLO', '3');
    assert.equal(await c.call('COMMAND', 'INFO', 'nosuchcommand'), '*1\r\n_\r\n');
  });

  it('COMMAND COUNT, LIST and its filters agree with each other', async ({ connection: c }) => {
    const count = await c.value('COMMAND', 'COUNT');
    assert.equal(typeof count, 'number');
    const all = (await c.value('COMMAND')) as RespValue[];
    assert.equal(all.length, count);
    const list = (await c.value('COMMAND', 'LIST')) as string[];
    assert.ok(list.includes('get') && list.includes('config|get') && list.includes('client|list'));
    const configs = (await c.value('COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'config*')) as string[];
    assert.deepEqual([...configs].sort(), [
      'config',
      'config|get',
      'config|help',
      'config|resetstat',
      'config|rewrite',
      'config|set',
    ]);
    const strings = (await c.value('COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'string')) as string[];
    assert.ok(strings.includes('get') && strings.includes('incr') && !strings.includes('ping'));
    assert.equal(await c.call('COMMAND', 'LIST', 'FILTERBY', 'MODULE', 'x'), '*0\r\n');
    assert.equal(await c.call('COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'nosuchcategory'), '*0\r\n');
    assert.equal(await c.call('COMMAND', 'LIST', 'bogus'), '-ERR syntax error\r\n');
    assert.equal(await c.call('COMMAND', 'LIST', 'FILTERBY', 'bogus', 'x'), '-ERR syntax error\r\n');
    assert.equal(await c.call('COMMAND', 'bogus'), "-ERR unknown subcommand 'bogus'. Try COMMAND HELP.\r\n");
    const help = (await c.value('COMMAND', 'HELP')) as unknown[];
    assert.equal(help.length, 21);
  });

  it('COMMAND DOCS is a map of documentation', async ({ connection: c }) => {
    assert.equal(
      await c.call('COMMAND', 'DOCS', 'get'),
      '*2\r\n$3\r\nget\r\n*10\r\n$7\r\nsummary\r\n$22\r\nGet the value of a key\r\n$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n$9\r\narguments\r\n*1\r\n*6\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n',
    );
    assert.equal(await c.call('COMMAND', 'DOCS', 'nosuchcommand'), '*0\r\n');
    await c.call('HELLO', '3');
    const docs = await c.value('COMMAND', 'DOCS', 'config|get');
    assert.ok(docs instanceof RespMap);
    assert.equal(docs.entries[0]?.[0], 'config|get');
  });

  it('COMMAND GETKEYS and GETKEYSANDFLAGS', async ({ connection: c }) => {
    assert.equal(
      await c.call('COMMAND', 'GETKEYS', 'mset', 'a', '1', 'b', '2'),
      '*2\r\n$1\r\na\r\n$1\r\nb\r\n',
    );
    assert.equal(await c.call('COMMAND', 'GETKEYS', 'get', 'k'), '*1\r\n$1\r\nk\r\n');
    assert.equal(await c.call('COMMAND', 'GETKEYS', 'nosuch', 'k'), '-ERR Invalid command specified\r\n');
    assert.equal(
      await c.call('COMMAND', 'GETKEYS', 'ping', 'x'),
      '-ERR The command has no key arguments\r\n',
    );
    assert.equal(
      await c.call('COMMAND', 'GETKEYS', 'get', 'a', 'b'),
      '-ERR Invalid number of arguments specified for command\r\n',
    );
    assert.equal(
      await c.call('COMMAND', 'GETKEYS'),
      "-ERR wrong number of arguments for 'command|getkeys' command\r\n",
    );
    assert.equal(
      await c.call('COMMAND', 'GETKEYSANDFLAGS', 'set', 'a', 'b'),
      '*1\r\n*2\r\n$1\r\na\r\n*2\r\n+OW\r\n+update\r\n',
    );
    assert.equal(
      await c.call('COMMAND', 'GETKEYSANDFLAGS', 'set', 'a', 'b', 'GET'),
      '*1\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+update\r\n',
    );
    assert.equal(
      await c.call('COMMAND', 'GETKEYSANDFLAGS', 'del', 'a', 'b'),
      '*2\r\n*2\r\n$1\r\na\r\n*2\r\n+RM\r\n+delete\r\n*2\r\n$1\r\nb\r\n*2\r\n+RM\r\n+delete\r\n',
    );
    assert.equal(
      await c.call('COMMAND', 'GETKEYS', 'config', 'get', 'x'),
      '-ERR The command has no key arguments\r\n',
    );
  });

  it('INFO sections, fields and formats', async ({ connection: c, port }) => {
    const all = await c.value('INFO');
    assert.match(await c.call('INFO', 'server'), /^\$\d+\r\n# Server\r\nredis_version:7\.0\.15\r\n/);
    const fields = infoFields(all);
    for (const name of [
      'redis_version',
      'os',
      'arch_bits',
      'process_id',
      'tcp_port',
      'uptime_in_seconds',
      'hz',
      'executable',
      'config_file',
      'connected_clients',
      'blocked_clients',
      'maxclients',
      'used_memory',
      'used_memory_human',
      'used_memory_rss',
      'used_memory_peak',
      'maxmemory',
      'maxmemory_policy',
      'mem_fragmentation_ratio',
      'loading',
      'rdb_changes_since_last_save',
      'rdb_bgsave_in_progress',
      'rdb_last_save_time',
      'aof_enabled',
      'total_connections_received',
      'total_commands_processed',
      'instantaneous_ops_per_sec',
      'total_net_input_bytes',
      'total_net_output_bytes',
      'rejected_connections',
      'expired_keys',
      'evicted_keys',
      'keyspace_hits',
      'keyspace_misses',
      'total_error_replies',
      'role',
      'connected_slaves',
      'master_replid',
      'master_repl_offset',
      'used_cpu_sys',
      'used_cpu_user',
    ])
      assert.ok(fields.has(name), `INFO lacks ${name}`);
    assert.equal(fields.get('role'), 'master');
    assert.match(fields.get('master_replid') ?? '', /^[0-9a-f]{40}$/);
    assert.equal(fields.get('tcp_port'), String(port));
    assert.equal(fields.get('loading'), '0');
    assert.equal(fields.has('cmdstat_info'), false);
    assert.equal(await c.call('INFO', 'nosuchsection'), '$0\r\n\r\n');
    await c.call('SET', 'a', '1');
    await c.call('SET', 'b', '2', 'EX', '100');
    const keyspace = text(await c.value('INFO', 'keyspace'));
    assert.match(keyspace, /^# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=\d+\r\n$/);
    const two = text(await c.value('INFO', 'CPU', 'replication'));
    assert.match(two, /^# Replication\r\n[^#]*\r\n\r\n# CPU\r\n/);
    await c.call('HELLO', '3');
    const verbatim = await c.value('INFO', 'server');
    assert.ok(verbatim instanceof RespVerbatim);
    assert.equal(verbatim.format, 'txt');
  });

  it('INFO commandstats and errorstats; CONFIG RESETSTAT clears them', async ({ connection: c }) => {
    assert.equal(await c.call('CONFIG', 'RESETSTAT'), '+OK\r\n');
    await c.call('SET', 'k', 'v');
    await c.call('GET', 'k');
    await c.call('GET', 'k');
    await c.call('INCR', 'k');
    await c.call('CONFIG', 'GET', 'port');
    await c.call('GET');
    const stats = infoFields(await c.value('INFO', 'commandstats'));
    assert.match(
      stats.get('cmdstat_get') ?? '',
      /^calls=2,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=1,failed_calls=0$/,
    );
    assert.match(stats.get('cmdstat_incr') ?? '', /^calls=1,.*,rejected_calls=0,failed_calls=1$/);
    assert.match(stats.get('cmdstat_config|get') ?? '', /^calls=1,/);
    const errors = infoFields(await c.value('INFO', 'errorstats'));
    assert.equal(errors.get('errorstat_ERR'), 'count=2');
    const general = infoFields(await c.value('INFO', 'stats'));
    assert.equal(general.get('total_error_replies'), '2');
    await c.call('CONFIG', 'RESETSTAT');
    const after = infoFields(await c.value('INFO', 'commandstats'));
    assert.equal(after.has('cmdstat_get'), false);
    assert.equal(infoFields(await c.value('INFO', 'errorstats')).size, 0);
  });

  it('TIME and LASTSAVE', async ({ connection: c }) => {
    const time = (await c.value('TIME')) as string[];
    assert.equal(time.length, 2);
    assert.ok(Math.abs(Number(time[0]) - Date.now() / 1000) < 5);
    assert.match(time[1] as string, /^\d{1,6}$/);
    const lastsave = (await c.value('LASTSAVE')) as number;
    assert.ok(lastsave <= Date.now() / 1000 + 1 && lastsave > 1_600_000_000);
    assert.equal(await c.call('TIME', 'x'), "-ERR wrong number of arguments for 'time' command\r\n");
  });

  it('SLOWLOG records commands slower than the threshold', async ({ connection: c }) => {
    assert.equal(await c.call('SLOWLOG', 'RESET'), '+OK\r\n');
    assert.equal(await c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0'), '+OK\r\n');
    await c.call('CLIENT', 'SETNAME', 'slowpoke');
    await c.call('SET', 'key', 'x'.repeat(200));
    const many = Array.from({ length: 40 }, (_, i) => `k${i}`);
    await c.call('DEL', ...many);
    const entries = (await c.value('SLOWLOG', 'GET', '2')) as RespValue[][];
    assert.equal(entries.length, 2);
    const [del, set] = entries as [RespValue[], RespValue[]];
    assert.equal(del.length, 6);
    assert.equal(typeof del[0], 'number');
    assert.ok(Math.abs((del[1] as number) - Date.now() / 1000) < 5);
    assert.equal(typeof del[2], 'number');
    const delArgs = del[3] as string[];
    assert.equal(delArgs.length, 32);
    assert.equal(delArgs[0], 'DEL');
    assert.equal(delArgs[31], '... (10 more arguments)');
    assert.match(del[4] as string, /^127\.0\.0\.1:\d+$/);
    assert.equal(del[5], 'slowpoke');
    assert.deepEqual(set[3], ['SET', 'key', `${'x'.repeat(128)}... (72 more bytes)`]);
    assert.ok((del[0] as number) > (set[0] as number));
    assert.ok(((await c.value('SLOWLOG', 'LEN')) as number) >= 3);
    await c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
    assert.equal(await c.call('SLOWLOG', 'RESET'), '+OK\r\n');
    assert.equal(await c.call('SLOWLOG', 'LEN'), ':0\r\n');
    assert.equal(
      await c.call('SLOWLOG', 'GET', '-2'),
      '-ERR count should be greater than or equal to -1\r\n',
    );
    assert.equal(((await c.value('SLOWLOG', 'HELP')) as unknown[]).length, 12);
  });

  it('LATENCY records events above latency-monitor-threshold', async ({ connection: c }) => {
    await c.call('LATENCY', 'RESET');
    assert.equal(await c.call('LATENCY', 'LATEST'), '*0\r\n');
    assert.equal(await c.call('CONFIG', 'SET', 'latency-monitor-threshold', '10'), '+OK\r\n');
    assert.equal(await c.call('DEBUG', 'SLEEP', '0.05'), '+OK\r\n');
    const latest = (await c.value('LATENCY', 'LATEST')) as RespValue[][];
    assert.equal(latest.length, 1);
    assert.equal(latest[0]?.[0], 'command');
    assert.ok((latest[0]?.[2] as number) >= 50);
    const history = (await c.value('LATENCY', 'HISTORY', 'command')) as number[][];
    assert.equal(history.length, 1);
    assert.ok((history[0]?.[1] as number) >= 50);
    assert.equal(await c.call('LATENCY', 'HISTORY', 'nosuchevent'), '*0\r\n');
    assert.equal(await c.call('LATENCY', 'RESET', 'command', 'other'), ':1\r\n');
    await c.call('CONFIG', 'SET', 'latency-monitor-threshold', '0');
    assert.equal(((await c.value('LATENCY', 'HELP')) as unknown[]).length, 17);
  });

  it('MONITOR streams commands with database and client address', async ({ connection: c, connect }) => {
    const monitor = await connect();
    assert.equal(await monitor.call('MONITOR'), '+OK\r\n');
    await c.call('SELECT', '2');
    await c.call('SET', 'k', 'a "quoted"\nvalue\x01');
    assert.match((await monitor.reply()).raw, /^\+\d{10}\.\d{6} \[2 127\.0\.0\.1:\d+\] "SELECT" "2"\r\n$/);
    assert.match(
      (await monitor.reply()).raw,
      /^\+\d{10}\.\d{6} \[2 127\.0\.0\.1:\d+\] "SET" "k" "a \\"quoted\\"\\nvalue\\x01"\r\n$/,
    );
    await c.call('CONFIG', 'GET', 'port');
    await c.call('PING');
    assert.match((await monitor.reply()).raw, /"PING"\r\n$/);
  });

  it('DEBUG OBJECT, SET-ACTIVE-EXPIRE, SLEEP and unknown subcommands', async ({ connection: c }) => {
    await c.call('SET', 'n', '12345');
    await c.call('SET', 's', 'hello');
    assert.match(
      await c.call('DEBUG', 'OBJECT', 's'),
      /^\+Value at:0x[0-9a-f]+ refcount:1 encoding:embstr serializedlength:6 lru:\d+ lru_seconds_idle:\d+\r\n$/,
    );
    assert.match(await c.call('DEBUG', 'OBJECT', 'n'), / encoding:int serializedlength:3 lru:/);
    assert.equal(await c.call('DEBUG', 'OBJECT', 'missing'), '-ERR no such key\r\n');
    assert.equal(await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0'), '+OK\r\n');
    await c.call('SET', 'gone', 'x', 'PX', '1');
    await sleep(300);
    assert.equal(await c.call('DBSIZE'), ':3\r\n');
    assert.equal(await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1'), '+OK\r\n');
    const started = Date.now();
    assert.equal(await c.call('DEBUG', 'SLEEP', '0.1'), '+OK\r\n');
    assert.ok(Date.now() - started >= 90);
    assert.equal(
      await c.call('DEBUG', 'JMAP'),
      "-ERR unknown subcommand or wrong number of arguments for 'JMAP'. Try DEBUG HELP.\r\n",
    );
  });

  it('SHUTDOWN ABORT without a shutdown in progress', async ({ connection: c }) => {
    assert.equal(await c.call('SHUTDOWN', 'ABORT'), '-ERR No shutdown in progress.\r\n');
  });
});
