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
import type { Batch, ConnectionContext } from './batch.ts';
import { completeReply, deferReply } from './deferred-reply.ts';
import { deleteMovedKeys } from './delete-moved.ts';
import { isResolutionError, TargetConnection } from './target-connection.ts';

/** An idle cached connection is closed after this long (Codis: 60 s). */
export const ASYNC_IDLE_CLOSE_MS = 60000;
/** The longest stretch of message building in one event-loop turn. */
const PRODUCE_SLICE_MS = 2;
const TURN_BYTES = 60 * 1024;

export type AsyncResult = { error: string } | { moved: number; slotSize: number; slot: number };

export class AsyncConnection implements ConnectionContext {
  readonly host: string;
  readonly port: number;
  readonly connection: TargetConnection;
  used = false;
  timeout = 0;
  lastUse = Date.now();
  sendingMsgs = 0;
  batch: Batch | undefined;
  readonly waiters: Client[] = [];
  /** What each message in flight must be answered with, in order (its label and ACK text). */
  readonly expected: Array<{ readonly label: string; readonly expect: string | undefined }> = [];
  readonly password: string;
  closed = false;
  /** Messages the ACKs received this turn release (two each, as Codis). */
  credits = 0;
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
    this.produce(state, 3, 0.5);
    if (state.sendingMsgs === 0) {
      state.batch = undefined;
      reply(client, { moved: 0, slotSize: batch.slot < 0 ? 0 : slotSize(batch), slot: batch.slot });
      return;
    }
    state.waiters.push(client);
    replyHandlers.set(client, reply);
    deferReply(client);
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
   * Generates messages while the window allows: at least `atleast`, then until `budgetMs` is used.
   * The window is the bytes queued on the connection (maxbytes); a window that emptied restarts
   * even when maxbytes is smaller than one message.
   */
  private produce(state: AsyncConnection, atleast: number, budgetMs: number): void {
    const batch = state.batch;
    if (batch === undefined) return;
    const maxbytes = batch.options.maxbytes;
    const start = performance.now();
    const now = Date.now();
    let produced = 0;
    while ((produced === 0 && state.sendingMsgs === 0) || state.pendingBytes() < maxbytes) {
      const message = batch.next(state, now);
      if (message === undefined) break;
      state.connection.send(message.args);
      state.expected.push({
        label: `${String(message.args[0])} ${String(message.args[1])}`,
        expect: message.expect,
      });
      produced++;
      if (produced >= atleast && performance.now() - start > budgetMs) break;
      // One turn writes at most TURN_BYTES: the writer's buffer is then copied into small pooled
      // chunks instead of megabyte buffers whose churn triggers full garbage collections.
      if (state.connection.queuedBytes >= TURN_BYTES) break;
    }
    state.sendingMsgs += produced;
    state.credits = 0;
  }

  /**
   * Runs production once per event-loop turn after ACKs arrived, with a bounded time slice, so a
   * burst of ACKs never turns into one long run of message building while other clients wait.
   */
  private scheduleProduce(state: AsyncConnection): void {
    if (state.produceScheduled) return;
    state.produceScheduled = true;
    setImmediate(() => {
      state.produceScheduled = false;
      if (state.closed || state.batch === undefined) return;
      try {
        this.produce(state, state.credits, PRODUCE_SLICE_MS);
      } catch (error) {
        this.server.log('warning', `async migration failed: ${(error as Error).stack ?? error}`);
        this.close(state, `ERR interrupted: ${(error as Error).message}`);
        return;
      }
      if (state.sendingMsgs === 0 && state.batch.exhausted) this.complete(state);
      // Stopped by the turn's byte cap with room left in the window: continue next turn.
      else if (
        state.connection.queuedBytes >= TURN_BYTES &&
        state.pendingBytes() < state.batch.options.maxbytes
      )
        this.scheduleProduce(state);
    });
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
    const message = state.expected.shift();
    if (message === undefined || state.batch === undefined) {
      this.close(state, 'ERR interrupted: unexpected ACK from target');
      return;
    }
    const answer = value[2];
    const matches =
      message.expect === undefined ? answer === '0' || answer === '1' : answer === message.expect;
    if (!matches) {
      this.close(state, `ERR interrupted: unexpected ACK '${answer}' to '${message.label}' from target`);
      return;
    }
    state.lastUse = Date.now();
    state.sendingMsgs--;
    // Codis releases at least two messages per ACK: the window grows by about one per round trip.
    state.credits += 2;
    this.scheduleProduce(state);
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
    state.expected.length = 0;
    state.sendingMsgs = 0;
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
