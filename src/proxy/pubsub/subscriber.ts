// The pub/sub state of one client session. The proxy itself keeps the session's channels, patterns
// and shard channels and answers the (UN)SUBSCRIBE confirmations with a single Redis's counts
// (channels + patterns; shard channels counted apart, as Redis 7 does), so the client sees one
// server whatever the number of groups. Each name is held on the masters that can publish it
// (hub.ts, addressesOf) through links of the session's own (link.ts); a subscribe is confirmed
// once those masters have processed it, so a message published right after the confirmation
// arrives. Only pushes for names the session still holds are relayed: after an unsubscribe is
// confirmed nothing more arrives for it, even before the backend has processed it.
import { errorReply, type Request } from '../request.ts';
import type { PubSubHub } from './hub.ts';
import { type LinkListener, SubscriberLink, type SyncWaiter } from './link.ts';
import {
  confirmation,
  emptyConfirmation,
  KIND_SHARD,
  pushSubject,
  SUBSCRIBE_WORDS,
  UNSUBSCRIBE_WORDS,
} from './replies.ts';

/** What the pub/sub layer needs from the client session it serves. */
export interface PubSubClient {
  /** The session's pub/sub state while it has subscriptions (set by this layer). */
  subscriber: Subscriber | null;
  /**
   * The client spoke HELLO 3: confirmations and messages are pushes (`>`), and it may run any
   * command while subscribed.
   */
  readonly resp3: boolean;
  /** Queues a push (bytes the session may keep) after the replies already due. */
  pushMessage(bytes: Buffer): void;
  /** Answers a request this layer kept waiting. */
  complete(request: Request, reply: Buffer): void;
  /** Forwards a request to the master of a slot, like a keyless command (PUBLISH). */
  forwardToSlot(request: Request, slot: number): void;
}

/** Answers a (UN)SUBSCRIBE once every link it touched has processed it. */
class Confirmation implements SyncWaiter {
  private left: number;
  private readonly client: PubSubClient;
  private readonly request: Request;
  private readonly reply: Buffer;

  constructor(left: number, client: PubSubClient, request: Request, reply: Buffer) {
    this.left = left;
    this.client = client;
    this.request = request;
    this.reply = reply;
  }

  linkSynced(): void {
    if (--this.left === 0) this.client.complete(this.request, this.reply);
  }
}

export class Subscriber implements LinkListener {
  /** By kind: channels, patterns, shard channels (latin1 names). */
  readonly names: [Set<string>, Set<string>, Set<string>] = [new Set(), new Set(), new Set()];
  private readonly links = new Map<string, SubscriberLink>();
  private readonly hub: PubSubHub;
  private readonly client: PubSubClient;
  private closed = false;

  constructor(hub: PubSubHub, client: PubSubClient) {
    this.hub = hub;
    this.client = client;
  }

  get active(): boolean {
    const [channels, patterns, shards] = this.names;
    return channels.size + patterns.size + shards.size > 0;
  }

  /** Redis's count in a confirmation of `kind`. */
  private count(kind: number): number {
    const [channels, patterns, shards] = this.names;
    return kind === KIND_SHARD ? shards.size : channels.size + patterns.size;
  }

  /** (P|S)SUBSCRIBE or (P|S)UNSUBSCRIBE of `kind`; the request is answered now or once confirmed. */
  command(request: Request, kind: number, subscribing: boolean): void {
    const argv = request.argv;
    const set = this.names[kind] as Set<string>;
    const touched: SubscriberLink[] = [];
    const resp3 = this.client.resp3;
    let text = '';
    if (subscribing) {
      const word = SUBSCRIBE_WORDS[kind] as string;
      if (argv.length < 2) {
        this.client.complete(request, errorReply(`ERR wrong number of arguments for '${word}' command`));
        return;
      }
      for (let i = 1; i < argv.length; i++) {
        const name = argv[i] as string;
        if (!set.has(name)) {
          set.add(name);
          this.place(kind, name, touched);
        }
        text += confirmation(word, name, this.count(kind), resp3);
      }
    } else {
      const word = UNSUBSCRIBE_WORDS[kind] as string;
      if (argv.length === 1) {
        if (set.size === 0) text = emptyConfirmation(word, this.count(kind), resp3);
        for (const name of [...set]) {
          set.delete(name);
          this.unplace(kind, name, touched);
          text += confirmation(word, name, this.count(kind), resp3);
        }
      } else {
        for (let i = 1; i < argv.length; i++) {
          const name = argv[i] as string;
          if (set.delete(name)) this.unplace(kind, name, touched);
          text += confirmation(word, name, this.count(kind), resp3);
        }
      }
    }
    const reply = Buffer.from(text, 'latin1');
    if (touched.length === 0) this.client.complete(request, reply);
    else {
      const waiter = new Confirmation(touched.length, this.client, request, reply);
      for (const link of touched) link.sync(waiter);
    }
    // Links left with nothing close once the confirmation's sync has passed.
    for (const link of touched) if (link.empty && this.links.get(link.addr) !== link) link.retire();
  }

  /** Holds a name on every master that can publish it. */
  private place(kind: number, name: string, touched: SubscriberLink[] | null): void {
    for (const addr of this.hub.addressesOf(kind, name)) {
      let link = this.links.get(addr);
      if (link === undefined) {
        link = new SubscriberLink(addr, this.hub.config, this.hub.logger, this);
        this.links.set(addr, link);
      }
      link.subscribe(kind, name);
      if (touched !== null && !touched.includes(link)) touched.push(link);
    }
  }

  /** Releases a name from every link holding it; a link left empty leaves the map (retired later). */
  private unplace(kind: number, name: string, touched: SubscriberLink[]): void {
    for (const link of this.links.values()) {
      if (!link.unsubscribe(kind, name)) continue;
      if (!touched.includes(link)) touched.push(link);
      if (link.empty) this.links.delete(link.addr);
    }
  }

  /**
   * Follows a new slot table: every name is held on its masters now; with `prune`, names are also
   * released from masters that no longer publish them. Pruning runs a while after the change, so
   * messages still published on the old master (by proxies not yet given the new table) arrive.
   */
  reconcile(prune: boolean): void {
    if (this.closed) return;
    for (let kind = 0; kind < 3; kind++) {
      for (const name of this.names[kind] as Set<string>) this.place(kind, name, null);
    }
    if (!prune) return;
    for (const link of [...this.links.values()]) {
      for (let kind = 0; kind < 3; kind++) {
        for (const name of [...(link.subscribed[kind] as Set<string>)]) {
          if (!this.hub.addressesOf(kind, name).includes(link.addr)) link.unsubscribe(kind, name);
        }
      }
      if (link.empty) {
        this.links.delete(link.addr);
        link.retire();
      }
    }
  }

  keepalive(now: number, timeout: number): void {
    for (const link of this.links.values()) link.keepalive(now, timeout);
  }

  onPush(raw: Buffer, kind: number): void {
    if (this.closed) return;
    const subject = pushSubject(raw, kind);
    if (subject === undefined || !(this.names[kind] as Set<string>).has(subject)) return;
    const copy = Buffer.allocUnsafe(raw.length);
    raw.copy(copy);
    // The links speak RESP2: a message's array becomes a RESP3 push, its elements unchanged.
    if (this.client.resp3) copy[0] = 62;
    this.client.pushMessage(copy);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.hub.forget(this);
    for (const link of this.links.values()) link.close();
    this.links.clear();
  }
}
