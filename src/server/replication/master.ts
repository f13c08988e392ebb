// The replication state of a server, master side: replication ids and offset, the backlog, the
// replicas attached (PSYNC/SYNC, REPLCONF, ACKs), the propagation of writes, WAIT and the pings.
// A replica keeps the same state: its offset is what it applied of its master's stream, which it
// proxies verbatim to its own replicas and backlog (so a promoted replica serves PSYNC from peers).

import { randomBytes } from 'node:crypto';
import { adminState } from '../admin-state.ts';
import type { Client } from '../client.ts';
import { overLimit } from '../output-limits.ts';
import {
  type ReplicationPoint,
  type SnapshotConsumer,
  type SnapshotJob,
  snapshotServiceOf,
} from '../persistence/index.ts';
import { encodeCommand, type PropagationTarget, propagatorOf } from '../propagation/index.ts';
import type { CodisServer } from '../server.ts';
import { Backlog } from './backlog.ts';
import { Failover } from './failover.ts';
import type { MasterLink } from './replica.ts';

const NO_REPLICATION_ID = '0000000000000000000000000000000000000000';

export interface AttachedReplica {
  readonly client: Client;
  ip: string;
  listeningPort: number;
  ackOffset: number;
  ackTime: number;
  capabilities: Set<string>;
  /** wait_bgsave: the RDB payload is being made (the stream since its start is held meanwhile). */
  state: 'wait_bgsave' | 'online';
  /** Sent +FULLRESYNC rather than answering SYNC. */
  psync: boolean;
  /** The stream after the payload's point, held until the payload is sent. */
  held: Buffer[];
  heldBytes: number;
  /** Bytes of the RDB payload still counted in the output: not held against the output limit. */
  payloadAllowance: number;
  /** Since when its output has been over the soft limit of client-output-buffer-limit replica. */
  readonly outputLimitState: { softSince: number };
}

/** A full sync in progress: the payload collected from a snapshot, for the replicas waiting for it. */
interface FullSync {
  readonly job: SnapshotJob;
  readonly point: ReplicationPoint;
  readonly chunks: Buffer[];
  bytes: number;
  readonly consumer: SnapshotConsumer;
  readonly replicas: Set<AttachedReplica>;
}

interface WaitState {
  offset: number;
  replicas: number;
}

export function newReplicationId(): string {
  return randomBytes(20).toString('hex');
}

export class Replication implements PropagationTarget {
  readonly server: CodisServer;
  replicationId: string;
  replicationId2 = NO_REPLICATION_ID;
  /** master_repl_offset: bytes of replication stream produced (master) or applied (replica). */
  offset = 0;
  /** second_repl_offset: up to which offset replicationId2 is valid for PSYNC. */
  secondOffset = -1;
  backlog: Backlog | undefined;
  readonly replicas = new Map<Client, AttachedReplica>();
  /** The connection to our master while a replica. */
  link: MasterLink | undefined;
  /** FAILOVER's state (a coordinated switch of roles with one of our replicas). */
  readonly failover: Failover;
  /** The database the stream last SELECTed (-1: the next command must select). */
  selectedDatabase = -1;
  syncFull = 0;
  syncPartialOk = 0;
  syncPartialErr = 0;
  private readonly waiting = new Map<Client, WaitState>();
  /** The stream offset after each client's last propagated write (WAIT waits for it). */
  private readonly writeOffsets = new Map<Client, number>();
  private lastPing = Date.now();
  private getAckPending = false;
  /** The full sync whose payload is being made. */
  private sync: FullSync | undefined;
  private lastKeepAlive = 0;

  constructor(server: CodisServer, replicationId: string) {
    this.server = server;
    this.replicationId = replicationId;
    this.failover = new Failover(this);
    // Every RDB snapshot records where the stream stands, so a replica can continue from it.
    snapshotServiceOf(server).replicationPoint = () => this.snapshotPoint();
    propagatorOf(server).addTarget(this);
  }

  /** A master with a backlog takes the writes; a replica forwards its master's stream verbatim. */
  get accepting(): boolean {
    return this.backlog !== undefined && this.link === undefined;
  }

  append(bytes: Buffer): void {
    this.feed(bytes);
  }

  propagated(client: Client): void {
    if (client.socket !== undefined) this.writeOffsets.set(client, this.offset);
  }

  private snapshotPoint(): ReplicationPoint | undefined {
    if (this.backlog === undefined) return undefined;
    if (this.link !== undefined) {
      if (this.link.state !== 'connected') return undefined;
      return {
        replicationId: this.replicationId,
        offset: this.offset,
        streamDatabase: this.link.streamDatabase.index,
      };
    }
    // The stream after the snapshot's point starts with a SELECT.
    this.selectedDatabase = -1;
    return { replicationId: this.replicationId, offset: this.offset, streamDatabase: 0 };
  }

  get isReplica(): boolean {
    return this.link !== undefined;
  }

  /** Creates the backlog when the first replica attaches (Redis keeps none before). */
  ensureBacklog(): Backlog {
    if (this.backlog === undefined)
      this.backlog = new Backlog(this.server.config.getNumber('repl-backlog-size'), this.offset);
    return this.backlog;
  }

  /** Appends bytes to the replication stream: backlog, offset and every online replica. */
  feed(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.offset += bytes.length;
    this.backlog?.append(bytes);
    for (const replica of this.replicas.values()) {
      const client = replica.client;
      if (client.closed) continue;
      if (replica.state === 'online') {
        client.out.rawBytes(bytes);
        client.scheduleFlush();
      } else if (this.sync?.replicas.has(replica)) {
        replica.held.push(Buffer.from(bytes));
        replica.heldBytes += bytes.length;
        if (
          overLimit(this.server.outputLimits.slave, replica.heldBytes, Date.now(), replica.outputLimitState)
        ) {
          this.server.log(
            'warning',
            `Client ${client.address} (replica) scheduled to be closed ASAP for overcoming of output buffer limits.`,
          );
          client.close();
        }
      }
    }
  }

  // ---- replicas attaching

  /** PSYNC replid offset: +CONTINUE from the backlog when possible, +FULLRESYNC otherwise. */
  psync(client: Client, replicationId: string, requested: number): void {
    if (this.replicas.has(client)) return;
    if (this.refuseSync(client)) return;
    const backlog = this.backlog;
    const knownHistory =
      replicationId === this.replicationId ||
      (replicationId === this.replicationId2 && requested <= this.secondOffset);
    if (
      knownHistory &&
      backlog !== undefined &&
      Number.isSafeInteger(requested) &&
      backlog.covers(requested)
    ) {
      this.syncPartialOk++;
      const replica = this.attach(client);
      client.out.raw(`+CONTINUE ${this.replicationId}\r\n`);
      client.out.rawBytes(backlog.readFrom(requested));
      this.server.log(
        'notice',
        `Partial resynchronization request from ${replica.ip}:${replica.listeningPort} accepted. Sending ${this.offset + 1 - requested} bytes of backlog starting from offset ${requested}.`,
      );
      return;
    }
    if (replicationId !== '?') this.syncPartialErr++;
    this.fullResync(client, true);
  }

  /**
   * Old SYNC, or PSYNC that cannot continue: the RDB payload, then the stream since its point. The
   * payload comes from the incremental snapshot engine (the event loop keeps serving clients while
   * it is made): a running snapshot is shared when it can serve us, else a new one starts, or the
   * replica waits for the running one (an AOF rewrite's) to end.
   */
  fullResync(client: Client, psync: boolean): void {
    if (this.refuseSync(client)) return;
    this.syncFull++;
    this.ensureBacklog();
    const replica = this.attach(client, 'wait_bgsave');
    replica.psync = psync;
    this.server.log('notice', `Full resync requested by replica ${replica.ip}:${replica.listeningPort}`);
    this.joinSync(replica);
  }

  /** No replica syncs with us during a failover, nor while our own master link is down. */
  private refuseSync(client: Client): boolean {
    if (this.failover.state !== 'no-failover') {
      client.replyError("NOMASTERLINK Can't SYNC while failing over");
      return true;
    }
    if (this.link !== undefined && this.link.state !== 'connected') {
      client.replyError("NOMASTERLINK Can't SYNC while not connected with my master");
      return true;
    }
    return false;
  }

  private joinSync(replica: AttachedReplica): void {
    const client = replica.client;
    if (client.closed || this.replicas.get(client) !== replica) return;
    const backlog = this.ensureBacklog();
    const service = snapshotServiceOf(this.server);
    const usable = (point: ReplicationPoint | undefined): point is ReplicationPoint =>
      point !== undefined && point.replicationId === this.replicationId && backlog.covers(point.offset + 1);
    let sync = this.sync;
    if (sync !== undefined && !usable(sync.point)) sync = undefined;
    if (sync === undefined && this.sync === undefined) {
      const running = service.joinable('rdb');
      if (running !== undefined && usable(running.replication)) {
        sync = this.collect(running);
        this.server.log(
          'notice',
          `Full sync of replica ${replica.ip}:${replica.listeningPort} shares the running snapshot`,
        );
      } else if (service.current === undefined) {
        sync = this.collect(service.start('rdb'));
        this.server.log(
          'notice',
          `Starting the snapshot for the full sync of ${replica.ip}:${replica.listeningPort}`,
        );
      }
    }
    if (sync === undefined) {
      this.server.log(
        'notice',
        `Waiting for the running snapshot to end before the full sync of ${replica.ip}:${replica.listeningPort}`,
      );
      service.whenIdle(() => this.joinSync(replica));
      return;
    }
    const point = sync.point;
    const since = backlog.readFrom(point.offset + 1);
    replica.held = since.length > 0 ? [since] : [];
    replica.heldBytes = since.length;
    sync.replicas.add(replica);
    if (replica.psync) {
      client.out.raw(`+FULLRESYNC ${point.replicationId} ${point.offset}\r\n`);
      client.scheduleFlush();
    }
  }

  /** Collects a snapshot's payload for the replicas that join this sync. */
  private collect(job: SnapshotJob): FullSync {
    const chunks: Buffer[] = [];
    const consumer: SnapshotConsumer = {
      data: (chunk) => {
        chunks.push(Buffer.from(chunk));
        sync.bytes += chunk.length;
      },
      end: () => this.syncDone(sync),
      failed: (error) => this.syncFailed(sync, error),
    };
    const sync: FullSync = {
      job,
      point: job.replication as ReplicationPoint,
      chunks,
      bytes: 0,
      consumer,
      replicas: new Set(),
    };
    job.add(consumer);
    job.keepsPrefix(consumer, (length) => Buffer.concat(chunks, sync.bytes).subarray(0, length));
    this.sync = sync;
    return sync;
  }

  private syncDone(sync: FullSync): void {
    if (this.sync === sync) this.sync = undefined;
    const payload = Buffer.concat(sync.chunks, sync.bytes);
    sync.chunks.length = 0;
    for (const replica of sync.replicas) {
      const client = replica.client;
      if (client.closed || this.replicas.get(client) !== replica) continue;
      client.out.raw(`$${payload.length}\r\n`);
      client.out.rawBytes(payload);
      for (const bytes of replica.held) client.out.rawBytes(bytes);
      replica.held = [];
      replica.heldBytes = 0;
      replica.state = 'online';
      replica.payloadAllowance = payload.length;
      replica.ackTime = Date.now();
      client.scheduleFlush();
      this.server.log(
        'notice',
        `Synchronization with replica ${replica.ip}:${replica.listeningPort} succeeded: sent ${payload.length} bytes of RDB made at offset ${sync.point.offset}`,
      );
    }
  }

  private syncFailed(sync: FullSync, error: Error): void {
    if (this.sync === sync) this.sync = undefined;
    this.server.log('warning', `Full sync failed, dropping the replicas waiting for it: ${error.message}`);
    for (const replica of sync.replicas) replica.client.close();
  }

  private attach(client: Client, state: AttachedReplica['state'] = 'online'): AttachedReplica {
    const pending = client.features.get('replconf') as Partial<AttachedReplica> | undefined;
    const ip = pending?.ip ?? client.address.slice(0, client.address.lastIndexOf(':'));
    const replica: AttachedReplica = {
      client,
      ip: ip.startsWith('::ffff:') ? ip.slice(7) : ip,
      listeningPort: pending?.listeningPort ?? 0,
      ackOffset: 0,
      ackTime: Date.now(),
      capabilities: pending?.capabilities ?? new Set(),
      state,
      psync: true,
      held: [],
      heldBytes: 0,
      payloadAllowance: 0,
      outputLimitState: { softSince: 0 },
    };
    this.replicas.set(client, replica);
    client.flags = 'S';
    return replica;
  }

  detach(client: Client): void {
    const attached = this.replicas.get(client);
    const sync = this.sync;
    const left = attached !== undefined && sync?.replicas.delete(attached) === true;
    if (left && sync !== undefined && sync.replicas.size === 0) {
      // Nobody waits for this payload anymore (a BGSAVE sharing the snapshot goes on).
      this.sync = undefined;
      sync.job.remove(sync.consumer);
    }
    if (this.replicas.delete(client)) {
      const replica = client.features.get('replconf') as Partial<AttachedReplica> | undefined;
      this.server.log(
        'notice',
        `Connection with replica ${client.address} (port ${replica?.listeningPort ?? 0}) lost.`,
      );
    }
    this.waiting.delete(client);
    this.writeOffsets.delete(client);
  }

  /** REPLCONF options from a replica before PSYNC, and ACK/GETACK after. */
  replconf(client: Client, argv: string[]): void {
    const replica = this.replicas.get(client);
    if ((argv.length - 1) % 2 !== 0) {
      client.replyError('ERR syntax error');
      return;
    }
    let pending = client.features.get('replconf') as Partial<AttachedReplica> | undefined;
    if (pending === undefined) {
      pending = {};
      client.features.set('replconf', pending);
    }
    for (let i = 1; i < argv.length; i += 2) {
      const option = (argv[i] as string).toLowerCase();
      const value = argv[i + 1] as string;
      if (option === 'ack') {
        // No reply to ACKs: they travel on the replica's link while it receives the stream.
        const offset = Number(value);
        if (replica !== undefined && Number.isSafeInteger(offset)) {
          if (offset > replica.ackOffset) replica.ackOffset = offset;
          replica.ackTime = Date.now();
          this.checkWaiting();
          this.failover.acknowledged();
        }
        return;
      }
      if (option === 'getack') {
        this.link?.sendAck();
        return;
      }
      if (option === 'listening-port') {
        const port = Number(value);
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          client.replyError('ERR value is out of range');
          return;
        }
        pending.listeningPort = port;
        if (replica !== undefined) replica.listeningPort = port;
      } else if (option === 'ip-address') {
        pending.ip = value;
        if (replica !== undefined) replica.ip = value;
      } else if (option === 'capa') {
        pending.capabilities ??= new Set();
        pending.capabilities.add(value.toLowerCase());
      } else if (option === 'rdb-only' || option === 'rdb-filter-only') {
        // Accepted for compatibility (redis-cli --rdb); the whole stream is sent anyway.
      } else {
        client.replyError(`ERR Unrecognized REPLCONF option: ${argv[i]}`);
        return;
      }
    }
    client.out.ok();
  }

  // ---- WAIT

  /** min-replicas-to-write: whether enough replicas acknowledged within min-replicas-max-lag. */
  enoughGoodReplicas(): boolean {
    const config = this.server.config;
    const needed = config.getNumber('min-replicas-to-write');
    if (needed <= 0 || this.link !== undefined) return true;
    const maxLag = config.getNumber('min-replicas-max-lag') * 1000;
    const now = Date.now();
    let good = 0;
    for (const replica of this.replicas.values()) if (now - replica.ackTime <= maxLag) good++;
    return good >= needed;
  }

  /** How many replicas acknowledged at least `offset`. */
  acknowledged(offset: number): number {
    let count = 0;
    for (const replica of this.replicas.values()) if (replica.ackOffset >= offset) count++;
    return count;
  }

  wait(client: Client, replicas: number, timeoutMs: number): void {
    if (this.link !== undefined) {
      client.replyError(
        'ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.',
      );
      return;
    }
    const target = this.writeOffsets.get(client) ?? 0;
    const acked = this.acknowledged(target);
    if (acked >= replicas || timeoutMs < 0) {
      client.out.integer(acked);
      return;
    }
    this.waiting.set(client, { offset: target, replicas });
    const deadline = timeoutMs === 0 ? 0 : Date.now() + timeoutMs;
    client.block([], ['WAIT'], deadline, (waiter) => {
      this.waiting.delete(waiter);
      waiter.out.integer(this.acknowledged(target));
    });
    // Ask the replicas for their offset now rather than at their next periodic ACK. Not while
    // writes are paused (as Redis): GETACK would move the offset a failover waits for.
    if (!this.getAckPending) {
      this.getAckPending = true;
      setImmediate(() => {
        this.getAckPending = false;
        if (this.replicas.size > 0 && adminState(this.server).pauseMode === undefined)
          this.feed(encodeCommand(['REPLCONF', 'GETACK', '*']));
      });
    }
  }

  private checkWaiting(): void {
    if (this.waiting.size === 0) return;
    for (const [client, state] of [...this.waiting]) {
      if (this.acknowledged(state.offset) < state.replicas) continue;
      this.waiting.delete(client);
      if (client.blocked !== undefined) this.server.blocking.unblock(client, false);
    }
  }

  // ---- periodic work

  cron(now: number): void {
    const period = this.server.config.getNumber('repl-ping-replica-period') * 1000;
    if (this.link === undefined && this.replicas.size > 0 && now - this.lastPing >= period) {
      this.lastPing = now;
      // PING goes through the stream (and the backlog), keeping idle links and offsets moving;
      // not during a failover, whose target must reach an offset that stays put.
      if (this.failover.state === 'no-failover') this.feed(encodeCommand(['PING']));
    }
    this.failover.cron(now);
    const timeout = this.server.config.getNumber('repl-timeout') * 1000;
    const keepAlive = now - this.lastKeepAlive >= 1000;
    if (keepAlive) this.lastKeepAlive = now;
    for (const replica of this.replicas.values()) {
      if (replica.state !== 'online') {
        // Keep-alive newlines while the payload is made (after +FULLRESYNC, before the payload).
        if (keepAlive && this.sync?.replicas.has(replica)) {
          replica.client.out.raw('\n');
          replica.client.scheduleFlush();
        }
        continue;
      }
      // client-output-buffer-limit replica: a replica that cannot keep up syncs again. The
      // payload of its full sync does not count (Redis sends it from the RDB file).
      const pending = replica.client.outputPending;
      if (pending < replica.payloadAllowance) replica.payloadAllowance = pending;
      if (
        overLimit(
          this.server.outputLimits.slave,
          pending - replica.payloadAllowance,
          now,
          replica.outputLimitState,
        )
      ) {
        this.server.log(
          'warning',
          `Client ${replica.client.address} (replica) scheduled to be closed ASAP for overcoming of output buffer limits.`,
        );
        replica.client.close();
        continue;
      }
      if (replica.capabilities.size > 0 && now - replica.ackTime > timeout) {
        this.server.log('warning', `Disconnecting timedout replica: ${replica.ip}:${replica.listeningPort}`);
        replica.client.close();
      }
    }
    this.link?.cron(now);
  }

  // ---- role changes

  /** A new history begins (promotion): the old id stays valid for PSYNC up to this offset. */
  shiftReplicationId(): void {
    this.replicationId2 = this.replicationId;
    this.secondOffset = this.offset + 1;
    this.replicationId = newReplicationId();
    this.server.log(
      'notice',
      `Setting secondary replication ID to ${this.replicationId2}, valid up to offset: ${this.secondOffset}. New replication ID is ${this.replicationId}`,
    );
  }

  /** Drops every replica: they reconnect and PSYNC (learning a new id or master). */
  disconnectReplicas(): void {
    for (const client of [...this.replicas.keys()]) client.close();
  }

  /** Replaces the history after a full sync from our master. */
  resetHistory(replicationId: string, offset: number): void {
    this.replicationId = replicationId;
    this.replicationId2 = NO_REPLICATION_ID;
    this.secondOffset = -1;
    this.offset = offset;
    this.backlog = new Backlog(this.server.config.getNumber('repl-backlog-size'), offset);
    this.selectedDatabase = -1;
  }

  // ---- introspection

  infoLines(): string[] {
    const lines: string[] = [`role:${this.link === undefined ? 'master' : 'slave'}`];
    const now = Date.now();
    const config = this.server.config;
    if (this.link !== undefined) lines.push(...this.link.infoLines(now));
    lines.push(`connected_slaves:${this.replicas.size}`);
    let index = 0;
    for (const replica of this.replicas.values()) {
      const lag = Math.floor((now - replica.ackTime) / 1000);
      lines.push(
        `slave${index++}:ip=${replica.ip},port=${replica.listeningPort},state=${replica.state},offset=${replica.ackOffset},lag=${lag}`,
      );
    }
    const backlog = this.backlog;
    lines.push(
      `master_failover_state:${this.failover.state}`,
      `master_replid:${this.replicationId}`,
      `master_replid2:${this.replicationId2}`,
      `master_repl_offset:${this.offset}`,
      `second_repl_offset:${this.secondOffset}`,
      `repl_backlog_active:${backlog === undefined ? 0 : 1}`,
      `repl_backlog_size:${config.getNumber('repl-backlog-size')}`,
      `repl_backlog_first_byte_offset:${backlog === undefined ? 0 : backlog.firstByteOffset}`,
      `repl_backlog_histlen:${backlog === undefined ? 0 : backlog.historyLength}`,
    );
    return lines;
  }

  /** ROLE's reply. */
  role(client: Client): void {
    const out = client.out;
    if (this.link !== undefined) {
      out.arrayHeader(5);
      out.bulk('slave');
      out.bulk(this.link.host);
      out.integer(this.link.port);
      out.bulk(this.link.roleState);
      out.integer(this.link.state === 'connected' ? this.offset : -1);
      return;
    }
    out.arrayHeader(3);
    out.bulk('master');
    out.integer(this.offset);
    out.arrayHeader(this.replicas.size);
    for (const replica of this.replicas.values()) {
      out.arrayHeader(3);
      out.bulk(replica.ip);
      out.bulk(String(replica.listeningPort));
      out.bulk(String(replica.ackOffset));
    }
  }
}
