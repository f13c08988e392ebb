// Asynchronous ("semi-async") migration, source side (spec §9): one cached connection per database,
// at most one batch in flight per database, messages produced on demand under a window bounded by
// maxbytes, every ACK checked against the message it answers, and the batch's keys deleted from
// the source only after the target acknowledged every message. The caller and FENCE callers wait
// for the result while the server keeps serving everyone else.
import { performance } from 'node:perf_hooks';
import { RespError, type RespValue } from '../../resp/index.ts';
import type { Client } from '../client.ts';
import type { Database } from '../keyspace/database.ts';
import type { CodisServer } from '../server.ts';
import { AckQueue } from './ack-queue.ts';
import type { Batch, ConnectionContext } from './batch.ts';
import { completeReply, deferReply } from './deferred-reply.ts';
import { deleteMovedKeys } from './delete-moved.ts';
import { type CommandArgument, isResolutionError, TargetConnection } from './target-connection.ts';

/** An idle cached connection is closed after this long (Codis: 60 s). */
export const ASYNC_IDLE_CLOSE_MS = 60000;
/**
 * The longest stretch of message building in one event-loop turn: production continues on the
 * next turn, so the clients served by this server wait at most about this long. The bound
 * is a p99 during a move at most 3x the p99 before (0.13-0.2 ms on a quiet moment here), so a slice
 * stays well under that; 0.2 ms slices moved small keys no slower than 0.5 ms ones (bench/RESULTS.md).
 */
const PRODUCE_SLICE_MS = 0.2;
/**
 * A batch starts with a short burst: the target starts restoring while the rest is built, and the
 * turn that parsed the command and collected the batch's keys stays short.
 */
const FIRST_SLICE_MS = 0.1;
/**
 * The most bytes built in one turn: the loop then yields to the other clients and the ACKs, and the
 * target restores while the next turn's messages are built here (the two servers work in parallel).
 */
const TURN_BYTES = 32 * 1024;
/**
 * Within a turn the messages go to the socket every this many bytes, so the target restores the
 * first ones while the rest are built: with one write per turn it mostly received a whole batch at
 * once, and the two servers worked one after the other.
 */
const WRITE_BYTES = 16 * 1024;
/**
 * The window never lets more than this wait in the process for the socket, whatever maxbytes
 * (the dashboard asks 32 MB): beyond what the kernel holds, each pending write keeps a 64 KB
 * buffer, and a source running megabytes ahead of a slow target allocated new ones until V8
 * collected for their external memory inside the allocation (150-180 ms pauses every ~2.5 s while
 * a 5,000,000-field hash moved).
 */
const QUEUED_BYTES_LIMIT = 1024 * 1024;

/** Bytes the window lets wait for the socket: maxbytes, at most QUEUED_BYTES_LIMIT. */
function windowBytes(batch: Batch): number {
  return Math.min(batch.options.maxbytes, QUEUED_BYTES_LIMIT);
}
const RESTORE = 'SLOTSRESTORE-ASYNC';
/** Messages built between two looks at the clock. */
const CLOCK_EVERY = 16;

export type AsyncResult = { error: string } | { moved: number; slotSize: number; slot: number };

export class AsyncConnection implements ConnectionContext {
  readonly host: string;
  readonly port: number;
  readonly connection: TargetConnection;
  used = false;
  timeout = 0;
  lastUse = Date.now();
  batch: Batch | undefined;
  readonly waiters: Client[] = [];
  /** What each message in flight must be answered with, oldest first. */
  readonly acks = new AckQueue();
  /** Messages sent and not yet acknowledged (SLOTSMGRT-ASYNC-STATUS's sending_msgs). */
  get sendingMsgs(): number {
    return this.acks.size;
  }
  readonly password: string;
  closed = false;
  produceScheduled = false;

  constructor(host: string, port: number, password: string, connection: TargetConnection) {
    this.host = host;
    this.port = port;
    this.password = password;
    this.connection = connection;
  }

  pendingBytes(): number {
    return this.connection.pendingBytes;
  }
}

export class AsyncMigrator {
  private readonly server: CodisServer;
  private readonly password: () => string;
  /** Per database index. */
  readonly connections = new Map<number, AsyncConnection>();

  constructor(server: CodisServer, password: () => string) {
    this.server = server;
    this.password = password;
    server.addCronTask((now) => this.cron(now));
    server.clientClosedHooks.push((client) => {
      for (const state of this.connections.values()) {
        const at = state.waiters.indexOf(client);
        if (at >= 0) state.waiters.splice(at, 1);
      }
    });
    server.addShutdownTask(() => {
      for (const state of [...this.connections.values()]) this.close(state, 'ERR interrupted: shutdown');
    });
  }

  /** The batch in flight in a database, if any. */
  batchOf(database: Database): Batch | undefined {
    return this.connections.get(database.index)?.batch;
  }

  /** The cached connection of a database to host:port, reused or created. */
  connectionFor(database: Database, host: string, port: number): AsyncConnection {
    const existing = this.connections.get(database.index);
    if (existing !== undefined && existing.host === host && existing.port === port) return existing;
    if (existing !== undefined) this.close(existing, 'ERR interrupted: build new connection');
    let state: AsyncConnection | undefined;
    const connection = new TargetConnection(host, port, {
      onReply: (value) => {
        if (state !== undefined) this.onAck(state, value);
      },
      onSuccessAck: (buffer, start, end) => {
        if (state !== undefined) this.onSuccessAck(state, buffer, start, end);
      },
      onSuccessAcksRead: () => {
        if (state !== undefined) state.lastUse = Date.now();
      },
      onClose: (error) => {
        if (state === undefined) return;
        const reason = isResolutionError(error)
          ? `ERR create client to ${host}:${port} failed`
          : 'ERR interrupted: connection closed';
        this.close(state, reason);
      },
    });
    state = new AsyncConnection(host, port, this.password(), connection);
    this.connections.set(database.index, state);
    return state;
  }

  /**
   * Starts a batch on a database's connection for `client`; replies at once when there is nothing
   * to send, else when the target acknowledged everything (or the batch failed).
   */
  start(
    client: Client,
    state: AsyncConnection,
    batch: Batch,
    reply: (client: Client, result: AsyncResult) => void,
  ): void {
    state.timeout = batch.options.timeout;
    state.lastUse = Date.now();
    state.batch = batch;
    this.produce(state, 3, FIRST_SLICE_MS);
    if (state.sendingMsgs === 0) {
      state.batch = undefined;
      reply(client, { moved: 0, slotSize: batch.slot < 0 ? 0 : slotSize(batch), slot: batch.slot });
      return;
    }
    state.waiters.push(client);
    replyHandlers.set(client, reply);
    deferReply(client);
    if (this.windowOpen(state)) this.scheduleProduce(state);
  }

  /** SLOTSMGRT-ASYNC-FENCE: waits for the batch of the caller's database. */
  fence(client: Client): void {
    const state = this.connections.get(client.database.index);
    if (state === undefined || state.batch === undefined) {
      client.out.ok();
      return;
    }
    state.waiters.push(client);
    replyHandlers.set(client, writeResult);
    deferReply(client);
  }

  /** SLOTSMGRT-ASYNC-CANCEL: closes the caller's database connection; whether there was one. */
  cancel(database: Database): boolean {
    const state = this.connections.get(database.index);
    if (state === undefined) return false;
    this.close(state, 'ERR interrupted: canceled');
    return true;
  }

  /**
   * Generates messages while the window allows: at least `atleast`, then until `budgetMs` is used
   * or TURN_BYTES are queued. The window is the bytes queued on the connection (maxbytes); a window
   * that emptied restarts even when maxbytes is smaller than one message.
   */
  private produce(state: AsyncConnection, atleast: number, budgetMs: number): void {
    const batch = state.batch;
    if (batch === undefined) return;
    const maxbytes = windowBytes(batch);
    const connection = state.connection;
    const start = performance.now();
    const now = Date.now();
    let produced = 0;
    let sinceClock = 0;
    let written = 0;
    while ((produced === 0 && state.sendingMsgs === 0) || connection.pendingBytes < maxbytes) {
      if (batch.nextString(state, now, connection)) {
        state.acks.push(undefined, RESTORE, 'delete');
        state.acks.push('1', RESTORE, 'string');
        produced += 2;
        sinceClock += 2;
      } else if (!this.produceOther(state, batch, now)) break;
      else {
        produced++;
        sinceClock++;
      }
      if (produced >= atleast && sinceClock >= CLOCK_EVERY) {
        sinceClock = 0;
        if (performance.now() - start > budgetMs) break;
      }
      if (connection.queuedBytes >= WRITE_BYTES) {
        written += connection.queuedBytes;
        connection.write();
        if (written >= TURN_BYTES) break;
      }
    }
  }

  /** One message that is not a string key's pair: a chunk, or any other; false when none is left. */
  private produceOther(state: AsyncConnection, batch: Batch, now: number): boolean {
    const connection = state.connection;
    const expect = batch.nextChunk(state, connection);
    if (expect !== undefined) {
      state.acks.push(expect, RESTORE, batch.lastChunkSubcommand);
      return true;
    }
    const message = batch.next(state, now);
    if (message === undefined) return false;
    const args = message.args;
    connection.send(args);
    state.acks.push(message.expect, args[0] as CommandArgument, args[1] as CommandArgument);
    return true;
  }

  /** More to send and room in the window (maxbytes). */
  private windowOpen(state: AsyncConnection): boolean {
    const batch = state.batch;
    return batch !== undefined && !batch.exhausted && state.connection.pendingBytes < windowBytes(batch);
  }

  /**
   * Runs production on the next turn, in a bounded slice: it goes on turn after turn while the
   * window is open, without waiting for ACKs, and resumes on an ACK once the window closed.
   */
  private scheduleProduce(state: AsyncConnection): void {
    if (state.produceScheduled) return;
    state.produceScheduled = true;
    setImmediate(() => {
      state.produceScheduled = false;
      if (state.closed || state.batch === undefined) return;
      try {
        this.produce(state, 2, PRODUCE_SLICE_MS);
      } catch (error) {
        this.server.log('warning', `async migration failed: ${(error as Error).stack ?? error}`);
        this.close(state, `ERR interrupted: ${(error as Error).message}`);
        return;
      }
      if (state.sendingMsgs === 0 && state.batch.exhausted) this.complete(state);
      else if (this.windowOpen(state)) this.scheduleProduce(state);
    });
  }

  /** A success ACK from the fast path: its message text is buffer[start, end). */
  private onSuccessAck(state: AsyncConnection, buffer: Buffer, start: number, end: number): void {
    if (state.acks.size === 0 || state.batch === undefined) {
      this.close(state, 'ERR interrupted: unexpected ACK from target');
      return;
    }
    const expect = state.acks.expect();
    const size = end - start;
    let matches: boolean;
    if (expect === undefined) matches = size === 1 && (buffer[start] === 48 || buffer[start] === 49);
    else {
      matches = size === expect.length;
      for (let i = 0; matches && i < size; i++) matches = buffer[start + i] === expect.charCodeAt(i);
    }
    if (!matches) {
      this.unexpectedAck(state, buffer.latin1Slice(start, end));
      return;
    }
    this.acknowledged(state);
  }

  private unexpectedAck(state: AsyncConnection, answer: string): void {
    const label = `${String(state.acks.command())} ${String(state.acks.subcommand())}`;
    this.close(state, `ERR interrupted: unexpected ACK '${answer}' to '${label}' from target`);
  }

  /** The message at the head of the queue was acknowledged. */
  private acknowledged(state: AsyncConnection): void {
    state.acks.shift();
    if (state.sendingMsgs === 0 && state.batch?.exhausted === true) this.scheduleProduce(state);
    else if (!state.produceScheduled && this.windowOpen(state)) this.scheduleProduce(state);
  }

  private onAck(state: AsyncConnection, value: RespValue): void {
    if (value instanceof RespError) {
      // Codis answers the target's plain error as a command, which starts an error ping-pong until
      // the timeout; we end the batch at once and say why.
      this.close(state, `ERR interrupted: target replied an error (${value.message})`);
      return;
    }
    if (
      !Array.isArray(value) ||
      value.length !== 3 ||
      typeof value[0] !== 'string' ||
      value[0].toUpperCase() !== 'SLOTSRESTORE-ASYNC-ACK' ||
      typeof value[1] !== 'string' ||
      typeof value[2] !== 'string'
    ) {
      this.close(state, 'ERR interrupted: invalid reply from target (not an ACK)');
      return;
    }
    if (value[1] !== '0') {
      this.close(state, `ERR interrupted: connection closed (target: ${value[2]})`);
      return;
    }
    if (state.acks.size === 0 || state.batch === undefined) {
      this.close(state, 'ERR interrupted: unexpected ACK from target');
      return;
    }
    state.lastUse = Date.now();
    const answer = value[2];
    const expect = state.acks.expect();
    const matches = expect === undefined ? answer === '0' || answer === '1' : answer === expect;
    if (!matches) {
      this.unexpectedAck(state, answer);
      return;
    }
    this.acknowledged(state);
  }

  /** Every message acknowledged: delete the transferred keys and answer the waiters. */
  private complete(state: AsyncConnection): void {
    const batch = state.batch as Batch;
    state.batch = undefined;
    const server = this.server;
    const database = batch.database;
    const result: AsyncResult = {
      moved: batch.removedKeys.length,
      slotSize: batch.slot < 0 ? 0 : slotSize(batch),
      slot: batch.slot,
    };
    deleteMovedKeys(server, database, batch.removedKeys);
    this.notify(state, result);
  }

  private notify(state: AsyncConnection, result: AsyncResult): void {
    for (const client of state.waiters.splice(0)) {
      const reply = replyHandlers.get(client) ?? writeResult;
      replyHandlers.delete(client);
      completeReply(client, (c) => reply(c, result));
    }
  }

  /** Closes a database's connection: the batch is abandoned, no source key is deleted. */
  close(state: AsyncConnection, reason: string): void {
    if (state.closed) return;
    state.closed = true;
    for (const [index, current] of this.connections) {
      if (current === state) this.connections.delete(index);
    }
    state.batch = undefined;
    state.acks.clear();
    state.connection.close();
    this.notify(state, { error: reason });
  }

  private cron(now: number): void {
    for (const state of [...this.connections.values()]) {
      if (state.batch !== undefined) {
        if (now - state.lastUse > state.timeout) this.close(state, 'ERR interrupted: migration timeout');
      } else if (now - state.lastUse > ASYNC_IDLE_CLOSE_MS)
        this.close(state, 'ERR interrupted: idle timeout');
    }
  }
}

function slotSize(batch: Batch): number {
  return batch.database.slots[batch.slot]?.size ?? 0;
}

/** How each waiter wants the result written (the SLOT variants answer an array). */
const replyHandlers = new WeakMap<Client, (client: Client, result: AsyncResult) => void>();

/** The result as the migration command answers it (FENCE callers get the same reply). */
export function writeResult(client: Client, result: AsyncResult): void {
  if ('error' in result) {
    client.replyError(result.error);
    return;
  }
  if (result.slot < 0) {
    client.out.integer(result.moved);
    return;
  }
  client.out.arrayHeader(2);
  client.out.integer(result.moved);
  client.out.integer(result.slotSize);
}
