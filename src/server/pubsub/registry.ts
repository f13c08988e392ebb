// The server's subscriptions: channel → subscribers, pattern → subscribers, shard channel →
// subscribers, and each client's own sets (CLIENT LIST reads them as sub/psub/ssub).
import type { Client } from '../client.ts';
import { globMatch } from '../glob.ts';

/** Per-client subscriptions, stored as client.features.get('pubsub'). */
export interface ClientPubSub {
  readonly channels: Set<string>;
  readonly patterns: Set<string>;
  readonly shardChannels: Set<string>;
}

export type SubscriptionKind = 'channel' | 'pattern' | 'shard';

const NAMES: Record<SubscriptionKind, { subscribe: string; unsubscribe: string }> = {
  channel: { subscribe: 'subscribe', unsubscribe: 'unsubscribe' },
  pattern: { subscribe: 'psubscribe', unsubscribe: 'punsubscribe' },
  shard: { subscribe: 'ssubscribe', unsubscribe: 'sunsubscribe' },
};

/**
 * Redis's default `client-output-buffer-limit pubsub` hard limit: a subscriber that does not read
 * its messages is disconnected rather than buffered without bound.
 */
export const PUBSUB_OUTPUT_HARD_LIMIT = 32 * 1024 * 1024;

/** Sends what was just written to a subscriber, or drops a subscriber that stopped reading. */
function delivered(client: Client): void {
  if (client.outputPending > PUBSUB_OUTPUT_HARD_LIMIT) {
    client.server.log('warning', `closing pub/sub client ${client.id}: output buffer over the pubsub limit`);
    client.close();
    return;
  }
  client.scheduleFlush();
}

export class PubSubRegistry {
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();
  readonly shardChannels = new Map<string, Set<Client>>();

  /** The client's subscriptions (created on first use). */
  stateOf(client: Client): ClientPubSub {
    let state = client.features.get('pubsub') as ClientPubSub | undefined;
    if (state === undefined) {
      state = { channels: new Set(), patterns: new Set(), shardChannels: new Set() };
      client.features.set('pubsub', state);
    }
    return state;
  }

  private mapOf(kind: SubscriptionKind): Map<string, Set<Client>> {
    return kind === 'channel' ? this.channels : kind === 'pattern' ? this.patterns : this.shardChannels;
  }

  private setOf(state: ClientPubSub, kind: SubscriptionKind): Set<string> {
    return kind === 'channel' ? state.channels : kind === 'pattern' ? state.patterns : state.shardChannels;
  }

  /** The count a (un)subscribe confirmation reports: channels + patterns, or shard channels. */
  private countFor(state: ClientPubSub, kind: SubscriptionKind): number {
    return kind === 'shard' ? state.shardChannels.size : state.channels.size + state.patterns.size;
  }

  private updateFlag(client: Client, state: ClientPubSub): void {
    client.setFlag('P', state.channels.size + state.patterns.size + state.shardChannels.size > 0);
  }

  subscribe(client: Client, kind: SubscriptionKind, names: readonly string[]): void {
    const state = this.stateOf(client);
    const own = this.setOf(state, kind);
    const map = this.mapOf(kind);
    const out = client.out;
    for (const name of names) {
      if (!own.has(name)) {
        own.add(name);
        let subscribers = map.get(name);
        if (subscribers === undefined) {
          subscribers = new Set();
          map.set(name, subscribers);
        }
        subscribers.add(client);
      }
      out.pushHeader(3);
      out.bulk(NAMES[kind].subscribe);
      out.bulk(name);
      out.integer(this.countFor(state, kind));
    }
    this.updateFlag(client, state);
  }

  /** Unsubscribes from the names given, or from all of this kind when none; `reply` confirms each. */
  unsubscribe(
    client: Client,
    kind: SubscriptionKind,
    names: readonly string[] | undefined,
    reply: boolean,
  ): void {
    const state = client.features.get('pubsub') as ClientPubSub | undefined;
    const own = state === undefined ? undefined : this.setOf(state, kind);
    const list = names ?? (own === undefined ? [] : [...own]);
    const out = client.out;
    if (list.length === 0 && reply) {
      out.pushHeader(3);
      out.bulk(NAMES[kind].unsubscribe);
      out.nullBulk();
      out.integer(state === undefined ? 0 : this.countFor(state, kind));
      return;
    }
    const map = this.mapOf(kind);
    for (const name of list) {
      if (own?.delete(name)) {
        const subscribers = map.get(name);
        if (subscribers !== undefined) {
          subscribers.delete(client);
          if (subscribers.size === 0) map.delete(name);
        }
      }
      if (reply) {
        out.pushHeader(3);
        out.bulk(NAMES[kind].unsubscribe);
        out.bulk(name);
        out.integer(state === undefined ? 0 : this.countFor(state, kind));
      }
    }
    if (state !== undefined) this.updateFlag(client, state);
  }

  /** Drops every subscription of a client (disconnect, RESET), without confirmations. */
  removeClient(client: Client): void {
    if (client.features.get('pubsub') === undefined) return;
    this.unsubscribe(client, 'channel', undefined, false);
    this.unsubscribe(client, 'pattern', undefined, false);
    this.unsubscribe(client, 'shard', undefined, false);
    client.features.delete('pubsub');
    client.setFlag('P', false);
  }

  /** Delivers a message to channel and pattern subscribers; returns how many received it. */
  publish(channel: string, message: string): number {
    let receivers = 0;
    const subscribers = this.channels.get(channel);
    if (subscribers !== undefined) {
      for (const client of subscribers) {
        const out = client.out;
        out.pushHeader(3);
        out.bulk('message');
        out.bulk(channel);
        out.bulk(message);
        delivered(client);
        receivers++;
      }
    }
    if (this.patterns.size > 0) {
      for (const [pattern, clients] of this.patterns) {
        if (!globMatch(pattern, channel)) continue;
        for (const client of clients) {
          const out = client.out;
          out.pushHeader(4);
          out.bulk('pmessage');
          out.bulk(pattern);
          out.bulk(channel);
          out.bulk(message);
          delivered(client);
          receivers++;
        }
      }
    }
    return receivers;
  }

  /** Delivers a message to a shard channel's subscribers. */
  publishShard(channel: string, message: string): number {
    const subscribers = this.shardChannels.get(channel);
    if (subscribers === undefined) return 0;
    for (const client of subscribers) {
      const out = client.out;
      out.pushHeader(3);
      out.bulk('smessage');
      out.bulk(channel);
      out.bulk(message);
      delivered(client);
    }
    return subscribers.size;
  }

  /** Pattern subscriptions counted as Redis does (one per client and pattern). */
  get patternCount(): number {
    return this.patterns.size;
  }
}
