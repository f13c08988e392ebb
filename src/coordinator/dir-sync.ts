// Group commit for directory fsyncs. A rename or link is durable once its directory is fsynced, and
// one fsync of a directory covers every entry changed in it before the fsync began. The dashboard
// writes a whole batch of slot records into one directory at once (100 slots × 5 states during a
// migration); fsyncing the directory once per write made the coordinator on disk 3-4× slower than
// on tmpfs. Here concurrent callers share fsyncs: a caller joins the fsync that will start next
// (never the one already running, which may have begun before its rename), so at most two fsyncs
// per directory are pending at any time and every caller still returns only after an fsync that
// began after its change.

import fs from 'node:fs/promises';

/** fsyncs one directory; rejects only when the change may not be durable. */
export type SyncDirectory = (dir: string) => Promise<void>;

/** Errors that mean the directory's entries may not have reached the disk. */
const LOST_WRITE = new Set(['EIO', 'ENOSPC', 'EDQUOT', 'EROFS']);

/**
 * Opens and fsyncs `dir`. Filesystems that cannot fsync a directory (EINVAL), or a directory that
 * cannot be opened for reading, are not failures: the rename itself is still atomic.
 */
export async function fsyncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (error) {
    if (LOST_WRITE.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function ignore(): void {}

export class DirectorySyncer {
  readonly #syncDirectory: SyncDirectory;
  /** The fsync in progress per directory. */
  readonly #running = new Map<string, Promise<void>>();
  /** The fsync that starts when the running one ends; callers arriving meanwhile share it. */
  readonly #next = new Map<string, Promise<void>>();

  constructor(syncDirectory: SyncDirectory = fsyncDirectory) {
    this.#syncDirectory = syncDirectory;
  }

  /** Resolves once `dir` has been fsynced by an fsync that began after this call. */
  sync(dir: string): Promise<void> {
    const next = this.#next.get(dir);
    if (next !== undefined) return next;
    const running = this.#running.get(dir);
    if (running === undefined) return this.#start(dir);
    const queued = running.then(ignore, ignore).then(() => {
      this.#next.delete(dir);
      return this.#start(dir);
    });
    this.#next.set(dir, queued);
    return queued;
  }

  #start(dir: string): Promise<void> {
    const done: Promise<void> = this.#syncDirectory(dir).finally(() => {
      if (this.#running.get(dir) === done) this.#running.delete(dir);
    });
    this.#running.set(dir, done);
    return done;
  }
}
