// One incremental snapshot at a time, shared by whoever needs the dataset as an RDB image: BGSAVE
// (a file), full resyncs of replicas (a payload in memory), BGREWRITEAOF (the AOF base). A
// snapshot installs the databases' write observer and only one may be installed at a time, so
// requests are served by the running job when they can (same kind of image, and its bytes from the
// start still available), and queued until it ends otherwise.
//
// The image is encoded once; every consumer gets the same chunks. A consumer that joins a running
// job first gets the part already produced (the producer's copy: retained chunks, or the file being
// written), then the rest as it comes.
import { readSync } from 'node:fs';
import { functionCodesOf } from '../scripting/index.ts';
import type { CodisServer } from '../server.ts';
import { AofCommandEncoder } from './aof-commands.ts';
import { RdbEncoder } from './rdb-file.ts';
import { Snapshot, type SnapshotSink } from './snapshot.ts';

/** How long one incremental step may run before the event loop serves clients again. */
export const STEP_BUDGET_MS = 2;

/**
 * An RDB image, the base of an AOF as an RDB image (aux field aof-base: 1), or as commands
 * (aof-use-rdb-preamble no); images of different kinds differ.
 */
export type SnapshotKind = 'rdb' | 'aof-base' | 'aof-commands';

/** Turns the snapshot's keys into the bytes of an image. */
interface ImageEncoder extends SnapshotSink {
  /** Bytes handed out so far. */
  readonly bytes: number;
  end(): void;
}

export interface SnapshotConsumer {
  /** The next bytes of the image (a view valid only during the call). */
  data(chunk: Buffer): void;
  /** The image is complete. */
  end(): void;
  /** The job failed; the consumer gets nothing more. */
  failed(error: Error): void;
}

/** The replication position an image corresponds to (for replicas joining its job). */
export interface ReplicationPoint {
  replicationId: string;
  /** master_repl_offset when the snapshot started: the stream a replica needs starts after it. */
  offset: number;
  /** The database the stream that follows writes to (aux field repl-stream-db). */
  streamDatabase: number;
}

export class SnapshotJob {
  readonly kind: SnapshotKind;
  readonly startedAt = Date.now();
  /** server.dirty at the start: the changes the image holds (a BGSAVE joining late counts from here). */
  readonly dirtyAtStart: number;
  /** Set when replication was active at the start: a replica can continue from this point. */
  readonly replication: ReplicationPoint | undefined;
  private readonly snapshot: Snapshot;
  private readonly encoder: ImageEncoder;
  private readonly consumers = new Set<SnapshotConsumer>();
  /** The bytes produced so far, when some consumer keeps them (read by consumers joining later). */
  private prefixReader: ((length: number) => Buffer) | undefined;
  private prefixKeeper: SnapshotConsumer | undefined;
  private readonly service: SnapshotService;
  done = false;

  constructor(
    service: SnapshotService,
    kind: SnapshotKind,
    options: { compress: boolean; checksum: boolean },
    replication: ReplicationPoint | undefined,
  ) {
    this.service = service;
    this.kind = kind;
    this.dirtyAtStart = service.server.dirty;
    this.replication = replication;
    const aux: Array<[string, string]> = [];
    if (replication !== undefined)
      aux.push(
        ['repl-stream-db', String(replication.streamDatabase)],
        ['repl-id', replication.replicationId],
        ['repl-offset', String(replication.offset)],
      );
    const functions = functionCodesOf(service.server);
    const output = (chunk: Buffer): void => {
      // A consumer added meanwhile already got this chunk in its prefix.
      for (const consumer of [...this.consumers]) consumer.data(chunk);
    };
    this.encoder =
      kind === 'aof-commands'
        ? new AofCommandEncoder(functions, output)
        : new RdbEncoder({ ...options, aofBase: kind === 'aof-base', aux, functions }, output);
    const server = service.server;
    this.snapshot = new Snapshot(server, this.encoder, true, server.expiryHidesOnly);
  }

  /** Bytes of the image produced so far. */
  get bytes(): number {
    return this.encoder.bytes;
  }

  get keysWritten(): number {
    return this.snapshot.written;
  }

  /** Whether a consumer can still join (it can get every byte from the start). */
  get joinable(): boolean {
    return !this.done && (this.encoder.bytes === 0 || this.prefixReader !== undefined);
  }

  /**
   * Adds a consumer. One that joins after bytes were produced first gets them, from the producer
   * that keeps them (`joinable` must be true).
   */
  add(consumer: SnapshotConsumer): void {
    const produced = this.encoder.bytes;
    if (produced > 0) {
      if (this.prefixReader === undefined) throw new Error('the snapshot cannot be joined anymore');
      consumer.data(this.prefixReader(produced));
    }
    this.consumers.add(consumer);
  }

  /** Declares that `consumer` keeps every byte from the start, and how to read them back. */
  keepsPrefix(consumer: SnapshotConsumer, reader: (length: number) => Buffer): void {
    if (this.prefixReader !== undefined) return;
    this.prefixReader = reader;
    this.prefixKeeper = consumer;
  }

  /** A consumer leaves; the snapshot stops when none is left. */
  remove(consumer: SnapshotConsumer): void {
    if (!this.consumers.delete(consumer) || this.done) return;
    if (consumer === this.prefixKeeper) {
      this.prefixReader = undefined;
      this.prefixKeeper = undefined;
    }
    if (this.consumers.size === 0) this.stop();
  }

  get consumerCount(): number {
    return this.consumers.size;
  }

  /** Runs one step; reschedules itself until done. */
  step(): void {
    if (this.done) return;
    try {
      if (!this.snapshot.step(STEP_BUDGET_MS)) {
        setImmediate(() => this.step());
        return;
      }
      this.encoder.end();
    } catch (error) {
      const consumers = [...this.consumers];
      this.stop();
      for (const consumer of consumers) consumer.failed(error as Error);
      return;
    }
    const consumers = [...this.consumers];
    this.stop();
    for (const consumer of consumers) consumer.end();
  }

  private stop(): void {
    if (this.done) return;
    this.done = true;
    this.snapshot.finish();
    this.consumers.clear();
    this.prefixReader = undefined;
    this.prefixKeeper = undefined;
    this.service.jobEnded(this);
  }
}

/** Reads back the first `length` bytes of a file being written through `fd` (opened readable). */
export function filePrefixReader(fd: number): (length: number) => Buffer {
  return (length) => {
    const buffer = Buffer.allocUnsafe(length);
    let read = 0;
    while (read < length) {
      const count = readSync(fd, buffer, read, length - read, read);
      if (count === 0) throw new Error('the snapshot file is shorter than what was written');
      read += count;
    }
    return buffer;
  };
}

export class SnapshotService {
  readonly server: CodisServer;
  current: SnapshotJob | undefined;
  /** Snapshots started since the server started (INFO rdb_snapshots_started). */
  started = 0;
  /** Run when no job is running (queued requests, scheduled BGSAVE/BGREWRITEAOF). */
  private readonly waiting: Array<() => void> = [];
  /**
   * Where replication stands when a snapshot starts (undefined: no replication history to
   * continue from). Set by replication; called exactly at the start.
   */
  replicationPoint: (() => ReplicationPoint | undefined) | undefined;

  constructor(server: CodisServer) {
    this.server = server;
  }

  private options(): { compress: boolean; checksum: boolean } {
    const config = this.server.config;
    return { compress: config.getBoolean('rdbcompression'), checksum: config.getBoolean('rdbchecksum') };
  }

  /** Starts a job (none may be running); consumers are added before its first step. */
  start(kind: SnapshotKind): SnapshotJob {
    if (this.current !== undefined) throw new Error('a snapshot is already running');
    const point = kind === 'rdb' ? this.replicationPoint?.() : undefined;
    const job = new SnapshotJob(this, kind, this.options(), point);
    this.current = job;
    this.started++;
    setImmediate(() => job.step());
    return job;
  }

  /** The running job when a consumer of `kind` can join it. */
  joinable(kind: SnapshotKind): SnapshotJob | undefined {
    const job = this.current;
    return job !== undefined && job.kind === kind && job.joinable ? job : undefined;
  }

  /** Runs `task` once no snapshot is running (now if none is). */
  whenIdle(task: () => void): void {
    if (this.current === undefined) task();
    else this.waiting.push(task);
  }

  jobEnded(job: SnapshotJob): void {
    if (this.current !== job) return;
    this.current = undefined;
    // After the ended job's consumers heard of its end.
    if (this.waiting.length > 0) setImmediate(() => this.runWaiting());
  }

  private runWaiting(): void {
    // Each task may start a job: the rest wait for that one.
    while (this.current === undefined && this.waiting.length > 0) (this.waiting.shift() as () => void)();
  }
}

/** The server's snapshot service (created on first use). */
export function snapshotServiceOf(server: CodisServer): SnapshotService {
  let service = server.features.get('snapshots') as SnapshotService | undefined;
  if (service === undefined) {
    service = new SnapshotService(server);
    server.features.set('snapshots', service);
  }
  return service;
}
