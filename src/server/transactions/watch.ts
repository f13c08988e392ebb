// WATCH: optimistic locking for MULTI/EXEC. The server tells us about every modified key
// (signalModifiedKey: writes, expiry, eviction, FLUSHDB/FLUSHALL/SWAPDB); a client whose watched
// key changed is marked dirty and its next EXEC fails with a null array.
import type { Client } from '../client.ts';
import type { Database } from '../keyspace/database.ts';
import type { CodisServer, KeyModifiedListener } from '../server.ts';

interface WatchedKey {
  readonly client: Client;
  readonly database: Database;
  readonly key: string;
  /** The key was already logically expired when WATCHed: its later removal is no change. */
  expired: boolean;
}

/** Per-client WATCH state, client.features.get('watch'). */
interface ClientWatchState {
  readonly keys: WatchedKey[];
  dirty: boolean;
}

export class WatchRegistry {
  private readonly server: CodisServer;
  private readonly byDatabase = new Map<Database, Map<string, Set<WatchedKey>>>();
  private watchedCount = 0;
  private readonly listener: KeyModifiedListener;

  constructor(server: CodisServer) {
    this.server = server;
    this.listener = (database, key) => this.touched(database, key);
  }

  private stateOf(client: Client): ClientWatchState | undefined {
    return client.features.get('watch') as ClientWatchState | undefined;
  }

  watch(client: Client, key: string): void {
    let state = this.stateOf(client);
    if (state === undefined) {
      state = { keys: [], dirty: false };
      client.features.set('watch', state);
    }
    const database = client.database;
    for (const watched of state.keys) if (watched.database === database && watched.key === key) return;
    const entry = database.findRaw(key);
    const expired = entry !== undefined && entry.expireAt !== 0 && entry.expireAt <= Date.now();
    const watched: WatchedKey = { client, database, key, expired };
    state.keys.push(watched);
    let keys = this.byDatabase.get(database);
    if (keys === undefined) {
      keys = new Map();
      this.byDatabase.set(database, keys);
    }
    let watchers = keys.get(key);
    if (watchers === undefined) {
      watchers = new Set();
      keys.set(key, watchers);
    }
    watchers.add(watched);
    // The listener is only attached while something is watched, so FLUSHDB and every write
    // cost nothing when WATCH is unused.
    if (this.watchedCount++ === 0) this.server.keyModifiedListeners.push(this.listener);
  }

  /** Whether WATCH has nothing more to do for this client (already dirty). */
  isDirty(client: Client): boolean {
    return this.stateOf(client)?.dirty === true;
  }

  /** EXEC's check: a watched key was modified, or has expired since it was watched. */
  transactionFails(client: Client): boolean {
    const state = this.stateOf(client);
    if (state === undefined) return false;
    if (state.dirty) return true;
    const now = Date.now();
    for (const watched of state.keys) {
      if (watched.expired) continue;
      const entry = watched.database.findRaw(watched.key);
      if (entry !== undefined && entry.expireAt !== 0 && entry.expireAt <= now) return true;
    }
    return false;
  }

  unwatchAll(client: Client): void {
    const state = this.stateOf(client);
    if (state === undefined) return;
    client.features.delete('watch');
    client.setFlag('d', false);
    for (const watched of state.keys) {
      const keys = this.byDatabase.get(watched.database);
      const watchers = keys?.get(watched.key);
      if (keys === undefined || watchers === undefined) continue;
      watchers.delete(watched);
      if (watchers.size === 0) {
        keys.delete(watched.key);
        if (keys.size === 0) this.byDatabase.delete(watched.database);
      }
      if (--this.watchedCount === 0) {
        const listeners = this.server.keyModifiedListeners;
        const at = listeners.indexOf(this.listener);
        if (at >= 0) listeners.splice(at, 1);
      }
    }
  }

  private touched(database: Database, key: string): void {
    const watchers = this.byDatabase.get(database)?.get(key);
    if (watchers === undefined) return;
    for (const watched of watchers) {
      if (watched.expired) {
        // Removing a key that had already expired when watched changes nothing visible.
        if (database.findRaw(key) === undefined) {
          watched.expired = false;
          continue;
        }
      }
      const state = this.stateOf(watched.client);
      if (state === undefined || state.dirty) continue;
      state.dirty = true;
      watched.client.setFlag('d', true);
    }
  }
}
