// A stand-in for the proxy's data plane (src/proxy/proxy.ts) with the ProxyCore contract: it keeps
// a slot table, validates fills with Codis's messages and returns whatever counters a test sets.

import { createServer, type Server } from 'node:net';
import type { ProxyCore, ProxyStatsSnapshot } from '../../src/proxy/admin/core.ts';
import type { ProxySlot } from '../../src/proxy/slot.ts';

class FakeProxyError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}
const closedProxy = () => new FakeProxyError('CLOSED_PROXY', 'use of closed proxy');
const closedRouter = () => new FakeProxyError('CLOSED_ROUTER', 'use of closed router');
const invalidSlotId = () => new FakeProxyError('INVALID_SLOT_ID', 'use of invalid slot id');
const invalidForwardMethod = () =>
  new FakeProxyError('INVALID_FORWARD_METHOD', 'use of invalid forwarder method');

export class FakeProxyCore implements ProxyCore {
  private server: Server | undefined;
  private readonly host: string;
  private readonly port: number;
  private table: ProxySlot[] = Array.from({ length: 1024 }, (_, id) => ({ id }));
  online = false;
  closed = false;
  sentinels: string[] = [];
  rewatches = 0;
  counters: ProxyStatsSnapshot = FakeProxyCore.emptyStats();

  constructor(host = '127.0.0.1', port = 0) {
    this.host = host;
    this.port = port;
  }

  static emptyStats(): ProxyStatsSnapshot {
    return {
      online: false,
      closed: false,
      ops: { total: 0, fails: 0, redisErrors: 0, qps: 0, commands: [] },
      sessions: { total: 0, alive: 0 },
    };
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = createServer((socket) => socket.end('-ERR router is not online\r\n'));
      server.once('error', reject);
      server.listen(this.port, this.host, () => resolve());
      this.server = server;
    });
  }

  address(): { host: string; port: number } {
    const info = this.server?.address();
    if (info === null || info === undefined || typeof info === 'string') return { host: '', port: 0 };
    return { host: info.address, port: info.port };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.online = false;
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  start(): void {
    if (this.closed) throw closedProxy();
    this.online = true;
  }

  fillSlots(slots: ProxySlot[]): void {
    for (const slot of slots) {
      if (this.closed) throw closedRouter();
      if (slot.id < 0 || slot.id >= 1024) throw invalidSlotId();
      const method = slot.forward_method ?? 0;
      if (method !== 0 && method !== 1) throw invalidForwardMethod();
      this.table[slot.id] = { ...slot };
    }
  }

  slots(): ProxySlot[] {
    return this.table.map((slot) => ({ ...slot }));
  }

  stats(): ProxyStatsSnapshot {
    return { ...this.counters, online: this.online, closed: this.closed };
  }

  resetStats(): void {
    this.counters = {
      ...FakeProxyCore.emptyStats(),
      sessions: { total: this.counters.sessions.alive, alive: this.counters.sessions.alive },
    };
  }

  setSentinels(servers: string[]): void {
    this.sentinels = [...servers];
  }

  rewatchSentinels(): void {
    this.rewatches++;
  }
}
