#!/usr/bin/env node
// codis-server [config-file] [--option value ...]: redis-server's command line.
//
// Node runs codis-server with V8 flags of its own (cli/v8-flags.ts; bench/RESULTS.md "codis-server's
// V8 flags"): by default V8 scavenges the young generation with helper threads, and on a small, busy
// machine the main thread waits for helpers the kernel does not schedule: replies stalled for
// 0.2-1.3 s while a big key moved. `--single-threaded-gc` does all collection on the main thread,
// and a small semi-space bounds the scavenges that copy many survivors (300+ ms with the default
// 16 MB). 4 MB, not 8: a migration's target keeps every key it restores, so each of its scavenges
// copies a full semi-space; the whole-cluster move's worst client stall, three medians of five
// runs, was 21.4, 19.8 and 20.8 ms with 4 MB against 22.0-28.4 ms with 8 MB. The price was more
// scavenges where values survive briefly: ~5-10% fewer 10-key MSETs of 1 KB values through the
// proxy (bench/RESULTS.md, session 11); since values of 128 B to 128 KB live in the value arena
// (keyspace/value-arena.ts), they no longer survive in the young generation: scavenges copy little.
// Without helper threads, marking the old generation is all done in steps on the main thread, and
// V8 started it late: a source that had just grown to ~190 MB (a 1,000,000-field hash loaded) began
// marking only when its limit was overshot by 114 MB, and gave up for one atomic mark-compact, a
// 100-140 ms pause in the middle of the hash's migration. The triggers start marking when half
// (soft: a task) or 60% (hard: at once) of the room to the limit is used, so the collection
// finishes in steps: 14-37 ms worst stalls in the same move, and no change in MSET CPU or migration
// keys/s (bench/RESULTS.md, session 11).
// CODIS_SERVER_V8_FLAGS replaces the list (space separated; empty = Node's defaults).
import { ensureV8Flags } from './v8-flags.ts';

const DEFAULT_V8_FLAGS = [
  '--single-threaded-gc',
  '--max-semi-space-size=4',
  '--incremental-marking-soft-trigger=50',
  '--incremental-marking-hard-trigger=60',
];

const args = process.argv.slice(2);
if (args[0] === '--version' || args[0] === '-v') {
  const { CODIS_VERSION, REDIS_COMPATIBLE_VERSION } = await import('../server/version.ts');
  process.stdout.write(`codis-server v=${CODIS_VERSION} redis=${REDIS_COMPATIBLE_VERSION}\n`);
  process.exit(0);
}
if (args[0] === '--help' || args[0] === '-h') {
  process.stdout.write('Usage: codis-server [/path/to/redis.conf] [--option value ...]\n');
  process.exit(0);
}

ensureV8Flags('CODIS_SERVER_V8_FLAGS', DEFAULT_V8_FLAGS);

// CODIS_SERVER_GC_LOG=MS writes every GC pause of MS ms or more to stderr with its wall-clock start,
// so client stalls (bench/cluster-migration.ts --trace) can be matched to a server's collections;
// --trace-gc only gives milliseconds since the isolate started.
const gcLogMs = Number(process.env.CODIS_SERVER_GC_LOG);
if (process.env.CODIS_SERVER_GC_LOG !== undefined && Number.isFinite(gcLogMs)) {
  const { PerformanceObserver, constants } = await import('node:perf_hooks');
  const kinds: Record<number, string> = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak-callbacks',
  };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.duration < gcLogMs) continue;
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind ?? 0;
      const at = new Date(performance.timeOrigin + entry.startTime).toISOString();
      process.stderr.write(`gc ${at} ${kinds[kind] ?? kind} ${entry.duration.toFixed(1)} ms\n`);
    }
  }).observe({ entryTypes: ['gc'] });
}

const { AclLoadError, ConfigError, createCodisServer, ServerConfig } = await import('../server/index.ts');
const { AofError, installPersistence, loadDataFiles, RdbFileError, setShutdownSave } = await import(
  '../server/persistence/index.ts'
);

const config = new ServerConfig();
try {
  config.applyArguments(args);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`\n*** FATAL CONFIG FILE ERROR ***\n${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

let server: ReturnType<typeof createCodisServer>;
try {
  server = createCodisServer(config);
} catch (error) {
  if (error instanceof AclLoadError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
installPersistence(server);
try {
  loadDataFiles(server);
} catch (error) {
  if (error instanceof RdbFileError || error instanceof AofError) {
    server.log('warning', `Fatal error loading the data files: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
try {
  await server.listen();
} catch (error) {
  process.stderr.write(`Could not start codis-server: ${(error as Error).message}\n`);
  process.exit(1);
}

let stopping = false;
function stop(signal: string): void {
  if (stopping) return;
  stopping = true;
  server.log('warning', `Received ${signal} scheduling shutdown...`);
  // shutdown-on-sigterm / shutdown-on-sigint: `save` or `nosave` as SHUTDOWN's options.
  setShutdownSave(
    server,
    server.config.get(signal === 'SIGINT' ? 'shutdown-on-sigint' : 'shutdown-on-sigterm').split(' '),
  );
  server.close().then(
    () => {
      server.log('warning', 'codis-server is now ready to exit, bye bye...');
      process.exit(0);
    },
    () => process.exit(1),
  );
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
