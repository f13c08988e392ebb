// Server-assisted client-side caching (CLIENT TRACKING), as Redis 7.0's tracking.c: in the default
// mode the keys a client read are remembered and, once one changes, the client is sent an
// `invalidate` push (RESP3) or a message on __redis__:invalidate of the client it redirects to; in
// BCAST mode every changed key under a client's prefixes is sent, batched once per event-loop turn.
import type { Client } from '../client.ts';
import type { ServerCommand } from '../command-registry.ts';
import { findKeys } from '../key-specs.ts';
import type { CodisServer } from '../server.ts';

const CHANNEL = '__redis__:invalidate';

export interface TrackingOptions {
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
}

/** A client's tracking state (client.features 'tracking'), present while tracking is on. */
export interface ClientTracking extends TrackingOptions {
  /** CLIENT CACHING was given for the next command. */
  caching: boolean;
  brokenRedirect: boolean;
  /** BCAST prefixes, sorted as Redis keeps them (a rax). */
  prefixes: string[];
}

interface PrefixState {
  readonly clients: Set<Client>;
  /** Keys changed since the last broadcast → the client that changed them last (for NOLOOP). */
  keys: Map<string, Client | undefined>;
}

export function trackingOf(client: Client): ClientTracking | undefined {
  return client.features.get('tracking') as ClientTracking | undefined;
}

export class Tracking {
  private readonly server: CodisServer;
  /** key → ids of the clients that read it (Redis's TrackingTable; keys of every database). */
  private readonly table = new Map<string, Set<number>>();
  private items = 0;
  private readonly prefixTable = new Map<string, PrefixState>();
  /** Invalidations for the client whose command is running, sent after its reply. */
  private pending: Array<string | null> = [];
  private broadcastScheduled = false;
  trackingClients = 0;
  /** Set while a flush invalidates everything at once: its per-key signals are redundant. */
  private flushing = false;

  constructor(server: CodisServer) {
    this.server = server;
  }

  get totalKeys(): number {
    return this.table.size;
  }

  get totalItems(): number {
    return this.items;
  }

  get totalPrefixes(): number {
    return this.prefixTable.size;
  }

  enable(client: Client, options: TrackingOptions, prefixes: string[]): void {
    let state = trackingOf(client);
    if (state === undefined) {
      this.trackingClients++;
      state = { ...options, caching: false, brokenRedirect: false, prefixes: [] };
      client.features.set('tracking', state);
    } else {
      state.redirect = options.redirect;
      state.bcast = options.bcast;
      state.optin = options.optin;
      state.optout = options.optout;
      state.noloop = options.noloop;
      state.brokenRedirect = false;
    }
    client.setFlag('t', true);
    client.setFlag('R', false);
    client.setFlag('B', options.bcast);
    if (options.bcast) {
      for (const prefix of prefixes.length === 0 ? [''] : prefixes) {
        if (state.prefixes.includes(prefix)) continue;
        state.prefixes.push(prefix);
        let prefixState = this.prefixTable.get(prefix);
        if (prefixState === undefined) {
          prefixState = { clients: new Set(), keys: new Map() };
          this.prefixTable.set(prefix, prefixState);
        }
        prefixState.clients.add(client);
      }
      state.prefixes.sort();
    }
  }

  disable(client: Client): void {
    const state = trackingOf(client);
    if (state === undefined) return;
    for (const prefix of state.prefixes) {
      const prefixState = this.prefixTable.get(prefix);
      if (prefixState === undefined) continue;
      prefixState.clients.delete(client);
      if (prefixState.clients.size === 0) this.prefixTable.delete(prefix);
    }
    client.features.delete('tracking');
    this.trackingClients--;
    for (const letter of ['t', 'R', 'B']) client.setFlag(letter, false);
  }

  /** After a read-only command of a tracking client (default mode): remember the keys it read. */
  afterCommand(client: Client, command: ServerCommand, argv: string[], depth: number): void {
    // Every command passes here: nothing to look at while no client tracks.
    if (this.trackingClients === 0 && this.pending.length === 0) return;
    const caller = this.server.callingClient ?? client;
    const state = trackingOf(caller);
    if (state !== undefined) {
      if (!state.bcast && command.spec.flags.has('readonly') && !command.spec.flags.has('pubsub')) {
        const name = (command.parent ?? command).spec.name;
        const remember = state.optin ? state.caching : !(state.optout && state.caching);
        if (remember && name !== 'eval_ro' && name !== 'evalsha_ro' && name !== 'fcall_ro')
          this.remember(caller, command, argv);
      }
      // CLIENT CACHING applies to the next command only (any CLIENT subcommand keeps it).
      if (depth === 1 && !caller.flags.includes('x') && (command.parent ?? command).spec.name !== 'client')
        state.caching = false;
    }
    if (depth === 1 && this.pending.length > 0) this.sendPending(caller);
  }

  private remember(client: Client, command: ServerCommand, argv: string[]): void {
    for (const reference of findKeys(command.spec, argv)) {
      const key = argv[reference.position] as string;
      let ids = this.table.get(key);
      if (ids === undefined) {
        ids = new Set();
        this.table.set(key, ids);
      }
      if (!ids.has(client.id)) {
        ids.add(client.id);
        this.items++;
      }
    }
  }

  /** A key changed (signalModifiedKey, expiry, eviction): tell the clients that cached it. */
  invalidate(key: string): void {
    if (this.flushing || (this.table.size === 0 && this.prefixTable.size === 0)) return;
    const modifier = this.server.callingClient;
    if (this.prefixTable.size > 0) this.rememberForBroadcast(key, modifier);
    const ids = this.table.get(key);
    if (ids === undefined) return;
    this.table.delete(key);
    this.items -= ids.size;
    for (const id of ids) {
      const target = this.server.clients.get(id);
      if (target === undefined) continue;
      const state = trackingOf(target);
      if (state === undefined || state.bcast) continue;
      if (state.noloop && target === modifier) continue;
      if (target === modifier) this.pending.push(key);
      else this.send(target, [key]);
    }
  }

  /** FLUSHDB, FLUSHALL: every tracking client gets a null invalidation; nothing stays tracked. */
  flushed(): void {
    if (this.trackingClients > 0) {
      const current = this.server.callingClient;
      for (const client of this.server.clients.values()) {
        if (trackingOf(client) === undefined) continue;
        if (client === current) this.pending.push(null);
        else this.send(client, null);
      }
    }
    this.table.clear();
    this.items = 0;
  }

  /** Runs `flush` (which signals every key it removes) as one null invalidation. */
  duringFlush(flush: () => void): void {
    this.flushing = true;
    try {
      flush();
    } finally {
      this.flushing = false;
    }
    this.flushed();
  }

  private rememberForBroadcast(key: string, modifier: Client | undefined): void {
    for (const [prefix, state] of this.prefixTable) {
      if (!key.startsWith(prefix)) continue;
      state.keys.set(key, modifier);
    }
    if (!this.broadcastScheduled) {
      this.broadcastScheduled = true;
      setImmediate(() => this.broadcast());
    }
  }

  /** BCAST: the keys changed under each prefix since the last turn, in key order. */
  broadcast(): void {
    this.broadcastScheduled = false;
    for (const state of this.prefixTable.values()) {
      if (state.keys.size === 0) continue;
      const keys = [...state.keys.keys()].sort();
      for (const client of state.clients) {
        const tracking = trackingOf(client);
        if (tracking === undefined) continue;
        const own = tracking.noloop ? keys.filter((key) => state.keys.get(key) !== client) : keys;
        if (own.length > 0) this.send(client, own);
      }
      state.keys = new Map();
    }
  }

  private sendPending(client: Client): void {
    const pending = this.pending;
    this.pending = [];
    for (const key of pending) this.send(client, key === null ? null : [key]);
  }

  /** sendTrackingMessage: keys (or null, a flush) to the client or the one it redirects to. */
  private send(client: Client, keys: string[] | null): void {
    const state = trackingOf(client);
    let target = client;
    let redirected = false;
    if (state !== undefined && state.redirect !== 0) {
      const other = this.server.clients.get(state.redirect);
      if (other === undefined) {
        state.brokenRedirect = true;
        client.setFlag('R', true);
        if (client.out.protocol === 3) {
          client.out.pushHeader(2);
          client.out.bulk('tracking-redir-broken');
          client.out.integer(state.redirect);
          client.scheduleFlush();
        }
        return;
      }
      target = other;
      redirected = true;
    }
    const out = target.out;
    if (out.protocol === 3) {
      out.pushHeader(2);
      out.bulk('invalidate');
    } else if (redirected && target.flags.includes('P')) {
      out.pushHeader(3);
      out.bulk('message');
      out.bulk(CHANNEL);
    } else return;
    if (keys === null) {
      // A flush: the null of the tracking client's own protocol.
      if (client.out.protocol === 3) out.raw('_\r\n');
      else out.nullBulk();
    } else out.bulkArray(keys);
    target.scheduleFlush();
  }

  /** tracking-table-max-keys: forget (and invalidate) the oldest keys past the limit. */
  limit(max: number): void {
    if (max <= 0) return;
    for (const key of this.table.keys()) {
      if (this.table.size <= max) return;
      this.invalidate(key);
    }
  }
}
