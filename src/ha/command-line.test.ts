// codis-ha's flags (spec/control-plane.md §12.5) and the two we add: the product auth and the
// dashboard's admin secret, from a flag or the environment.

import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { HA_VERSION, type HaCommandLine, parseHaCommandLine } from './command-line.ts';

function parse(
  argv: string[],
  env: NodeJS.ProcessEnv = {},
): { result: HaCommandLine; out: string; err: string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const result = parseHaCommandLine(argv, { stdout, stderr, env });
  return { result, out: String(stdout.read() ?? ''), err: String(stderr.read() ?? '') };
}

test('defaults: every 5 s, maintains, no product auth, no admin secret, INFO to stdout', () => {
  const { result } = parse(['--dashboard=127.0.0.1:18080']);
  assert.deepEqual(result, {
    settings: {
      dashboard: '127.0.0.1:18080',
      interval: 5,
      maintains: true,
      productAuth: '',
      adminSecret: '',
      log: undefined,
      logLevel: 'info',
    },
  });
});

test('every flag', () => {
  const { result } = parse([
    '--dashboard',
    '127.0.0.1:1',
    '--interval=1',
    '--no-maintains',
    '-l',
    '/tmp/ha.log',
    '--log-level=warn',
    '--product_auth=pa',
    '--admin-secret=s',
  ]);
  assert.ok('settings' in result);
  assert.deepEqual(result.settings, {
    dashboard: '127.0.0.1:1',
    interval: 1,
    maintains: false,
    productAuth: 'pa',
    adminSecret: 's',
    log: '/tmp/ha.log',
    logLevel: 'warn',
  });
});

test('the product auth and the admin secret from the environment; a flag wins', () => {
  const env = { CODIS_PRODUCT_AUTH: 'env-auth', CODIS_ADMIN_SECRET: 'env-secret' };
  const fromEnv = parse(['--dashboard=d:1'], env).result;
  assert.ok('settings' in fromEnv);
  assert.equal(fromEnv.settings.productAuth, 'env-auth');
  assert.equal(fromEnv.settings.adminSecret, 'env-secret');
  const fromFlags = parse(['--dashboard=d:1', '--product_auth=f', '--admin-secret=g'], env).result;
  assert.ok('settings' in fromFlags);
  assert.equal(fromFlags.settings.productAuth, 'f');
  assert.equal(fromFlags.settings.adminSecret, 'g');
});

test('the interval must be a whole number of seconds > 0', () => {
  for (const bad of ['0', '-1', '1.5', 'abc', '', '5s']) {
    const { result, err } = parse(['--dashboard=d:1', `--interval=${bad}`]);
    assert.deepEqual(result, { exitCode: 1 }, bad);
    assert.equal(err, `codis-ha: invalid --interval ${bad}: a whole number of seconds > 0\n`);
  }
});

test('--dashboard is required; a bad log level and an unknown flag are refused', () => {
  assert.deepEqual(parse([]).result, { exitCode: 1 });
  assert.match(parse([]).err, /--dashboard=ADDR is required/);
  const level = parse(['--dashboard=d:1', '--log-level=LOUD']);
  assert.deepEqual(level.result, { exitCode: 1 });
  assert.match(level.err, /invalid --log-level LOUD/);
  const unknown = parse(['--dashboard=d:1', '--bogus']);
  assert.deepEqual(unknown.result, { exitCode: 1 });
  assert.match(unknown.err, /unknown option '--bogus'/);
});

test('--version and --help', () => {
  const version = parse(['--version']);
  assert.deepEqual(version.result, { exitCode: 0 });
  assert.equal(version.out, `${HA_VERSION}\n`);
  const help = parse(['--help']);
  assert.deepEqual(help.result, { exitCode: 0 });
  for (const flag of [
    '--dashboard',
    '--interval',
    '--no-maintains',
    '--product_auth',
    'CODIS_PRODUCT_AUTH',
    '--admin-secret',
  ]) {
    assert.ok(help.out.includes(flag), flag);
  }
});
