// What the benchmarks share: running redis-benchmark pinned to a CPU, reading a process's CPU time
// and memory from /proc, medians and number formatting.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The kernel's clock ticks per second, in which /proc reports CPU time. */
const CLOCK_TICKS_PER_SECOND =
  Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

export interface BenchmarkResult {
  rps: number;
  p50: number;
  p99: number;
}

/** Runs redis-benchmark (--csv) pinned to `cpu` against a port; its last CSV line as numbers. */
export function redisBenchmark(port: number, requests: number, args: string[], cpu: string): BenchmarkResult {
  const result = spawnSync(
    'taskset',
    ['-c', cpu, 'redis-benchmark', '-p', String(port), '-n', String(requests), '--csv', ...args],
    { encoding: 'utf8', timeout: 600_000 },
  );
  if (result.status !== 0) throw new Error(`redis-benchmark failed: ${result.stderr}`);
  // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  const fields = line.split(',').map((field) => field.replace(/"/g, ''));
  const measured = { rps: Number(fields[1]), p50: Number(fields[4]), p99: Number(fields[6]) };
  if (!(measured.rps > 0)) throw new Error(`unexpected redis-benchmark output: ${result.stdout}`);
  return measured;
}

/** utime + stime of a process (all its threads), in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // The command name may hold spaces: the fields start after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

export function rssMegabytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function format(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
