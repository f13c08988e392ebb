// Who holds a lock on the filesystem coordinator, and whether that process still runs. The lock node
// is Codis's topom record, which names its process: `pid`, the host as the second word of `sys`
// (`uname -a`), and `start_time`. That is enough to recognise a dashboard that was killed (or a host
// that rebooted) without adding files Codis does not know, and it works for locks left by Codis
// itself. When in doubt (another host, no pid) the holder counts as alive: taking over a live lock
// would let two dashboards write the same product.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseGoTime } from '../models/index.ts';

export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  /** When the holder started (ms since the epoch), if its record says so. */
  readonly startedAt: number | undefined;
}

export type Liveness = 'alive' | 'dead' | 'unknown';

/** Reads the owner from lock data: `{"pid", "sys" | "host", "start_time"?}` (a topom record). */
export function lockOwnerOf(data: Uint8Array): LockOwner | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const pid = record.pid;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
  let host: string | undefined;
  if (typeof record.host === 'string') host = record.host;
  else if (typeof record.sys === 'string') host = record.sys.trim().split(/\s+/)[1];
  if (host === undefined || host === '') return undefined;
  const startedAt = typeof record.start_time === 'string' ? parseGoTime(record.start_time) : undefined;
  return { pid, host, startedAt };
}

export function describeOwner(owner: LockOwner | undefined): string {
  return owner === undefined ? 'an unknown process' : `pid ${owner.pid} on host ${owner.host}`;
}

/** Linux's clock ticks per second for /proc/<pid>/stat; 100 on every architecture Node runs on. */
const CLOCK_TICKS = 100;
/**
 * /proc start times count from a boot time known to the second, and the wall clock may have been
 * stepped since boot: only a process that started well after the holder's record is another one.
 */
const START_TIME_SLACK_MS = 60_000;

function bootTimeMs(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('btime '));
    return line === undefined ? undefined : Number(line.slice(6)) * 1000;
  } catch {
    return undefined;
  }
}

/** State letter and start time of a process from /proc, or undefined where there is no /proc. */
function procStat(pid: number): { state: string; startedAt: number | undefined } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may contain spaces: parse after the last `)`.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0] ?? '';
  const ticks = Number(fields[19]);
  const boot = bootTimeMs();
  const startedAt =
    boot === undefined || !Number.isFinite(ticks) ? undefined : boot + (ticks * 1000) / CLOCK_TICKS;
  return { state, startedAt };
}

/**
 * Whether the owner still runs. Only processes on this host can be checked. A pid that exists but
 * belongs to a process started after the owner recorded its start time is a recycled pid: the owner
 * is dead. Zombies (killed, not yet reaped) are dead too.
 */
export function ownerLiveness(owner: LockOwner | undefined): Liveness {
  if (owner === undefined || owner.host !== os.hostname()) return 'unknown';
  if (owner.pid === process.pid) return 'alive';
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return 'dead';
    if (code !== 'EPERM') return 'unknown';
  }
  const stat = procStat(owner.pid);
  if (stat === undefined) return 'alive';
  if (stat.state === 'Z' || stat.state === 'X') return 'dead';
  if (
    owner.startedAt !== undefined &&
    stat.startedAt !== undefined &&
    stat.startedAt > owner.startedAt + START_TIME_SLACK_MS
  ) {
    return 'dead';
  }
  return 'alive';
}

/**
 * `uname -a`, trimmed, as Codis stores it in `sys`; its second word is the host name that the
 * filesystem lock uses to check the holder. Falls back to the same shape built from `os`.
 */
export function localSystemDescription(): string {
  try {
    const text = execFileSync('uname', ['-a'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    if (text.split(/\s+/)[1] === os.hostname()) return text;
  } catch {
    // No uname (Windows): build the same shape below.
  }
  return `${os.type()} ${os.hostname()} ${os.release()} ${os.version()} ${os.machine()}`;
}
