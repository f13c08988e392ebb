// Pub/sub through the proxy (issue #9), one hub per proxy. A channel belongs to slot
// crc32(channel or its {tag}) % 1024, as Redis Cluster's shard channels do: PUBLISH and SPUBLISH go
// to that slot's master through the ordinary request path (their reply counts the receivers on
// that master), SUBSCRIBE and SSUBSCRIBE hold the channel there. A pattern can match channels of
// any slot, and keyspace notifications are published by whichever master holds the key, so
// patterns and __keyspace@/__keyevent@ channels are held on every master. While a slot migrates,
// its channels are held on both the source and the target. PUBSUB's introspection is asked of
// every master and merged into one product-wide answer.
import { slotOf } from '../../slots/index.ts';
import type { CommandInfo } from '../command-table.ts';
import type { ProxyConfig } from '../config/types.ts';
import type { ProxyLogger } from '../logger.ts';
import { arrayElements, lineText } from '../merge.ts';
import type { ProxyCore } from '../proxy-core.ts';
import { errorReply, Request, type RequestOwner } from '../request.ts';
import type { Router, Slot } from '../router.ts';
import { KIND_CHANNEL, KIND_PATTERN, KIND_SHARD, subscribedPong, subscribeModeError } from './replies.ts';
import { type PubSubClient, Subscriber } from './subscriber.ts';

/** How long subscriptions stay on a master that no longer owns their slot (see reconcile). */
const PRUNE_DELAY = 1000;
const NO_ADDRESSES: readonly string[] = [];
const NOT_READY = errorReply('ERR handle request, slot is not ready, may be offline');

function wrongArguments(name: string): Buffer {
  return errorReply(`ERR wrong number of arguments for '${name.toLowerCase()}' command`);
}

function isKeyspaceChannel(name: string): boolean {
  return name.startsWith('__keyspace@') || name.startsWith('__keyevent@');
}

export class PubSubHub {
  readonly config: ProxyConfig;
  readonly logger: ProxyLogger;
  private readonly router: Router;
  private readonly subscribers = new Set<Subscriber>();
  /** Caches of the slot table's addresses, rebuilt after a fill. */
  private stale = true;
  private mastersCache: string[] = [];
  private readonly slotCache: Array<readonly string[] | undefined> = [];
  private resyncQueued = false;
  private pruneTimer: NodeJS.Timeout | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;

  constructor(config: ProxyConfig, router: Router) {
    this.config = config;
    this.router = router;
    this.logger = router.logger;
    router.applyListeners.push(() => this.tableChanged());
  }

  /**
   * A pub/sub command, or any command of a session in subscribe mode. False when the session
   * handles it as usual (QUIT; PING outside subscribe mode).
   */
  handle(client: PubSubClient, request: Request, info: CommandInfo): boolean {
    // Redis 7 restricts only RESP2 clients in subscribe mode.
    const subscribed = client.subscriber !== null && !client.resp3;
    // Single arguments are read in place: a PUBLISH's payload never becomes a string.
    const argc = request.argc;
    switch (info.name) {
      case 'SUBSCRIBE':
        this.subscription(client, request, KIND_CHANNEL, true);
        return true;
      case 'PSUBSCRIBE':
        this.subscription(client, request, KIND_PATTERN, true);
        return true;
      case 'SSUBSCRIBE':
        this.subscription(client, request, KIND_SHARD, true);
        return true;
      case 'UNSUBSCRIBE':
        this.subscription(client, request, KIND_CHANNEL, false);
        return true;
      case 'PUNSUBSCRIBE':
        this.subscription(client, request, KIND_PATTERN, false);
        return true;
      case 'SUNSUBSCRIBE':
        this.subscription(client, request, KIND_SHARD, false);
        return true;
      case 'PUBLISH':
      case 'SPUBLISH':
        if (subscribed) break;
        if (argc !== 3) client.complete(request, wrongArguments(info.name));
        else this.publish(client, request, slotOf(request.arg(1)));
        return true;
      case 'PUBSUB':
        if (subscribed) break;
        this.introspect(client, request);
        return true;
      case 'PING':
        if (!subscribed) return false;
        if (argc > 2) client.complete(request, wrongArguments('ping'));
        else client.complete(request, subscribedPong(request.arg(1)));
        return true;
      case 'QUIT':
      case 'RESET':
        // RESET would also reset the session's database and credentials: refused as Codis does.
        return false;
    }
    if (!subscribed) return false;
    client.complete(request, errorReply(subscribeModeError(request.arg(0))));
    return true;
  }

  /**
   * PUBLISH/SPUBLISH. While the slot migrates they go to its source: every proxy's subscribers held
   * the slot's channels there before the migration and keep them there until it ends (they add the
   * target when given the new table), so no message is missed while the proxies switch one by one.
   * Otherwise (and while the slot is locked) they take the ordinary path to the slot's master.
   */
  private publish(client: PubSubClient, request: Request, id: number): void {
    const slot = this.router.slots[id] as Slot;
    const source = slot.migrateFrom;
    const connection = source !== null && !slot.locked ? source.pick(request.db, 0, true) : undefined;
    if (connection === undefined) {
      client.forwardToSlot(request, id);
      return;
    }
    // Counted in flight like any request, so a fill waits for it before switching the slot.
    slot.inflight++;
    request.tracker = slot;
    connection.send(request);
  }

  private subscription(client: PubSubClient, request: Request, kind: number, subscribing: boolean): void {
    const subscriber = client.subscriber ?? new Subscriber(this, client);
    subscriber.command(request, kind, subscribing);
    if (subscriber.active) {
      if (client.subscriber === null) {
        client.subscriber = subscriber;
        this.subscribers.add(subscriber);
        this.startKeepalive();
      }
    } else {
      // Out of subscribe mode: its links are closed, as a Redis client's state would be.
      client.subscriber = null;
      subscriber.close();
    }
  }

  forget(subscriber: Subscriber): void {
    this.subscribers.delete(subscriber);
    if (this.subscribers.size === 0 && this.keepaliveTimer !== undefined) {
      clearInterval(this.keepaliveTimer);
      this.keepaliveTimer = undefined;
    }
  }

  /**
   * Subscriber connections are pinged every backend_ping_period (5 s when that is 0) and dropped
   * when a PING stays unanswered for backend_recv_timeout, like the shared connections' keepalive.
   */
  private startKeepalive(): void {
    if (this.keepaliveTimer !== undefined) return;
    const period = this.config.backend_ping_period > 0 ? this.config.backend_ping_period : 5000;
    this.keepaliveTimer = setInterval(() => {
      const now = performance.now();
      const timeout = this.config.backend_recv_timeout;
      for (const subscriber of this.subscribers) subscriber.keepalive(now, timeout);
    }, period);
    this.keepaliveTimer.unref();
  }

  /** The masters that can publish `name` of `kind` (empty while its slot has none). */
  addressesOf(kind: number, name: string): readonly string[] {
    if (this.stale) this.refresh();
    if (kind === KIND_PATTERN || (kind === KIND_CHANNEL && isKeyspaceChannel(name))) return this.mastersCache;
    const id = slotOf(name);
    let addresses = this.slotCache[id];
    if (addresses === undefined) {
      const slot = this.router.slots[id] as Slot;
      const list: string[] = [];
      if (slot.backend !== null) list.push(slot.backend.addr);
      if (slot.migrateFrom !== null && !list.includes(slot.migrateFrom.addr))
        list.push(slot.migrateFrom.addr);
      addresses = list.length === 0 ? NO_ADDRESSES : list;
      this.slotCache[id] = addresses;
    }
    return addresses;
  }

  /** Every distinct master (and migration source) of the slot table. */
  masters(): readonly string[] {
    if (this.stale) this.refresh();
    return this.mastersCache;
  }

  private refresh(): void {
    this.stale = false;
    this.slotCache.length = 0;
    const masters = new Set<string>();
    for (const slot of this.router.slots) {
      if (slot.backend !== null) masters.add(slot.backend.addr);
      if (slot.migrateFrom !== null) masters.add(slot.migrateFrom.addr);
    }
    this.mastersCache = [...masters];
  }

  /** A slot was switched: every subscriber follows on the next turn (one pass per fill). */
  private tableChanged(): void {
    this.stale = true;
    if (this.resyncQueued) return;
    this.resyncQueued = true;
    setImmediate(() => this.resync());
  }

  private resync(): void {
    this.resyncQueued = false;
    if (this.subscribers.size === 0 || this.router.closed) return;
    for (const subscriber of this.subscribers) subscriber.reconcile(false);
    if (this.pruneTimer !== undefined) clearTimeout(this.pruneTimer);
    this.pruneTimer = setTimeout(() => {
      this.pruneTimer = undefined;
      for (const subscriber of this.subscribers) subscriber.reconcile(true);
    }, PRUNE_DELAY);
    this.pruneTimer.unref();
  }

  /** PUBSUB: the introspection subcommands merged over every master, the rest asked of one. */
  private introspect(client: PubSubClient, request: Request): void {
    const argv = request.argv;
    const sub = argv.length >= 2 ? (argv[1] as string).toUpperCase() : '';
    let merge = MERGE_NONE;
    if ((sub === 'CHANNELS' || sub === 'SHARDCHANNELS') && argv.length <= 3) merge = MERGE_UNION;
    else if (sub === 'NUMSUB' || sub === 'SHARDNUMSUB') merge = MERGE_PAIRS;
    else if (sub === 'NUMPAT' && argv.length === 2) merge = MERGE_MAX;
    const masters = this.masters();
    if (masters.length === 0) {
      client.complete(request, NOT_READY);
      return;
    }
    new FanOut(client, request, merge).send(
      merge === MERGE_NONE ? masters.slice(0, 1) : masters,
      this.router,
    );
  }
}

const MERGE_NONE = 0;
/** CHANNELS, SHARDCHANNELS: the union of the names. */
const MERGE_UNION = 1;
/**
 * NUMSUB, SHARDNUMSUB: per channel, the largest count. A channel is held on one master (two while
 * its slot migrates, every master for keyspace channels), each by every subscribing session, so
 * the largest count is the number of subscribers where a sum would count some twice.
 */
const MERGE_PAIRS = 2;
/** NUMPAT: patterns are held on every master, so each counts them all: the largest. */
const MERGE_MAX = 3;

/** One PUBSUB request asked of several masters over the shared connections. */
class FanOut implements RequestOwner {
  readonly broken = false;
  private readonly client: PubSubClient;
  private readonly request: Request;
  private readonly merge: number;
  private subs: Request[] = [];
  private replies: Buffer[] = [];
  private left = 0;

  constructor(client: PubSubClient, request: Request, merge: number) {
    this.client = client;
    this.request = request;
    this.merge = merge;
  }

  send(addresses: readonly string[], router: Router): void {
    this.left = addresses.length;
    this.replies = new Array<Buffer>(addresses.length);
    for (let i = 0; i < addresses.length; i++) {
      const sub = new Request();
      sub.owner = this;
      sub.argv = this.request.argv;
      sub.raw = this.request.raw;
      this.subs.push(sub);
    }
    for (let i = 0; i < addresses.length; i++) {
      const connection = router.primaries.backends.get(addresses[i] as string)?.pick(0, 0, true);
      const sub = this.subs[i] as Request;
      if (connection === undefined) this.answer(sub, NOT_READY);
      else connection.send(sub);
    }
  }

  onBackendReply(request: Request, raw: Buffer): void {
    this.answer(request, Buffer.from(raw));
  }

  onBackendFailure(request: Request, message: string): void {
    this.answer(request, errorReply(`ERR handle response, ${message}`));
  }

  private answer(sub: Request, reply: Buffer): void {
    const index = this.subs.indexOf(sub);
    if (index < 0 || this.replies[index] !== undefined) return;
    this.replies[index] = reply;
    if (--this.left === 0) this.client.complete(this.request, this.merged());
  }

  private merged(): Buffer {
    const replies = this.replies;
    for (const reply of replies) if (reply[0] === 45) return reply;
    const first = replies[0] as Buffer;
    if (this.merge === MERGE_NONE) return first;
    if (this.merge === MERGE_MAX) {
      let most = 0;
      for (const reply of replies) {
        if (reply[0] !== 58) return badReply(reply);
        most = Math.max(most, Number(lineText(reply)));
      }
      return Buffer.from(`:${most}\r\n`, 'latin1');
    }
    if (this.merge === MERGE_UNION) {
      const names = new Set<string>();
      const parts: Buffer[] = [];
      for (const reply of replies) {
        const items = arrayElements(reply);
        if (items === undefined) return badReply(reply);
        for (const item of items) {
          const key = item.latin1Slice();
          if (names.has(key)) continue;
          names.add(key);
          parts.push(item);
        }
      }
      return Buffer.concat([Buffer.from(`*${parts.length}\r\n`), ...parts]);
    }
    const base = arrayElements(first);
    if (base === undefined || base.length % 2 !== 0) return badReply(first);
    const counts = new Array<number>(base.length / 2).fill(0);
    for (const reply of replies) {
      const items = arrayElements(reply);
      if (items === undefined || items.length !== base.length) return badReply(reply);
      for (let i = 1; i < items.length; i += 2) {
        const item = items[i] as Buffer;
        if (item[0] !== 58) return badReply(reply);
        const index = (i - 1) / 2;
        counts[index] = Math.max(counts[index] as number, Number(lineText(item)));
      }
    }
    const parts: Buffer[] = [Buffer.from(`*${base.length}\r\n`)];
    for (let i = 0; i < base.length; i += 2) {
      parts.push(base[i] as Buffer, Buffer.from(`:${counts[i / 2]}\r\n`));
    }
    return Buffer.concat(parts);
  }
}

function badReply(reply: Buffer): Buffer {
  return errorReply(
    `ERR handle response, bad pubsub resp: unexpected ${String.fromCharCode(reply[0] ?? 63)}`,
  );
}

const hubs = new WeakMap<ProxyCore, PubSubHub>();

/** The proxy's hub, made on first use; null when proxy.toml turns pub/sub off (Codis's refusal). */
export function pubsubHubOf(core: ProxyCore): PubSubHub | null {
  if (!core.config.proxy_pubsub_enabled) return null;
  let hub = hubs.get(core);
  if (hub === undefined) {
    hub = new PubSubHub(core.config, core.router);
    hubs.set(core, hub);
  }
  return hub;
}
