// The filesystem coordinator (spec/control-plane.md §4.1), the embedded default. Layout as Codis 3.2:
// `R/data/<logical path>` holds the records, `R/temp/` the files being written, `R/data.lck` exists
// (empty). Codis and our tools can share a directory.
//
// Codis serialises every operation with a non-blocking flock on data.lck, which makes concurrent
// processes fail spuriously (spec §15 quirk 17) and which Node cannot take without a native addon.
// Instead every operation here is atomic on its own, so several processes can share the directory:
// - update writes a temp file, fsyncs it and renames it over the node (readers see old or new);
// - create writes a temp file and hard-links it to the node, which fails if the node exists, so
//   exactly one of concurrent creators wins and nobody sees a half-written node;
// - delete renames a directory out of the tree before removing it.
// Codis's own client writes, closes and renames without any fsync: a killed process loses nothing,
// but a power cut can leave a record empty or older than what the proxies and servers already act
// on. Here the record's data is fdatasynced before the rename or link, and the directory is fsynced
// after it before the write returns; concurrent writes in one directory (a batch of slot records)
// share the directory fsync (dir-sync.ts).
// The file a record update replaces is kept (hard-linked into temp/) and, once it has been out of
// the tree for a while, rewritten as a later update's temp file. ext4 without a journal (this
// machine's disk) skips every inode freed in the last minute when it allocates one, looking each
// up in the inode table: a migration writing thousands of records spent more CPU in that scan
// than in everything else the dashboard did. A reader that opened the old file reads it whole
// unless it waits longer than SPARE_AGE_MS between its open and its read; `read` here checks.
// There are no ephemeral nodes and no server to notify watchers: watches poll.

import { randomInt } from 'node:crypto';
import type { Dirent, Stats } from 'node:fs';
import fs from 'node:fs/promises';
import nodePath from 'node:path';
import { DirectorySyncer } from './dir-sync.ts';
import {
  CoordinatorAuthError,
  CoordinatorClosedError,
  CoordinatorError,
  CoordinatorOperationError,
  CoordinatorUnavailableError,
  LockHeldError,
  LockLostError,
  NodeExistsError,
  NotSupportedError,
} from './errors.ts';
import { describeOwner, type LockOwner, lockOwnerOf, ownerLiveness } from './lock-owner.ts';
import {
  checkPath,
  childPath,
  type LockInfo,
  type Store,
  type StoreLock,
  type Watch,
  type WatchEvent,
  type WatchListener,
} from './store.ts';

export interface FilesystemStoreOptions {
  /** The coordinator directory (`coordinator_addr`); made absolute. */
  readonly root: string;
  /** How often watches and held locks look at the disk, in ms. */
  readonly pollInterval?: number;
  /** Reads the holder from lock data; defaults to the topom record's pid, host and start time. */
  readonly lockOwner?: (data: Buffer) => LockOwner | undefined;
  /** How long a replaced record file stays untouched before it is rewritten as a temp file, ms. */
  readonly spareAge?: number;
}

const DEFAULT_POLL_INTERVAL = 1_000;
/** A takeover marker older than this was left by a process that died while taking a lock over. */
const STALE_MARKER_MS = 30_000;
const DIR_MODE = 0o755;
const FILE_MODE = 0o644;
/**
 * Replaced record files rest this long before reuse: a reader's open and read are back to back
 * (this store's `read` also checks it read the record's file; Codis's tools reading the same
 * directory do not). Longer rests leave the first part of a burst of writes without spares: 1024
 * empty slots moved in 3.7-3.9 s with 1 s rests, 2.0-3.1 s with 100 ms (load 5-7, on disk).
 */
const SPARE_AGE_MS = 200;
/** Replaced files kept at most; beyond that they are freed as before. */
const MAX_SPARES = 512;
/** A spare unused this long is freed: it only helps while records are written often. */
const SPARE_IDLE_MS = 60_000;
/** Temp files untouched this long when a store opens are left over from a killed process. */
const STALE_TEMP_MS = 10 * 60_000;
/** Attempts of a read that finds its record replaced while it read it. */
const READ_ATTEMPTS = 10;

interface Spare {
  readonly file: string;
  /** When it left the tree (ms, monotonic). */
  readonly at: number;
}
/** Whether files need a chmod after open to get FILE_MODE: one trip through the thread pool less. */
const UMASK_NARROWS_FILE_MODE = (process.umask() & FILE_MODE) !== 0;

interface NodeIdentity {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly ctimeNs: bigint;
}

function identityOf(stat: { dev: bigint; ino: bigint; ctimeNs: bigint }): NodeIdentity {
  return { dev: stat.dev, ino: stat.ino, ctimeNs: stat.ctimeNs };
}

function sameIdentity(a: NodeIdentity, b: NodeIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.ctimeNs === b.ctimeNs;
}

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class FilesystemStore implements Store {
  readonly kind = 'filesystem' as const;
  readonly description: string;
  readonly root: string;
  readonly #dataDir: string;
  readonly #tempDir: string;
  readonly #pollInterval: number;
  readonly #lockOwner: (data: Buffer) => LockOwner | undefined;
  readonly #watches = new Set<PollingWatch>();
  readonly #locks = new Set<FilesystemLock>();
  readonly #dirSync = new DirectorySyncer();
  readonly #spareAge: number;
  /** Replaced record files in temp/, oldest first. */
  readonly #spares: Spare[] = [];
  #closed = false;

  private constructor(options: FilesystemStoreOptions) {
    this.root = nodePath.resolve(options.root);
    this.description = `filesystem ${this.root}`;
    this.#dataDir = nodePath.join(this.root, 'data');
    this.#tempDir = nodePath.join(this.root, 'temp');
    this.#pollInterval = options.pollInterval ?? DEFAULT_POLL_INTERVAL;
    this.#lockOwner = options.lockOwner ?? lockOwnerOf;
    this.#spareAge = options.spareAge ?? SPARE_AGE_MS;
  }

  /** Opens (creating if needed) a coordinator directory with Codis's layout. */
  static async open(options: FilesystemStoreOptions): Promise<FilesystemStore> {
    const store = new FilesystemStore(options);
    try {
      await fs.mkdir(store.#dataDir, { recursive: true, mode: DIR_MODE });
      await fs.mkdir(store.#tempDir, { recursive: true, mode: DIR_MODE });
      // Codis keeps data.lck (empty when nobody holds its flock); create it but never truncate it.
      const lck = await fs.open(nodePath.join(store.root, 'data.lck'), 'a', FILE_MODE);
      await lck.close();
      await store.#removeStaleTemps();
    } catch (error) {
      const code = errnoOf(error);
      const ctx = store.#context('open', '/', error);
      throw code === 'EACCES' || code === 'EPERM'
        ? new CoordinatorAuthError(ctx)
        : new CoordinatorUnavailableError(ctx);
    }
    return store;
  }

  /**
   * Removes temp files left by a process killed mid-write or holding spares: a write's temp file
   * lives milliseconds, so one untouched for STALE_TEMP_MS is nobody's. Another store's spare
   * removed here is harmless: it finds the file gone and writes a new one.
   */
  async #removeStaleTemps(): Promise<void> {
    const now = Date.now();
    for (const name of await fs.readdir(this.#tempDir)) {
      const file = nodePath.join(this.#tempDir, name);
      const stat = await fs.lstat(file).catch(() => undefined);
      if (stat?.isFile() && now - stat.mtimeMs > STALE_TEMP_MS) await fs.rm(file, { force: true });
    }
  }

  #file(path: string): string {
    return path === '/' ? this.#dataDir : nodePath.join(this.#dataDir, ...path.slice(1).split('/'));
  }

  #context(operation: string, path: string, cause?: unknown) {
    return { coordinator: this.description, operation, path, cause };
  }

  #wrap(error: unknown, operation: string, path: string): CoordinatorError {
    if (error instanceof CoordinatorError) return error;
    const ctx = this.#context(operation, path, error);
    switch (errnoOf(error)) {
      case 'EACCES':
      case 'EPERM':
      case 'EROFS':
        return new CoordinatorAuthError(ctx);
      case 'EIO':
      case 'ENXIO':
      case 'ESTALE':
      case 'ENOTCONN':
      case 'ETIMEDOUT':
        return new CoordinatorUnavailableError(ctx);
      case 'EISDIR':
        return new CoordinatorOperationError(ctx, 'is a directory, not a node with data');
      case 'ENOTDIR':
        return new CoordinatorOperationError(ctx, 'a parent is a node with data, not a directory');
      default:
        return new CoordinatorOperationError(ctx);
    }
  }

  /**
   * Every operation first checks that `R/data` is there. A missing coordinator directory (unmounted,
   * removed) must not look like an empty product, nor be silently recreated under the mount point.
   */
  async #begin(operation: string, path: string): Promise<string> {
    const file = this.#target(operation, path);
    await this.#requireDataDir(operation, path);
    return file;
  }

  /** The file of `path`, once the store is known open and the path valid. */
  #target(operation: string, path: string): string {
    if (this.#closed) throw new CoordinatorClosedError(this.#context(operation, path));
    checkPath(path, this.description, operation);
    return this.#file(path);
  }

  async #requireDataDir(operation: string, path: string): Promise<void> {
    try {
      const stat = await fs.stat(this.#dataDir);
      if (!stat.isDirectory())
        throw Object.assign(new Error(`${this.#dataDir} is not a directory`), { code: 'ENOTDIR' });
    } catch (error) {
      throw new CoordinatorUnavailableError(
        this.#context(
          operation,
          path,
          new Error(`${this.#dataDir} is missing (${errnoOf(error) ?? String(error)})`),
        ),
      );
    }
  }

  /** Writes data to a new temp file, fdatasynced. */
  async #writeTemp(data: Uint8Array): Promise<string> {
    let temp = this.#tempName();
    let handle: fs.FileHandle;
    for (let attempt = 1; ; attempt++) {
      try {
        handle = await fs.open(temp, 'wx', FILE_MODE);
        break;
      } catch (error) {
        // A name already taken (only a random collision can do that) is not a failed write.
        if (errnoOf(error) !== 'EEXIST' || attempt >= 3) throw error;
        temp = this.#tempName();
      }
    }
    try {
      if (UMASK_NARROWS_FILE_MODE) await handle.chmod(FILE_MODE);
      await handle.writeFile(data);
      // The data only: the file's metadata that matters (its name) is made durable by the
      // directory fsync after the rename or link.
      await handle.datasync();
    } finally {
      await handle.close();
    }
    return temp;
  }

  /**
   * A new name in temp/: `<unix-seconds>.<random>`, as Codis names them. 48 random bits: with 32, the
   * 2,048 names of assigning 1,024 slots within one second collided about once in 2,000 such
   * assignments (a slot update then failed with EEXIST, seen once in a test run).
   */
  #tempName(suffix = ''): string {
    const random = randomInt(0, 2 ** 48 - 1);
    return nodePath.join(this.#tempDir, `${Math.floor(Date.now() / 1000)}.${random}${suffix}`);
  }

  /**
   * Rewrites the oldest rested spare with `data`, fdatasynced, and returns it as a temp file; or
   * undefined when none has rested long enough. A spare that has another link (the same record
   * was replaced by two updates at once, each keeping the old file) is freed, never rewritten:
   * its other name may be about to become a record.
   */
  async #rewriteSpare(data: Uint8Array): Promise<string | undefined> {
    const now = performance.now();
    for (;;) {
      const spare = this.#spares[0];
      if (spare === undefined || now - spare.at < this.#spareAge) return undefined;
      this.#spares.shift();
      let handle: fs.FileHandle;
      try {
        handle = await fs.open(spare.file, 'r+');
      } catch {
        continue;
      }
      let reused = false;
      try {
        const stat = await handle.stat();
        if (stat.nlink !== 1 || !stat.isFile()) continue;
        await handle.write(data, 0, data.length, 0);
        if (stat.size > data.length) await handle.truncate(data.length);
        await handle.datasync();
        reused = true;
      } finally {
        await handle.close();
        if (!reused) await fs.rm(spare.file, { force: true });
      }
      return spare.file;
    }
  }

  /** Keeps `temp` (the file a record update replaced) for reuse; frees idle or surplus spares. */
  async #keepSpare(temp: string): Promise<void> {
    const now = performance.now();
    this.#spares.push({ file: temp, at: now });
    while (this.#spares.length > 0) {
      const oldest = this.#spares[0] as Spare;
      if (this.#spares.length <= MAX_SPARES && now - oldest.at < SPARE_IDLE_MS) break;
      this.#spares.shift();
      await fs.rm(oldest.file, { force: true });
    }
  }

  /** Makes a rename or link durable; concurrent writes in one directory share the fsync. */
  #syncDir(dir: string): Promise<void> {
    return this.#dirSync.sync(dir);
  }

  async create(path: string, data: Uint8Array): Promise<void> {
    const file = await this.#begin('create', path);
    try {
      await this.#createExclusive(file, data, path, 'create');
    } catch (error) {
      throw this.#wrap(error, 'create', path);
    }
  }

  /** Creates `file` with `data` if it does not exist, atomically; throws NodeExistsError otherwise. */
  async #createExclusive(file: string, data: Uint8Array, path: string, operation: string): Promise<void> {
    if (path === '/') throw new NodeExistsError(this.#context(operation, path));
    await fs.mkdir(nodePath.dirname(file), { recursive: true, mode: DIR_MODE });
    const temp = await this.#writeTemp(data);
    try {
      await fs.link(temp, file);
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'EEXIST') throw new NodeExistsError(this.#context(operation, path));
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
      // No hard links on this filesystem: exclusive create, then write in place.
      await this.#createInPlace(file, data, path, operation);
    } finally {
      await fs.rm(temp, { force: true });
    }
    await this.#syncDir(nodePath.dirname(file));
  }

  async #createInPlace(file: string, data: Uint8Array, path: string, operation: string): Promise<void> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'wx', FILE_MODE);
    } catch (error) {
      if (errnoOf(error) === 'EEXIST') throw new NodeExistsError(this.#context(operation, path));
      throw error;
    }
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /**
   * Updates skip #begin's look at `R/data`: they are most of a migration's coordinator traffic (three
   * per slot), and that stat was a tenth of the dashboard's CPU while slots moved. A missing `R/data`
   * is still found before anything could recreate it (#renameInto checks before its mkdir) and
   * reported as unavailable whatever step failed.
   */
  async update(path: string, data: Uint8Array): Promise<void> {
    const file = this.#target('update', path);
    try {
      if (path === '/') throw Object.assign(new Error('the root is a directory'), { code: 'EISDIR' });
      const temp = (await this.#rewriteSpare(data)) ?? (await this.#writeTemp(data));
      // The file being replaced gets a second name in temp/ first, so the rename does not free it.
      let kept: string | undefined = this.#tempName();
      try {
        await fs.link(file, kept);
      } catch {
        // No record yet, a directory, or no hard links here: nothing to keep.
        kept = undefined;
      }
      try {
        await this.#renameInto(temp, file, path);
      } catch (error) {
        await fs.rm(temp, { force: true });
        if (kept !== undefined) await fs.rm(kept, { force: true });
        // Renaming a file over a directory fails with EISDIR (or ENOTEMPTY/EEXIST on some systems).
        const code = errnoOf(error);
        if (code === 'ENOTEMPTY' || code === 'EEXIST')
          throw Object.assign(error as Error, { code: 'EISDIR' });
        throw error;
      }
      if (kept !== undefined) await this.#keepSpare(kept);
      await this.#syncDir(nodePath.dirname(file));
    } catch (error) {
      if (!(error instanceof CoordinatorError)) await this.#requireDataDir('update', path);
      throw this.#wrap(error, 'update', path);
    }
  }

  /**
   * Renames `temp` to `file`, making the parent directories only when they are missing: the
   * records are updated far more often than new directories appear, and each mkdir is a trip
   * through the thread pool.
   */
  async #renameInto(temp: string, file: string, path: string): Promise<void> {
    try {
      await fs.rename(temp, file);
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') throw error;
      // Never recreate a missing `R/data` (update did not check it first).
      await this.#requireDataDir('update', path);
      await fs.mkdir(nodePath.dirname(file), { recursive: true, mode: DIR_MODE });
      await fs.rename(temp, file);
    }
  }

  async delete(path: string): Promise<void> {
    const file = await this.#begin('delete', path);
    try {
      let stat: Stats;
      try {
        stat = await fs.lstat(file);
      } catch (error) {
        if (errnoOf(error) === 'ENOENT') return;
        throw error;
      }
      if (!stat.isDirectory()) {
        await fs.rm(file, { force: true });
      } else if (path === '/') {
        for (const entry of await fs.readdir(file)) await this.delete(childPath('/', entry));
        return;
      } else {
        // Take the whole subtree out of sight at once, then remove it at leisure.
        const graveyard = this.#tempName('.deleted');
        try {
          await fs.rename(file, graveyard);
        } catch (error) {
          if (errnoOf(error) === 'ENOENT') return;
          throw error;
        }
        await fs.rm(graveyard, { recursive: true, force: true });
      }
      await this.#syncDir(nodePath.dirname(file));
    } catch (error) {
      throw this.#wrap(error, 'delete', path);
    }
  }

  async read(path: string): Promise<Buffer | undefined> {
    const file = await this.#begin('read', path);
    try {
      for (let attempt = 1; ; attempt++) {
        const handle = await fs.open(file, 'r');
        try {
          const before = await handle.stat({ bigint: true });
          const data = await handle.readFile();
          const after = await handle.stat({ bigint: true });
          const current = await fs.stat(file, { bigint: true }).catch(() => undefined);
          // Unchanged while read and still the record's file: not a replaced file being reused.
          const whole =
            before.ctimeNs === after.ctimeNs && current?.ino === before.ino && current.dev === before.dev;
          if (whole || attempt >= READ_ATTEMPTS) return data;
        } finally {
          await handle.close();
        }
      }
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return undefined;
      throw this.#wrap(error, 'read', path);
    }
  }

  async list(path: string): Promise<string[] | undefined> {
    const file = await this.#begin('list', path);
    let entries: Dirent[];
    try {
      entries = await fs.readdir(file, { withFileTypes: true });
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ENOENT') return undefined;
      // A node with data has no children.
      if (code === 'ENOTDIR') return [];
      throw this.#wrap(error, 'list', path);
    }
    return entries
      .map((entry) => entry.name)
      .sort()
      .map((name) => childPath(path, name));
  }

  async watch(path: string, listener: WatchListener): Promise<Watch> {
    const file = await this.#begin('watch', path);
    const watch = new PollingWatch(path, file, this.#dataDir, this.#pollInterval, listener, () =>
      this.#watches.delete(watch),
    );
    await watch.start();
    this.#watches.add(watch);
    return watch;
  }

  async createEphemeral(path: string): Promise<void> {
    throw new NotSupportedError(this.#context('create-ephemeral', path));
  }

  async createEphemeralInOrder(dir: string): Promise<string> {
    throw new NotSupportedError(this.#context('create-ephemeral-in-order', dir));
  }

  async acquireLock(path: string, data: Uint8Array): Promise<StoreLock> {
    const file = await this.#begin('acquire-lock', path);
    try {
      // Each round either creates the lock, or removes a dead holder's lock and tries again.
      for (let round = 0; round < 10; round++) {
        try {
          await this.#createExclusive(file, data, path, 'acquire-lock');
          const stat = await fs.stat(file, { bigint: true });
          const identity = identityOf(stat);
          const lock: FilesystemLock = new FilesystemLock(path, this.#pollInterval, {
            state: () => this.#lockState(path, identity),
            remove: async () => {
              this.#locks.delete(lock);
              await this.#releaseLock(path, identity);
            },
            lostError: () =>
              new LockLostError(this.#context('lock', path), 'the lock file was removed or replaced'),
          });
          this.#locks.add(lock);
          return lock;
        } catch (error) {
          if (!(error instanceof NodeExistsError)) throw error;
        }
        const current = await this.#readLock(file);
        if (current === undefined) continue;
        const owner = this.#lockOwner(current.data);
        if (ownerLiveness(owner) !== 'dead') {
          throw new LockHeldError(this.#context('acquire-lock', path), describeOwner(owner), current.data);
        }
        await this.#takeOver(file, current.identity);
      }
      throw new LockHeldError(this.#context('acquire-lock', path), 'processes that keep taking it over');
    } catch (error) {
      throw this.#wrap(error, 'acquire-lock', path);
    }
  }

  async #readLock(file: string): Promise<{ data: Buffer; identity: NodeIdentity } | undefined> {
    try {
      const stat = await fs.stat(file, { bigint: true });
      const data = await fs.readFile(file);
      const again = await fs.stat(file, { bigint: true });
      if (!sameIdentity(identityOf(stat), identityOf(again))) return undefined;
      return { data, identity: identityOf(stat) };
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  /**
   * Removes a dead holder's lock file, making sure that two processes doing this at once do not
   * remove the lock the faster one has just taken: only the process that creates the marker named
   * after the dead lock file's identity may remove that file, and it checks the identity again
   * after creating the marker.
   */
  async #takeOver(file: string, identity: NodeIdentity): Promise<void> {
    const marker = nodePath.join(
      this.#tempDir,
      `takeover.${identity.dev}.${identity.ino}.${identity.ctimeNs}`,
    );
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(marker, 'wx', FILE_MODE);
    } catch (error) {
      if (errnoOf(error) !== 'EEXIST') throw error;
      const stat = await fs.stat(marker).catch(() => undefined);
      if (stat !== undefined && Date.now() - stat.mtimeMs > STALE_MARKER_MS)
        await fs.rm(marker, { force: true });
      else await sleep(20);
      return;
    }
    try {
      await handle.writeFile(JSON.stringify({ pid: process.pid }));
      await handle.close();
      const stat = await fs.stat(file, { bigint: true }).catch(() => undefined);
      if (stat !== undefined && sameIdentity(identityOf(stat), identity)) {
        await fs.rm(file, { force: true });
        await this.#syncDir(nodePath.dirname(file));
      }
    } finally {
      await fs.rm(marker, { force: true });
    }
  }

  async inspectLock(path: string): Promise<LockInfo | undefined> {
    const file = await this.#begin('inspect-lock', path);
    try {
      const current = await this.#readLock(file);
      if (current === undefined) return undefined;
      const owner = this.#lockOwner(current.data);
      const liveness = ownerLiveness(owner);
      const holder = `${describeOwner(owner)}${liveness === 'dead' ? ' (dead)' : ''}`;
      return { path, data: current.data, holder, alive: liveness !== 'dead' };
    } catch (error) {
      throw this.#wrap(error, 'inspect-lock', path);
    }
  }

  async forceUnlock(path: string): Promise<boolean> {
    const file = await this.#begin('force-unlock', path);
    try {
      await fs.rm(file);
      await this.#syncDir(nodePath.dirname(file));
      return true;
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return false;
      throw this.#wrap(error, 'force-unlock', path);
    }
  }

  /** Whether the lock file at `path` is still the one with `identity`; unknown if the disk is away. */
  async #lockState(path: string, identity: NodeIdentity): Promise<'held' | 'gone' | 'unknown'> {
    try {
      await fs.stat(this.#dataDir);
    } catch {
      return 'unknown';
    }
    try {
      const stat = await fs.stat(this.#file(path), { bigint: true });
      return sameIdentity(identityOf(stat), identity) ? 'held' : 'gone';
    } catch (error) {
      return errnoOf(error) === 'ENOENT' ? 'gone' : 'unknown';
    }
  }

  /** Deletes the lock file if it still is ours. */
  async #releaseLock(path: string, identity: NodeIdentity): Promise<void> {
    if ((await this.#lockState(path, identity)) !== 'held') return;
    try {
      await fs.rm(this.#file(path), { force: true });
      await this.#syncDir(nodePath.dirname(this.#file(path)));
    } catch (error) {
      throw this.#wrap(error, 'release-lock', path);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    for (const watch of [...this.#watches]) await watch.close();
    for (const lock of [...this.#locks]) await lock.release().catch(() => undefined);
    this.#closed = true;
    for (const spare of this.#spares.splice(0)) await fs.rm(spare.file, { force: true });
  }
}

interface FilesystemLockOps {
  readonly state: () => Promise<'held' | 'gone' | 'unknown'>;
  readonly remove: () => Promise<void>;
  readonly lostError: () => LockLostError;
}

class FilesystemLock implements StoreLock {
  readonly path: string;
  readonly #ops: FilesystemLockOps;
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  #released = false;

  constructor(path: string, interval: number, ops: FilesystemLockOps) {
    this.path = path;
    this.#ops = ops;
    // Nobody tells us when `--remove-lock` deletes our file: look now and then.
    this.#timer = setInterval(() => void this.#check(), interval);
    this.#timer.unref();
  }

  get lost(): AbortSignal {
    return this.#controller.signal;
  }

  async #check(): Promise<void> {
    if (this.#released || this.#controller.signal.aborted) return;
    if ((await this.#ops.state()) === 'gone' && !this.#released) {
      clearInterval(this.#timer);
      this.#controller.abort(this.#ops.lostError());
    }
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    clearInterval(this.#timer);
    await this.#ops.remove();
  }
}

interface NodeSnapshot {
  readonly exists: boolean;
  readonly data: Buffer | undefined;
  readonly children: readonly string[];
}

const MISSING: NodeSnapshot = { exists: false, data: undefined, children: [] };

/** A watch that compares the node with what it saw last time, every `interval` ms. */
class PollingWatch implements Watch {
  readonly path: string;
  readonly #file: string;
  readonly #dataDir: string;
  readonly #interval: number;
  readonly #listener: WatchListener;
  readonly #forget: () => void;
  #last: NodeSnapshot = MISSING;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    path: string,
    file: string,
    dataDir: string,
    interval: number,
    listener: WatchListener,
    forget: () => void,
  ) {
    this.path = path;
    this.#file = file;
    this.#dataDir = dataDir;
    this.#interval = interval;
    this.#listener = listener;
    this.#forget = forget;
  }

  async start(): Promise<void> {
    this.#last = (await this.#snapshot()) ?? MISSING;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => void this.#poll(), this.#interval);
    this.#timer.unref();
  }

  /** The node as it is now, or undefined when the coordinator directory itself is missing. */
  async #snapshot(): Promise<NodeSnapshot | undefined> {
    try {
      await fs.stat(this.#dataDir);
    } catch {
      return undefined;
    }
    try {
      const stat = await fs.stat(this.#file);
      if (stat.isDirectory()) {
        return { exists: true, data: undefined, children: (await fs.readdir(this.#file)).sort() };
      }
      return { exists: true, data: await fs.readFile(this.#file), children: [] };
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') return MISSING;
      // Raced with a change (a file became a directory): the next poll sees the settled state.
      return undefined;
    }
  }

  async #poll(): Promise<void> {
    const now = await this.#snapshot();
    if (this.#closed) return;
    if (now !== undefined) {
      const before = this.#last;
      this.#last = now;
      for (const type of differences(before, now)) {
        try {
          this.#listener({ type, path: this.path });
        } catch {
          // A failing listener must not stop the watch.
        }
      }
    }
    this.#schedule();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#forget();
  }
}

function differences(before: NodeSnapshot, now: NodeSnapshot): WatchEvent['type'][] {
  if (!before.exists && now.exists) return now.children.length > 0 ? ['created', 'children'] : ['created'];
  if (before.exists && !now.exists) return ['deleted'];
  if (!now.exists) return [];
  const types: WatchEvent['type'][] = [];
  const beforeData = before.data ?? Buffer.alloc(0);
  const nowData = now.data ?? Buffer.alloc(0);
  if (!beforeData.equals(nowData) || (before.data === undefined) !== (now.data === undefined))
    types.push('changed');
  if (before.children.join('/') !== now.children.join('/')) types.push('children');
  return types;
}
