// Processes a test started are killed when the test process exits, whatever path it took: a
// failed start in a Promise.all leaves its siblings running, and the runner (--test-force-exit)
// ends the file's process once its tests are done; without this they would outlive the suite,
// holding ports and memory. The temporary directories they worked in go at the same moment.

import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

const running = new Set<ChildProcess>();
let installed = false;

export function killOnExit(child: ChildProcess): void {
  if (!installed) {
    installed = true;
    process.on('exit', () => {
      for (const leftover of running) leftover.kill('SIGKILL');
    });
  }
  running.add(child);
  child.once('exit', () => running.delete(child));
}

const directories = new Set<string>();

/** Removes a temporary directory when the test process exits, if nothing removed it before. */
export function removeOnExit(directory: string): void {
  if (directories.size === 0)
    process.on('exit', () => {
      for (const leftover of directories) rmSync(leftover, { recursive: true, force: true });
    });
  directories.add(directory);
}
