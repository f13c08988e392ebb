// `npm start` (codis up) stopped by SIGTERM, as a service manager or `kill` stops it: npm passes the
// signal to its script's shell, so the script must exec node (a shell that only forks it dies and
// leaves codis up and every process it started running). All of them must stop and free their ports.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freeRange, portFree } from '../helpers/free-port.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'codis-up-term-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('npm start stopped by SIGTERM stops every process it started', { timeout: 150_000 }, async () => {
  // One range for every port: separate picks, free at the time of picking, could return the same port.
  const serverPort = await freeRange(5);
  const dashboardPort = serverPort + 2;
  const proxyPort = serverPort + 3;
  const proxyAdminPort = serverPort + 4;
  const child: ChildProcess = spawn(
    'npm',
    [
      'start',
      '--silent',
      '--',
      `--dir=${join(dir, 'data')}`,
      '--groups=1',
      '--replicas=1',
      `--server-port=${serverPort}`,
      `--dashboard-port=${dashboardPort}`,
      `--proxy-port=${proxyPort}`,
      `--proxy-admin-port=${proxyAdminPort}`,
      '--fe-port=0',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ports = [serverPort, serverPort + 1, dashboardPort, proxyPort, proxyAdminPort];
  try {
    const deadline = Date.now() + 120_000;
    while (!out.includes('Ctrl-C stops the cluster.')) {
      if (child.exitCode !== null) assert.fail(`npm start exited ${child.exitCode}:\n${out}\n${err}`);
      if (Date.now() > deadline) assert.fail(`codis up was not ready:\n${out}\n${err}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const port of ports) assert.equal(await portFree(port), false, `port ${port} not in use`);

    child.kill('SIGTERM');
    assert.equal(await exit, 0, `${out}\n${err}`);
    assert.match(err, /received SIGTERM; stopping the cluster/);
    const stopDeadline = Date.now() + 15_000;
    for (const port of ports) {
      while (!(await portFree(port))) {
        if (Date.now() > stopDeadline) assert.fail(`port ${port} still in use after SIGTERM:\n${err}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGINT');
      await exit;
    }
  }
});
