// What the control side (admin API, stats, reporters, jodis, CLI) needs from the proxy's data plane
// (src/proxy/proxy.ts). Declared here so the control side depends on a contract, not on the class.

import type { ProxySlot } from '../slot.ts';

export interface ProxyCommandStats {
  /** Normalised command name (spec/proxy.md §9.2). */
  opstr: string;
  calls: number;
  /** Sum of latencies in µs. */
  usecs: number;
  fails: number;
  redisErrors: number;
}

export interface ProxyStatsSnapshot {
  online: boolean;
  closed: boolean;
  ops: {
    total: number;
    fails: number;
    redisErrors: number;
    qps: number;
    commands: ProxyCommandStats[];
  };
  sessions: { total: number; alive: number };
  /** Sentinel watching (spec/proxy.md §6.8), when the core reports it. */
  sentinels?: { servers: string[]; masters: Record<string, string>; switched: boolean };
}

export interface ProxyCore {
  listen(): Promise<void>;
  /** The proxy listener's bound address (for unix sockets: host = the path, port = 0). */
  address(): { host: string; port: number };
  close(): Promise<void>;
  /** Go online; idempotent. Throws `use of closed proxy` when closed. */
  start(): void;
  readonly online: boolean;
  readonly closed: boolean;
  /** Applies the slots in order; throws a ProxyError (`use of invalid slot id`, ...) at the first bad one. */
  fillSlots(slots: ProxySlot[]): void;
  slots(): ProxySlot[];
  stats(): ProxyStatsSnapshot;
  resetStats(): void;
  setSentinels(servers: string[]): void;
  rewatchSentinels(): void;
}
