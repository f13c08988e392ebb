// A test reporter for scripts/run-tests.ts: writes the top-level tests that started and never
// reported a result, and the files that passed without reporting any test of their own. Node's
// runner can lose the end of a file's results under --test-force-exit (nodejs/node#64833: in one
// full run here five tests and two suites were missing and the run passed; see
// scripts/test-process-setup.ts for the cure), and a test file whose process exits in the middle of
// its tests (a stray process.exit(0)) passes as if it had none. A test that never reports must
// fail the run instead of vanishing from it.
import { isAbsolute, resolve } from 'node:path';

interface TestEventData {
  name?: string;
  nesting?: number;
  file?: string;
}

export default async function* completeness(
  source: AsyncIterable<{ type: string; data?: TestEventData }>,
): AsyncGenerator<string> {
  // Per file and test name, started minus finished (names can repeat within a file).
  const open = new Map<string, number>();
  for await (const event of source) {
    const data = event.data;
    if (data === undefined || data.nesting !== 0 || data.file === undefined) continue;
    const name = data.name ?? '';
    // The file itself is a test too; it passes on its own only when none of its tests reported.
    if ((isAbsolute(name) ? name : resolve(name)) === data.file) {
      if (event.type === 'test:pass') yield `${data.file}: passed without reporting any test\n`;
      continue;
    }
    const key = `${data.file}: ${name}`;
    if (event.type === 'test:start') open.set(key, (open.get(key) ?? 0) + 1);
    else if (event.type === 'test:pass' || event.type === 'test:fail')
      open.set(key, (open.get(key) ?? 0) - 1);
  }
  for (const [key, count] of open) if (count > 0) yield `${key}\n`;
}
