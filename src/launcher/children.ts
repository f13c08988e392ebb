// The processes `codis up` starts: each with its output in a log file, stopped by its pid (SIGTERM,
// then SIGKILL after a grace period), and watched so an unexpected exit stops the cluster.

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly logFile: string;
  readonly exited: Promise<void>;
  stopping: boolean;
}

export function startChild(
  name: string,
  command: string,
  args: readonly string[],
  logFile: string,
  onUnexpectedExit: (child: Child, code: number | null, signal: NodeJS.Signals | null) => void,
): Child {
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  let child: Child;
  try {
    const proc = spawn(command, args, { stdio: ['ignore', fd, fd] });
    const exited = new Promise<void>((resolve) => {
      proc.once('exit', (code, signal) => {
        if (!child.stopping) onUnexpectedExit(child, code, signal);
        resolve();
      });
      proc.once('error', () => resolve());
    });
    child = { name, process: proc, logFile, exited, stopping: false };
  } finally {
    closeSync(fd);
  }
  return child;
}

export function isRunning(child: Child): boolean {
  return child.process.exitCode === null && child.process.signalCode === null;
}

/** SIGTERM, SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopChild(child: Child, graceMs = 10_000): Promise<void> {
  child.stopping = true;
  if (!isRunning(child)) return;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (isRunning(child)) child.process.kill('SIGKILL');
  }, graceMs);
  await child.exited;
  clearTimeout(timer);
}
