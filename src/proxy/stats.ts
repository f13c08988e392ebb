// The proxy's counters (spec/proxy.md §9). Per-command records live as long as the process and are
// zeroed by a reset, so a request can hold its record without a map lookup on the hot path.

import type { ProxyCommandStats } from './admin/core.ts';

/** A command's live record: the snapshot's fields, its name fixed. */
export interface CommandStats extends ProxyCommandStats {
  readonly opstr: string;
}

export class ProxyStats {
  total = 0;
  fails = 0;
  redisErrors = 0;
  qps = 0;
  sessionsTotal = 0;
  sessionsAlive = 0;
  private readonly commands = new Map<string, CommandStats>();
  private lastTotal = 0;
  private lastTick = 0;

  command(opstr: string): CommandStats {
    let record = this.commands.get(opstr);
    if (record === undefined) {
      record = { opstr, calls: 0, usecs: 0, fails: 0, redisErrors: 0 };
      this.commands.set(opstr, record);
    }
    return record;
  }

  /** Called about once a second: requests per second since the previous call. */
  tick(now: number): void {
    if (this.lastTick !== 0 && now > this.lastTick) {
      this.qps = Math.round(((this.total - this.lastTotal) * 1000) / (now - this.lastTick));
    }
    this.lastTotal = this.total;
    this.lastTick = now;
  }

  reset(): void {
    this.total = 0;
    this.fails = 0;
    this.redisErrors = 0;
    this.lastTotal = 0;
    this.sessionsTotal = this.sessionsAlive;
    for (const record of this.commands.values()) {
      record.calls = 0;
      record.usecs = 0;
      record.fails = 0;
      record.redisErrors = 0;
    }
  }

  commandList(): ProxyCommandStats[] {
    const list: ProxyCommandStats[] = [];
    for (const r of this.commands.values()) {
      if (r.calls === 0 && r.fails === 0 && r.redisErrors === 0) continue;
      list.push({
        opstr: r.opstr,
        calls: r.calls,
        usecs: Math.round(r.usecs),
        fails: r.fails,
        redisErrors: r.redisErrors,
      });
    }
    // Byte order, as Go sorts strings.
    return list.sort((a, b) => (a.opstr < b.opstr ? -1 : a.opstr > b.opstr ? 1 : 0));
  }
}
