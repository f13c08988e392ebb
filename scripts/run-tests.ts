// Runs the test suites with Node's own runner. `node scripts/run-tests.ts [suite ...]`, where a suite
// is unit (src/**/*.test.ts), integration (test/integration), coordinator (the Store contract suite),
// e2e or browser (codis-fe in Debian's chromium); no suite means all of them.
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';

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
const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-timeout=300000', '--test-force-exit', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
