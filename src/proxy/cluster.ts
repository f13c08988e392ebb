// codis-proxy --ncpu N (N > 1): N worker processes (node:cluster) share the proxy listener, each
// running the real data plane; the primary runs the admin API over `ClusterCore`, which forwards
// every state change to all workers in order and sums their counters.

import cluster, { type Worker } from 'node:cluster';
import type { ProxyCommandStats, ProxyCore, ProxyStatsSnapshot } from './admin/core.ts';
import type { ProxyConfig } from './config/types.ts';
import { closedProxy, invalidForwardMethod, invalidSlotId } from './errors.ts';
import type { ProxyLogger } from './logger.ts';
import { CodisProxy } from './proxy.ts';
import { normaliseSlot, type ProxySlot } from './slot.ts';

const MAX_SLOTS = 1024;
/** How often a worker sends its counters to the primary, in ms. */
const STATS_PERIOD = 200;

/** Primary → worker. */
export type ToWorker =
  | { op: 'fill'; slots: ProxySlot[] }
  | { op: 'start' }
  | { op: 'reset' }
  | { op: 'sentinels'; servers: string[] }
  | { op: 'rewatch' }
  | { op: 'close' };

/** Worker → primary. */
export type ToPrimary =
  | { op: 'listening'; host: string; port: number }
  | { op: 'stats'; stats: ProxyStatsSnapshot }
  | { op: 'error'; message: string };

function emptyStats(): ProxyStatsSnapshot {
  return {
    online: false,
    closed: false,
    ops: { total: 0, fails: 0, redisErrors: 0, qps: 0, commands: [] },
    sessions: { total: 0, alive: 0 },
  };
}

/** Sums worker snapshots: ops and per-command counters, sessions. */
export function sumStats(parts: readonly ProxyStatsSnapshot[]): ProxyStatsSnapshot {
  const out = emptyStats();
  const commands = new Map<string, ProxyCommandStats>();
  for (const part of parts) {
    out.ops.total += part.ops.total;
    out.ops.fails += part.ops.fails;
    out.ops.redisErrors += part.ops.redisErrors;
    out.ops.qps += part.ops.qps;
    out.sessions.total += part.sessions.total;
    out.sessions.alive += part.sessions.alive;
    for (const c of part.ops.commands) {
      const sum = commands.get(c.opstr);
      if (sum === undefined) commands.set(c.opstr, { ...c });
      else {
        sum.calls += c.calls;
        sum.usecs += c.usecs;
        sum.fails += c.fails;
        sum.redisErrors += c.redisErrors;
      }
    }
    if (out.sentinels === undefined && part.sentinels !== undefined) out.sentinels = part.sentinels;
  }
  out.ops.commands = [...commands.values()].sort((a, b) =>
    a.opstr < b.opstr ? -1 : a.opstr > b.opstr ? 1 : 0,
  );
  return out;
}

interface WorkerState {
  worker: Worker;
  stats: ProxyStatsSnapshot;
}

/** The primary's ProxyCore: a local record of the state, forwarded to every worker. */
export class ClusterCore implements ProxyCore {
  readonly workers = new Map<number, WorkerState>();
  private readonly table: ProxySlot[] = Array.from({ length: MAX_SLOTS }, (_, id) => ({ id }));
  private sentinelServers: string[] = [];
  private isOnline = false;
  private isClosed = false;
  private listening: { host: string; port: number } | undefined;
  private firstListening: Promise<void> | undefined;
  private resolveListening: (() => void) | undefined;
  private rejectListening: ((error: Error) => void) | undefined;
  /** Counters of workers that exited, so totals do not drop at a restart. */
  private retired: ProxyStatsSnapshot = emptyStats();

  private readonly ncpu: number;
  private readonly logger: ProxyLogger;

  constructor(ncpu: number, logger: ProxyLogger) {
    this.ncpu = ncpu;
    this.logger = logger;
  }

  listen(): Promise<void> {
    if (this.isClosed) return Promise.reject(closedProxy());
    this.firstListening = new Promise((resolve, reject) => {
      this.resolveListening = resolve;
      this.rejectListening = reject;
    });
    cluster.on('exit', (worker, code, signal) => this.exited(worker, code, signal));
    for (let i = 0; i < this.ncpu; i++) this.fork(false);
    return this.firstListening;
  }

  private fork(restart: boolean): void {
    const worker = cluster.fork();
    this.workers.set(worker.id, { worker, stats: emptyStats() });
    worker.on('message', (message: ToPrimary) => this.received(worker, message));
    worker.on('error', () => undefined);
    if (restart) {
      // The current state, in the order it was built.
      this.send(worker, { op: 'fill', slots: this.slots() });
      if (this.sentinelServers.length > 0)
        this.send(worker, { op: 'sentinels', servers: this.sentinelServers });
      if (this.isOnline) this.send(worker, { op: 'start' });
    }
  }

  private received(worker: Worker, message: ToPrimary): void {
    const state = this.workers.get(worker.id);
    if (state === undefined) return;
    if (message.op === 'listening') {
      if (this.listening === undefined) this.listening = { host: message.host, port: message.port };
      this.resolveListening?.();
    } else if (message.op === 'stats') {
      state.stats = message.stats;
    } else if (message.op === 'error') {
      this.rejectListening?.(new Error(message.message));
    }
  }

  private exited(worker: Worker, code: number | null, signal: string | null): void {
    const state = this.workers.get(worker.id);
    this.workers.delete(worker.id);
    if (state !== undefined) this.retired = sumStats([this.retired, state.stats]);
    if (this.isClosed) return;
    if (this.listening === undefined) {
      this.rejectListening?.(
        new Error(`proxy worker exited (code ${code}, signal ${signal}) before listening`),
      );
      return;
    }
    this.logger.warn(
      `proxy worker pid = ${worker.process.pid} exited (code ${code}, signal ${signal}), restarting`,
    );
    this.fork(true);
  }

  private send(worker: Worker, message: ToWorker): void {
    if (worker.isConnected()) worker.send(message);
  }

  private broadcast(message: ToWorker): void {
    for (const { worker } of this.workers.values()) this.send(worker, message);
  }

  address(): { host: string; port: number } {
    if (this.listening === undefined) throw new Error('proxy is not listening');
    return { ...this.listening };
  }

  /** The pids of the live workers. */
  pids(): number[] {
    return [...this.workers.values()].flatMap(({ worker }) =>
      worker.process.pid === undefined ? [] : [worker.process.pid],
    );
  }

  close(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    this.isClosed = true;
    this.isOnline = false;
    const exits = [...this.workers.values()].map(
      ({ worker }) =>
        new Promise<void>((resolve) => {
          if (worker.isDead()) {
            resolve();
            return;
          }
          worker.once('exit', () => resolve());
          this.send(worker, { op: 'close' });
          setTimeout(() => {
            if (!worker.isDead()) worker.process.kill('SIGKILL');
          }, 5000).unref();
        }),
    );
    return Promise.all(exits).then(() => undefined);
  }

  start(): void {
    if (this.isClosed) throw closedProxy();
    this.isOnline = true;
    this.broadcast({ op: 'start' });
  }

  get online(): boolean {
    return this.isOnline;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  fillSlots(slots: ProxySlot[]): void {
    if (this.isClosed) throw closedProxy();
    const valid: ProxySlot[] = [];
    let failure: Error | undefined;
    for (const record of slots) {
      if (!Number.isInteger(record.id) || record.id < 0 || record.id >= MAX_SLOTS) failure = invalidSlotId();
      else if ((record.forward_method ?? 0) !== 0 && record.forward_method !== 1)
        failure = invalidForwardMethod();
      if (failure !== undefined) break;
      const normal = normaliseSlot(record);
      this.table[record.id] = normal;
      valid.push(normal);
    }
    if (valid.length > 0) this.broadcast({ op: 'fill', slots: valid });
    if (failure !== undefined) throw failure;
  }

  slots(): ProxySlot[] {
    return this.table.map((slot) => ({ ...slot }));
  }

  stats(): ProxyStatsSnapshot {
    const sum = sumStats([this.retired, ...[...this.workers.values()].map((w) => w.stats)]);
    sum.online = this.isOnline;
    sum.closed = this.isClosed;
    sum.sentinels ??= { servers: [...this.sentinelServers], masters: {}, switched: false };
    return sum;
  }

  resetStats(): void {
    this.retired = emptyStats();
    for (const state of this.workers.values()) state.stats = emptyStats();
    this.broadcast({ op: 'reset' });
  }

  setSentinels(servers: string[]): void {
    if (this.isClosed) throw closedProxy();
    this.sentinelServers = [...servers];
    this.broadcast({ op: 'sentinels', servers: this.sentinelServers });
  }

  rewatchSentinels(): void {
    if (this.isClosed) throw closedProxy();
    this.broadcast({ op: 'rewatch' });
  }
}

/** A worker: the real data plane on the shared listener, applying the primary's messages in order. */
export function runProxyWorker(config: ProxyConfig, logger: ProxyLogger): void {
  const proxy = new CodisProxy(config, { logger });
  const reply = (message: ToPrimary): void => {
    if (process.connected) process.send?.(message);
  };
  const report = (): void => reply({ op: 'stats', stats: proxy.stats() });
  const timer = setInterval(report, STATS_PERIOD);
  const exit = (): void => {
    clearInterval(timer);
    void proxy.close().finally(() => {
      // Give replies in flight a moment, as the single-process proxy does.
      setTimeout(() => process.exit(0), 100);
    });
  };
  process.on('message', (message: ToWorker) => {
    try {
      switch (message.op) {
        case 'fill':
          proxy.fillSlots(message.slots);
          break;
        case 'start':
          proxy.start();
          break;
        case 'reset':
          proxy.resetStats();
          report();
          break;
        case 'sentinels':
          proxy.setSentinels(message.servers);
          break;
        case 'rewatch':
          proxy.rewatchSentinels();
          break;
        case 'close':
          exit();
          break;
      }
    } catch (error) {
      logger.warn(`proxy worker: ${message.op} failed: ${(error as Error).message}`);
    }
  });
  // The primary decides when to stop; a signal to the whole process group is its business.
  process.on('SIGTERM', () => undefined);
  process.on('SIGINT', () => undefined);
  process.on('disconnect', exit);
  proxy.listen().then(
    () => {
      const { host, port } = proxy.address();
      reply({ op: 'listening', host, port });
      report();
    },
    (error: unknown) => {
      reply({ op: 'error', message: (error as Error).message });
      process.exit(1);
    },
  );
}
