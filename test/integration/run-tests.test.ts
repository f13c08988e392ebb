// scripts/run-tests.ts, the suite's runner, on small test files of test/fixtures/run-tests/: totals
// and failures across files, a file whose process ends before its tests do, and a file that blocks
// its event loop for good (killed with what it started, its stack printed, run once more).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const root = join(import.meta.dirname, '..', '..');
const fixture = (name: string) => join('test', 'fixtures', 'run-tests', `${name}.ts`);

function runTests(files: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ['scripts/run-tests.ts', ...files], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  return { status: result.status, output: result.stdout + result.stderr };
}

function total(output: string, name: string): number {
  const summary = output.slice(output.lastIndexOf('══'));
  const match = new RegExp(`^ℹ ${name} (\\d+)$`, 'm').exec(summary);
  assert.ok(match, `no total '${name}' in:\n${output}`);
  return Number(match[1]);
}

/** Gone, or a zombie waiting for a parent that is not ours to reap it. */
function isDead(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
}

describe('scripts/run-tests.ts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'run-tests-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('adds up the files and fails the run on a failing test', () => {
    const { status, output } = runTests([fixture('passes'), fixture('fails')]);
    assert.equal(status, 1, output);
    assert.equal(total(output, 'tests'), 2);
    assert.equal(total(output, 'pass'), 1);
    assert.equal(total(output, 'fail'), 1);
    assert.match(output, /Failed files:\n✖ test\/fixtures\/run-tests\/fails\.ts: failed/);
    assert.match(output, /── test\/fixtures\/run-tests\/passes\.ts \(/);

    const alone = runTests([fixture('passes')]);
    assert.equal(alone.status, 0, alone.output);
    assert.doesNotMatch(alone.output, /Failed files/);
  });

  it('fails a file whose process exits before its tests finished, even with status 0', () => {
    const { status, output } = runTests([fixture('passes'), fixture('exits-early')]);
    assert.equal(status, 1, output);
    assert.match(output, /exits-early\.ts: ended \(exit code 0\) before its tests finished/);
  });

  it('kills a hung file with the processes it started, prints its stack, runs it once more', () => {
    const pidFile = join(dir, 'hung-pids');
    const { status, output } = runTests([fixture('hangs'), fixture('passes')], {
      TEST_FILE_TIMEOUT_S: '1',
      HANG_CHILD_PID_FILE: pidFile,
    });
    assert.equal(status, 1, output);
    assert.match(
      output,
      /hangs\.ts did not finish in 1 s; its JavaScript stack then:\n {4}at spinForever \(file:\/\/\S+\/hangs\.ts:9:/,
    );
    assert.match(output, /running test\/fixtures\/run-tests\/hangs\.ts once more/);
    assert.match(output, /hangs\.ts did not finish in 1 s again/);
    assert.match(output, /✖ test\/fixtures\/run-tests\/hangs\.ts: hung twice/);
    assert.equal(total(output, 'pass'), 1);
    const pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
    assert.equal(pids.length, 2);
    for (const pid of pids) assert.ok(isDead(pid), `process ${pid} started by the hung file still runs`);
  });

  it('passes a run whose file hung once and passed the second time, and says so', () => {
    const pidFile = join(dir, 'once-pids');
    const { status, output } = runTests([fixture('hangs')], {
      TEST_FILE_TIMEOUT_S: '1',
      HANG_CHILD_PID_FILE: pidFile,
      HANG_ONCE_MARKER: join(dir, 'hung-once'),
    });
    assert.equal(status, 0, output);
    assert.match(
      output,
      /Files that hung \(1\):\ntest\/fixtures\/run-tests\/hangs\.ts did not finish in 1 s;/,
    );
    assert.equal(total(output, 'pass'), 1);
    // The second run's process ended normally; what it started went with it.
    for (const pid of readFileSync(pidFile, 'utf8').trim().split('\n').map(Number))
      assert.ok(isDead(pid), `process ${pid} still runs`);
  });
});
