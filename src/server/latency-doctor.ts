// LATENCY DOCTOR's report (latency.c createLatencyReport of Redis 7.0): one line of statistics per
// latency event, then the advices its event names and the configuration call for, in Redis's words.
//
// What codis-server cannot have is left out rather than invented:
// - fork: codis-server never forks (snapshots and AOF rewrites are incremental in-process, see
//   DESIGN.md), so no "fork" event is ever recorded and Redis's fork-rate sentence and its "better
//   VM" advice, which read INFO's fork rate, never apply. An event called "fork" is reported like
//   any event Redis has no advice for.
// - transparent huge pages: Redis measures its own process (AnonHugePages of /proc/self/smaps); the
//   caller measures ours the same way, and the advice applies to a Node.js heap as much as to
//   Redis's (huge pages make copy-on-write and page faults slow), so it is kept as is.
import { readFileSync } from 'node:fs';
import { formatFixed } from '../resp/double.ts';

export interface LatencyEventSamples {
  /** [unix seconds, ms], oldest first. */
  readonly samples: ReadonlyArray<readonly [number, number]>;
  /** The all-time high since the event was created or reset. */
  readonly max: number;
}

export interface LatencyDoctorInput {
  /** The events in the order LATENCY LATEST lists them. */
  readonly events: ReadonlyMap<string, LatencyEventSamples>;
  /** Unix seconds. */
  readonly now: number;
  /** latency-monitor-threshold, ms. */
  readonly latencyThreshold: number;
  /** slowlog-log-slower-than, µs (negative: disabled). */
  readonly slowlogSlowerThan: number;
  readonly appendfsync: string;
  readonly hz: number;
  /** AnonHugePages of the process, bytes. */
  readonly anonHugePages: number;
}

/** analyzeLatencyForEvent: the statistics of one event's samples (integer arithmetic, as in C). */
export interface LatencyStats {
  samples: number;
  min: number;
  max: number;
  /** Mean latency, truncated. */
  average: number;
  /** Mean absolute deviation from the (truncated) average, truncated. */
  deviation: number;
  /** Seconds since the oldest sample, at least 1. */
  period: number;
}

export function analyzeLatency(samples: ReadonlyArray<readonly [number, number]>, now: number): LatencyStats {
  const stats: LatencyStats = { samples: 0, min: 0, max: 0, average: 0, deviation: 0, period: 0 };
  let sum = 0;
  let oldest = 0;
  for (const [time, latency] of samples) {
    stats.samples++;
    if (stats.samples === 1) {
      stats.min = latency;
      stats.max = latency;
    } else {
      if (latency < stats.min) stats.min = latency;
      if (latency > stats.max) stats.max = latency;
    }
    sum += latency;
    if (oldest === 0 || time < oldest) oldest = time;
  }
  if (stats.samples === 0) return stats;
  stats.average = Math.floor(sum / stats.samples);
  stats.period = now - oldest;
  if (stats.period === 0) stats.period = 1;
  let deviations = 0;
  for (const [, latency] of samples) deviations += Math.abs(stats.average - latency);
  stats.deviation = Math.floor(deviations / stats.samples);
  return stats;
}

/** The advices, in the order Redis prints them. */
type Advice =
  | 'slowlog-enabled'
  | 'slowlog-tuning'
  | 'slowlog-inspect'
  | 'scheduler'
  | 'local-disk'
  | 'ssd'
  | 'data-writeback'
  | 'disk-contention'
  | 'no-appendfsync'
  | 'relax-fsync-policy'
  | 'write-load-info'
  | 'hz'
  | 'large-objects'
  | 'mass-eviction'
  | 'disable-thp';

const ADVICE_ORDER: readonly Advice[] = [
  'slowlog-enabled',
  'slowlog-tuning',
  'slowlog-inspect',
  'scheduler',
  'local-disk',
  'ssd',
  'data-writeback',
  'disk-contention',
  'no-appendfsync',
  'relax-fsync-policy',
  'write-load-info',
  'hz',
  'large-objects',
  'mass-eviction',
  'disable-thp',
];

/** The advices each event name (compared case-insensitively) calls for, beyond "command"'s. */
const EVENT_ADVICES: ReadonlyMap<string, readonly Advice[]> = new Map<string, readonly Advice[]>([
  ['fast-command', ['scheduler']],
  ['aof-write-pending-fsync', ['local-disk', 'disk-contention', 'ssd', 'data-writeback']],
  ['aof-write-active-child', ['no-appendfsync', 'data-writeback', 'ssd']],
  ['aof-write-alone', ['local-disk', 'data-writeback', 'ssd']],
  ['aof-fsync-always', ['relax-fsync-policy']],
  ['aof-fstat', ['disk-contention', 'local-disk']],
  ['rdb-unlink-temp-file', ['disk-contention', 'local-disk']],
  ['aof-rewrite-diff-write', ['write-load-info', 'data-writeback', 'ssd', 'local-disk']],
  ['aof-rename', ['write-load-info', 'data-writeback', 'ssd', 'local-disk']],
  ['expire-cycle', ['hz', 'large-objects']],
  ['eviction-del', ['large-objects']],
  ['eviction-cycle', ['mass-eviction']],
]);

const DISABLED =
  "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
const SPIKES_OBSERVED =
  "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
const NO_SPIKES =
  'Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n';
const NO_EASY_FIX =
  "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n";
const ADVICES_HEADER = '\nI have a few advices for you:\n\n';

/** createLatencyReport */
export function latencyDoctorReport(input: LatencyDoctorInput): string {
  if (input.events.size === 0 && input.latencyThreshold === 0) return DISABLED;
  const advised = new Set<Advice>();
  // Redis counts advices as it meets them, repeats included; only zero or not matters.
  let advices = 0;
  const advise = (advice: Advice): void => {
    advised.add(advice);
    advices++;
  };
  let report = '';
  let eventNumber = 0;
  for (const [event, data] of input.events) {
    eventNumber++;
    if (eventNumber === 1) report += SPIKES_OBSERVED;
    const stats = analyzeLatency(data.samples, input.now);
    const period = formatFixed(stats.period / stats.samples, 2);
    report +=
      `${eventNumber}. ${event}: ${stats.samples} latency spikes (average ${stats.average}ms, ` +
      `mean deviation ${stats.deviation}ms, period ${period} sec). Worst all time event ${data.max}ms.`;
    const name = event.toLowerCase();
    if (name === 'command') {
      if (input.slowlogSlowerThan < 0) advise('slowlog-enabled');
      else if (Math.trunc(input.slowlogSlowerThan / 1000) > input.latencyThreshold) advise('slowlog-tuning');
      advise('slowlog-inspect');
      advise('large-objects');
    }
    for (const advice of EVENT_ADVICES.get(name) ?? []) advise(advice);
    report += '\n';
  }
  if (input.anonHugePages > 0) advise('disable-thp');

  if (eventNumber === 0 && advices === 0) return report + NO_SPIKES;
  if (eventNumber > 0 && advices === 0) return report + NO_EASY_FIX;
  report += ADVICES_HEADER;
  for (const advice of ADVICE_ORDER) {
    if (advised.has(advice)) report += adviceText(advice, input);
  }
  return report;
}

/** An advice's paragraph; empty when the configuration already follows it (fsync policy, hz). */
function adviceText(advice: Advice, input: LatencyDoctorInput): string {
  const thresholdMicros = input.latencyThreshold * 1000;
  switch (advice) {
    case 'slowlog-enabled':
      return `- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than ${thresholdMicros}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n`;
    case 'slowlog-tuning':
      return `- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than ${thresholdMicros}'.\n`;
    case 'slowlog-inspect':
      return '- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n';
    case 'scheduler':
      return (
        '- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n' +
        '  1) Lower the system load.\n' +
        '  2) Use a computer / VM just for Redis if you are running other software in the same system.\n' +
        '  3) Check if you have a "noisy neighbour" problem.\n' +
        "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n" +
        '  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n'
      );
    case 'local-disk':
      return '- It is strongly advised to use local disks for persistence, especially if you are using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n';
    case 'ssd':
      return '- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting (resulting in smaller memory usage). With extremely high write load SSD disks can be a good option. However Redis should perform reasonably with high load using normal disks. Use this advice as a last resort.\n';
    case 'data-writeback':
      return '- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to data=ordered, however this mode of operation provides less guarantees, and sometimes it can happen that after a hard crash the AOF file will have a half-written command at the end and will require to be repaired before Redis restarts.\n';
    case 'disk-contention':
      return '- Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other Redis instances).\n';
    case 'no-appendfsync':
      return "- Assuming from the point of view of data safety this is viable in your environment, you could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will not be performed while there is a child rewriting the AOF file or producing an RDB file (the moment where there is high disk contention).\n";
    case 'relax-fsync-policy':
      if (input.appendfsync !== 'always') return '';
      return "- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n";
    case 'write-load-info':
      return '- Latency during the AOF atomic rename operation or when the final difference is flushed to the AOF file at the end of the rewrite, sometimes is caused by very high write load, causing the AOF buffer to get very large. If possible try to send less commands to accomplish the same work, or use Lua scripts to group multiple operations into a single EVALSHA call.\n';
    case 'hz':
      if (input.hz >= 100) return '';
      return "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n";
    case 'large-objects':
      return '- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n';
    case 'mass-eviction':
      return "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n";
    case 'disable-thp':
      return "- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n";
  }
}

/**
 * AnonHugePages of this process in bytes (zmalloc_get_smap_bytes_by_field), 0 where the kernel does
 * not tell (not Linux, no /proc).
 */
export function processAnonHugePages(): number {
  let text: string;
  try {
    // The rollup sums every mapping, as Redis's walk over /proc/self/smaps does, in one short read.
    text = readFileSync('/proc/self/smaps_rollup', 'latin1');
  } catch {
    return 0;
  }
  const match = /^AnonHugePages:\s+(\d+) kB$/m.exec(text);
  return match === null ? 0 : Number(match[1]) * 1024;
}
