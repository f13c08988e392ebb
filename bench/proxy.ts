import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Daemon, requireExecutable, startDaemon } from '../test/helpers/daemon.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { RawConnection } from '../test/helpers/raw-connection.ts';
import { type RunningServer, type ServerKind, startServer } from '../test/helpers/redis-servers.ts';
import { cpuSeconds, format, median, redisBenchmark, rssMegabytes } from './measure.ts';

interface Workload {
  name: string;
  args: string[];
  requests: number;
}

interface Measurement {
  rps: number;
  p50: number;
  p99: number;
}

type TargetName =
  | 'codis-proxy'
  | 'codis-proxy → redis-server'
  | 'codis-proxy before → redis-server'
  | 'nutcracker'
  | 'redis-server';

interface Target {
  name: TargetName;
  port: number;
  /** The process redis-benchmark talks to (proxy, or the server itself). */
  front: number;
  /** Its backends (empty for the direct server). */
  backends: number[];
  stop(): Promise<void>;
}

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
};
const quick = argv.includes('--quick');
const REPEATS = Number(option('--repeats') ?? 3);
const MARKDOWN_FILE = option('--markdown');
const PROFILE_DIR = option('--profile');
/**
 * Our proxy also runs in front of two redis-servers, the backends nutcracker gets: its ratio is the
 * proxy's own, apart from our backends' CPU on the core they share with redis-benchmark (Codis 3.2's
 * Go proxy was measured in front of its C servers). `--no-ours-on-redis` leaves it out.
 */
const oursOnRedis = !argv.includes('--no-ours-on-redis');
/**
 * A checkout of an earlier commit (e.g. `git worktree add /tmp/before <commit>`): its proxy runs in
 * front of two redis-servers in the same interleaved run, so a change is measured against the code
 * before it under the same machine load.
 */
const BEFORE_ROOT = option('--before');
/**
 * A/B mode: only our proxy and the --before one (both on redis-servers) and nutcracker, so each
 * repeat is shorter and the two versions run closer together in time.
 */
const AB = argv.includes('--ab');
/** Node options for the current proxy only (not --before's), e.g. `--proxy-node-args '--max-semi-space-size=2'`. */
const PROXY_NODE_ARGS = (option('--proxy-node-args') ?? '').split(' ').filter((arg) => arg !== '');
/** Indexes (from 0) of the workloads to run, e.g. `--workloads 2,3`; all by default. */
const WORKLOAD_INDEXES = option('--workloads')
  ?.split(',')
  .map((index) => Number(index));
const scale = quick ? 0.1 : 1;
/** Profile mode with --workloads: each workload's requests multiplied by this. */
const PROFILE_SCALE = Number(option('--profile-scale') ?? 1);

const ROOT = resolve(import.meta.dirname, '..');
const PROXY_ENTRY = join(ROOT, 'src', 'cli', 'codis-proxy.ts');
const NUTCRACKER = '/usr/sbin/nutcracker';
const PROXY_CPU = '0';
const BACKEND_CPU = availableParallelism() > 1 ? '1' : '0';
const CLIENT_CPU = BACKEND_CPU;

const KEYS = '10000';
const TEN_KEYS = Array.from({ length: 10 }, () => 'key:__rand_int__');
const WORKLOADS: Workload[] = [
  { name: 'SET', args: ['-c', '50', '-d', '1024', '-r', KEYS, '-t', 'set'], requests: 50_000 },
  { name: 'GET', args: ['-c', '50', '-d', '1024', '-r', KEYS, '-t', 'get'], requests: 50_000 },
  {
    name: 'SET -P 16',
    args: ['-c', '50', '-d', '1024', '-r', KEYS, '-P', '16', '-t', 'set'],
    requests: 300_000,
  },
  {
    name: 'GET -P 16',
    args: ['-c', '50', '-d', '1024', '-r', KEYS, '-P', '16', '-t', 'get'],
    requests: 300_000,
  },
  // 20,000 10-key requests take ~1 s per run. 5,000 took a quarter of a second, short enough for
  // one backend collection to decide a run: three medians of the same code gave MSET 0.56-0.74×
  // (bench/RESULTS.md, session 11).
  { name: 'MSET (10 keys)', args: ['-c', '50', '-d', '1024', '-r', KEYS, '-t', 'mset'], requests: 20_000 },
  { name: 'MGET (10 keys)', args: ['-c', '50', '-r', KEYS, 'MGET', ...TEN_KEYS], requests: 20_000 },
];

function runBenchmark(port: number, workload: Workload, requests = requestsOf(workload)): Measurement {
  return redisBenchmark(port, requests, workload.args, CLIENT_CPU);
}

function requestsOf(workload: Workload): number {
  return Math.max(1000, Math.round(workload.requests * scale));
}

async function answersPing(port: number): Promise<boolean> {
  try {
    const connection = await RawConnection.open(port);
    try {
      return (await connection.call('PING')) === '+PONG\r\n';
    } finally {
      connection.close();
    }
  } catch {
    return false;
  }
}

function pidOf(process: { pid?: number | undefined }): number {
  if (process.pid === undefined) throw new Error('process has no pid');
  return process.pid;
}

const cleanups = new Set<() => Promise<void>>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    Promise.allSettled([...cleanups].map((cleanup) => cleanup())).then(() => process.exit(130));
  });
}

/** Stops what was started so far when a later step fails (a proxy that never got ready). */
async function guarded<T>(stops: Array<() => Promise<void>>, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    await Promise.allSettled(stops.map((stop) => stop()));
    throw error;
  }
}

async function startCodisProxy(
  name: TargetName,
  backendKind: ServerKind,
  nodeArgs: string[] = [],
  entry = PROXY_ENTRY,
): Promise<Target> {
  const backends = await Promise.all([
    startServer(backendKind, { cpus: BACKEND_CPU }),
    startServer(backendKind, { cpus: BACKEND_CPU }),
  ]);
  const [a, b] = backends as [RunningServer, RunningServer];
  const dir = mkdtempSync(join(tmpdir(), 'bench-codis-proxy-'));
  const stops = [
    ...backends.map((server) => () => server.stop()),
    async () => rmSync(dir, { recursive: true }),
  ];
  const slots = Array.from({ length: 1024 }, (_, id) => ({
    id,
    backend_addr: `127.0.0.1:${id < 512 ? a.port : b.port}`,
    backend_addr_group_id: id < 512 ? 1 : 2,
  }));
  writeFileSync(join(dir, 'slots.json'), JSON.stringify(slots));
  const port = await freePort();
  const adminPort = await freePort();
  writeFileSync(
    join(dir, 'proxy.toml'),
    `product_name = "bench"\nproxy_addr = "127.0.0.1:${port}"\nadmin_addr = "127.0.0.1:${adminPort}"\n`,
  );
  const proxy: Daemon = await guarded(stops, () =>
    startDaemon({
      command: 'taskset',
      args: [
        '-c',
        PROXY_CPU,
        process.execPath,
        ...nodeArgs,
        entry,
        '-c',
        join(dir, 'proxy.toml'),
        '--fillslots',
        join(dir, 'slots.json'),
        '--log-level',
        'WARN',
      ],
      ready: () => answersPing(port),
    }),
  );
  return target(name, port, proxy, backends, dir);
}

async function startNutcracker(): Promise<Target> {
  requireExecutable(NUTCRACKER, 'nutcracker');
  const backends = await Promise.all([
    startServer('redis-server', { cpus: BACKEND_CPU }),
    startServer('redis-server', { cpus: BACKEND_CPU }),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'bench-nutcracker-'));
  const stops = [
    ...backends.map((server) => () => server.stop()),
    async () => rmSync(dir, { recursive: true }),
  ];
  const port = await freePort();
  const statsPort = await freePort();
  writeFileSync(
    join(dir, 'nutcracker.yml'),
    [
      'bench:',
      `  listen: 127.0.0.1:${port}`,
      '  hash: fnv1a_64',
      '  distribution: modula',
      '  redis: true',
      '  preconnect: true',
      '  servers:',
      ...backends.map((server, index) => `    - 127.0.0.1:${server.port}:1 server${index + 1}`),
      '',
    ].join('\n'),
  );
  const proxy = await guarded(stops, () =>
    startDaemon({
      command: 'taskset',
      args: [
        '-c',
        PROXY_CPU,
        NUTCRACKER,
        '-c',
        join(dir, 'nutcracker.yml'),
        '-s',
        String(statsPort),
        '-a',
        '127.0.0.1',
        '-o',
        join(dir, 'nutcracker.log'),
        '-p',
        join(dir, 'nutcracker.pid'),
      ],
      ready: () => answersPing(port),
    }),
  );
  return target('nutcracker', port, proxy, backends, dir);
}

async function startDirect(): Promise<Target> {
  const server = await startServer('redis-server', { cpus: PROXY_CPU });
  const stop = async (): Promise<void> => {
    cleanups.delete(stop);
    await server.stop();
  };
  cleanups.add(stop);
  return { name: 'redis-server', port: server.port, front: pidOf(server.process), backends: [], stop };
}

function target(
  name: TargetName,
  port: number,
  proxy: Daemon,
  backends: RunningServer[],
  dir: string,
): Target {
  const stop = async (): Promise<void> => {
    cleanups.delete(stop);
    await proxy.stop();
    await Promise.all(backends.map((server) => server.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  cleanups.add(stop);
  return {
    name,
    port,
    front: pidOf(proxy.process),
    backends: backends.map((server) => pidOf(server.process)),
    stop,
  };
}

interface Samples {
  measurements: Measurement[];
  requests: number;
  frontCpu: number;
  backendCpu: number;
  /** read(2)-like and write(2)-like system calls of the front process (/proc/<pid>/io). */
  frontReads: number;
  frontWrites: number;
  /** The front process's system (kernel) CPU seconds, part of frontCpu. */
  frontSystem: number;
}

/** stime of a process in seconds (its share of CPU time spent in the kernel). */
function systemSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[12]) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;

/** syscr and syscw of a process: its read- and write-like system calls so far. */
function syscalls(pid: number): [reads: number, writes: number] {
  const io = readFileSync(`/proc/${pid}/io`, 'latin1');
  return [Number(/^syscr: (\d+)/m.exec(io)?.[1]), Number(/^syscw: (\d+)/m.exec(io)?.[1])];
}

function measure(target: Target, workload: Workload, samples: Samples): void {
  const requests = requestsOf(workload);
  const frontBefore = cpuSeconds(target.front);
  const backendsBefore = target.backends.map(cpuSeconds);
  const [readsBefore, writesBefore] = syscalls(target.front);
  const systemBefore = systemSeconds(target.front);
  samples.measurements.push(runBenchmark(target.port, workload, requests));
  samples.frontCpu += cpuSeconds(target.front) - frontBefore;
  samples.backendCpu += target.backends.reduce(
    (sum, pid, index) => sum + cpuSeconds(pid) - (backendsBefore[index] as number),
    0,
  );
  samples.requests += requests;
  const [reads, writes] = syscalls(target.front);
  samples.frontReads += reads - readsBefore;
  samples.frontWrites += writes - writesBefore;
  samples.frontSystem += systemSeconds(target.front) - systemBefore;
}

/** Warms each target up (JIT, connections to the backends) and fills the key space once. */
function warmUp(target: Target): void {
  runBenchmark(target.port, WORKLOADS[0] as Workload, Math.max(1000, Math.round(50_000 * scale)));
}

async function compare(): Promise<void> {
  const started = new Date();
  const targets: Target[] = [];
  try {
    if (!AB) targets.push(await startCodisProxy('codis-proxy', 'codis-server', PROXY_NODE_ARGS));
    if (oursOnRedis || AB)
      targets.push(await startCodisProxy('codis-proxy → redis-server', 'redis-server', PROXY_NODE_ARGS));
    if (BEFORE_ROOT !== undefined) {
      const entry = join(resolve(BEFORE_ROOT), 'src', 'cli', 'codis-proxy.ts');
      targets.push(await startCodisProxy('codis-proxy before → redis-server', 'redis-server', [], entry));
    }
    targets.push(await startNutcracker());
    if (!AB) targets.push(await startDirect());
  } catch (error) {
    for (const each of targets) await each.stop();
    throw error;
  }
  const nutcracker = targets.find((each) => each.name === 'nutcracker') as Target;
  const proxies = targets.filter((each) => each.backends.length > 0);
  const rows: string[][] = [];
  const cpuRows: string[][] = [];
  let rss = '';
  try {
    for (const each of targets) warmUp(each);
    for (const [index, workload] of WORKLOADS.entries()) {
      if (WORKLOAD_INDEXES !== undefined && !WORKLOAD_INDEXES.includes(index)) continue;
      const samples = new Map<TargetName, Samples>(
        targets.map((each) => [
          each.name,
          {
            measurements: [],
            requests: 0,
            frontCpu: 0,
            backendCpu: 0,
            frontReads: 0,
            frontWrites: 0,
            frontSystem: 0,
          },
        ]),
      );
      for (let repeat = 0; repeat < REPEATS; repeat++) {
        // Interleaved: each repeat measures every target back to back, rotating who goes first.
        const order = targets.map((_, index) => targets[(index + repeat) % targets.length] as Target);
        for (const each of order) measure(each, workload, samples.get(each.name) as Samples);
      }
      const summary = (each: Target): Measurement & Samples => {
        const s = samples.get(each.name) as Samples;
        return {
          ...s,
          rps: median(s.measurements.map((m) => m.rps)),
          p50: median(s.measurements.map((m) => m.p50)),
          p99: median(s.measurements.map((m) => m.p99)),
        };
      };
      const reference = summary(nutcracker);
      const ours = targets.filter((each) => each.name.startsWith('codis-proxy')).map(summary);
      const all = targets.map(summary);
      const row = [
        workload.name,
        ...all.map((m) => format(m.rps)),
        ...ours.map((m) => `${format(m.rps / reference.rps, 2)}×`),
        ...all.map((m) => `${format(m.p50, 2)} / ${format(m.p99, 2)}`),
      ];
      rows.push(row);
      const micro = (seconds: number, requests: number): string => format((seconds * 1e6) / requests, 1);
      const cpuRow = [
        workload.name,
        ...all.map((m, index) =>
          (targets[index] as Target).backends.length > 0
            ? `${micro(m.frontCpu, m.requests)} / ${micro(m.frontCpu + m.backendCpu, m.requests)}`
            : micro(m.frontCpu, m.requests),
        ),
        ...ours.map(
          (m) =>
            `${format(m.frontCpu / m.requests / (reference.frontCpu / reference.requests), 2)}× / ${format((m.frontCpu + m.backendCpu) / m.requests / ((reference.frontCpu + reference.backendCpu) / reference.requests), 2)}×`,
        ),
      ];
      cpuRows.push(cpuRow);
      const calls = all
        .map(
          (m) =>
            `${format(m.frontReads / m.requests, 2)} / ${format(m.frontWrites / m.requests, 2)} (kernel ${format((m.frontSystem * 1e6) / m.requests, 1)} µs)`,
        )
        .join(' | ');
      // Each repeat's req/s, in run order: one slow repeat is told from a slow target.
      const repeats = all
        .map(
          (m, index) =>
            `${(targets[index] as Target).name} ${m.measurements.map((each) => format(each.rps / 1000, 1)).join(' ')}`,
        )
        .join(' | ');
      console.log(
        `${row.join(' | ')}  ||  CPU µs/request ${cpuRow.slice(1).join(' | ')}  ||  reads / writes per request ${calls}  ||  thousand req/s by repeat: ${repeats}`,
      );
    }
    rss = `RSS after the run: ${proxies.map((each) => `${each.name} ${format(rssMegabytes(each.front), 1)} MB`).join(', ')}.`;
    console.log(rss);
  } finally {
    for (const each of targets) await each.stop();
  }

  const ourNames = targets.filter((each) => each.name.startsWith('codis-proxy')).map((each) => each.name);
  const table = [
    `| workload (1 KB values) | ${targets.map((each) => `${each.name} req/s`).join(' | ')} | ${ourNames.map((name) => `${name} / nutcracker`).join(' | ')} | ${targets.map((each) => `${each.name} p50 / p99 ms`).join(' | ')} |`,
    `|---|${'---:|'.repeat(targets.length * 2 + ourNames.length)}`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
  const cpuTable = [
    `| workload | ${targets.map((each) => (each.backends.length > 0 ? `${each.name}: proxy / + backends` : `${each.name} (direct)`)).join(' | ')} | ${ourNames.map((name) => `${name} / nutcracker: proxy / total`).join(' | ')} |`,
    `|---|${'---:|'.repeat(targets.length + ourNames.length)}`,
    ...cpuRows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.version}; each proxy process alone on CPU ${PROXY_CPU}, its two backends and redis-benchmark on CPU ${BACKEND_CPU}; the direct redis-server on CPU ${PROXY_CPU}`;
  const report = `### Proxy, ${started.toISOString().slice(0, 10)}\n\n${machine}; median of ${REPEATS} interleaved runs${quick ? ' (quick mode: 10% of the requests)' : ''}; 50 clients, keys from a space of ${KEYS}.\n\n${table}\n\nCPU µs per request (utime+stime from /proc/<pid>/stat over all repeats, divided by the requests; an MSET/MGET of 10 keys is one request):\n\n${cpuTable}\n\n${rss}\n`;
  console.log(`\n${report}`);
  if (MARKDOWN_FILE !== undefined) {
    const { appendFileSync } = await import('node:fs');
    appendFileSync(MARKDOWN_FILE, `\n${report}`);
  }
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time by function and by file of a .cpuprofile, idle time left out. */
function hotSpots(file: string, top = 25): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let busy = 0;
  for (const [id, time] of self) {
    const frame = (byId.get(id) as ProfileNode).callFrame;
    if (frame.functionName === '(idle)') continue;
    busy += time;
    const where = frame.url.replace(`file://${ROOT}/`, '').replace(/^node:/, 'node:');
    const name = `${frame.functionName || '(anonymous)'} ${where}${where ? `:${frame.lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + time);
    const fileName = where || frame.functionName;
    byFile.set(fileName, (byFile.get(fileName) ?? 0) + time);
  }
  const list = (map: Map<string, number>, n: number): string =>
    [...map]
      .sort((x, y) => y[1] - x[1])
      .slice(0, n)
      .map(([name, time]) => `  ${format((100 * time) / busy, 1).padStart(5)}%  ${name}`)
      .join('\n');
  return `busy ${format(busy / 1e6, 2)} s\nself time by function:\n${list(byFunction, top)}\nself time by file:\n${list(byFile, 15)}`;
}

/** Runs our proxy alone under --cpu-prof, one profile per workload group. */
async function profile(dir: string): Promise<void> {
  // With --workloads, one profile per chosen workload, its requests times --profile-scale so the
  // warm-up's SETs do not dominate the profile.
  const groups: Array<{ name: string; workloads: Workload[] }> =
    WORKLOAD_INDEXES !== undefined
      ? WORKLOAD_INDEXES.map((index) => {
          const workload = WORKLOADS[index] as Workload;
          const name = workload.name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
          return { name, workloads: [{ ...workload, requests: workload.requests * PROFILE_SCALE }] };
        })
      : [
          { name: 'set-get', workloads: [WORKLOADS[0] as Workload, WORKLOADS[1] as Workload] },
          { name: 'pipelined', workloads: [WORKLOADS[2] as Workload, WORKLOADS[3] as Workload] },
          { name: 'mset-mget', workloads: [WORKLOADS[4] as Workload, WORKLOADS[5] as Workload] },
        ];
  for (const group of groups) {
    const out = resolve(dir, group.name);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const ours = await startCodisProxy('codis-proxy', 'codis-server', ['--cpu-prof', '--cpu-prof-dir', out]);
    try {
      // A profile of chosen workloads warms up with them alone, so no other command shows in it.
      if (WORKLOAD_INDEXES === undefined) warmUp(ours);
      else
        for (const workload of group.workloads)
          runBenchmark(ours.port, workload, requestsOf(workload) / PROFILE_SCALE);
      for (const workload of group.workloads) {
        const m = runBenchmark(ours.port, workload);
        console.log(`${group.name}: ${workload.name} ${format(m.rps)} req/s, p99 ${format(m.p99, 3)} ms`);
      }
    } finally {
      await ours.stop();
    }
    // The newest profile: codis-proxy restarts itself under its V8 flags (src/cli/v8-flags.ts), and
    // the process it replaced leaves a profile of its few milliseconds first.
    const file = readdirSync(out)
      .filter((name) => name.endsWith('.cpuprofile'))
      .sort()
      .at(-1);
    if (file === undefined) throw new Error(`no profile written in ${out}`);
    console.log(`\n${group.name} (${join(out, file)}):\n${hotSpots(join(out, file))}\n`);
  }
}

if (PROFILE_DIR !== undefined) await profile(PROFILE_DIR);
else await compare();
