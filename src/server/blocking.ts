// Clients blocked on keys (BLPOP, BZPOPMIN, BLMOVE...): who waits on which key, in arrival order,
// and serving them when a write makes a key ready. A served request is simply run again; its
// handler either answers or, still finding nothing, stays blocked in its original place.
import type { Client } from './client.ts';
import type { Database } from './keyspace/database.ts';
import type { CodisServer } from './server.ts';

const MAX_TIMER_MS = 2 ** 31 - 1;

export class BlockingRegistry {
  private readonly server: CodisServer;
  /** database index -> key -> clients in arrival order */
  private readonly waiting = new Map<number, Map<string, Client[]>>();
  private readyKeys: Array<[Database, string]> = [];
  private readonly readySet = new Set<string>();
  blockedCount = 0;
  /**
   * The key whose readiness is being served (while a blocked request runs again): a stream read
   * answers with that key only, as Redis serves blocked XREADs key by key.
   */
  servingKey: string | undefined;

  constructor(server: CodisServer) {
    this.server = server;
  }

  get hasReadyKeys(): boolean {
    return this.readyKeys.length > 0;
  }

  add(client: Client): void {
    const state = client.blocked;
    if (state === undefined || client.retryingBlocked) return;
    let byKey = this.waiting.get(state.database.index);
    if (byKey === undefined) {
      byKey = new Map();
      this.waiting.set(state.database.index, byKey);
    }
    for (const key of state.keys) {
      const clients = byKey.get(key);
      if (clients === undefined) byKey.set(key, [client]);
      else if (!clients.includes(client)) clients.push(client);
    }
    this.blockedCount++;
    if (state.deadline > 0) this.armTimer(client);
  }

  /** Node fires timers longer than 2^31-1 ms at once, so long waits are re-armed in steps. */
  private armTimer(client: Client): void {
    const state = client.blocked;
    if (state === undefined) return;
    const left = Math.max(0, state.deadline - Date.now());
    state.timer = setTimeout(
      () => (left > MAX_TIMER_MS ? this.armTimer(client) : this.timeOut(client)),
      Math.min(left, MAX_TIMER_MS),
    );
  }

  /** Forgets a blocked client (served, timed out, killed or disconnected). */
  remove(client: Client): void {
    const state = client.blocked;
    if (state === undefined) return;
    if (state.timer !== undefined) clearTimeout(state.timer);
    const byKey = this.waiting.get(state.database.index);
    if (byKey !== undefined) {
      for (const key of state.keys) {
        const clients = byKey.get(key);
        if (clients === undefined) continue;
        const at = clients.indexOf(client);
        if (at >= 0) clients.splice(at, 1);
        if (clients.length === 0) byKey.delete(key);
      }
    }
    client.blocked = undefined;
    this.blockedCount--;
  }

  /** A write made a key possibly able to serve waiters (called by list/zset pushes). */
  signalKeyReady(database: Database, key: string): void {
    const byKey = this.waiting.get(database.index);
    if (byKey === undefined || !byKey.has(key)) return;
    const id = `${database.index}\u0000${key}`;
    if (this.readySet.has(id)) return;
    this.readySet.add(id);
    this.readyKeys.push([database, key]);
  }

  /**
   * A key's value was removed or replaced (a stream deleted, a database flushed or swapped): every
   * client waiting on it runs again, whatever it finds (an XREADGROUP then fails).
   */
  signalKeyRemoved(database: Database, key: string): void {
    const byKey = this.waiting.get(database.index);
    if (byKey === undefined || !byKey.has(key)) return;
    this.removedKeys.add(`${database.index}\u0000${key}`);
    this.signalKeyReady(database, key);
  }

  /** Every key waited on in a database that was flushed or swapped. */
  signalDatabaseReplaced(database: Database): void {
    const byKey = this.waiting.get(database.index);
    if (byKey === undefined) return;
    for (const key of byKey.keys()) this.signalKeyRemoved(database, key);
  }

  private readonly removedKeys = new Set<string>();

  /** Serves the clients waiting on the keys made ready by the last command. */
  serveReadyKeys(): void {
    while (this.readyKeys.length > 0) {
      const ready = this.readyKeys;
      this.readyKeys = [];
      this.readySet.clear();
      for (const [database, key] of ready) {
        const clients = this.waiting.get(database.index)?.get(key);
        const id = `${database.index}\u0000${key}`;
        const removed = this.removedKeys.delete(id);
        if (clients === undefined) continue;
        for (const client of clients.slice()) {
          if (client.blocked === undefined) continue;
          this.servingKey = key;
          this.retry(client);
          this.servingKey = undefined;
          // Stop as soon as the key can serve no one else (all run when it was removed).
          if (!removed && database.lookup(key, this.server.cachedNow) === undefined) break;
        }
      }
    }
  }

  private retry(client: Client): void {
    const state = client.blocked;
    if (state === undefined) return;
    client.blocked = undefined;
    client.retryingBlocked = true;
    this.server.execute(client, state.argv);
    client.retryingBlocked = false;
    if (client.blocked !== undefined) {
      // Still nothing for it: keep its original place and deadline.
      client.blocked = state;
      return;
    }
    client.blocked = state;
    this.remove(client);
    this.resume(client);
  }

  private timeOut(client: Client): void {
    const state = client.blocked;
    if (state === undefined) return;
    state.timer = undefined;
    this.remove(client);
    state.onTimeout(client);
    this.resume(client);
  }

  /** Unblocks a client from outside (CLIENT UNBLOCK): with an error, or as a timeout. */
  unblock(client: Client, withError: boolean): boolean {
    const state = client.blocked;
    if (state === undefined) return false;
    this.remove(client);
    if (withError) client.replyError('UNBLOCKED client unblocked via CLIENT UNBLOCK');
    else state.onTimeout(client);
    this.resume(client);
    return true;
  }

  /**
   * The server turns into a replica (FAILOVER): as Redis, every blocked request (keys, WAIT) ends
   * with an error and its client is closed, since what it waited for will come from another
   * master. Requests parked by a pause are not blocked: they run again (and meet READONLY).
   */
  unblockAllForRoleChange(): void {
    if (this.blockedCount === 0) return;
    for (const client of this.server.clients.values()) {
      if (client.blocked === undefined) continue;
      this.remove(client);
      client.replyError(
        'UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)',
      );
      client.closeAfterReply = true;
      client.flush();
    }
  }

  private resume(client: Client): void {
    if (client.closed) return;
    client.socket?.resume();
    // The rest of its pipeline runs now; processInput flushes.
    client.processInput();
  }
}
