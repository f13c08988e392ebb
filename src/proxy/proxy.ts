// codis-proxy's data plane (spec/proxy.md §0–§7, §9): the Redis-protocol listener, sessions, the
// slot router and backend pools. The admin API, CLI, metrics and jodis drive it through this
// class.
import { createServer, type Server, type Socket } from 'node:net';
import { adoptWithSharedRead } from '../common/shared-read.ts';
import type { ProxyCore as AdminContract, ProxyStatsSnapshot } from './admin/core.ts';
import { splitAddress } from './backend.ts';
import type { ProxyConfig } from './config/types.ts';
import { closeDedicatedPool } from './dedicated.ts';
import { closedProxy } from './errors.ts';
import { type ProxyLogger, SILENT_LOGGER } from './logger.ts';
import type { ProxyCore } from './proxy-core.ts';
import { Request, type RequestOwner } from './request.ts';
import { Router } from './router.ts';
import { fetchRunIds } from './run-id.ts';
import { SentinelWatcher } from './sentinel.ts';
import { IDLE_CHECKS, Session } from './session.ts';
import type { ProxySlot } from './slot.ts';
import { ProxyStats } from './stats.ts';

export interface ProxyOptions {
  /** How long a request waits for a locked slot before it fails (Codis: forever). Default 30 s. */
  slotWaitTimeout?: number;
  /** Backend connection state changes, sentinel switches (pino fits). Default: silent. */
  logger?: ProxyLogger;
}

const NOT_ONLINE = Buffer.from('-ERR router is not online\r\n');
const TOO_MANY_CLIENTS = Buffer.from('-ERR max number of clients reached\r\n');
/** Every session's reads land here first (Proxy.accept). */
const SESSION_READ_BUFFER = Buffer.allocUnsafeSlow(64 * 1024);

/** Receives keepalive replies (discarded: the connection looks at them itself). */
const KEEPALIVE_OWNER: RequestOwner = {
  broken: false,
  onBackendReply() {},
  onBackendFailure() {},
};

export class CodisProxy implements ProxyCore, AdminContract {
  readonly config: ProxyConfig;
  readonly counters = new ProxyStats();
  readonly router: Router;
  readonly slotWaitTimeout: number;
  private readonly server: Server;
  private readonly sessions = new Set<Session>();
  private isOnline = false;
  private isClosed = false;
  private listening: { host: string; port: number } | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private statsTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private sentinelServers: string[] = [];
  private sentinelWatcher: SentinelWatcher | undefined;
  private sentinelMasters = new Map<number, string>();

  constructor(config: ProxyConfig, options: ProxyOptions = {}) {
    this.config = config;
    this.slotWaitTimeout = options.slotWaitTimeout ?? 30_000;
    this.router = new Router(config, options.logger ?? SILENT_LOGGER);
    this.server = createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, (socket) =>
      this.accept(socket),
    );
  }

  listen(): Promise<void> {
    if (this.isClosed) return Promise.reject(closedProxy());
    const unix = this.config.proto_type === 'unix';
    const { host, port } = splitAddress(this.config.proxy_addr);
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      const ready = (): void => {
        this.server.off('error', reject);
        const address = this.server.address();
        if (unix) this.listening = { host: this.config.proxy_addr, port: 0 };
        else if (address !== null && typeof address === 'object') {
          this.listening = { host: address.address, port: address.port };
        }
        this.startTimers();
        resolve();
      };
      if (unix) this.server.listen(this.config.proxy_addr, ready);
      else this.server.listen({ host, port, ipv6Only: this.config.proto_type === 'tcp6' }, ready);
    });
  }

  address(): { host: string; port: number } {
    if (this.listening === undefined) throw new Error('proxy is not listening');
    return { ...this.listening };
  }

  start(): void {
    if (this.isClosed) throw closedProxy();
    this.isOnline = true;
  }

  get online(): boolean {
    return this.isOnline;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  close(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    this.isClosed = true;
    this.isOnline = false;
    if (this.keepaliveTimer !== undefined) clearInterval(this.keepaliveTimer);
    if (this.statsTimer !== undefined) clearInterval(this.statsTimer);
    if (this.idleTimer !== undefined) clearInterval(this.idleTimer);
    this.sentinelWatcher?.stop();
    this.sentinelWatcher = undefined;
    this.router.close();
    for (const session of this.sessions) session.destroy();
    closeDedicatedPool(this);
    return new Promise((resolve) => {
      if (!this.server.listening) resolve();
      else this.server.close(() => resolve());
    });
  }

  fillSlots(slots: ProxySlot[]): void {
    this.router.fill(slots);
  }

  slots(): ProxySlot[] {
    return this.router.records();
  }

  /** The counters of §9 (the admin API adds rusage, runtime and backend settings). */
  stats(): Required<ProxyStatsSnapshot> {
    const c = this.counters;
    return {
      online: this.isOnline,
      closed: this.isClosed,
      ops: {
        total: c.total,
        fails: c.fails,
        redisErrors: c.redisErrors,
        qps: c.qps,
        commands: c.commandList(),
      },
      sessions: { total: c.sessionsTotal, alive: c.sessionsAlive },
      sentinels: {
        servers: [...this.sentinelServers],
        masters: Object.fromEntries([...this.sentinelMasters].map(([gid, addr]) => [String(gid), addr])),
        switched: this.router.slots.some((slot) => slot.switched),
      },
    };
  }

  resetStats(): void {
    this.counters.reset();
  }

  /** Replaces the sentinel watcher (§6.8): an empty list stops watching. */
  setSentinels(servers: string[]): void {
    if (this.isClosed) throw closedProxy();
    this.sentinelServers = [...servers];
    this.sentinelMasters = new Map();
    this.rewatchSentinels();
  }

  /** Restarts watching the current sentinel list. */
  rewatchSentinels(): void {
    if (this.isClosed) throw closedProxy();
    this.sentinelWatcher?.stop();
    this.sentinelWatcher = undefined;
    if (this.sentinelServers.length === 0) return;
    const watcher = new SentinelWatcher(this.sentinelServers, this.config.product_name, (masters) => {
      if (this.sentinelWatcher !== watcher || this.isClosed) return;
      this.sentinelMasters = masters;
      void this.switchToMasters(watcher, masters);
    });
    this.sentinelWatcher = watcher;
    watcher.start();
  }

  /** §6.8: addresses that report the same run_id as the current master are left as they are. */
  private async switchToMasters(watcher: SentinelWatcher, masters: Map<number, string>): Promise<void> {
    const pairs = this.router.masterSwitchPairs(masters);
    if (pairs.length === 0) return;
    const runIds = await fetchRunIds(pairs.flat(), this.config.product_auth);
    if (this.sentinelWatcher !== watcher || this.isClosed) return;
    this.router.switchMasters(masters, (current, next) => {
      const id = runIds.get(current);
      return id !== undefined && id === runIds.get(next);
    });
  }

  private accept(socket: Socket): void {
    const stats = this.counters;
    stats.sessionsTotal++;
    stats.sessionsAlive++;
    let refusal: Buffer | undefined;
    if (stats.sessionsAlive > this.config.proxy_max_clients) refusal = TOO_MANY_CLIENTS;
    else if (!this.isOnline) refusal = NOT_ONLINE;
    if (refusal !== undefined) {
      stats.sessionsAlive--;
      stats.fails++;
      socket.on('error', () => {});
      // Read (and drop) what the client sends, so its close is seen.
      socket.resume();
      socket.end(refusal);
      return;
    }
    // Sessions read into one shared buffer, each read copied once into a buffer of its size (Node's
    // pool when small): its requests are forwarded as views of those bytes.
    let session: Session | undefined;
    const reader = adoptWithSharedRead(
      socket,
      SESSION_READ_BUFFER,
      (length) => session?.onSharedRead(SESSION_READ_BUFFER, length) ?? true,
      true,
    );
    if (this.config.session_keepalive_period > 0)
      reader.setKeepAlive(true, this.config.session_keepalive_period);
    session = new Session(reader, this);
    this.sessions.add(session);
    reader.resume();
  }

  sessionClosed(session: Session): void {
    if (this.sessions.delete(session)) this.counters.sessionsAlive--;
  }

  private startTimers(): void {
    this.statsTimer = setInterval(() => this.counters.tick(Date.now()), 1000);
    this.statsTimer.unref();
    // One timer for every session's read timeout (Session.checkIdle).
    const recvTimeout = this.config.session_recv_timeout;
    if (recvTimeout > 0) {
      this.idleTimer = setInterval(
        () => {
          for (const session of this.sessions) session.checkIdle();
        },
        Math.max(1, recvTimeout / IDLE_CHECKS),
      );
      this.idleTimer.unref();
    }
    const period = this.config.backend_ping_period;
    if (period > 0) {
      this.keepaliveTimer = setInterval(() => this.keepalive(), Math.max(period, 1000));
      this.keepaliveTimer.unref();
    }
  }

  private keepalive(): void {
    for (const pool of [this.router.primaries, this.router.replicas]) {
      for (const backend of pool.backends.values()) {
        for (const list of backend.connections) {
          for (const connection of list) connection.keepalive(KEEPALIVE_OWNER, newRequest);
        }
        if (backend.connections3 !== null)
          for (const list of backend.connections3)
            for (const connection of list) connection.keepalive(KEEPALIVE_OWNER, newRequest);
      }
    }
  }
}

function newRequest(): Request {
  return new Request();
}
