// Following redis-sentinel failovers (spec/proxy.md §6.8): subscribe to `+switch-master` on every
// sentinel; once a majority is subscribed, and on every switch of a master named
// `<product>-<gid>`, ask the sentinels for their masters (`SENTINEL masters`), take per group the
// address with the highest config-epoch, and hand the map to the proxy, which re-fills the slots
// whose primary moved.
import { connect, type Socket } from 'node:net';
import { ReplyParser, type RespValue } from '../resp/index.ts';
import { splitAddress } from './backend.ts';
import { encodeRequest } from './request-decoder.ts';

const RESUBSCRIBE_DELAY = 10_000;
const QUERY_TIMEOUT = 5_000;
const REFRESH_ATTEMPTS = 10;
const REFRESH_RETRY = 5_000;

export type MastersHandler = (masters: Map<number, string>) => void;

/** Sends one command to a sentinel and resolves its reply (or rejects). */
function query(addr: string, argv: string[], timeoutMs: number): Promise<RespValue> {
  return new Promise((resolve, reject) => {
    const { host, port } = splitAddress(addr);
    const socket = connect({ host, port });
    const parser = new ReplyParser();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`sentinel ${addr}: timeout`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(encodeRequest(argv)));
    socket.on('data', (chunk: Buffer) => {
      parser.feed(chunk);
      const reply = parser.next();
      if (reply === undefined) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(reply.value);
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function text(value: RespValue | undefined): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (value !== null && typeof value === 'object' && 'text' in value) return value.text;
  return '';
}

export class SentinelWatcher {
  readonly servers: readonly string[];
  private readonly product: string;
  private readonly onMasters: MastersHandler;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private subscribed = 0;
  private refreshing = false;
  private refreshAgain = false;

  constructor(servers: readonly string[], product: string, onMasters: MastersHandler) {
    this.servers = servers;
    this.product = product;
    this.onMasters = onMasters;
  }

  start(): void {
    for (const addr of this.servers) this.subscribe(addr);
  }

  stop(): void {
    this.stopped = true;
    for (const socket of this.sockets) socket.destroy();
    for (const timer of this.timers) clearTimeout(timer);
    this.sockets.clear();
    this.timers.clear();
  }

  private get majority(): number {
    return 1 + Math.floor(this.servers.length / 2);
  }

  private later(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) fn();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  private subscribe(addr: string): void {
    if (this.stopped) return;
    const { host, port } = splitAddress(addr);
    const socket = connect({ host, port });
    this.sockets.add(socket);
    const parser = new ReplyParser();
    let confirmed = false;
    socket.on('connect', () => socket.write(encodeRequest(['SUBSCRIBE', '+switch-master'])));
    socket.on('data', (chunk: Buffer) => {
      parser.feed(chunk);
      for (let reply = parser.next(); reply !== undefined; reply = parser.next()) {
        const value = reply.value;
        if (!Array.isArray(value)) continue;
        const kind = text(value[0]);
        if (kind === 'subscribe' && !confirmed) {
          confirmed = true;
          this.subscribed++;
          if (this.subscribed === this.majority) this.refresh();
        } else if (kind === 'message') {
          const name = text(value[2]).split(' ')[0] ?? '';
          if (this.groupOf(name) !== undefined) this.refresh();
        }
      }
    });
    const lost = (): void => {
      if (!this.sockets.delete(socket)) return;
      if (confirmed) this.subscribed--;
      this.later(() => this.subscribe(addr), RESUBSCRIBE_DELAY);
    };
    socket.on('error', lost);
    socket.on('close', lost);
  }

  private groupOf(name: string): number | undefined {
    const prefix = `${this.product}-`;
    if (!name.startsWith(prefix)) return undefined;
    const rest = name.slice(prefix.length);
    return /^\d+$/.test(rest) ? Number(rest) : undefined;
  }

  /** Up to 10 attempts 5 s apart, until one succeeds. */
  refresh(attempt = 0): void {
    if (this.stopped) return;
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    this.queryMasters().then(
      (masters) => {
        this.refreshing = false;
        if (this.stopped) return;
        this.onMasters(masters);
        if (this.refreshAgain) {
          this.refreshAgain = false;
          this.refresh();
        }
      },
      () => {
        this.refreshing = false;
        if (attempt + 1 < REFRESH_ATTEMPTS) this.later(() => this.refresh(attempt + 1), REFRESH_RETRY);
      },
    );
  }

  private async queryMasters(): Promise<Map<number, string>> {
    const results = await Promise.allSettled(
      this.servers.map((addr) => query(addr, ['SENTINEL', 'masters'], QUERY_TIMEOUT)),
    );
    const best = new Map<number, { epoch: number; addr: string }>();
    let answered = 0;
    for (const result of results) {
      if (result.status !== 'fulfilled' || !Array.isArray(result.value)) continue;
      answered++;
      for (const entry of result.value) {
        if (!Array.isArray(entry)) continue;
        const fields = new Map<string, string>();
        for (let i = 0; i + 1 < entry.length; i += 2) fields.set(text(entry[i]), text(entry[i + 1]));
        const gid = this.groupOf(fields.get('name') ?? '');
        if (gid === undefined) continue;
        const epoch = Number(fields.get('config-epoch') ?? 0);
        const addr = `${fields.get('ip') ?? ''}:${fields.get('port') ?? ''}`;
        const known = best.get(gid);
        if (known === undefined || epoch > known.epoch) best.set(gid, { epoch, addr });
      }
    }
    if (answered < this.majority) throw new Error(`lost majority (${answered}/${this.servers.length})`);
    return new Map([...best].map(([gid, { addr }]) => [gid, addr]));
  }
}
