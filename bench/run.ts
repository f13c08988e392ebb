// npm run bench: redis-benchmark against codis-server and, in the same run and interleaved,
// against Debian's redis-server 7, both pinned to the same CPU, redis-benchmark on the other.
// Prints requests/s, p50/p99 latency and the ours/redis ratio per workload (median of REPEATS),
// then memory per key after loading 1,000,000 small strings. Migration speed is bench/migration.ts
// (npm run bench:migration; the next part of npm run bench).
//   node bench/run.ts [--repeats N] [--quick] [--memory-only] [--markdown FILE]
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { RawConnection } from '../test/helpers/raw-connection.ts';
import { type RunningServer, type ServerKind, startServer } from '../test/helpers/redis-servers.ts';
import { cpuSeconds, format, median, redisBenchmark } from './measure.ts';

interface Workload {
  name: string;
  args: string[];
  requests: number;
}

interface Measurement {
  rps: number;
  p50: number;
  p99: number;
  /** The server's CPU time (user + system) per request, in µs: steady even on a busy machine. */
  cpu: number;
}

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const repeatsAt = argv.indexOf('--repeats');
const REPEATS = repeatsAt >= 0 ? Number(argv[repeatsAt + 1]) : 3;
const markdownAt = argv.indexOf('--markdown');
const MARKDOWN_FILE = markdownAt >= 0 ? argv[markdownAt + 1] : undefined;
const scale = quick ? 0.1 : 1;
const memoryOnly = argv.includes('--memory-only');

const SERVER_CPU = '0';
const CLIENT_CPU = availableParallelism() > 1 ? '1' : '0';

const WORKLOADS: Workload[] = [
  { name: 'SET (50 clients)', args: ['-t', 'set', '-c', '50', '-r', '100000'], requests: 200_000 },
  { name: 'GET (50 clients)', args: ['-t', 'get', '-c', '50', '-r', '100000'], requests: 200_000 },
  { name: 'SET -P 16', args: ['-t', 'set', '-c', '50', '-P', '16', '-r', '100000'], requests: 2_000_000 },
  { name: 'GET -P 16', args: ['-t', 'get', '-c', '50', '-P', '16', '-r', '100000'], requests: 2_000_000 },
  {
    name: 'SET 1 KB values',
    args: ['-t', 'set', '-c', '50', '-d', '1024', '-r', '100000'],
    requests: 200_000,
  },
  {
    name: 'GET 1 KB values',
    args: ['-t', 'get', '-c', '50', '-d', '1024', '-r', '100000'],
    requests: 200_000,
  },
  { name: 'LPUSH', args: ['-t', 'lpush', '-c', '50'], requests: 200_000 },
  { name: 'LPOP', args: ['-t', 'lpop', '-c', '50'], requests: 200_000 },
  { name: 'HSET', args: ['-t', 'hset', '-c', '50', '-r', '100000'], requests: 200_000 },
  { name: 'ZADD', args: ['-t', 'zadd', '-c', '50', '-r', '100000'], requests: 200_000 },
  { name: 'MSET (10 keys)', args: ['-t', 'mset', '-c', '50', '-r', '100000'], requests: 100_000 },
];

function runBenchmark(server: RunningServer, workload: Workload): Measurement {
  const requests = Math.max(1000, Math.round(workload.requests * scale));
  const pid = server.process.pid as number;
  const cpuBefore = cpuSeconds(pid);
  const measured = redisBenchmark(server.port, requests, workload.args, CLIENT_CPU);
  return { ...measured, cpu: ((cpuSeconds(pid) - cpuBefore) * 1e6) / requests };
}

async function flush(server: RunningServer): Promise<void> {
  const connection = await RawConnection.open(server.port);
  await connection.call('FLUSHALL');
  connection.close();
}

async function infoField(port: number, section: string, field: string): Promise<number> {
  const connection = await RawConnection.open(port);
  const info = String(await connection.value('INFO', section));
  connection.close();
  const match = new RegExp(`^${field}:(\\d+)`, 'm').exec(info);
  return match ? Number(match[1]) : Number.NaN;
}

async function settle(port: number): Promise<void> {
  // Lets codis-server run a full garbage collection (MEMORY PURGE) so used_memory holds no garbage.
  const connection = await RawConnection.open(port);
  await connection.call('MEMORY', 'PURGE');
  connection.close();
  await new Promise((resolve) => setTimeout(resolve, 500));
}

async function memoryPerKey(kind: ServerKind, keys: number): Promise<{ used: number; rss: number }> {
  const server = await startServer(kind, { cpus: SERVER_CPU });
  running.add(server);
  try {
    await settle(server.port);
    const usedBefore = await infoField(server.port, 'memory', 'used_memory');
    const rssBefore = await infoField(server.port, 'memory', 'used_memory_rss');
    const lines: string[] = [];
    for (let i = 0; i < keys; i++) {
      const key = `key:${String(i).padStart(12, '0')}`;
      lines.push(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$3\r\nxxx\r\n`);
    }
    const load = spawnSync('redis-cli', ['-p', String(server.port), '--pipe'], {
      input: lines.join(''),
      encoding: 'utf8',
    });
    if (load.status !== 0) throw new Error(`loading failed: ${load.stderr}`);
    await settle(server.port);
    const usedAfter = await infoField(server.port, 'memory', 'used_memory');
    const rssAfter = await infoField(server.port, 'memory', 'used_memory_rss');
    return { used: (usedAfter - usedBefore) / keys, rss: (rssAfter - rssBefore) / keys };
  } finally {
    await server.stop();
    running.delete(server);
  }
}

/** Servers started by this run, stopped if the run is interrupted. */
const running = new Set<RunningServer>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    Promise.allSettled([...running].map((server) => server.stop())).then(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const started = new Date();
  const ours = await startServer('codis-server', { cpus: SERVER_CPU });
  const reference = await startServer('redis-server', { cpus: SERVER_CPU });
  running.add(ours);
  running.add(reference);
  const rows: string[][] = [];
  try {
    for (const workload of memoryOnly ? [] : WORKLOADS) {
      const samples: Record<ServerKind, Measurement[]> = { 'codis-server': [], 'redis-server': [] };
      for (let repeat = 0; repeat < REPEATS; repeat++) {
        // Interleaved: each repeat measures both servers back to back, alternating who goes first.
        const order: RunningServer[] = repeat % 2 === 0 ? [ours, reference] : [reference, ours];
        for (const server of order) {
          await flush(server);
          samples[server.kind].push(runBenchmark(server, workload));
        }
      }
      const summary = (kind: ServerKind): Measurement => ({
        rps: median(samples[kind].map((m) => m.rps)),
        p50: median(samples[kind].map((m) => m.p50)),
        p99: median(samples[kind].map((m) => m.p99)),
        cpu: median(samples[kind].map((m) => m.cpu)),
      });
      const a = summary('codis-server');
      const b = summary('redis-server');
      const row = [
        workload.name,
        format(a.rps),
        format(b.rps),
        `${format(a.rps / b.rps, 2)}×`,
        `${format(a.p50, 3)} / ${format(a.p99, 3)}`,
        `${format(b.p50, 3)} / ${format(b.p99, 3)}`,
        `${format(a.cpu, 2)} / ${format(b.cpu, 2)}`,
        `${format(b.cpu / a.cpu, 2)}×`,
      ];
      rows.push(row);
      console.log(row.join(' | '));
    }
  } finally {
    await ours.stop();
    await reference.stop();
    running.delete(ours);
    running.delete(reference);
  }

  const keys = quick ? 100_000 : 1_000_000;
  const ourMemory = await memoryPerKey('codis-server', keys);
  const redisMemory = await memoryPerKey('redis-server', keys);
  const memoryLine = `memory per key after ${format(keys)} SETs of 16-byte keys and 3-byte values: used_memory ${format(ourMemory.used, 1)} B (codis-server) vs ${format(redisMemory.used, 1)} B (redis-server), ratio ${format(ourMemory.used / redisMemory.used, 2)}×; RSS ${format(ourMemory.rss, 1)} B vs ${format(redisMemory.rss, 1)} B, ratio ${format(ourMemory.rss / redisMemory.rss, 2)}×`;
  console.log(memoryLine);

  const header =
    '| workload | codis-server req/s | redis-server req/s | ratio | codis p50 / p99 ms | redis p50 / p99 ms | server CPU µs/req codis / redis | CPU ratio redis/codis |';
  const table = [
    header,
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.version}, redis-benchmark pinned to CPU ${CLIENT_CPU}, servers to CPU ${SERVER_CPU}`;
  const report = `## ${started.toISOString().slice(0, 10)}\n\n${machine}; median of ${REPEATS} interleaved runs${quick ? ' (quick mode: 10% of the requests)' : ''}.\n\n${table}\n\n${memoryLine}\n`;
  console.log(`\n${report}`);
  if (MARKDOWN_FILE !== undefined) {
    appendFileSync(MARKDOWN_FILE, `\n${report}`);
  }
}

await main();
