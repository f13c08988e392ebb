// `codis up`: a whole local cluster on one machine. Starts the codis-servers (a master and its
// replicas per group), a dashboard on a coordinator (a directory under the data dir by default),
// the proxies and codis-fe (the web UI); then, through the dashboard's API, creates what is missing
// (groups, servers, proxies) and spreads the slots evenly if none is assigned yet. Running it again
// reuses the data: nothing is created twice and assigned slots are left alone. SIGINT/SIGTERM stop
// everything.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { DashboardClient } from '../admin/index.ts';
import type { SlotMapping } from '../models/index.ts';
import { type Child, isRunning, startChild, stopChild } from './children.ts';
import {
  type ClusterPlan,
  dashboardConfig,
  evenSlotRanges,
  planCluster,
  proxyConfig,
  serverConfig,
  type UpOptions,
} from './plan.ts';
import { programExists, programFile } from './programs.ts';
import { httpOk, pingServer, waitUntil } from './ready.ts';

export interface UpIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Resolves when the cluster should stop (a signal); `up` then stops it and resolves. */
  readonly stopRequested: Promise<string>;
}

const START_TIMEOUT = 60_000;

export class ClusterRunner {
  readonly plan: ClusterPlan;
  readonly #io: UpIo;
  readonly #children: Child[] = [];
  #failure: string | undefined;
  #stopping = false;
  #failed: (reason: string) => void = () => undefined;
  readonly #failedPromise: Promise<string>;

  constructor(options: UpOptions, io: UpIo) {
    this.plan = planCluster(options);
    this.#io = io;
    this.#failedPromise = new Promise((resolve) => {
      this.#failed = resolve;
    });
  }

  #say(message: string): void {
    this.#io.stderr.write(`codis up: ${message}\n`);
  }

  #start(name: string, program: Parameters<typeof programFile>[0], args: string[], logFile: string): Child {
    const child = startChild(
      name,
      process.execPath,
      [programFile(program), ...args],
      logFile,
      (c, code, signal) => {
        // While stopping (a terminal's Ctrl-C also reaches the children), exits are expected.
        if (this.#stopping) return;
        // A clean exit is one that was asked for (codis-admin --shutdown, --remove-proxy): the rest
        // of the cluster keeps running. A crash stops everything, so that it is not missed.
        if (code === 0) {
          this.#say(`${c.name} has exited (status 0); the other processes keep running`);
          if (this.#children.every((other) => !isRunning(other))) this.#failed('every process has exited');
          return;
        }
        const reason = `${c.name} exited unexpectedly (${signal ?? `status ${code}`}); its log: ${c.logFile}`;
        if (this.#failure === undefined) this.#failure = reason;
        this.#failed(reason);
      },
    );
    this.#children.push(child);
    return child;
  }

  /** Starts and configures the cluster, then waits for a stop request; resolves to the exit status. */
  async run(): Promise<number> {
    for (const program of ['codis-server', 'codis-dashboard', 'codis-proxy'] as const) {
      if (!programExists(program)) {
        this.#say(`${program} is not part of this build (${programFile(program)} is missing)`);
        return 1;
      }
    }
    const interrupted = this.#io.stopRequested.then((signal) => {
      this.#stopping = true;
      return `received ${signal}`;
    });
    try {
      const ready = this.#startAll();
      const first = await Promise.race([ready.then(() => undefined), interrupted, this.#failedPromise]);
      if (first !== undefined) {
        this.#say(`${first}; stopping`);
        await ready.catch(() => undefined);
        await this.stop();
        return this.#failure === undefined ? 0 : 1;
      }
    } catch (error) {
      this.#say(`start failed: ${(error as Error).message}`);
      await this.stop();
      return 1;
    }
    this.#printSummary();
    const reason = await Promise.race([interrupted, this.#failedPromise]);
    this.#say(`${reason}; stopping the cluster`);
    await this.stop();
    this.#say('stopped');
    return this.#failure === undefined ? 0 : 1;
  }

  async #startAll(): Promise<void> {
    const plan = this.plan;
    mkdirSync(plan.dir, { recursive: true });
    if (plan.coordinator.name.startsWith('f')) mkdirSync(plan.coordinator.addr, { recursive: true });

    // Servers: their redis.conf is written once; later the server owns it (CONFIG REWRITE).
    for (const server of plan.servers) {
      mkdirSync(server.dir, { recursive: true });
      if (!existsSync(server.configFile)) writeFileSync(server.configFile, serverConfig(plan, server));
      this.#start(`codis-server ${server.addr}`, 'codis-server', [server.configFile], server.logFile);
    }
    writeFileSync(plan.dashboard.configFile, dashboardConfig(plan));
    const dashboard = this.#start(
      'codis-dashboard',
      'codis-dashboard',
      [`--config=${plan.dashboard.configFile}`],
      plan.dashboard.logFile,
    );
    const proxies = plan.proxies.map((proxy) => {
      writeFileSync(proxy.configFile, proxyConfig(plan, proxy));
      return this.#start(proxy.name, 'codis-proxy', [`--config=${proxy.configFile}`], proxy.logFile);
    });
    const fe =
      plan.fe !== undefined && programExists('codis-fe')
        ? this.#startFe(plan.fe.addr, plan.fe.logFile)
        : undefined;

    await Promise.all(
      plan.servers.map((server, i) =>
        waitUntil(
          `codis-server ${server.addr}`,
          () => pingServer(server.addr),
          START_TIMEOUT,
          () => isRunning(this.#children[i] as Child),
        ),
      ),
    );
    this.#say(`${plan.servers.length} codis-servers are up`);

    const client = new DashboardClient({ addr: plan.dashboard.addr });
    client.setProduct(plan.product);
    // The dashboard answers before it holds the product lock; stats work once it is online.
    await waitUntil(
      `codis-dashboard ${plan.dashboard.addr}`,
      () => client.stats().then(() => true),
      START_TIMEOUT,
      () => isRunning(dashboard),
    );
    this.#say(`codis-dashboard is online at ${plan.dashboard.addr}`);
    await Promise.all(
      plan.proxies.map((proxy, i) =>
        waitUntil(
          `${proxy.name} ${proxy.adminAddr}`,
          () => httpOk(`http://${proxy.adminAddr}/api/proxy/model`),
          START_TIMEOUT,
          () => isRunning(proxies[i] as Child),
        ),
      ),
    );
    await this.#configure(client);
    if (fe !== undefined && plan.fe !== undefined) {
      const url = `http://${plan.fe.addr}/`;
      await waitUntil(
        'codis-fe',
        () => httpOk(url),
        START_TIMEOUT,
        () => isRunning(fe),
      );
    }
  }

  /** codis-fe finds the product in the same coordinator as the dashboard. */
  #startFe(addr: string, logFile: string): Child {
    const { name, addr: where, auth } = this.plan.coordinator;
    const kind = name.startsWith('f') ? 'filesystem' : name.startsWith('e') ? 'etcd' : 'zookeeper';
    const args = [`--${kind}=${where}`, `--listen=${addr}`];
    if (auth !== '' && kind !== 'filesystem') args.push(`--${kind}-auth=${auth}`);
    return this.#start('codis-fe', 'codis-fe', args, logFile);
  }

  /** Creates what the dashboard does not know yet; leaves everything else as it is. */
  async #configure(client: DashboardClient): Promise<void> {
    const plan = this.plan;
    const stats = await client.stats();
    const groups = new Map((stats.group?.models ?? []).map((g) => [g.id, g]));
    const known = new Set<string>();
    for (const g of groups.values()) for (const s of g.servers ?? []) known.add(s.server);
    for (const group of plan.groups) {
      if (!groups.has(group.gid)) {
        await client.createGroup(group.gid);
        this.#say(`created group ${group.gid}`);
      }
      for (const server of group.servers) {
        if (known.has(server.addr)) continue;
        await client.groupAddServer(group.gid, server.addr);
        this.#say(`added ${server.addr} to group ${group.gid}`);
      }
    }

    const slots = stats.slots ?? [];
    const untouched = slots.every(
      (s) => s.group_id === 0 && Object.keys((s.action ?? {}) as object).length === 0,
    );
    if (untouched) {
      const assignments: SlotMapping[] = [];
      for (const range of evenSlotRanges(plan.groups.map((g) => g.gid))) {
        for (let id = range.beg; id <= range.end; id++) {
          assignments.push({ id, groupId: range.gid, action: { index: 0, state: '', targetId: 0 } });
        }
        this.#say(`slots [${range.beg},${range.end}] => group ${range.gid}`);
      }
      await client.assignSlots(assignments);
    } else {
      this.#say('slots already assigned; left as they are');
      const empty = plan.groups.filter((g) => !slots.some((x) => x.group_id === g.gid));
      if (empty.length > 0) {
        this.#say(
          `group ${empty.map((g) => g.gid).join(', ')} has no slots yet: ` +
            `codis admin --dashboard=${plan.dashboard.addr} --rebalance --confirm moves some to it`,
        );
      }
    }

    for (const proxy of plan.proxies) {
      // online = register or refresh, then push every slot and start serving.
      await client.onlineProxy(proxy.adminAddr);
    }
    // An assignment leaves its groups flagged out of sync until they are resynced (spec §8.7).
    await client.resyncGroupAll();
  }

  #printSummary(): void {
    const plan = this.plan;
    const lines = [`codis up: product ${plan.product} is up`];
    for (const proxy of plan.proxies) {
      lines.push(`  proxy       ${proxy.proxyAddr}   (admin http://${proxy.adminAddr})`);
    }
    lines.push(`  dashboard   http://${plan.dashboard.addr}`);
    if (plan.fe !== undefined && programExists('codis-fe'))
      lines.push(`  fe          http://${plan.fe.addr}   (web UI)`);
    for (const group of plan.groups) {
      const members = group.servers.map((s) => `${s.addr} (${s.index === 0 ? 'master' : 'replica'})`);
      lines.push(`  group ${String(group.gid).padEnd(5)} ${members.join(', ')}`);
    }
    lines.push(`  coordinator ${plan.coordinator.name} ${plan.coordinator.addr}`);
    lines.push(`  data, configs and logs under ${plan.dir}`);
    const first = plan.proxies[0];
    if (first !== undefined) {
      const colon = first.proxyAddr.lastIndexOf(':');
      lines.push(
        `Try: redis-cli -h ${first.proxyAddr.slice(0, colon)} -p ${first.proxyAddr.slice(colon + 1)} set hello world`,
      );
    }
    lines.push(`Admin: codis admin --dashboard=${plan.dashboard.addr} --group-status`);
    lines.push('Ctrl-C stops the cluster.');
    this.#io.stdout.write(`${lines.join('\n')}\n`);
  }

  /** Proxies first (no client traffic), then the dashboard (it releases its lock), then the servers. */
  async stop(): Promise<void> {
    this.#stopping = true;
    const byKind = (prefix: string) => this.#children.filter((c) => c.name.startsWith(prefix));
    const proxies = this.#children.filter((c) => c.name.startsWith('proxy-') || c.name === 'codis-fe');
    await Promise.all(proxies.map((c) => stopChild(c)));
    await Promise.all(byKind('codis-dashboard').map((c) => stopChild(c)));
    await Promise.all(byKind('codis-server').map((c) => stopChild(c)));
  }
}

/** Runs `codis up` until SIGINT or SIGTERM; resolves to the exit status. */
export async function up(
  options: UpOptions,
  stdout = process.stdout,
  stderr = process.stderr,
): Promise<number> {
  let onSignal: (signal: string) => void = () => undefined;
  const stopRequested = new Promise<string>((resolve) => {
    onSignal = resolve;
  });
  const handler = (signal: NodeJS.Signals): void => onSignal(signal);
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  try {
    let runner: ClusterRunner;
    try {
      runner = new ClusterRunner(options, { stdout, stderr, stopRequested });
    } catch (error) {
      stderr.write(`codis up: ${(error as Error).message}\n`);
      return 1;
    }
    return await runner.run();
  } finally {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  }
}
