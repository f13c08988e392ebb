// A Codis cluster of real programs on loopback for end-to-end tests: codis-servers, a
// codis-dashboard on a chosen coordinator, codis-proxies, codis-admin run in process, and clients
// writing through the proxies that remember what was acknowledged. Every process is stopped by its
// pid in `dispose()`.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { Redis } from 'ioredis';
import { runAdmin } from '../../src/admin/index.ts';
import { type Daemon, startDaemon } from './daemon.ts';
import { freePort } from './free-port.ts';
import { type RunningServer, startServer } from './redis-servers.ts';

const CLI = resolve(import.meta.dirname, '..', '..', 'src', 'cli');

export interface Coordinator {
  /** `filesystem`, `etcd` or `zookeeper`. */
  readonly name: string;
  readonly addr: string;
  /** The codis-admin flag naming it, e.g. `--etcd=127.0.0.1:2379`. */
  readonly adminFlag: string;
}

export interface AdminResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
  diagnostics: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    )
      return;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}\n${diagnostics()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ProxyProcess {
  readonly name: string;
  readonly daemon: Daemon;
  readonly port: number;
  readonly adminAddr: string;
}

export interface SlotState {
  id: number;
  group_id: number;
  action?: { state?: string; target_id?: number };
}

export class Cluster {
  readonly product: string;
  readonly coordinator: Coordinator;
  readonly dir: string;
  readonly servers: RunningServer[] = [];
  readonly proxies: ProxyProcess[] = [];
  dashboard: Daemon | undefined;
  dashboardPort = 0;
  readonly dashboardConfig: string;
  readonly #daemons: Daemon[] = [];
  /** Writers stopped by dispose() when a test fails before stopping them. */
  readonly writers: Writers[] = [];

  constructor(product: string, coordinator: Coordinator) {
    this.product = product;
    this.coordinator = coordinator;
    this.dir = mkdtempSync(join(tmpdir(), 'codis-e2e-'));
    this.dashboardConfig = join(this.dir, 'dashboard.toml');
  }

  get dashboardAddr(): string {
    return `127.0.0.1:${this.dashboardPort}`;
  }

  addr(i: number): string {
    const server = this.servers[i];
    assert.ok(server, `server ${i}`);
    return `127.0.0.1:${server.port}`;
  }

  async startServers(count: number, args: string[] = []): Promise<void> {
    const started = await Promise.allSettled(
      Array.from({ length: count }, () => startServer('codis-server', { args })),
    );
    // The ones that started are kept, so stopping the cluster stops them when another failed.
    for (const result of started) if (result.status === 'fulfilled') this.servers.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  /** Writes dashboard.toml (extra lines override nothing: they are keys not set here). */
  writeDashboardConfig(extra: string[] = []): void {
    writeFileSync(
      this.dashboardConfig,
      [
        `coordinator_name = "${this.coordinator.name}"`,
        `coordinator_addr = "${this.coordinator.addr}"`,
        `product_name = "${this.product}"`,
        `admin_addr = "${this.dashboardAddr}"`,
        ...extra,
      ].join('\n'),
    );
  }

  async startDashboard(extra: string[] = []): Promise<Daemon> {
    if (this.dashboardPort === 0) this.dashboardPort = await freePort();
    this.writeDashboardConfig(extra);
    const base = `http://${this.dashboardAddr}`;
    const daemon = await startDaemon({
      command: process.execPath,
      args: [join(CLI, 'codis-dashboard.ts'), '--config', this.dashboardConfig, '--log-level', 'WARN'],
      ready: async () => (await fetch(`${base}/readyz`)).status === 200,
      ports: [this.dashboardPort],
    });
    this.#daemons.push(daemon);
    this.dashboard = daemon;
    return daemon;
  }

  async startProxy(name: string, extra: string[] = []): Promise<ProxyProcess> {
    const port = await freePort();
    const adminAddr = `127.0.0.1:${await freePort()}`;
    const config = join(this.dir, `${name}.toml`);
    writeFileSync(
      config,
      [
        `product_name = "${this.product}"`,
        `proxy_addr = "127.0.0.1:${port}"`,
        `admin_addr = "${adminAddr}"`,
        'backend_ping_period = "1s"',
        ...extra,
      ].join('\n'),
    );
    const daemon = await startDaemon({
      command: process.execPath,
      args: [join(CLI, 'codis-proxy.ts'), '--config', config, '--log-level', 'WARN'],
      ready: async () => (await fetch(`http://${adminAddr}/proxy/model`)).status === 200,
      ports: [port, Number(adminAddr.slice(adminAddr.lastIndexOf(':') + 1))],
    });
    this.#daemons.push(daemon);
    const proxy = { name, daemon, port, adminAddr };
    this.proxies.push(proxy);
    return proxy;
  }

  /** codis-admin, in process, against this cluster's dashboard unless `--proxy`/a coordinator is given. */
  async admin(...args: string[]): Promise<AdminResult> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    stderr.on('data', (c: Buffer) => {
      err += c.toString('utf8');
    });
    const target = args.some((a) => /^--(proxy|filesystem|etcd|zookeeper)=/.test(a))
      ? []
      : [`--dashboard=${this.dashboardAddr}`];
    const code = await runAdmin([...target, ...args], { stdout, stderr, env: {} });
    return { code, stdout: out, stderr: err };
  }

  /** codis-admin that must succeed; returns its stdout. */
  async ok(...args: string[]): Promise<string> {
    const result = await this.admin(...args);
    assert.equal(result.code, 0, `codis-admin ${args.join(' ')}: ${result.stderr}\n${this.diagnostics()}`);
    return result.stdout;
  }

  async slots(): Promise<SlotState[]> {
    const response = await fetch(`http://${this.dashboardAddr}/topom/stats`);
    const body = (await response.json()) as { slots: SlotState[] };
    return body.slots;
  }

  /** Waits until no slot has an action; returns the slot → group map. */
  async waitMigrations(timeoutMs = 60_000): Promise<number[]> {
    let groups: number[] = [];
    await waitFor(
      'the slot actions to finish',
      async () => {
        const slots = await this.slots();
        groups = slots.map((s) => s.group_id);
        return slots.every((s) => s.action?.state === undefined || s.action.state === '');
      },
      timeoutMs,
      () => this.diagnostics(),
    );
    return groups;
  }

  diagnostics(): string {
    const tail = (text: string): string => text.slice(-3000);
    return [
      `--- dashboard\n${tail(this.dashboard?.output() ?? '')}`,
      ...this.proxies.map((p) => `--- ${p.name}\n${tail(p.daemon.output())}`),
    ].join('\n');
  }

  async dispose(): Promise<void> {
    await Promise.all(this.writers.map((w) => w.stop()));
    await Promise.all(this.#daemons.map((d) => d.stop(2_000)));
    await Promise.all(this.servers.map((s) => s.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function client(port: number): Redis {
  const redis = new Redis({
    port,
    host: '127.0.0.1',
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => 100,
    lazyConnect: true,
  });
  redis.on('error', () => undefined);
  return redis;
}

/**
 * Clients writing through proxies: each INCRs counters and SETs keys of its own; what each
 * write's reply acknowledged is remembered, and the time during which writes failed.
 */
export class Writers {
  readonly acked = new Map<string, number>();
  readonly uncertain = new Set<string>();
  errors = 0;
  lastError = '';
  failedMs = 0;
  #failedSince = 0;
  #running = true;
  readonly #loops: Promise<void>[] = [];
  readonly #clients: Redis[] = [];

  constructor(ports: number[], counters = 64) {
    ports.forEach((port, w) => {
      const redis = client(port);
      this.#clients.push(redis);
      this.#loops.push(this.#loop(redis, w, counters));
    });
  }

  /** Acknowledged writes. */
  writes = 0;

  async #loop(redis: Redis, w: number, counters: number): Promise<void> {
    await redis.connect().catch(() => undefined);
    for (let n = 0; this.#running; n++) {
      const counter = `counter:${n % counters}`;
      const key = `w:${w}:${n}`;
      try {
        const [incr, set] = (await redis.pipeline().incr(counter).set(key, String(n)).exec()) ?? [];
        if (incr?.[0]) this.uncertain.add(counter);
        else {
          this.acked.set(counter, (this.acked.get(counter) ?? 0) + 1);
          this.writes++;
        }
        if (set?.[0]) this.uncertain.add(key);
        else {
          this.acked.set(key, n);
          this.writes++;
        }
        if (incr?.[0] || set?.[0]) throw incr?.[0] ?? set?.[0];
        if (this.#failedSince !== 0) {
          this.failedMs += Date.now() - this.#failedSince;
          this.#failedSince = 0;
        }
      } catch (error) {
        this.errors++;
        this.lastError = String(error);
        this.uncertain.add(counter);
        this.uncertain.add(key);
        if (this.#failedSince === 0) this.#failedSince = Date.now();
        await new Promise((r) => setTimeout(r, 20));
      }
      // About 400 pipelines a second per client: load, not a benchmark.
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  get failing(): boolean {
    return this.#failedSince !== 0;
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
    for (const redis of this.#clients) redis.disconnect();
  }

  /**
   * Reads every acknowledged key through `port`: returns the keys whose value is not what was
   * acknowledged (a key also written by a failed request may hold more: counters, or be missing).
   */
  async verify(port: number): Promise<{ checked: number; lost: string[] }> {
    const redis = client(port);
    await redis.connect();
    try {
      const keys = [...this.acked.keys()];
      const lost: string[] = [];
      for (let i = 0; i < keys.length; i += 500) {
        const chunk = keys.slice(i, i + 500);
        const values = await redis.mget(...chunk);
        chunk.forEach((key, j) => {
          const expected = this.acked.get(key) as number;
          const got = values[j];
          const value = got === null || got === undefined ? undefined : Number(got);
          if (this.uncertain.has(key)) {
            // A failed write may or may not have been applied.
            if (key.startsWith('counter:') ? value === undefined || value < expected : false) lost.push(key);
          } else if (value !== expected) lost.push(key);
        });
      }
      return { checked: keys.length, lost };
    } finally {
      redis.disconnect();
    }
  }
}
