// Server-wide state of the administration commands: the slow log, latency events, MONITOR
// clients, CLIENT PAUSE, and the figures INFO samples over time (ops/sec, peak memory, ids).
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Client } from './client.ts';
import type { ServerCommand } from './command-registry.ts';
import type { CodisServer } from './server.ts';

export interface SlowlogEntry {
  id: number;
  time: number;
  microseconds: number;
  argv: string[];
  address: string;
  name: string;
}

export interface LatencyEvent {
  /** Samples [unix seconds, ms], oldest first, at most LATENCY_HISTORY. */
  samples: Array<[number, number]>;
  max: number;
}

interface ParkedRequest {
  client: Client;
  argv: string[];
}

const SLOWLOG_MAX_ARGC = 32;
const SLOWLOG_MAX_STRING = 128;
const LATENCY_HISTORY = 160;
const OPS_SAMPLES = 16;
const OPS_INTERVAL_MS = 100;

export class AdminState {
  readonly server: CodisServer;
  readonly runId = randomBytes(20).toString('hex');
  readonly replicationId = randomBytes(20).toString('hex');
  slowlog: SlowlogEntry[] = [];
  nextSlowlogId = 0;
  readonly latency = new Map<string, LatencyEvent>();
  readonly monitors = new Set<Client>();
  readonly noEvict = new WeakSet<Client>();
  peakMemory = 0;
  /**
   * The pause in force, read by the gate on every request: the most restrictive of CLIENT PAUSE's
   * and a FAILOVER's (Redis's pause purposes: CLIENT UNPAUSE does not end a failover's pause).
   */
  pauseMode: 'all' | 'write' | undefined;
  /** CLIENT PAUSE: 'all', 'write' or undefined; until when (ms). */
  private clientPauseMode: 'all' | 'write' | undefined;
  pauseEnd = 0;
  private pauseTimer: NodeJS.Timeout | undefined;
  /** FAILOVER pauses writes until it ends (completed or aborted). */
  private failoverPause = false;
  private readonly parked: ParkedRequest[] = [];
  private readonly opsSamples: number[] = [];
  private lastOpsTime = 0;
  private lastOpsCommands = 0;

  /** slowlog-log-slower-than and latency-monitor-threshold, read once per change, not per command. */
  private slowlogThreshold: number;
  private latencyThreshold: number;

  constructor(server: CodisServer) {
    this.server = server;
    this.slowlogThreshold = server.config.getNumber('slowlog-log-slower-than');
    this.latencyThreshold = server.config.getNumber('latency-monitor-threshold');
    server.config.onChange((name, value) => {
      if (name === 'slowlog-log-slower-than') this.slowlogThreshold = Number(value);
      else if (name === 'latency-monitor-threshold') this.latencyThreshold = Number(value);
    });
  }

  /** ops/sec averaged over the last samples (INFO instantaneous_ops_per_sec). */
  get instantaneousOps(): number {
    if (this.opsSamples.length === 0) return 0;
    let sum = 0;
    for (const sample of this.opsSamples) sum += sample;
    return Math.round(sum / this.opsSamples.length);
  }

  sample(now: number): void {
    const used = process.memoryUsage().heapUsed;
    if (used > this.peakMemory) this.peakMemory = used;
    if (now - this.lastOpsTime < OPS_INTERVAL_MS) return;
    const commands = this.server.stats.totalCommands;
    if (this.lastOpsTime !== 0) {
      const rate = ((commands - this.lastOpsCommands) * 1000) / (now - this.lastOpsTime);
      this.opsSamples.push(rate);
      if (this.opsSamples.length > OPS_SAMPLES) this.opsSamples.shift();
    }
    this.lastOpsTime = now;
    this.lastOpsCommands = commands;
  }

  afterCommand(client: Client, command: ServerCommand, argv: string[], microseconds: number): void {
    const flags = command.spec.flags;
    if (this.monitors.size > 0) {
      const root = command.parent ?? command;
      if (!flags.has('admin') && !root.spec.flags.has('admin') && !flags.has('skip_monitor')) {
        client.materializeArguments();
        this.feedMonitors(client, argv);
      }
    }
    const threshold = this.slowlogThreshold;
    if (threshold >= 0 && microseconds >= threshold && !flags.has('skip_slowlog')) {
      client.materializeArguments();
      this.logSlow(client, argv, microseconds);
    }
    const latencyThreshold = this.latencyThreshold;
    if (latencyThreshold > 0 && microseconds >= latencyThreshold * 1000) {
      this.addLatencySample(flags.has('fast') ? 'fast-command' : 'command', Math.floor(microseconds / 1000));
    }
  }

  private logSlow(client: Client, argv: string[], microseconds: number): void {
    const max = this.server.config.getNumber('slowlog-max-len');
    const count = Math.min(argv.length, SLOWLOG_MAX_ARGC);
    const kept: string[] = [];
    for (let i = 0; i < count; i++) {
      if (count !== argv.length && i === count - 1) {
        kept.push(`... (${argv.length - count + 1} more arguments)`);
        break;
      }
      const arg = argv[i] as string;
      kept.push(
        arg.length > SLOWLOG_MAX_STRING
          ? `${arg.slice(0, SLOWLOG_MAX_STRING)}... (${arg.length - SLOWLOG_MAX_STRING} more bytes)`
          : arg,
      );
    }
    this.slowlog.unshift({
      id: this.nextSlowlogId++,
      time: Math.floor(Date.now() / 1000),
      microseconds: Math.floor(microseconds),
      argv: kept,
      address: client.address,
      name: client.name,
    });
    if (this.slowlog.length > max) this.slowlog.length = max;
  }

  addLatencySample(event: string, ms: number): void {
    const now = Math.floor(Date.now() / 1000);
    let state = this.latency.get(event);
    if (state === undefined) {
      state = { samples: [], max: 0 };
      this.latency.set(event, state);
    }
    if (ms > state.max) state.max = ms;
    const last = state.samples[state.samples.length - 1];
    if (last !== undefined && last[0] === now) {
      if (ms > last[1]) last[1] = ms;
      return;
    }
    state.samples.push([now, ms]);
    if (state.samples.length > LATENCY_HISTORY) state.samples.shift();
  }

  private feedMonitors(client: Client, argv: string[]): void {
    const micro = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    const seconds = Math.floor(micro / 1e6);
    const micros = String(micro % 1e6).padStart(6, '0');
    let line = `+${seconds}.${micros} [${client.databaseIndex} ${client.socket === undefined ? 'lua' : client.address}]`;
    for (const arg of argv) line += ` ${quoteArgument(arg)}`;
    line += '\r\n';
    for (const monitor of this.monitors) {
      if (monitor.closed) continue;
      monitor.out.raw(line);
      monitor.scheduleFlush();
    }
  }

  /** The gate of CLIENT PAUSE: parks requests while the pause applies to them. */
  pauseGate(client: Client, command: ServerCommand, argv: string[]): boolean {
    const mode = this.pauseMode;
    if (mode === undefined || client.socket === undefined) return false;
    if (mode === 'write') {
      const flags = command.spec.flags;
      if (!flags.has('write') && !flags.has('may_replicate')) return false;
    }
    client.paused = true;
    client.materializeArguments();
    this.parked.push({ client, argv: argv.slice() });
    return true;
  }

  /** CLIENT PAUSE: a pause already in force is extended, never made less restrictive. */
  pause(mode: 'all' | 'write', until: number): void {
    if (this.clientPauseMode !== 'all') this.clientPauseMode = mode;
    if (until > this.pauseEnd) this.pauseEnd = until;
    if (this.pauseTimer !== undefined) clearTimeout(this.pauseTimer);
    this.pauseTimer = setTimeout(() => this.unpause(), Math.max(0, this.pauseEnd - Date.now()));
    this.applyPause();
  }

  /** CLIENT UNPAUSE, or the end of CLIENT PAUSE's timeout. */
  unpause(): void {
    if (this.pauseTimer !== undefined) clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
    this.clientPauseMode = undefined;
    this.pauseEnd = 0;
    this.applyPause();
  }

  /** FAILOVER: writes wait until the failover ends. */
  pauseForFailover(): void {
    this.failoverPause = true;
    this.applyPause();
  }

  unpauseForFailover(): void {
    this.failoverPause = false;
    this.applyPause();
  }

  private applyPause(): void {
    const before = this.pauseMode;
    const mode = this.clientPauseMode ?? (this.failoverPause ? 'write' : undefined);
    this.pauseMode = mode;
    // As Redis while writes are paused: keys expire for readers but are not deleted, so no DEL
    // moves the replication offset (a failover waits for a replica to reach it).
    if ((before === undefined) !== (mode === undefined))
      this.server.expiryHidesOnly = mode !== undefined || this.server.role === 'slave';
    if (before === undefined || before === mode || mode === 'all') return;
    // Less restrictive: every parked request runs again; one the pause still covers parks again.
    const parked = this.parked.splice(0);
    // Resumed clients run their parked request first, then the rest of their pipeline.
    setImmediate(() => {
      for (const { client, argv } of parked) {
        client.paused = false;
        if (client.closed) continue;
        this.server.execute(client, argv);
        client.processInput();
      }
    });
  }

  forget(client: Client): void {
    this.monitors.delete(client);
    for (let i = this.parked.length - 1; i >= 0; i--)
      if (this.parked[i]?.client === client) this.parked.splice(i, 1);
  }

  /** Free the slow log's and latency's memory, for CONFIG RESETSTAT and SHUTDOWN. */
  resetPeak(): void {
    this.peakMemory = process.memoryUsage().heapUsed;
  }
}

/** Redis's sdscatrepr: a double-quoted, escaped representation of a binary string. */
export function quoteArgument(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const ch = text[i] as string;
    if (ch === '\\' || ch === '"') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code === 7) out += '\\a';
    else if (code === 8) out += '\\b';
    else if (code >= 32 && code < 127) out += ch;
    else out += `\\x${code.toString(16).padStart(2, '0')}`;
  }
  return `${out}"`;
}

/**
 * The administration state of a server, created on first use with its hooks and cron task. Its
 * pause gate is installed by the server's assembly, after the gates Redis checks first.
 */
export function adminState(server: CodisServer): AdminState {
  let state = server.features.get('admin') as AdminState | undefined;
  if (state !== undefined) return state;
  state = new AdminState(server);
  const admin = state;
  server.features.set('admin', admin);
  server.afterCommandHooks.push((client, command, argv, microseconds) =>
    admin.afterCommand(client, command, argv, microseconds),
  );
  server.clientClosedHooks.push((client) => admin.forget(client));
  server.addCronTask((now) => admin.sample(now));
  return admin;
}
