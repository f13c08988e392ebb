// Synchronous migration (spec §8): SLOTSMGRTONE/TAGONE/SLOT/TAGSLOT send the keys' DUMP payloads in
// one SLOTSRESTORE to the target and delete them once it answered. Codis blocks the whole server
// for the round trip; we keep the event loop running, but park every other client's non-read-only
// command until the migration ends, so nothing can change a key between its dump and its delete.

import { RespError, RespStatus, type RespValue } from '../../resp/index.ts';
import type { Client } from '../client.ts';
import type { ServerCommand } from '../command-registry.ts';
import type { Database } from '../keyspace/database.ts';
import { createDumpPayload } from '../rdb/index.ts';
import type { CodisServer } from '../server.ts';
import { completeReply, deferReply } from './deferred-reply.ts';
import { deleteMovedKeys } from './delete-moved.ts';
import { type CommandArgument, isResolutionError, TargetConnection } from './target-connection.ts';

/** Cached sockets unused for longer than this are closed (15 s in Codis, not the documented 30). */
export const SYNC_IDLE_CLOSE_MS = 15000;

export interface SyncTarget {
  readonly name: string;
  readonly connection: TargetConnection;
  /** Database selected on the socket, -1 = none yet. */
  database: number;
  authorized: boolean;
  lastUse: number;
  /** Reply handlers of the commands in flight, in order. */
  readonly replies: Array<(value: RespValue | undefined) => void>;
  /** Connect waiters. */
  onConnect: ((error: string | undefined) => void) | undefined;
}

/** The result of a migration: how many keys moved, or a full error reply text. */
export type SyncResult = { moved: number } | { error: string };

/**
 * Sends `keys` of `database` over a target socket and calls `done` once the target answered: an
 * error reply text (or undefined), and the keys the target stored, which the source deletes.
 */
export type SyncSender = (
  target: SyncTarget,
  database: Database,
  keys: string[],
  timeout: number,
  done: (error: string | undefined, stored: readonly string[]) => void,
) => void;

export class SyncMigrator {
  private readonly server: CodisServer;
  private readonly cache = new Map<string, SyncTarget>();
  /** The client whose migration is running (others' writes are parked meanwhile). */
  private owner: Client | undefined;
  private readonly parked: Array<{ client: Client; argv: string[] }> = [];
  /** Source credentials sent to targets (migration-target-auth, else requirepass). */
  readonly password: () => string;

  constructor(server: CodisServer, password: () => string) {
    this.server = server;
    this.password = password;
    server.gates.push((client, command, argv) => this.gate(client, command, argv));
    server.addCronTask((now) => this.closeIdle(now));
    server.clientClosedHooks.push((client) => {
      for (let i = this.parked.length - 1; i >= 0; i--)
        if (this.parked[i]?.client === client) this.parked.splice(i, 1);
    });
    server.addShutdownTask(() => {
      for (const target of [...this.cache.values()]) target.connection.close();
    });
  }

  get busy(): boolean {
    return this.owner !== undefined;
  }

  private gate(client: Client, command: ServerCommand, argv: string[]): boolean {
    if (this.owner === undefined || client === this.owner || client.socket === undefined) return false;
    if (command.spec.flags.has('readonly')) return false;
    // Restores arrive from other servers' migrations; parking them could deadlock two servers
    // migrating towards each other.
    if (command.spec.name.startsWith('slotsrestore')) return false;
    client.paused = true;
    client.materializeArguments();
    this.parked.push({ client, argv: argv.slice() });
    return true;
  }

  /**
   * Runs one migration for `client`: connects (or reuses the cached socket), asks `collect` for the
   * keys (undefined = nothing to do, the migration ends before connecting), sends them and deletes
   * them on success. `collectBeforeConnect` decides whether an empty result skips the connection.
   */
  migrate(
    client: Client,
    host: string,
    port: number,
    timeout: number,
    collectBeforeConnect: boolean,
    collect: () => string[],
    reply: (client: Client, result: SyncResult) => void,
    sender: SyncSender = (target, database, keys, timeoutMs, done) =>
      this.send(target, database, keys, timeoutMs, (error) => done(error, error === undefined ? keys : [])),
  ): void {
    const database = client.database;
    let keys: string[] | undefined;
    if (collectBeforeConnect) {
      keys = collect();
      if (keys.length === 0) {
        reply(client, { moved: 0 });
        return;
      }
    }
    this.owner = client;
    deferReply(client);
    const finish = (result: SyncResult): void => {
      this.release();
      completeReply(client, (c) => reply(c, result));
    };
    this.target(host, port, timeout, (target, error) => {
      if (target === undefined) {
        finish({ error: error as string });
        return;
      }
      this.server.cachedNow = this.server.clockNow();
      const chosen = keys ?? collect();
      const live = chosen.filter((key) => database.lookup(key, this.server.cachedNow) !== undefined);
      if (live.length === 0) {
        finish({ moved: 0 });
        return;
      }
      sender(target, database, live, timeout, (failure, stored) => {
        deleteMovedKeys(this.server, database, stored);
        finish(failure !== undefined ? { error: failure } : { moved: stored.length });
      });
    });
  }

  private release(): void {
    this.owner = undefined;
    const parked = this.parked.splice(0);
    if (parked.length === 0) return;
    setImmediate(() => {
      for (const { client, argv } of parked) {
        client.paused = false;
        if (client.closed) continue;
        this.server.execute(client, argv);
        client.processInput();
      }
    });
  }

  /** The cached socket for host:port, connected, or an error reply text. */
  private target(
    host: string,
    port: number,
    timeout: number,
    done: (target: SyncTarget | undefined, error: string | undefined) => void,
  ): void {
    const name = `${host}:${port}`;
    const cached = this.cache.get(name);
    if (cached !== undefined && !cached.connection.closed) {
      done(cached, undefined);
      return;
    }
    const target: SyncTarget = {
      name,
      connection: undefined as unknown as TargetConnection,
      database: -1,
      authorized: this.password() === '',
      lastUse: Date.now(),
      replies: [],
      onConnect: undefined,
    };
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      this.drop(target);
      done(undefined, 'IOERR error or timeout connecting to the client');
    }, timeout);
    target.onConnect = (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error === undefined) done(target, undefined);
      else done(undefined, error);
    };
    (target as { connection: TargetConnection }).connection = new TargetConnection(host, port, {
      onConnect: () => {
        const onConnect = target.onConnect;
        target.onConnect = undefined;
        onConnect?.(undefined);
      },
      onReply: (value) => {
        const handler = target.replies.shift();
        if (handler !== undefined) handler(value);
      },
      onClose: (error) => {
        this.cache.delete(name);
        if (target.onConnect !== undefined && !target.connection.connected) {
          const onConnect = target.onConnect;
          target.onConnect = undefined;
          onConnect(
            isResolutionError(error)
              ? "ERR Can't connect to target node: Name or service not known"
              : 'IOERR error or timeout writing to target',
          );
        }
        for (const handler of target.replies.splice(0)) handler(undefined);
      },
    });
    this.cache.set(name, target);
  }

  /** Closes a target's socket (after an I/O error or a timeout; the next use reconnects). */
  drop(target: SyncTarget): void {
    if (this.cache.get(target.name) === target) this.cache.delete(target.name);
    target.connection.close();
  }

  /** Sends AUTH/SELECT as needed and one SLOTSRESTORE of `keys`; `done(error?)` when answered. */
  private send(
    target: SyncTarget,
    database: Database,
    keys: string[],
    timeout: number,
    done: (error: string | undefined) => void,
  ): void {
    const connection = target.connection;
    const now = Date.now();
    const steps: Array<(value: RespValue) => string | undefined> = [];
    if (!target.authorized) {
      connection.send(['AUTH', this.password()]);
      steps.push((value) => {
        if (!(value instanceof RespStatus)) return 'ERR error on slotsrestore, auth failed';
        target.authorized = true;
        return undefined;
      });
    }
    if (target.database !== database.index) {
      connection.send(['SELECT', String(database.index)]);
      steps.push((value) => {
        if (!(value instanceof RespStatus)) return 'ERR error on slotsrestore, select failed';
        target.database = database.index;
        return undefined;
      });
    }
    const args: CommandArgument[] = ['SLOTSRESTORE'];
    for (const key of keys) {
      const entry = database.findRaw(key);
      if (entry === undefined) continue;
      args.push(key, entry.expireAt === 0 ? '0' : String(Math.max(1, entry.expireAt - now)));
      args.push(createDumpPayload(entry.value));
    }
    connection.send(args);
    steps.push((value) =>
      value instanceof RespError ? 'ERR error on slotsrestore, migration failed' : undefined,
    );
    target.lastUse = now;
    let timer: NodeJS.Timeout | undefined;
    let finished = false;
    const fail = (error: string): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      target.replies.length = 0;
      this.drop(target);
      done(error);
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => fail('IOERR error or timeout reading from target'), timeout);
    };
    arm();
    for (const step of steps) {
      target.replies.push((value) => {
        if (finished) return;
        if (value === undefined) {
          fail('IOERR error or timeout reading from target');
          return;
        }
        const error = step(value);
        if (error !== undefined) {
          fail(error);
          return;
        }
        if (target.replies.length === 0) {
          finished = true;
          clearTimeout(timer);
          target.lastUse = Date.now();
          done(undefined);
        } else arm();
      });
    }
  }

  private closeIdle(now: number): void {
    if (this.owner !== undefined) return;
    for (const target of [...this.cache.values()]) {
      if (now - target.lastUse > SYNC_IDLE_CLOSE_MS) this.drop(target);
    }
  }
}
