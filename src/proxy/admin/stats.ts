// The stats object of the admin API (spec/proxy.md §8.4.4, §9): the core's counters, the qps
// and resource usage sampled once a second, and runtime numbers (Node's equivalents of Go's).

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import type { JsonObject } from '../../models/go-json.ts';
import { goTimeNow } from '../../models/go-time.ts';
import type { ProxyStatsSnapshot } from './core.ts';

/** Stats flags of `/api/proxy/stats/:xauth/:flags`. */
export const STATS_CMD = 1;
export const STATS_SLOTS = 2;
export const STATS_RUNTIME = 4;

export interface RusageRaw {
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
  num_threads: number;
  vm_size: number;
  vm_rss: number;
}

export interface Rusage {
  now: string;
  cpu: number;
  mem: number;
  raw?: RusageRaw;
}

const CLOCK_TICK_NS = 10_000_000; // USER_HZ = 100 on Linux

/** The process's own accounting: CPU times in ns, threads and memory from /proc when available. */
export function readRusageRaw(): RusageRaw {
  const cpu = process.cpuUsage();
  const raw: RusageRaw = {
    utime: cpu.user * 1000,
    stime: cpu.system * 1000,
    cutime: 0,
    cstime: 0,
    num_threads: 0,
    vm_size: 0,
    vm_rss: process.memoryUsage.rss(),
  };
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const field = (name: string): number | undefined => {
      const m = new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status);
      return m === null ? undefined : Number(m[1]);
    };
    raw.num_threads = field('Threads') ?? 0;
    raw.vm_size = (field('VmSize') ?? 0) * 1024;
    raw.vm_rss = (field('VmRSS') ?? 0) * 1024 || raw.vm_rss;
    // Fields 16 and 17 of /proc/self/stat (after the parenthesised command name).
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    raw.cutime = Number(rest[13] ?? 0) * CLOCK_TICK_NS;
    raw.cstime = Number(rest[14] ?? 0) * CLOCK_TICK_NS;
  } catch {
    // Not Linux: CPU times and RSS from Node only.
  }
  return raw;
}

/** GC counts and pause totals, observed from V8's GC performance entries. */
class GcTracker {
  num = 0;
  pauseMs = 0;
  private observer: PerformanceObserver | undefined;
  start(): void {
    if (this.observer !== undefined) return;
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        this.num++;
        this.pauseMs += entry.duration;
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }
  stop(): void {
    this.observer?.disconnect();
    this.observer = undefined;
  }
}

/**
 * Samples once a second: qps from the core's ops.total (scaled to exactly one second, rounded) and
 * resource usage (cpu = CPU time during the last interval ÷ wall time).
 */
export class StatsSampler {
  private readonly source: () => ProxyStatsSnapshot;
  private timer: NodeJS.Timeout | undefined;
  private lastTotal = 0;
  private lastAt = 0;
  private lastCpu = 0;
  private qpsValue = 0;
  private rusageValue: Rusage = { now: '', cpu: 0, mem: 0 };
  readonly gc = new GcTracker();
  private readonly startedAt = performance.now();

  constructor(source: () => ProxyStatsSnapshot) {
    this.source = source;
  }

  start(intervalMs = 1000): void {
    if (this.timer !== undefined) return;
    this.gc.start();
    this.lastAt = performance.now();
    this.lastTotal = this.source().ops.total;
    const cpu = process.cpuUsage();
    this.lastCpu = cpu.user + cpu.system;
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.gc.stop();
  }

  /** One sampling step (public for tests). */
  sample(): void {
    const now = performance.now();
    const elapsedMs = now - this.lastAt;
    const total = this.source().ops.total;
    if (elapsedMs > 0) {
      const delta = Math.max(0, total - this.lastTotal);
      this.qpsValue = Math.round((delta * 1000) / elapsedMs);
    }
    const raw = readRusageRaw();
    const cpuNow = (raw.utime + raw.stime) / 1000;
    const cpu = elapsedMs > 0 ? (cpuNow - this.lastCpu) / 1000 / elapsedMs : 0;
    this.rusageValue = { now: goTimeNow(), cpu: Math.max(0, cpu), mem: raw.vm_rss, raw };
    this.lastAt = now;
    this.lastTotal = total;
    this.lastCpu = cpuNow;
  }

  /** A reset of the counters restarts the qps baseline. */
  resetBaseline(): void {
    this.lastTotal = this.source().ops.total;
    this.qpsValue = 0;
  }

  get qps(): number {
    return this.qpsValue;
  }

  get rusage(): Rusage {
    return this.rusageValue;
  }

  get uptimeMs(): number {
    return performance.now() - this.startedAt;
  }
}

/** Node's equivalents of Go's runtime numbers, in Codis's shape. */
export function runtimeStats(gc: { num: number; pauseMs: number }, uptimeMs: number): JsonObject {
  const memory = process.memoryUsage();
  const pausems = Math.round(gc.pauseMs);
  return {
    general: {
      alloc: memory.heapUsed,
      sys: memory.rss,
      lookups: 0,
      mallocs: 0,
      frees: 0,
    },
    heap: {
      alloc: memory.heapUsed,
      sys: memory.heapTotal,
      idle: Math.max(0, memory.heapTotal - memory.heapUsed),
      inuse: memory.heapUsed,
      objects: 0,
    },
    gc: {
      num: gc.num,
      cpu_fraction: uptimeMs > 0 ? gc.pauseMs / uptimeMs : 0,
      total_pausems: pausems,
    },
    num_procs: availableParallelism(),
    num_goroutines: process.getActiveResourcesInfo().length,
    num_cgo_call: 0,
    mem_offheap: memory.external + memory.arrayBuffers,
  };
}

function rusageJson(rusage: Rusage): JsonObject {
  const out: JsonObject = { now: rusage.now, cpu: rusage.cpu, mem: rusage.mem };
  if (rusage.raw !== undefined) out.raw = { ...rusage.raw };
  return out;
}

export interface StatsInputs {
  snapshot: ProxyStatsSnapshot;
  qps: number;
  rusage: Rusage;
  primaryOnly: boolean;
  /** Sentinel servers set through the admin API (used when the core does not report its own). */
  sentinelServers: readonly string[];
  runtime?: () => JsonObject;
}

/** Byte order of Go's sort.Strings on the command names. */
function byteOrder(a: string, b: string): number {
  const x = Buffer.from(a, 'latin1');
  const y = Buffer.from(b, 'latin1');
  return Buffer.compare(x, y);
}

/** The stats object with Codis's key order; `flags` bit 1 adds `ops.cmd`, bit 4 adds `runtime`. */
export function statsToJson(inputs: StatsInputs, flags: number): JsonObject {
  const { snapshot } = inputs;
  const sentinelSource = snapshot.sentinels ?? {
    servers: [...inputs.sentinelServers],
    masters: {},
    switched: false,
  };
  const masters = Object.keys(sentinelSource.masters).sort();
  const sentinels: JsonObject = {
    servers: sentinelSource.servers.length > 0 ? [...sentinelSource.servers] : undefined,
    masters:
      masters.length > 0
        ? Object.fromEntries(masters.map((gid) => [gid, sentinelSource.masters[gid] as string]))
        : undefined,
    switched: sentinelSource.switched ? true : undefined,
  };
  const ops: JsonObject = {
    total: snapshot.ops.total,
    fails: snapshot.ops.fails,
    redis: { errors: snapshot.ops.redisErrors },
    qps: inputs.qps,
  };
  if ((flags & STATS_CMD) !== 0 && snapshot.ops.commands.length > 0) {
    ops.cmd = [...snapshot.ops.commands]
      .sort((a, b) => byteOrder(a.opstr, b.opstr))
      .map((c) => ({
        opstr: c.opstr,
        calls: c.calls,
        usecs: c.usecs,
        usecs_percall: c.calls > 0 ? Math.trunc(c.usecs / c.calls) : 0,
        fails: c.fails,
        redis_errtype: c.redisErrors,
      }));
  }
  const out: JsonObject = {
    online: snapshot.online,
    closed: snapshot.closed,
    sentinels,
    ops,
    sessions: { total: snapshot.sessions.total, alive: snapshot.sessions.alive },
    rusage: rusageJson(inputs.rusage),
    backend: { primary_only: inputs.primaryOnly },
  };
  if ((flags & STATS_RUNTIME) !== 0 && inputs.runtime !== undefined) out.runtime = inputs.runtime();
  return out;
}
