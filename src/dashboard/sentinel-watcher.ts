// The dashboard's sentinel watcher (spec/control-plane.md §10.3): subscribe to `+switch-master` on
// every listed sentinel; once a majority is subscribed, and on every switch of one of this
// product's masters, ask the sentinels for their masters (the address with the highest
// config-epoch per group, from a majority of them) and hand the map to the dashboard (§10.4).

import { connect, type Socket } from 'node:net';
import { ReplyParser, type RespValue } from '../resp/index.ts';
import { pairsToMap, splitAddr, withRedis } from './redis-client.ts';

const RESUBSCRIBE_DELAY = 10_000;
const RESUBSCRIBE_PERIOD = 15 * 60_000;
const QUERY_TIMEOUT = 5_000;
const TRIGGER_ATTEMPTS = 10;
const TRIGGER_SUCCESSES = 2;
const TRIGGER_RETRY = 5_000;

export type SwitchMasters = (masters: Map<number, string>) => Promise<void>;

function text(value: RespValue | undefined): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (value !== null && typeof value === 'object' && 'text' in value) return String(value.text);
  return '';
}

/** gid of a master name `{product}-{gid}`, undefined for another product's. */
export function productGroup(product: string, name: string): number | undefined {
  const prefix = `${product}-`;
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^\d+$/.test(rest) ? Number(rest) : undefined;
}

/** Merges `SENTINEL MASTERS` replies: per group, the address with the highest config-epoch. */
export async function queryMasters(
  servers: readonly string[],
  product: string,
): Promise<Map<number, string>> {
  const results = await Promise.allSettled(
    servers.map((addr) =>
      withRedis(addr, '', QUERY_TIMEOUT, async (c) => {
        const reply = await c.ok('SENTINEL', 'MASTERS');
        return Array.isArray(reply) ? reply.map(pairsToMap) : [];
      }),
    ),
  );
  const best = new Map<number, { epoch: number; addr: string }>();
  let answered = 0;
  for (const result of results) {
    if (result.status !== 'fulfilled') continue;
    answered++;
    for (const master of result.value) {
      const gid = productGroup(product, master.name ?? '');
      if (gid === undefined) continue;
      const epoch = Number(master['config-epoch']);
      if (!Number.isInteger(epoch) || !master.ip || !master.port) continue;
      const known = best.get(gid);
      if (known === undefined || epoch > known.epoch)
        best.set(gid, { epoch, addr: `${master.ip}:${master.port}` });
    }
  }
  const majority = 1 + Math.floor(servers.length / 2);
  if (answered < majority) throw new Error(`lost majority (${answered}/${servers.length})`);
  return new Map([...best].map(([gid, { addr }]) => [gid, addr]));
}

export interface WatcherLog {
  warn(message: string): void;
  info(message: string): void;
}

export class SentinelWatcher {
  readonly servers: readonly string[];
  readonly #product: string;
  readonly #switchMasters: SwitchMasters;
  readonly #log: WatcherLog;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #stopped = false;
  #subscribed = 0;
  /** A trigger series in progress, and whether another was asked for meanwhile. */
  #triggering = false;
  #again = false;

  constructor(servers: readonly string[], product: string, switchMasters: SwitchMasters, log: WatcherLog) {
    this.servers = servers;
    this.#product = product;
    this.#switchMasters = switchMasters;
    this.#log = log;
  }

  start(): void {
    for (const addr of this.servers) this.#subscribe(addr);
  }

  stop(): void {
    this.#stopped = true;
    for (const socket of this.#sockets) socket.destroy();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#sockets.clear();
    this.#timers.clear();
  }

  get #majority(): number {
    return 1 + Math.floor(this.servers.length / 2);
  }

  #later(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#stopped) fn();
    }, ms);
    timer.unref();
    this.#timers.add(timer);
  }

  #subscribe(addr: string): void {
    if (this.#stopped) return;
    const { host, port } = splitAddr(addr);
    const socket = connect({ host, port });
    this.#sockets.add(socket);
    const parser = new ReplyParser();
    let confirmed = false;
    const started = Date.now();
    socket.setNoDelay(true);
    socket.on('connect', () => socket.write('*2\r\n$9\r\nSUBSCRIBE\r\n$14\r\n+switch-master\r\n'));
    socket.on('data', (chunk: Buffer) => {
      parser.feed(chunk);
      for (let reply = parser.next(); reply !== undefined; reply = parser.next()) {
        const value = reply.value;
        if (!Array.isArray(value)) continue;
        const kind = text(value[0]);
        if (kind === 'subscribe' && !confirmed) {
          confirmed = true;
          this.#subscribed++;
          if (this.#subscribed === this.#majority) this.trigger();
        } else if (kind === 'message') {
          const name = text(value[2]).split(' ')[0] ?? '';
          if (productGroup(this.#product, name) !== undefined) {
            this.#log.warn(`sentinel ${addr}: +switch-master ${text(value[2])}`);
            this.trigger();
          }
        }
      }
    });
    // Resubscribe now and then (a silent sentinel), and after a lost connection no earlier than
    // 10 s after the attempt started.
    const period = setTimeout(() => socket.destroy(), RESUBSCRIBE_PERIOD);
    period.unref();
    const lost = (): void => {
      clearTimeout(period);
      if (!this.#sockets.delete(socket)) return;
      if (confirmed) this.#subscribed--;
      this.#later(() => this.#subscribe(addr), Math.max(0, started + RESUBSCRIBE_DELAY - Date.now()));
    };
    socket.on('error', lost);
    socket.on('close', lost);
  }

  /** Up to 10 attempts 5 s apart, stopping after 2 successful ones (§10.3). */
  trigger(): void {
    if (this.#stopped) return;
    if (this.#triggering) {
      this.#again = true;
      return;
    }
    this.#triggering = true;
    void this.#series().finally(() => {
      this.#triggering = false;
      if (this.#again && !this.#stopped) {
        this.#again = false;
        this.trigger();
      }
    });
  }

  async #series(): Promise<void> {
    let successes = 0;
    for (let attempt = 0; attempt < TRIGGER_ATTEMPTS && !this.#stopped; attempt++) {
      if (attempt > 0) await new Promise((r) => this.#later(() => r(undefined), TRIGGER_RETRY));
      if (this.#stopped) return;
      try {
        const masters = await queryMasters(this.servers, this.#product);
        if (this.#stopped) return;
        await this.#switchMasters(masters);
        if (++successes >= TRIGGER_SUCCESSES) return;
      } catch (error) {
        this.#log.warn(`sentinel masters query failed: ${(error as Error).message}`);
      }
    }
  }
}
