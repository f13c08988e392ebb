// npm run bench:cluster: whole-cluster slot migration through codis-dashboard (issue #8). A product of
// real programs on loopback (two codis-servers, one group each, codis-dashboard on the filesystem
// coordinator, one codis-proxy); for each migration method:
// 1. empty: the 1024 slots, still empty, moved from group 1 to group 2 (create-range 0..1023);
// 2. keys: N small keys (`key:N` → 16-byte value) loaded into group 2, then all 1024 slots moved back
//    to group 1 while clients GET/SET those keys through the proxy: total time, keys/s, the clients'
//    throughput and p99 before and during, and the longest stall seen by a separate client doing
//    GET in a loop through the proxy;
// 3. hash: one hash of F fields moved alone (its slot only), with the same stall probe running.
//   node bench/cluster-migration.ts [--quick] [--keys N] [--hash-fields F] [--method sync|semi-async]
//                                   [--phases empty,keys,hash] [--repeats N] [--markdown FILE]
//                                   [--trace FILE]
// --quick: 100,000 keys and a 100,000-field hash (defaults: 1,000,000 and 1,000,000).
// --repeats N runs each method N times on a fresh product and prints the medians (1 by default: a
// sync run takes minutes); the longest stall is a maximum, so one run's value swings with whatever
// else the 2 shared vCPUs do, and the median of several runs' is the typical worst stall of a move.
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { ReplyParser } from '../src/resp/index.ts';
import { slotOf } from '../src/slots/index.ts';
import { Cluster } from '../test/helpers/cluster.ts';
import { RawConnection } from '../test/helpers/raw-connection.ts';
import { format, median } from './measure.ts';

const VALUE = 'value-0123456789';

interface ClientJob {
  port: number;
  keys: number;
  connections: number;
  /** Int32 flag: the worker stops once it reads 1. */
  stop: SharedArrayBuffer;
}

interface ClientReport {
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  /** The longest single request, ms. */
  max: number;
  errors: number;
  /** The slowest requests: duration (ms) and wall-clock end (ms since the epoch), for --trace. */
  slowest: { ms: number; at: number }[];
}

// ---- The client workers (own threads, so the main thread's work does not skew their timing) ----

async function runClients(job: ClientJob): Promise<ClientReport> {
  const stop = new Int32Array(job.stop);
  const latencies: number[] = [];
  let errors = 0;
  let max = 0;
  const slowest: { ms: number; at: number }[] = [];
  let slowFloor = 0;
  const started = performance.now();
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const socket = connect(job.port, '127.0.0.1');
      const parser = new ReplyParser();
      let sentAt = 0;
      let n = 0;
      const next = (): void => {
        if (Atomics.load(stop, 0) === 1) {
          socket.destroy();
          resolve();
          return;
        }
        const key = `key:${Math.floor(Math.random() * job.keys)}`;
        sentAt = performance.now();
        socket.write(
          n++ % 2 === 0
            ? `*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`
            : `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${VALUE.length}\r\n${VALUE}\r\n`,
        );
      };
      socket.on('connect', next);
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => {
        parser.feed(chunk);
        for (let reply = parser.next(); reply !== undefined; reply = parser.next()) {
          const took = performance.now() - sentAt;
          latencies.push(took);
          if (took > max) max = took;
          if (took > slowFloor) {
            slowest.push({ ms: took, at: Date.now() });
            if (slowest.length > 40) {
              slowest.sort((a, b) => b.ms - a.ms).length = 20;
              slowFloor = slowest[19]?.ms ?? 0;
            }
          }
          if (reply.raw[0] === 0x2d) errors++;
          next();
        }
      });
    });
  await Promise.all(Array.from({ length: job.connections }, one));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (p: number): number =>
    latencies.length === 0
      ? 0
      : (latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] as number);
  slowest.sort((a, b) => b.ms - a.ms).length = Math.min(slowest.length, 20);
  return { requests: latencies.length, seconds, p50: at(0.5), p99: at(0.99), max, errors, slowest };
}

if (!isMainThread) {
  const report = await runClients(workerData as ClientJob);
  parentPort?.postMessage(report);
}

/** Clients in a worker thread until stop() is called; stop() gives their report. */
function startClients(port: number, keys: number, connections: number): () => Promise<ClientReport> {
  const stop = new SharedArrayBuffer(4);
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { port, keys, connections, stop } satisfies ClientJob,
  });
  const report = new Promise<ClientReport>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return async () => {
    Atomics.store(new Int32Array(stop), 0, 1);
    const r = await report;
    await worker.terminate();
    return r;
  };
}

// ---- The main thread ----

interface Options {
  keys: number;
  hashFields: number;
  methods: string[];
  phases: Set<string>;
  markdown: string | undefined;
  /** Where to write the slowest requests and the daemons' logs, to line stalls up with phases. */
  trace: string | undefined;
  /** Where the filesystem coordinator's directory is made (its disk's fsync cost shows). */
  coordinatorDir: string;
  repeats: number;
}

/** What one run of a method measured, for the medians over runs. */
interface MethodResult {
  emptySeconds?: number;
  keysPerSecond?: number;
  keysStallMs?: number;
  hashStallMs?: number;
}

function options(): Options {
  const argv = process.argv.slice(2);
  const value = (flag: string): string | undefined => {
    const at = argv.indexOf(flag);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  const method = value('--method');
  return {
    keys: Number(value('--keys') ?? (quick ? 100_000 : 1_000_000)),
    hashFields: Number(value('--hash-fields') ?? (quick ? 100_000 : 1_000_000)),
    methods: method !== undefined ? [method] : ['semi-async', 'sync'],
    phases: new Set((value('--phases') ?? 'empty,keys,hash').split(',')),
    markdown: value('--markdown'),
    trace: value('--trace'),
    coordinatorDir: value('--coordinator-dir') ?? tmpdir(),
    repeats: Math.max(1, Number(value('--repeats') ?? 1)),
  };
}

/** A process's CPU time in seconds, user and system, from /proc; zeros once it is gone. */
function cpuSeconds(pid: number | undefined): [number, number] {
  if (pid === undefined) return [0, 0];
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces), from its closing parenthesis: utime and
    // stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [Number(fields[11]) / 100, Number(fields[12]) / 100];
  } catch {
    return [0, 0];
  }
}

/** The CPU seconds each daemon used between two calls: where the two cores went during a move. */
function cpuMeter(cluster: Cluster): () => string {
  const daemons: [string, number | undefined][] = [
    ['dashboard', cluster.dashboard?.process.pid],
    ...cluster.proxies.map((p): [string, number | undefined] => [p.name, p.daemon.process.pid]),
    ...cluster.servers.map((s, i): [string, number | undefined] => [`server ${i + 1}`, s.process.pid]),
  ];
  const before = daemons.map(([, pid]) => cpuSeconds(pid));
  return () =>
    daemons
      .map(([name, pid], i) => {
        const [user, system] = cpuSeconds(pid);
        const [user0, system0] = before[i] ?? [0, 0];
        return `${name} ${format(user - user0 + system - system0, 2)} s (system ${format(system - system0, 2)})`;
      })
      .join(', ');
}

/**
 * Polls the dashboard until no slot has an action; the elapsed ms since `start`. Each answer is
 * the whole stats (1024 slots as indented JSON, ~5 ms of the dashboard's CPU): polled every 20 ms
 * it took a tenth of a core from the servers, so the poll is slow while many slots are left and
 * quick near the end, where it decides the time measured.
 */
async function waitDone(cluster: Cluster, start: number, timeoutMs: number): Promise<number> {
  const deadline = start + timeoutMs;
  for (;;) {
    // Uncompressed: the dashboard gzips on request, and that CPU would be taken from the servers.
    const response = await fetch(`http://${cluster.dashboardAddr}/topom/stats`, {
      headers: { 'Accept-Encoding': 'identity' },
    });
    const body = (await response.json()) as { slots: { action?: { state?: string } }[] };
    const left = body.slots.filter((s) => (s.action?.state ?? '') !== '').length;
    if (left === 0) return performance.now() - start;
    if (performance.now() > deadline) throw new Error(`migration not done after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, left > 200 ? 250 : 20));
  }
}

async function dbsize(port: number): Promise<number> {
  const c = await RawConnection.open(port);
  try {
    return Number(await c.value('dbsize'));
  } finally {
    c.close();
  }
}

/** MSETs `count` small keys straight into a server, pipelined. */
async function loadKeys(port: number, count: number): Promise<void> {
  const c = await RawConnection.open(port);
  const perCommand = 200;
  let pending = 0;
  for (let i = 0; i < count; i += perCommand) {
    const args: string[] = [];
    for (let k = i; k < Math.min(count, i + perCommand); k++) args.push(`key:${k}`, VALUE);
    c.send('mset', ...args);
    if (++pending >= 20) for (; pending > 0; pending--) await c.reply(60_000);
  }
  for (; pending > 0; pending--) await c.reply(60_000);
  c.close();
}

async function loadHash(port: number, key: string, fields: number): Promise<void> {
  const c = await RawConnection.open(port);
  const perCommand = 500;
  let pending = 0;
  for (let i = 0; i < fields; i += perCommand) {
    const args: string[] = [];
    for (let k = i; k < Math.min(fields, i + perCommand); k++) args.push(`f${k}`, VALUE);
    c.send('hset', key, ...args);
    if (++pending >= 20) for (; pending > 0; pending--) await c.reply(60_000);
  }
  for (; pending > 0; pending--) await c.reply(60_000);
  c.close();
}

async function runMethod(method: string, o: Options, lines: string[]): Promise<MethodResult> {
  const result: MethodResult = {};
  const root = mkdtempSync(join(o.coordinatorDir, 'codis-bench-cluster-'));
  const cluster = new Cluster(`bench-${method}`, {
    name: 'filesystem',
    addr: root,
    adminFlag: `--filesystem=${root}`,
  });
  const out = (line: string): void => {
    console.log(line);
    lines.push(line);
  };
  const trace = (phase: string, reports: ClientReport[]): void => {
    if (o.trace === undefined) return;
    const slow = reports.flatMap((r) => r.slowest).sort((a, b) => a.at - b.at);
    appendFileSync(
      o.trace,
      [
        `=== ${method} ${phase}: slowest requests (end time, ms)`,
        ...slow.map((r) => `${new Date(r.at).toISOString()} ${r.ms.toFixed(1)}`),
        '=== dashboard',
        cluster.dashboard?.output() ?? '',
        ...cluster.proxies.map((p) => `=== ${p.name}\n${p.daemon.output()}`),
        // With CODIS_SERVER_GC_LOG=10 the servers' GC pauses (wall-clock) line up with the stalls.
        ...cluster.servers.map((s, i) => `=== server ${i + 1} (pid ${s.process.pid})\n${s.output()}`),
        '',
      ].join('\n'),
    );
  };
  try {
    await cluster.startServers(2);
    await cluster.startDashboard([`migration_method = "${method}"`]);
    const proxy = await cluster.startProxy('proxy');
    await cluster.ok('--create-group', '--gid=1');
    await cluster.ok('--create-group', '--gid=2');
    await cluster.ok('--group-add', '--gid=1', `--addr=${cluster.addr(0)}`);
    await cluster.ok('--group-add', '--gid=2', `--addr=${cluster.addr(1)}`);
    await cluster.ok('--create-proxy', `--addr=${proxy.adminAddr}`);
    await cluster.ok('--slots-assign', '--beg=0', '--end=1023', '--gid=1', '--confirm');
    const [s1, s2] = cluster.servers;
    if (s1 === undefined || s2 === undefined) throw new Error('servers not started');
    out(`## ${method}`);

    // Slots now in group 1; the empty move takes them to group 2.
    let owner = 1;
    let cpu = '';
    const moveAll = async (timeoutMs: number): Promise<number> => {
      const to = owner === 1 ? 2 : 1;
      const meter = cpuMeter(cluster);
      const start = performance.now();
      await cluster.ok('--slot-action', '--create-range', '--beg=0', '--end=1023', `--gid=${to}`);
      const ms = await waitDone(cluster, start, timeoutMs);
      cpu = meter();
      owner = to;
      return ms;
    };
    if (o.phases.has('empty')) {
      const ms = await moveAll(600_000);
      result.emptySeconds = ms / 1000;
      out(`1024 empty slots: ${format(ms / 1000, 2)} s (${format((1024 * 1000) / ms)} slots/s)`);
      out(`  CPU during the move: ${cpu}`);
    }

    if (o.phases.has('keys')) {
      const from = owner === 1 ? s1 : s2;
      const to = owner === 1 ? s2 : s1;
      await loadKeys(from.port, o.keys);
      const before = startClients(proxy.port, o.keys, 4);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const b = await before();
      const during = startClients(proxy.port, o.keys, 4);
      const probe = startClients(proxy.port, o.keys, 1);
      const ms = await moveAll(1_800_000);
      const d = await during();
      const p = await probe();
      trace('keys', [d, p]);
      const moved = await dbsize(to.port);
      const left = await dbsize(from.port);
      if (moved !== o.keys || left !== 0)
        throw new Error(
          `after the move: target holds ${moved} keys, source ${left}; expected ${o.keys} and 0`,
        );
      out(
        `${format(o.keys)} keys over 1024 slots: ${format(ms / 1000, 2)} s, ${format((o.keys * 1000) / ms)} keys/s`,
      );
      out(
        `  clients (4 connections, GET/SET through the proxy) before: ${format(b.requests / b.seconds)} req/s, p50 ${format(b.p50, 3)} ms, p99 ${format(b.p99, 3)} ms`,
      );
      out(
        `  during: ${format(d.requests / d.seconds)} req/s, p50 ${format(d.p50, 3)} ms, p99 ${format(d.p99, 3)} ms, errors ${d.errors}`,
      );
      result.keysPerSecond = (o.keys * 1000) / ms;
      result.keysStallMs = Math.max(p.max, d.max);
      out(`  longest stall (1 probe connection, GET/SET in a loop): ${format(Math.max(p.max, d.max), 1)} ms`);
      out(`  CPU during the move: ${cpu}`);
    }

    if (o.phases.has('hash')) {
      const from = owner === 1 ? s1 : s2;
      const key = 'bighash';
      const sid = slotOf(key);
      await loadHash(from.port, key, o.hashFields);
      const probe = startClients(proxy.port, Math.max(o.keys, 1), 1);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const start = performance.now();
      await cluster.ok('--slot-action', '--create', `--sid=${sid}`, `--gid=${owner === 1 ? 2 : 1}`);
      const ms = await waitDone(cluster, start, 600_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const p = await probe();
      trace('hash', [p]);
      result.hashStallMs = p.max;
      out(
        `one ${format(o.hashFields)}-field hash (slot ${sid}): moved in ${format(ms / 1000, 2)} s, longest stall ${format(p.max, 1)} ms`,
      );
    }
  } catch (error) {
    console.error(cluster.diagnostics());
    throw error;
  } finally {
    await cluster.dispose();
    rmSync(root, { recursive: true, force: true });
  }
  return result;
}

/** The medians of a method's runs, with each run's value, against the targets. */
function summary(method: string, results: MethodResult[]): string[] {
  const lines = [`## ${method}: median of ${results.length} runs`];
  const each = (
    name: string,
    pick: (result: MethodResult) => number | undefined,
    unit: string,
    digits: number,
    target: string,
    met: (value: number) => boolean,
  ): void => {
    const values = results.map(pick).filter((value): value is number => value !== undefined);
    if (values.length === 0) return;
    const middle = median(values);
    lines.push(
      `  ${name}: ${format(middle, digits)} ${unit} (${values.map((value) => format(value, digits)).join(', ')}); ${target}: ${met(middle) ? 'met' : 'not met'}`,
    );
  };
  each(
    '1024 empty slots',
    (r) => r.emptySeconds,
    's',
    2,
    'target ≤ 5 s',
    (v) => v <= 5,
  );
  each(
    'keys/s',
    (r) => r.keysPerSecond,
    'keys/s',
    0,
    'target ≥ 76,000 (2× Codis 3.2)',
    (v) => v >= 76_000,
  );
  each(
    'longest stall, keys',
    (r) => r.keysStallMs,
    'ms',
    1,
    'target ≤ 25 ms',
    (v) => v <= 25,
  );
  each(
    'longest stall, hash',
    (r) => r.hashStallMs,
    'ms',
    1,
    'target ≤ 25 ms',
    (v) => v <= 25,
  );
  return lines;
}

async function main(): Promise<void> {
  const o = options();
  const lines: string[] = [];
  const load = loadavg();
  lines.push(
    `load average at start: ${load.map((l) => l.toFixed(2)).join(' ')}; keys ${format(o.keys)}, hash fields ${format(o.hashFields)}`,
  );
  console.log(lines[0]);
  for (const method of o.methods) {
    const results: MethodResult[] = [];
    for (let run = 0; run < o.repeats; run++) results.push(await runMethod(method, o, lines));
    if (o.repeats > 1)
      for (const line of summary(method, results)) {
        console.log(line);
        lines.push(line);
      }
  }
  if (o.markdown !== undefined)
    appendFileSync(
      o.markdown,
      `\n### Whole-cluster migration (${new Date().toISOString()})\n\n\`\`\`\n${lines.join('\n')}\n\`\`\`\n`,
    );
}

if (isMainThread) await main();
