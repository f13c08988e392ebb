// Persistence: RDB snapshots (SAVE, BGSAVE, save points, SHUTDOWN, FLUSHALL) and the append-only
// file (logging, fsync policies, rewrite, CONFIG SET appendonly), and loading both at start.
import { fsync, mkdirSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { persistenceCommands } from '../commands/persistence.ts';
import { type PropagationTarget, type Propagator, propagatorOf } from '../propagation/index.ts';
import { functionCodesOf } from '../scripting/index.ts';
import type { CodisServer } from '../server.ts';
import { AofFiles, type ManifestFile } from './aof.ts';
import { AofCommandEncoder } from './aof-commands.ts';
import { loadAtStart } from './loading.ts';
import {
  commitTemporary,
  discardTemporary,
  openTemporary,
  type RdbFileOptions,
  RdbFileWriter,
  writeFully,
} from './rdb-file.ts';
import { Snapshot } from './snapshot.ts';
import {
  filePrefixReader,
  type SnapshotConsumer,
  type SnapshotJob,
  type SnapshotKind,
  type SnapshotService,
  snapshotServiceOf,
} from './snapshot-job.ts';

/** After a failed BGSAVE, save points wait this long before trying again (Redis's retry delay). */
const BGSAVE_RETRY_DELAY_S = 5;

interface BackgroundJob {
  job: SnapshotJob;
  consumer: SnapshotConsumer;
  fd: number;
  temporary: string;
  startedAt: number;
  dirtyAtStart: number;
}

interface RewriteJob extends BackgroundJob {
  base: ManifestFile;
  incremental: ManifestFile;
  /** Files the new base replaces (removed when it is installed). */
  replaced: ManifestFile[];
}

export class Persistence implements PropagationTarget {
  readonly server: CodisServer;
  lastSave: number;
  lastBgsaveStatus: 'ok' | 'err' = 'ok';
  lastBgsaveSeconds = -1;
  lastBgsaveTry = 0;
  bgsaveScheduled = false;
  rdbSaves = 0;
  private bgsave: BackgroundJob | undefined;

  aofEnabled = false;
  aofFiles: AofFiles | undefined;
  /** The database the AOF's commands last SELECTed (-1: the next write starts with SELECT). */
  selectedDatabase = -1;
  private aofPending: Buffer[] = [];
  private aofPendingBytes = 0;
  private aofFlushScheduled = false;
  private aofFsyncRunning = false;
  private lastFsync = 0;
  aofLastWriteStatus: 'ok' | 'err' = 'ok';
  rewrite: RewriteJob | undefined;
  rewriteScheduled = false;
  lastRewriteStatus: 'ok' | 'err' = 'ok';
  lastRewriteSeconds = -1;
  aofRewrites = 0;
  /** Commands appended during the current command (appendfsync always syncs after it). */
  private appendedInCommand = false;
  /** The write stream the AOF logs (the one replicas get). */
  private readonly propagator: Propagator;
  private readonly flushAofBound = (): void => this.flushAof();

  readonly snapshots: SnapshotService;

  constructor(server: CodisServer) {
    this.server = server;
    this.lastSave = Math.floor(Date.now() / 1000);
    this.snapshots = snapshotServiceOf(server);
    this.propagator = propagatorOf(server);
    this.propagator.addTarget(this);
  }

  get accepting(): boolean {
    return this.aofEnabled;
  }

  /**
   * A file written from the running snapshot of `kind` (joined when it can serve us from its
   * start) or a new one. `ended` runs once every byte was handed to the file.
   */
  private snapshotToFile(
    kind: SnapshotKind,
    fd: number,
    ended: () => void,
    failed: (error: Error) => void,
  ): { job: SnapshotJob; consumer: SnapshotConsumer; shared: boolean } {
    const consumer: SnapshotConsumer = {
      data: (chunk) => writeFully(fd, chunk),
      end: ended,
      failed,
    };
    const running = this.snapshots.joinable(kind);
    if (running !== undefined) {
      running.add(consumer);
      return { job: running, consumer, shared: true };
    }
    const job = this.snapshots.start(kind);
    job.add(consumer);
    job.keepsPrefix(consumer, filePrefixReader(fd));
    return { job, consumer, shared: false };
  }

  get directory(): string {
    return this.server.config.get('dir');
  }

  get rdbPath(): string {
    const name = this.server.config.get('dbfilename');
    return isAbsolute(name) ? name : join(this.directory, name);
  }

  get saveParams(): Array<[number, number]> {
    const parts = this.server.config.get('save').split(' ').filter(Boolean).map(Number);
    const params: Array<[number, number]> = [];
    for (let i = 0; i + 1 < parts.length; i += 2) params.push([parts[i] as number, parts[i + 1] as number]);
    return params;
  }

  get bgsaveInProgress(): boolean {
    return this.bgsave !== undefined;
  }

  private setLastSave(seconds: number): void {
    this.lastSave = seconds;
    this.server.features.set('last-save-time', seconds);
  }

  private rdbOptions(aofBase: boolean): RdbFileOptions {
    const config = this.server.config;
    return {
      compress: config.getBoolean('rdbcompression'),
      checksum: config.getBoolean('rdbchecksum'),
      aofBase,
      functions: functionCodesOf(this.server),
    };
  }

  /** SAVE: the whole snapshot now. Returns false (after logging) when it failed. */
  saveSync(): boolean {
    const temporary = join(this.directory, `temp-${process.pid}.rdb`);
    let fd: number | undefined;
    try {
      fd = openTemporary(temporary);
      const writer = new RdbFileWriter(fd, this.rdbOptions(false));
      new Snapshot(this.server, writer, false).step(Number.POSITIVE_INFINITY);
      writer.end();
      commitTemporary(fd, temporary, this.rdbPath);
    } catch (error) {
      discardTemporary(fd, temporary);
      this.server.log('warning', `Failed saving the DB: ${(error as Error).message}`);
      return false;
    }
    this.adjustDirty(-this.server.dirty);
    this.setLastSave(Math.floor(Date.now() / 1000));
    this.rdbSaves++;
    this.lastBgsaveStatus = 'ok';
    this.server.log('notice', 'DB saved on disk');
    return true;
  }

  /** Changes server.dirty outside a command without it being taken as a write to log. */
  private adjustDirty(delta: number): void {
    this.server.dirty += delta;
    this.propagator.dirtyAdjusted(delta);
  }

  /** Whether a snapshot of either kind is being written (to a file, or for replicas). */
  get snapshotRunning(): boolean {
    return this.bgsave !== undefined || this.rewrite !== undefined || this.snapshots.current !== undefined;
  }

  /** BGSAVE: starts the incremental snapshot. Returns an error message or undefined. */
  startBackgroundSave(): string | undefined {
    if (this.bgsave !== undefined) return 'ERR Background save already in progress';
    if (
      this.rewrite !== undefined ||
      (this.snapshots.current !== undefined && this.snapshots.joinable('rdb') === undefined)
    )
      return "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.";
    const temporary = join(this.directory, `temp-bg-${process.pid}.rdb`);
    let fd: number | undefined;
    try {
      fd = openTemporary(temporary);
      this.lastBgsaveTry = Math.floor(Date.now() / 1000);
      const opened = fd;
      const { job, consumer, shared } = this.snapshotToFile(
        'rdb',
        opened,
        () => this.backgroundSaveWritten(),
        (error) => this.backgroundSaveFailed(error),
      );
      this.bgsave = {
        job,
        consumer,
        fd: opened,
        temporary,
        startedAt: Date.now(),
        // The image is the dataset when the snapshot started (earlier when joining a full sync's).
        dirtyAtStart: Math.min(job.dirtyAtStart, this.server.dirty),
      };
      if (shared) this.server.log('notice', 'Background saving shares the running snapshot (full sync)');
    } catch (error) {
      discardTemporary(fd, temporary);
      this.lastBgsaveStatus = 'err';
      return `ERR ${(error as Error).message}`;
    }
    this.server.log('notice', 'Background saving started');
    return undefined;
  }

  private backgroundSaveWritten(): void {
    const job = this.bgsave;
    if (job === undefined) return;
    // fsync off the event loop: flushing a large file can take long.
    fsync(job.fd, (error) => {
      if (this.bgsave !== job) return;
      if (error !== null) {
        this.backgroundSaveFailed(error);
        return;
      }
      try {
        commitTemporary(job.fd, job.temporary, this.rdbPath, false);
      } catch (failure) {
        this.backgroundSaveFailed(failure as Error);
        return;
      }
      this.backgroundSaveDone(job);
    });
  }

  private backgroundSaveFailed(error: Error): void {
    this.server.log('warning', `Background saving error: ${error.message}`);
    this.abortBackgroundSave();
    this.lastBgsaveStatus = 'err';
  }

  private backgroundSaveDone(job: BackgroundJob): void {
    this.bgsave = undefined;
    this.adjustDirty(-Math.min(job.dirtyAtStart, this.server.dirty));
    this.setLastSave(Math.floor(Date.now() / 1000));
    this.lastBgsaveStatus = 'ok';
    this.lastBgsaveSeconds = Math.round((Date.now() - job.startedAt) / 1000);
    this.rdbSaves++;
    this.server.log('notice', 'Background saving terminated with success');
    this.startScheduled();
  }

  abortBackgroundSave(): void {
    const job = this.bgsave;
    if (job === undefined) return;
    job.job.remove(job.consumer);
    discardTemporary(job.fd, job.temporary);
    this.bgsave = undefined;
  }

  private startScheduled(): void {
    if (this.bgsave !== undefined || this.rewrite !== undefined) return;
    if (this.snapshots.current !== undefined) {
      // Started when the running snapshot (a full sync's) ends.
      if (this.rewriteScheduled || this.bgsaveScheduled) this.snapshots.whenIdle(() => this.startScheduled());
      return;
    }
    if (this.rewriteScheduled) {
      this.rewriteScheduled = false;
      this.startRewrite();
    } else if (this.bgsaveScheduled) {
      this.bgsaveScheduled = false;
      this.startBackgroundSave();
    }
  }

  cron(now: number): void {
    const seconds = Math.floor(now / 1000);
    if (!this.snapshotRunning) {
      this.startScheduled();
      const dirty = this.server.dirty;
      for (const [interval, changes] of this.saveParams) {
        if (this.snapshotRunning) break;
        if (
          dirty >= changes &&
          seconds - this.lastSave > interval &&
          (this.lastBgsaveStatus === 'ok' || seconds - this.lastBgsaveTry > BGSAVE_RETRY_DELAY_S)
        ) {
          this.server.log('notice', `${changes} changes in ${interval} seconds. Saving...`);
          this.startBackgroundSave();
        }
      }
    }
    if (this.aofEnabled && this.server.config.get('appendfsync') === 'everysec') {
      this.flushAof();
      if (now - this.lastFsync >= 1000 && !this.aofFsyncRunning && this.aofFiles !== undefined) {
        this.lastFsync = now;
        this.aofFsyncRunning = true;
        this.aofFiles.fsyncInBackground(() => {
          this.aofFsyncRunning = false;
        });
      }
    }
  }

  /** FLUSHALL: a running BGSAVE is dropped and, with save points, the empty dataset saved (as Redis). */
  afterFlushAll(): void {
    this.abortBackgroundSave();
    if (this.saveParams.length > 0) {
      this.saveSync();
      this.server.dirty++;
    }
    this.propagator.force();
  }

  /** SHUTDOWN / SIGTERM: flush the AOF, save when save points exist (or SAVE was asked). */
  shutdown(): void {
    const mode = this.server.features.get('shutdown-save');
    this.abortBackgroundSave();
    if (this.rewrite !== undefined) this.abortRewrite();
    if (this.aofEnabled) {
      this.flushAof();
      this.aofFiles?.closeIncremental();
    }
    if (mode === 'nosave') return;
    if (mode === 'save' || this.saveParams.length > 0) {
      this.server.log('notice', 'Saving the final RDB snapshot before exiting.');
      this.saveSync();
    }
  }

  // The append-only file.

  /** The AOF directory and file names from the configuration. */
  aofLayout(): AofFiles {
    const config = this.server.config;
    const dirname = config.get('appenddirname');
    return new AofFiles(
      isAbsolute(dirname) ? dirname : join(this.directory, dirname),
      config.get('appendfilename'),
    );
  }

  /** Whether an AOF manifest exists (start-up loads from it rather than from the RDB). */
  aofExists(): boolean {
    return this.aofLayout().exists();
  }

  /**
   * Turns logging on at start: the AOF just loaded is appended to; without one, a base of the
   * current dataset (loaded from the RDB, or empty) is written first, synchronously.
   */
  openAofAtStart(loadedFromAof: boolean): void {
    const files = this.aofLayout();
    this.aofFiles = files;
    if (loadedFromAof) {
      files.readManifest();
      files.reopenLast();
    } else {
      mkdirSync(files.directory, { recursive: true });
      const seq = 1;
      const base: ManifestFile = { name: this.baseName(files, seq), seq, type: 'b' };
      this.writeBaseSync(files, base);
      files.files = [base];
      const incremental = files.openIncremental();
      files.writeManifest([base, incremental]);
    }
    this.aofEnabled = true;
    this.selectedDatabase = -1;
  }

  /** Whether AOF bases are RDB images (aof-use-rdb-preamble) rather than commands. */
  private get rdbPreamble(): boolean {
    return this.server.config.getBoolean('aof-use-rdb-preamble');
  }

  /** A base file's name: Redis 7's, with the extension of its format. */
  private baseName(files: AofFiles, seq: number): string {
    return `${files.prefix}.${seq}.base.${this.rdbPreamble ? 'rdb' : 'aof'}`;
  }

  private writeBaseSync(files: AofFiles, base: ManifestFile): void {
    const temporary = files.path(`temp-rewriteaof-${process.pid}.aof`);
    const fd = openTemporary(temporary);
    const writer = this.rdbPreamble
      ? new RdbFileWriter(fd, this.rdbOptions(true))
      : new AofCommandEncoder(functionCodesOf(this.server), (chunk) => writeFully(fd, chunk));
    new Snapshot(this.server, writer, false).step(Number.POSITIVE_INFINITY);
    writer.end();
    commitTemporary(fd, temporary, files.path(base.name));
  }

  /** The after-command hook: with appendfsync always, what the command logged is on disk before its reply goes. */
  afterCommand(): void {
    if (!this.appendedInCommand) return;
    this.appendedInCommand = false;
    if (!this.aofEnabled || this.server.config.get('appendfsync') !== 'always') return;
    this.flushAof();
    try {
      this.aofFiles?.fsyncNow();
    } catch (error) {
      this.aofWriteFailed(error as Error);
    }
  }

  /** The propagated writes (commands, expired and evicted keys as DEL), buffered until the turn ends. */
  append(bytes: Buffer): void {
    this.aofPending.push(bytes);
    this.aofPendingBytes += bytes.length;
    this.appendedInCommand = true;
    if (!this.aofFlushScheduled) {
      this.aofFlushScheduled = true;
      setImmediate(this.flushAofBound);
    }
  }

  /** Hands the buffered commands to the file (write, no fsync). */
  flushAof(): void {
    this.aofFlushScheduled = false;
    if (this.aofPending.length === 0) return;
    const bytes =
      this.aofPending.length === 1 ? (this.aofPending[0] as Buffer) : Buffer.concat(this.aofPending);
    this.aofPending = [];
    this.aofPendingBytes = 0;
    try {
      this.aofFiles?.append(bytes);
      this.aofLastWriteStatus = 'ok';
    } catch (error) {
      this.aofWriteFailed(error as Error);
    }
  }

  private aofWriteFailed(error: Error): void {
    this.aofLastWriteStatus = 'err';
    this.server.log('warning', `Error writing to the AOF file: ${error.message}`);
  }

  /** BGREWRITEAOF: returns the status reply text or an error. */
  requestRewrite(): { status: string } | { error: string } {
    if (this.rewrite !== undefined)
      return { error: 'ERR Background append only file rewriting already in progress' };
    if (this.bgsave !== undefined || this.snapshots.current !== undefined) {
      this.rewriteScheduled = true;
      this.snapshots.whenIdle(() => this.startScheduled());
      return { status: 'Background append only file rewriting scheduled' };
    }
    const error = this.startRewrite();
    if (error !== undefined) return { error };
    return { status: 'Background append only file rewriting started' };
  }

  /** Starts a rewrite: a new incremental file now, a new base written incrementally. */
  startRewrite(): string | undefined {
    if (this.snapshots.current !== undefined) {
      // One snapshot at a time: this one starts when the running one (a full sync's) ends.
      this.rewriteScheduled = true;
      this.snapshots.whenIdle(() => this.startScheduled());
      return undefined;
    }
    const files = this.aofFiles ?? this.aofLayout();
    this.aofFiles = files;
    const wasEnabled = this.aofEnabled;
    let fd: number | undefined;
    const temporary = files.path(`temp-rewriteaof-bg-${process.pid}.aof`);
    try {
      mkdirSync(files.directory, { recursive: true });
      if (wasEnabled) files.readManifest();
      else files.files = files.exists() ? files.readManifest() : [];
      this.flushAof();
      const replaced = files.files.slice();
      const incremental = files.openIncremental();
      this.selectedDatabase = -1;
      // A crash during the rewrite loses nothing: the manifest lists the old files and the new one.
      if (wasEnabled) files.writeManifest([...replaced, incremental]);
      const seq = files.nextSeq('b');
      const base: ManifestFile = { name: this.baseName(files, seq), seq, type: 'b' };
      fd = openTemporary(temporary);
      const opened = fd;
      const { job, consumer } = this.snapshotToFile(
        this.rdbPreamble ? 'aof-base' : 'aof-commands',
        opened,
        () => this.rewriteWritten(),
        (error) => this.rewriteFailed(error),
      );
      this.rewrite = {
        job,
        consumer,
        fd: opened,
        temporary,
        startedAt: Date.now(),
        dirtyAtStart: this.server.dirty,
        base,
        incremental,
        replaced,
      };
      // Commands from now on go to the new incremental file.
      this.aofEnabled = true;
    } catch (error) {
      discardTemporary(fd, temporary);
      this.lastRewriteStatus = 'err';
      return `ERR ${(error as Error).message}`;
    }
    this.server.log('notice', 'Background append only file rewriting started');
    return undefined;
  }

  private rewriteFailed(error: Error): void {
    this.server.log('warning', `Background AOF rewrite error: ${error.message}`);
    this.abortRewrite();
  }

  private rewriteWritten(): void {
    const job = this.rewrite;
    if (job === undefined) return;
    const files = this.aofFiles as AofFiles;
    try {
      commitTemporary(job.fd, job.temporary, files.path(job.base.name));
      this.flushAof();
      files.fsyncNow();
      files.writeManifest([job.base, job.incremental]);
      files.removeFiles(job.replaced);
    } catch (error) {
      this.server.log('warning', `Background AOF rewrite error: ${(error as Error).message}`);
      this.abortRewrite();
      return;
    }
    this.rewrite = undefined;
    this.lastRewriteStatus = 'ok';
    this.lastRewriteSeconds = Math.round((Date.now() - job.startedAt) / 1000);
    this.aofRewrites++;
    this.server.log('notice', 'Background AOF rewrite terminated with success');
    this.startScheduled();
  }

  private abortRewrite(): void {
    const job = this.rewrite;
    if (job === undefined) return;
    job.job.remove(job.consumer);
    discardTemporary(job.fd, job.temporary);
    this.rewrite = undefined;
    this.lastRewriteStatus = 'err';
  }

  /** CONFIG SET appendonly. */
  setAppendOnly(on: boolean): void {
    if (on === this.aofEnabled) return;
    if (on) {
      if (this.bgsave !== undefined) this.abortBackgroundSave();
      const error = this.startRewrite();
      if (error !== undefined) this.server.log('warning', `Could not enable the AOF: ${error}`);
      return;
    }
    this.abortRewrite();
    this.flushAof();
    this.aofFiles?.closeIncremental();
    this.aofEnabled = false;
  }

  infoLines(): string[] {
    const now = Date.now();
    const lines = [
      'loading:0',
      'async_loading:0',
      `rdb_changes_since_last_save:${this.server.dirty}`,
      `rdb_bgsave_in_progress:${this.bgsave !== undefined ? 1 : 0}`,
      `rdb_last_save_time:${this.lastSave}`,
      `rdb_last_bgsave_status:${this.lastBgsaveStatus}`,
      `rdb_last_bgsave_time_sec:${this.lastBgsaveSeconds}`,
      `rdb_current_bgsave_time_sec:${this.bgsave !== undefined ? Math.round((now - this.bgsave.startedAt) / 1000) : -1}`,
      `rdb_saves:${this.rdbSaves}`,
      `rdb_snapshots_started:${this.snapshots.started}`,
      `aof_enabled:${this.aofEnabled ? 1 : 0}`,
      `aof_rewrite_in_progress:${this.rewrite !== undefined ? 1 : 0}`,
      `aof_rewrite_scheduled:${this.rewriteScheduled ? 1 : 0}`,
      `aof_last_rewrite_time_sec:${this.lastRewriteSeconds}`,
      `aof_current_rewrite_time_sec:${this.rewrite !== undefined ? Math.round((now - this.rewrite.startedAt) / 1000) : -1}`,
      `aof_last_bgrewrite_status:${this.lastRewriteStatus}`,
      `aof_rewrites:${this.aofRewrites}`,
      `aof_last_write_status:${this.aofLastWriteStatus}`,
    ];
    if (this.aofEnabled && this.aofFiles !== undefined) {
      let size = 0;
      for (const file of this.aofFiles.files) {
        try {
          size += statSync(this.aofFiles.path(file.name)).size;
        } catch {}
      }
      lines.push(`aof_current_size:${size}`, `aof_buffer_length:${this.aofPendingBytes}`);
    }
    return lines;
  }
}

/** Installs persistence on a server: hooks the command pipeline, cron, FLUSHALL and shutdown. */
/**
 * What the final save of a shutdown does, from SHUTDOWN's options or the words of
 * shutdown-on-sigterm/-sigint: NOSAVE skips it, SAVE forces it, else it follows the save points.
 * Persistence's shutdown task reads it from the server's `shutdown-save` feature.
 */
export function setShutdownSave(server: CodisServer, options: readonly string[]): void {
  server.features.set(
    'shutdown-save',
    options.includes('nosave') ? 'nosave' : options.includes('save') ? 'save' : 'default',
  );
}

export function installPersistence(server: CodisServer): Persistence {
  const persistence = new Persistence(server);
  server.registry.register(persistenceCommands);
  server.features.set('persistence', persistence);
  server.features.set('last-save-time', persistence.lastSave);
  server.afterCommandHooks.push(() => persistence.afterCommand());
  server.flushAllHooks.push(() => persistence.afterFlushAll());
  server.addCronTask((now) => persistence.cron(now));
  server.addShutdownTask(() => persistence.shutdown());
  server.config.onChange((name, value) => {
    if (name === 'appendonly') persistence.setAppendOnly(value === 'yes');
  });
  return persistence;
}

/**
 * Loads the data files at start (the AOF when appendonly is on and one exists, else the RDB) and
 * opens the AOF. Throws RdbFileError or AofError (naming the file) when a file cannot be loaded.
 */
export function loadDataFiles(server: CodisServer): void {
  const persistence = persistenceOf(server);
  if (persistence === undefined) return;
  const appendOnly = server.config.getBoolean('appendonly');
  const loadedFromAof = loadAtStart(server, persistence, appendOnly);
  server.dirty = 0;
  if (appendOnly) persistence.openAofAtStart(loadedFromAof);
}

export function persistenceOf(server: CodisServer): Persistence | undefined {
  return server.features.get('persistence') as Persistence | undefined;
}

export { AofError } from './aof.ts';
export { type LoadResult, loadRdb, RdbFileError } from './rdb-file.ts';
export {
  type ReplicationPoint,
  type SnapshotConsumer,
  type SnapshotJob,
  type SnapshotService,
  snapshotServiceOf,
} from './snapshot-job.ts';
