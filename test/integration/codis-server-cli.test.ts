// The codis-server program itself: command-line and redis.conf handling, signals, SHUTDOWN.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { freePort } from '../helpers/free-port.ts';
import { RawConnection } from '../helpers/raw-connection.ts';
import { CODIS_SERVER_ENTRY } from '../helpers/redis-servers.ts';

const dir = mkdtempSync(join(tmpdir(), 'codis-server-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Finished {
  code: number | null;
  output: string;
}

function run(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(process.execPath, [CODIS_SERVER_ENTRY, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const done = new Promise<Finished>((resolve) => child.once('exit', (code) => resolve({ code, output })));
  return { child, done };
}

async function connectWhenReady(port: number): Promise<RawConnection> {
  const deadline = Date.now() + 15000;
  for (;;) {
    try {
      return await RawConnection.open(port);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe('codis-server program', () => {
  test('an invalid value makes it exit non-zero naming the option', async () => {
    const { done } = run(['--port', 'abc']);
    const result = await done;
    assert.notEqual(result.code, 0);
    assert.match(result.output, /port/);
  });

  test('an unknown option makes it exit non-zero naming it', async () => {
    const { done } = run(['--bogus', '1']);
    const result = await done;
    assert.notEqual(result.code, 0);
    assert.match(result.output, /bogus/);
  });

  test('reads a redis.conf file; CONFIG REWRITE writes it back; SIGTERM exits 0', async () => {
    const port = await freePort();
    const file = join(dir, 'redis.conf');
    writeFileSync(file, `# test config\nport ${port}\nbind 127.0.0.1\nmaxmemory 2mb\nsave ""\nhz 20\n`);
    const { child, done } = run([file, '--dir', dir]);
    const c = await connectWhenReady(port);
    assert.equal(await c.call('CONFIG', 'GET', 'maxmemory'), '*2\r\n$9\r\nmaxmemory\r\n$7\r\n2097152\r\n');
    assert.equal(await c.call('CONFIG', 'GET', 'hz'), '*2\r\n$2\r\nhz\r\n$2\r\n20\r\n');
    const info = (await c.value('INFO', 'server')) as string;
    assert.match(info, new RegExp(`config_file:${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\r\\n`));
    assert.equal(await c.call('CONFIG', 'SET', 'maxmemory', '3mb', 'slowlog-max-len', '64'), '+OK\r\n');
    assert.equal(await c.call('CONFIG', 'REWRITE'), '+OK\r\n');
    const rewritten = readFileSync(file, 'latin1');
    assert.match(rewritten, /^# test config\n/);
    assert.match(rewritten, /\nmaxmemory 3145728\n/);
    assert.match(rewritten, /\nslowlog-max-len 64\n/);
    assert.match(rewritten, /\nhz 20\n/);
    c.close();
    child.kill('SIGTERM');
    const result = await done;
    assert.equal(result.code, 0, result.output);
  });

  test('Node runs it with its GC flags in the same process; CODIS_SERVER_V8_FLAGS replaces the flags', async () => {
    const { CODIS_SERVER_V8_FLAGS: _, ...inherited } = process.env;
    const cases: [string | undefined, string[], string[]][] = [
      [
        undefined,
        [
          '--single-threaded-gc',
          '--max-semi-space-size=4',
          '--incremental-marking-soft-trigger=50',
          '--incremental-marking-hard-trigger=60',
        ],
        [],
      ],
      [
        '--max-semi-space-size=8  --no-parallel-scavenge',
        ['--max-semi-space-size=8', '--no-parallel-scavenge'],
        ['--single-threaded-gc'],
      ],
      ['', [], ['--single-threaded-gc']],
    ];
    for (const [flags, present, absent] of cases) {
      const port = await freePort();
      const env = flags === undefined ? inherited : { ...inherited, CODIS_SERVER_V8_FLAGS: flags };
      const { child, done } = run(['--port', String(port), '--save', '', '--dir', dir], env);
      const c = await connectWhenReady(port);
      // The pid the caller started is the one serving (so its signals and exit code are the server's).
      assert.match(
        (await c.value('INFO', 'server')) as string,
        new RegExp(`\\r\\nprocess_id:${child.pid}\\r\\n`),
      );
      const node = readFileSync(`/proc/${child.pid}/cmdline`, 'latin1').split('\0');
      const entry = node.indexOf(CODIS_SERVER_ENTRY);
      assert.ok(entry > 0, node.join(' '));
      for (const flag of present)
        assert.ok(node.slice(0, entry).includes(flag), `${flag} in ${node.join(' ')}`);
      for (const flag of absent) assert.ok(!node.includes(flag), `${flag} not in ${node.join(' ')}`);
      assert.deepEqual(node.slice(entry + 1, entry + 3), ['--port', String(port)]);
      c.close();
      child.kill('SIGINT');
      const result = await done;
      assert.equal(result.code, 0, result.output);
    }
    const bad = run(['--port', String(await freePort())], {
      ...inherited,
      CODIS_SERVER_V8_FLAGS: '--no-such-v8-flag',
    });
    const result = await bad.done;
    assert.notEqual(result.code, 0);
    assert.match(result.output, /--no-such-v8-flag/);
  });

  test('CODIS_SERVER_GC_LOG=MS writes GC pauses of MS ms or more with their wall-clock start', async () => {
    const port = await freePort();
    const started = Date.now();
    const { child, done } = run(['--port', String(port), '--save', '', '--dir', dir], {
      ...process.env,
      CODIS_SERVER_GC_LOG: '0',
    });
    const c = await connectWhenReady(port);
    // Enough garbage for a few scavenges of the 8 MB semi-space.
    for (let i = 0; i < 20; i++) await c.call('SET', `gc:${i}`, 'x'.repeat(1_000_000), 'GET');
    c.close();
    child.kill('SIGTERM');
    const result = await done;
    assert.equal(result.code, 0, result.output);
    const pauses = [
      ...result.output.matchAll(
        /^gc (\S+) (scavenge|mark-compact|incremental|weak-callbacks) ([\d.]+) ms$/gm,
      ),
    ];
    assert.ok(pauses.length > 0, result.output);
    for (const [, at] of pauses) {
      const time = Date.parse(at as string);
      assert.ok(time >= started - 1000 && time <= Date.now(), at);
    }
  });

  test('SHUTDOWN closes the connection without a reply and exits 0', async () => {
    const port = await freePort();
    const { done } = run(['--port', String(port), '--save', '', '--dir', dir]);
    const c = await connectWhenReady(port);
    assert.equal(await c.call('PING'), '+PONG\r\n');
    c.send('SHUTDOWN', 'NOSAVE');
    await c.waitClosed();
    await assert.rejects(c.reply(100));
    const result = await done;
    assert.equal(result.code, 0, result.output);
    assert.equal(
      await RawConnection.open(port).then(
        (x) => x.close(),
        () => 'refused',
      ),
      'refused',
    );
  });
});
