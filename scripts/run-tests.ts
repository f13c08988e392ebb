// Runs the test suites with Node's own runner. `node scripts/run-tests.ts [suite ...]`, where a suite
// is unit (src/**/*.test.ts), integration (test/integration), coordinator (the Store contract suite),
// e2e or browser (codis-fe in Debian's chromium); no suite means all of them.
import { spawnSync } from 'node:child_process';
import { existsSync, globSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const SUITES: Record<string, string[]> = {
  unit: ['src/**/*.test.ts'],
  integration: ['test/integration/**/*.test.ts'],
  coordinator: ['test/coordinator/**/*.test.ts'],
  e2e: ['test/e2e/**/*.test.ts'],
  browser: ['test/browser/**/*.test.ts'],
};

const requested = process.argv.slice(2);
const names = requested.length > 0 ? requested : Object.keys(SUITES);
const files: string[] = [];
for (const name of names) {
  const patterns = SUITES[name];
  if (patterns === undefined) {
    console.error(`unknown suite '${name}'; known: ${Object.keys(SUITES).join(', ')}`);
    process.exit(2);
  }
  for (const pattern of patterns) files.push(...globSync(pattern).sort());
}
if (files.length === 0) {
  console.error(`no test files for ${names.join(', ')}`);
  process.exit(1);
}

// --test-force-exit: a file whose tests are done ends even if something it started is still
// running (test/helpers/child-reaper.ts then kills those processes) instead of hanging the suite.
// That exit could lose a file's last results (scripts/test-process-setup.ts, loaded into every test
// process, prevents it); beside the spec reporter, scripts/test-completeness.ts lists the tests that
// started and never reported a result, and the run fails if there is any.
const unfinishedFile = join(mkdtempSync(join(tmpdir(), 'codis-tests-')), 'unfinished.txt');
// Every Node process of the run (the test files and the servers, proxies and dashboards they start)
// shares Node's on-disk module compile cache: a codis-server then starts in ~0.4 s of CPU instead
// of ~1 s, most of which went to type-stripping and compiling the same sources again in each of the
// hundreds of processes a run starts (the suite: 4.5 min instead of 6 on this machine).
const compileCache =
  process.env.NODE_COMPILE_CACHE ??
  join(import.meta.dirname, '..', 'node_modules', '.cache', 'codis-compile-cache');
const result = spawnSync(
  process.execPath,
  [
    `--import=${join(import.meta.dirname, 'test-process-setup.ts')}`,
    '--test',
    '--test-concurrency=2',
    '--test-timeout=300000',
    '--test-force-exit',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${join(import.meta.dirname, 'test-completeness.ts')}`,
    `--test-reporter-destination=${unfinishedFile}`,
    ...files,
  ],
  { stdio: 'inherit', env: { ...process.env, NODE_COMPILE_CACHE: compileCache } },
);
const unfinished = existsSync(unfinishedFile) ? readFileSync(unfinishedFile, 'utf8').trim() : '';
rmSync(dirname(unfinishedFile), { recursive: true, force: true });
if (unfinished !== '') {
  console.error(
    `\nTests that never reported a result (their events were lost, or their process ended early):\n${unfinished}`,
  );
  process.exit(1);
}
process.exit(result.status ?? 1);
