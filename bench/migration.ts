// npm run bench:migration: slot migration speed between two of our codis-servers. Loads 1,000,000
// small keys spread over slots 0..511 on A, then moves those slots to B with SLOTSMGRTTAGSLOT-ASYNC
// as codis-dashboard does (control-plane spec §8.5, semi-async defaults: timeout 5000 ms, maxbulks
// 200, maxbytes 32 MB, numkeys 500, one call after the other per slot until it reports 0 keys left),
// while a client keeps doing GET/SET on keys of the slots that stay (one request at a time, in a
// worker thread of its own, after a second of warm-up).
// Prints keys/s, MB/s of key and value bytes, the CPU time each server spent during the move, and
// the load's p50/p99 before, during and after, system calls per key, the distribution of the call
// times, and whether the targets (150,000 keys/s, p99 during at most 3x before) were met.
// With --repeats N (3 by default) the small-key move runs N times on fresh servers and the targets
// are judged on the medians, as the other benchmarks judge theirs: on 2 shared vCPUs one move's p99
// swings with whatever else runs; the big collections move once, after the last run.
//   node bench/migration.ts [--keys N] [--repeats N] [--markdown FILE] [--cpu-prof DIR] [--no-load]
// --cpu-prof DIR writes a V8 CPU profile of each codis-server into DIR (open it in Chrome DevTools);
// --no-load moves the keys without the GET/SET load (the servers' CPU time is then the move's alone).
import { appendFileSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { slotOf } from '../src/slots/index.ts';
import { RawConnection } from '../test/helpers/raw-connection.ts';
import { startServer } from '../test/helpers/redis-servers.ts';
import { median } from './measure.ts';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const keysAt = argv.indexOf('--keys');
const KEYS = keysAt >= 0 ? Number(argv[keysAt + 1]) : QUICK ? 100_000 : 1_000_000;
const bigAt = argv.indexOf('--big');
/** Elements of each big collection (a hash, a sorted set, a set and a list); 0 skips them. */
const BIG = bigAt >= 0 ? Number(argv[bigAt + 1]) : QUICK ? 100_000 : 1_000_000;
const markdownAt = argv.indexOf('--markdown');
const MARKDOWN_FILE = markdownAt >= 0 ? argv[markdownAt + 1] : undefined;
const profileAt = argv.indexOf('--cpu-prof');
const PROFILE_DIR = profileAt >= 0 ? argv[profileAt + 1] : undefined;
const NO_LOAD = argv.includes('--no-load');
const repeatsAt = argv.indexOf('--repeats');
const REPEATS = Math.max(1, repeatsAt >= 0 ? Number(argv[repeatsAt + 1]) : QUICK ? 1 : 3);
const SLOTS = 512;
const VALUE = 'value-0123456789';
const PIPELINE = 1000;
/** Keys per SLOTSMGRTTAGSLOT-ASYNC call, as the dashboard asks. */
const NUMKEYS = 500;

interface Latency {
  p50: number;
  p99: number;
  max: number;
  requests: number;
}

const NO_REQUESTS: Latency = { p50: 0, p99: 0, max: 0, requests: 0 };

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0
    ? 0
    : (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number);
}

/**
 * The load's windows: the main thread numbers them from 0 (BEFORE, DURING, AFTER, then one per big
 * collection moved) and sets the current one; WARMUP's latencies are not kept, DONE ends the load.
 */
const BEFORE = 0;
const DURING = 1;
const AFTER = 2;
const WARMUP = -2;
const DONE = -1;

interface LoadJob {
  port: number;
  keys: string[];
  /** The current window (or WARMUP, DONE), set by the main thread. */
  phase: SharedArrayBuffer;
}

/**
 * GET/SET on keys outside the migrated slots, one at a time, each latency counted in the window it
 * started in, until DONE. It runs in a worker thread of its own (as bench/cluster-migration.ts's
 * clients do), so the main thread's migration calls and garbage collection are not counted in the
 * load's latencies.
 */
async function runLoad(job: LoadJob): Promise<Latency[]> {
  const phase = new Int32Array(job.phase);
  const connection = await RawConnection.open(job.port);
  parentPort?.postMessage('ready');
  const delays: number[][] = [];
  for (let n = 0; ; n++) {
    const current = Atomics.load(phase, 0);
    if (current === DONE) break;
    const key = job.keys[n % job.keys.length] as string;
    const start = performance.now();
    if (n % 2 === 0) await connection.call('get', key);
    else await connection.call('set', key, VALUE);
    if (current < 0) continue;
    let window = delays[current];
    if (window === undefined) {
      window = [];
      delays[current] = window;
    }
    window.push(performance.now() - start);
  }
  connection.close();
  return Array.from(delays, (list = []) => {
    list.sort((a, b) => a - b);
    return {
      p50: percentile(list, 0.5),
      p99: percentile(list, 0.99),
      max: list.length === 0 ? 0 : (list[list.length - 1] as number),
      requests: list.length,
    };
  });
}

if (!isMainThread) parentPort?.postMessage(await runLoad(workerData as LoadJob));

interface Load {
  setPhase(phase: number): void;
  /** The latencies of window `index` (after DONE). */
  report: Promise<Latency[]>;
}

/** The load in a worker, warming up until the first `setPhase`; `setPhase(DONE)` gives its latencies. */
async function startLoad(port: number, keys: string[]): Promise<Load> {
  const phase = new SharedArrayBuffer(4);
  const setPhase = (value: number): void => {
    Atomics.store(new Int32Array(phase), 0, value);
  };
  setPhase(WARMUP);
  if (NO_LOAD) return { setPhase, report: Promise.resolve([]) };
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { port, keys, phase } satisfies LoadJob,
  });
  // The worker posts twice: 'ready' once connected, then its latencies after DONE.
  const message = (): Promise<unknown> => new Promise((resolve) => worker.once('message', resolve));
  const failed = new Promise<never>((_, reject) => worker.once('error', reject));
  await Promise.race([message(), failed]);
  const report = Promise.race([message(), failed]).then(async (latencies) => {
    await worker.terminate();
    return latencies as Latency[];
  });
  return { setPhase, report };
}

/** User + system CPU seconds a process used so far (Linux /proc; 0 elsewhere). */
function cpuSeconds(pid: number | undefined): number {
  return systemSeconds(pid, 11) + systemSeconds(pid, 12);
}

/** Field 11 (user) or 12 (system) of /proc/PID/stat after the command name, in seconds. */
function systemSeconds(pid: number | undefined, field: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.split(' ') ?? [];
    return Number(fields[field]) / 100;
  } catch {
    return 0;
  }
}

/** Read and write system calls a process made so far (Linux /proc; 0 elsewhere). */
function syscalls(pid: number | undefined): { reads: number; writes: number } {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'latin1');
    return { reads: Number(/syscr: (\d+)/.exec(io)?.[1]), writes: Number(/syscw: (\d+)/.exec(io)?.[1]) };
  } catch {
    return { reads: 0, writes: 0 };
  }
}

/** One big collection: the command that builds it, its i-th element, and how its size is read. */
interface BigKind {
  name: string;
  key: string;
  add: string;
  element(i: number): string[];
  /** Bytes of element data the i-th element carries in a migration message. */
  bytes(parts: string[]): number;
  size: string;
}

const textBytes = (parts: string[]): number => parts.join('').length;

const BIG_KINDS: BigKind[] = [
  {
    name: 'hash',
    key: '{bighash}k',
    add: 'hset',
    element: (i) => [`field:${i}`, `value:${i}`],
    bytes: textBytes,
    size: 'hlen',
  },
  {
    name: 'sorted set',
    key: '{bigzset}k',
    add: 'zadd',
    element: (i) => [String(i * 0.5), `member:${i}`],
    // The score travels as 8 raw bytes, not as its text.
    bytes: (parts) => 8 + (parts[1] as string).length,
    size: 'zcard',
  },
  {
    name: 'set',
    key: '{bigset}k',
    add: 'sadd',
    element: (i) => [`member:${i}`],
    bytes: textBytes,
    size: 'scard',
  },
  {
    name: 'list',
    key: '{biglist}k',
    add: 'rpush',
    element: (i) => [`item:${i}`],
    bytes: textBytes,
    size: 'llen',
  },
];

/** The command adding elements from..to-1 of a big collection, and the element bytes it carries. */
function addCommand(kind: BigKind, from: number, to: number): { args: string[]; bytes: number } {
  const args = [kind.add, kind.key];
  let bytes = 0;
  for (let i = from; i < to; i++) {
    const parts = kind.element(i);
    args.push(...parts);
    bytes += kind.bytes(parts);
  }
  return { args, bytes };
}

interface BigResult {
  kind: BigKind;
  seconds: number;
  bytes: number;
}

/**
 * Builds each big collection on the source and moves it alone with SLOTSMGRTTAGONE-ASYNC (the
 * migration-load test's parameters: 30 s timeout, 200 elements and 1 MB per message), each move in
 * a load window of its own from `firstPhase` on; checks its size on the target and that the source
 * no longer has it.
 */
async function moveBigCollections(
  source: RawConnection,
  target: RawConnection,
  targetPort: number,
  load: Load,
  firstPhase: number,
  elements: number,
): Promise<BigResult[]> {
  const results: BigResult[] = [];
  for (const [index, kind] of BIG_KINDS.entries()) {
    let bytes = 0;
    let pending = 0;
    for (let from = 0; from < elements; from += 1000) {
      const command = addCommand(kind, from, Math.min(elements, from + 1000));
      bytes += command.bytes;
      source.send(...command.args);
      if (++pending >= 20) for (; pending > 0; pending--) await source.reply(60_000);
    }
    for (; pending > 0; pending--) await source.reply(60_000);
    // The load settles after the loading before the move starts.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    load.setPhase(firstPhase + index);
    const start = performance.now();
    const reply = await source.call(
      'slotsmgrttagone-async',
      '127.0.0.1',
      String(targetPort),
      '30000',
      '200',
      String(1024 * 1024),
      kind.key,
    );
    const seconds = (performance.now() - start) / 1000;
    load.setPhase(WARMUP);
    if (reply !== ':1\r\n') throw new Error(`moving the ${kind.name}: ${JSON.stringify(reply)}`);
    const size = Number((await target.call(kind.size, kind.key)).slice(1, -2));
    const left = await source.call('exists', kind.key);
    if (size !== elements || left !== ':0\r\n')
      throw new Error(
        `the ${kind.name} has ${size} elements on the target (expected ${elements}), exists on the source: ${left}`,
      );
    // The next collection is loaded on a source that has let this one go.
    await target.call('del', kind.key);
    results.push({ kind, seconds, bytes });
  }
  return results;
}

/** What one run measured, for the medians over the runs. */
interface RunResult {
  keysPerSecond: number;
  /** p99 during the move over p99 before (NaN without the load). */
  ratio: number;
  lines: string[];
}

async function main(): Promise<void> {
  const runs: RunResult[] = [];
  for (let run = 0; run < REPEATS; run++) {
    if (REPEATS > 1) console.log(`run ${run + 1} of ${REPEATS}`);
    const result = await runOnce(run === REPEATS - 1 ? BIG : 0);
    for (const line of result.lines) console.log(line);
    runs.push(result);
  }
  const lines = runs.flatMap((run) => run.lines);
  if (runs.length > 1) {
    const keysPerSecond = median(runs.map((run) => run.keysPerSecond));
    const each = (values: number[], digits: number): string =>
      values.map((v) => v.toFixed(digits)).join(', ');
    const summary = [
      `median of ${runs.length} runs: ${keysPerSecond.toFixed(0)} keys/s (${each(
        runs.map((run) => run.keysPerSecond),
        0,
      )}); keys/s target ≥ 150,000: ${keysPerSecond >= 150_000 ? 'met' : 'not met'}`,
    ];
    if (!NO_LOAD) {
      const ratio = median(runs.map((run) => run.ratio));
      summary.push(
        `median p99 during / before: ${ratio.toFixed(2)}× (${each(
          runs.map((run) => run.ratio),
          2,
        )}×); target ≤ 3×: ${ratio <= 3 ? 'met' : 'not met'}`,
      );
    }
    for (const line of summary) console.log(line);
    lines.push(...summary);
  }
  if (MARKDOWN_FILE !== undefined)
    appendFileSync(
      MARKDOWN_FILE,
      `\n### Migration (${new Date().toISOString()})\n\n\`\`\`\n${lines.join('\n')}\n\`\`\`\n`,
    );
}

/** Loads the small keys on a fresh pair of servers, moves them, then `big`-element collections. */
async function runOnce(big: number): Promise<RunResult> {
  const twoCpus = availableParallelism() > 1;
  const nodeArgs = PROFILE_DIR === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR];
  const [a, b] = await Promise.all([
    startServer('codis-server', { nodeArgs, ...(twoCpus ? { cpus: '0' } : {}) }),
    startServer('codis-server', { nodeArgs, ...(twoCpus ? { cpus: '1' } : {}) }),
  ]);
  try {
    const source = await RawConnection.open(a.port);
    // Keys of slots 0..511 (migrated) and a few thousand of the other slots (the load's keys).
    const stay: string[] = [];
    let bytes = 0;
    let loaded = 0;
    let batch: string[] = [];
    let pending = 0;
    for (let i = 0; loaded < KEYS; i++) {
      const key = `key:${i}`;
      if (slotOf(key) >= SLOTS) {
        if (stay.length < 5000) stay.push(key);
        else continue;
      } else {
        loaded++;
        bytes += key.length + VALUE.length;
      }
      batch.push(key, VALUE);
      if (batch.length >= 2 * 100) {
        source.send('mset', ...batch);
        batch = [];
        if (++pending >= PIPELINE / 100) {
          for (; pending > 0; pending--) await source.reply(60_000);
        }
      }
    }
    if (batch.length > 0) source.send('mset', ...batch);
    for (pending += batch.length > 0 ? 1 : 0; pending > 0; pending--) await source.reply(60_000);
    console.log(`loaded ${loaded} keys over ${SLOTS} slots (+${stay.length} keys that stay) on ${a.port}`);

    // The load runs before, during and after the move, in one worker started first.
    const load = await startLoad(a.port, stay);
    // A second of warm-up first, so the 'before' window does not hold the load's own start (code
    // not yet optimized) and the collections of the keys just loaded.
    if (!NO_LOAD) await new Promise((resolve) => setTimeout(resolve, 1000));
    load.setPhase(BEFORE);
    if (!NO_LOAD) await new Promise((resolve) => setTimeout(resolve, 3000));
    load.setPhase(DURING);
    const start = performance.now();
    const cpuBefore = [cpuSeconds(a.process.pid), cpuSeconds(b.process.pid)];
    const ioBefore = [syscalls(a.process.pid), syscalls(b.process.pid)];
    const kernelBefore = [systemSeconds(a.process.pid, 12), systemSeconds(b.process.pid, 12)];
    let calls = 0;
    // Each call's time by what it moved: a full batch (numkeys), the rest of a slot, or the final
    // [0, 0]; the spread between p10 and the mean is the time lost to stalls (GC, waiting for a CPU).
    const callTimes: Record<'full' | 'part' | 'empty', number[]> = { full: [], part: [], empty: [] };
    for (let slot = 0; slot < SLOTS; slot++) {
      for (;;) {
        const callStart = performance.now();
        const reply = (await source.value(
          'slotsmgrttagslot-async',
          '127.0.0.1',
          String(b.port),
          '5000',
          '200',
          String(32 * 1024 * 1024),
          String(slot),
          String(NUMKEYS),
        )) as number[] | unknown;
        calls++;
        if (!Array.isArray(reply)) throw new Error(`slot ${slot}: ${String(reply)}`);
        const movedNow = reply[0] as number;
        callTimes[movedNow === 0 ? 'empty' : movedNow >= NUMKEYS ? 'full' : 'part'].push(
          performance.now() - callStart,
        );
        if (reply[1] === 0) break;
      }
    }
    const seconds = (performance.now() - start) / 1000;
    const sourceCpu = cpuSeconds(a.process.pid) - (cpuBefore[0] as number);
    const targetCpu = cpuSeconds(b.process.pid) - (cpuBefore[1] as number);
    const [sourceIo, targetIo] = [syscalls(a.process.pid), syscalls(b.process.pid)];
    const sourceKernel = systemSeconds(a.process.pid, 12) - (kernelBefore[0] as number);
    const targetKernel = systemSeconds(b.process.pid, 12) - (kernelBefore[1] as number);
    const perKey = (now: number, then: number | undefined): string =>
      ((now - (then ?? 0)) / loaded).toFixed(3);
    load.setPhase(AFTER);
    // The same load for as long again after the move: on a shared machine the p99 before swings
    // with other processes' load, and the after window shows how much of a ratio is that noise.
    if (!NO_LOAD) await new Promise((resolve) => setTimeout(resolve, 3000));
    load.setPhase(WARMUP);
    const targetConnection = await RawConnection.open(b.port);
    const moves =
      big > 0 ? await moveBigCollections(source, targetConnection, b.port, load, AFTER + 1, big) : [];
    targetConnection.close();
    load.setPhase(DONE);
    const latencies = await load.report;
    const [beforeLatency, duringLatency, afterLatency] = [BEFORE, DURING, AFTER].map(
      (index) => latencies[index] ?? NO_REQUESTS,
    ) as [Latency, Latency, Latency];
    const target = await RawConnection.open(b.port);
    const moved = Number((await target.call('dbsize')).slice(1, -2));
    target.close();
    source.close();
    if (moved !== loaded) throw new Error(`target holds ${moved} keys, expected ${loaded}`);
    const lines = [
      `migration: ${loaded} keys over ${SLOTS} slots in ${seconds.toFixed(2)} s (${calls} SLOTSMGRTTAGSLOT-ASYNC calls)`,
      `  ${(loaded / seconds).toFixed(0)} keys/s, ${(bytes / seconds / 1e6).toFixed(2)} MB/s of keys and values`,
      `  CPU time during the move: source ${sourceCpu.toFixed(2)} s (${((1e6 * sourceCpu) / loaded).toFixed(1)} µs/key, ${((1e6 * sourceKernel) / loaded).toFixed(1)} of it in the kernel), target ${targetCpu.toFixed(2)} s (${((1e6 * targetCpu) / loaded).toFixed(1)} µs/key, ${((1e6 * targetKernel) / loaded).toFixed(1)} in the kernel)`,
      `  system calls per key: source ${perKey(sourceIo.writes, ioBefore[0]?.writes)} writes, ${perKey(sourceIo.reads, ioBefore[0]?.reads)} reads; target ${perKey(targetIo.writes, ioBefore[1]?.writes)} writes, ${perKey(targetIo.reads, ioBefore[1]?.reads)} reads`,
    ];
    if (!NO_LOAD) {
      const ratio = duringLatency.p99 / beforeLatency.p99;
      lines.push(
        `  GET/SET on the source before: p50 ${beforeLatency.p50.toFixed(3)} ms, p99 ${beforeLatency.p99.toFixed(3)} ms (${beforeLatency.requests} requests)`,
        `  GET/SET on the source during: p50 ${duringLatency.p50.toFixed(3)} ms, p99 ${duringLatency.p99.toFixed(3)} ms (${duringLatency.requests} requests)`,
        `  GET/SET on the source after:  p50 ${afterLatency.p50.toFixed(3)} ms, p99 ${afterLatency.p99.toFixed(3)} ms (${afterLatency.requests} requests)`,
        `  p99 during / before: ${ratio.toFixed(2)}× (target ≤ 3×: ${ratio <= 3 ? 'met' : 'not met'}); during / after: ${(duringLatency.p99 / afterLatency.p99).toFixed(2)}×`,
      );
    }
    for (const [kind, times] of Object.entries(callTimes)) {
      if (times.length === 0) continue;
      times.sort((x, y) => x - y);
      const mean = times.reduce((x, y) => x + y, 0) / times.length;
      const at = (p: number): string => percentile(times, p).toFixed(2);
      lines.push(
        `  ${kind} calls: ${times.length}, mean ${mean.toFixed(2)} ms, p10 ${at(0.1)}, p50 ${at(0.5)}, p90 ${at(0.9)}, p99 ${at(0.99)}, max ${(times[times.length - 1] as number).toFixed(1)} ms`,
      );
    }
    lines.push(`  keys/s target ≥ 150,000: ${loaded / seconds >= 150_000 ? 'met' : 'not met'}`);
    for (const [index, result] of moves.entries()) {
      const during = latencies[AFTER + 1 + index] ?? NO_REQUESTS;
      lines.push(
        `big ${result.kind.name} of ${big} elements (${(result.bytes / 1e6).toFixed(1)} MB) moved with SLOTSMGRTTAGONE-ASYNC in ${result.seconds.toFixed(2)} s: ` +
          `${(big / result.seconds).toFixed(0)} elements/s, ${(result.bytes / result.seconds / 1e6).toFixed(2)} MB/s` +
          (NO_LOAD
            ? ''
            : `; GET/SET on the source during: p50 ${during.p50.toFixed(3)} ms, p99 ${during.p99.toFixed(3)} ms (${(during.p99 / beforeLatency.p99).toFixed(2)}× before), longest ${during.max.toFixed(1)} ms (${during.requests} requests)`),
      );
    }
    return {
      keysPerSecond: loaded / seconds,
      ratio: NO_LOAD ? Number.NaN : duringLatency.p99 / beforeLatency.p99,
      lines,
    };
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}

if (isMainThread) await main();
