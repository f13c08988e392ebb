// MEMORY USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE and HELP, with Redis's reply shapes and field
// names; the numbers come from V8's heap (see accounting.ts) and per-key estimates.
import { getHeapSpaceStatistics } from 'node:v8';
import { isKeyword, parseInt64 } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { replyHelp } from '../commands/command-introspection.ts';
import { NOT_INTEGER, SYNTAX } from '../errors.ts';
import type { CodisServer } from '../server.ts';
import type { MemoryAccounting } from './accounting.ts';
import { keyBytes } from './estimate.ts';

const MEMORY_HELP = [
  'MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DOCTOR',
  '    Return memory problems reports.',
  'MALLOC-STATS',
  '    Return internal statistics report from the memory allocator.',
  'PURGE',
  '    Attempt to purge dirty pages for reclamation by the allocator.',
  'STATS',
  '    Return information about the memory usage of the server.',
  'USAGE <key> [SAMPLES <count>]',
  '    Return memory in bytes used by <key> and its value. Nested values are',
  '    sampled up to <count> times (default: 5, 0 means sample all).',
  'HELP',
  '    Prints this help.',
];

/** Below this much data Redis's doctor declines to diagnose. */
const DOCTOR_MINIMUM = 5 * 1024 * 1024;
/** Per-key cost of a database's main and expires tables (overhead.hashtable.*). */
const TABLE_ENTRY_BYTES = 32;

function memoryUsage(client: Client, argv: string[]): void {
  for (let i = 3; i < argv.length; i++) {
    const next = argv[i + 1];
    if (isKeyword(argv[i] as string, 'samples') && next !== undefined) {
      const samples = parseInt64(next);
      if (samples === undefined) {
        client.replyError(NOT_INTEGER);
        return;
      }
      if (samples < 0) {
        client.replyError(SYNTAX);
        return;
      }
      i++;
    } else {
      client.replyError(SYNTAX);
      return;
    }
  }
  const key = argv[2] as string;
  const entry = client.database.lookup(key, client.server.cachedNow);
  if (entry === undefined) client.out.nullBulk();
  else client.out.integer(keyBytes(key, entry));
}

/** The bytes held by client connections: reply buffers, queued output, unparsed input. */
function clientBytes(server: CodisServer): number {
  let total = 0;
  for (const client of server.clients.values())
    total += client.out.buffer.length + client.outputPending + client.parser.pendingBytes;
  return total;
}

function memoryStats(client: Client, accounting: MemoryAccounting): void {
  const server = client.server;
  const out = client.out;
  const used = accounting.used();
  const heap = accounting.heap();
  const rss = accounting.rss();
  const startup = Math.min(accounting.startup, used);
  const clients = clientBytes(server);
  const databases = server.databases.filter((database) => database.size > 0);
  let overhead = startup + clients;
  let keys = 0;
  for (const database of databases) {
    overhead += (database.size + database.volatileKeys.size) * TABLE_ENTRY_BYTES;
    keys += database.size;
  }
  const dataset = Math.max(used - overhead, 0);
  const net = Math.max(used - startup, 0);
  const allocated = heap.heapUsed + heap.external;
  const active = Math.max(heap.heapTotal + heap.external, allocated);
  out.mapHeader(27 + databases.length);
  const field = (name: string, value: number): void => {
    out.bulk(name);
    out.integer(Math.round(value));
  };
  const ratio = (name: string, value: number): void => {
    out.bulk(name);
    out.double(value);
  };
  field('peak.allocated', accounting.peak);
  field('total.allocated', used);
  field('startup.allocated', startup);
  field('replication.backlog', 0);
  field('clients.slaves', 0);
  field('clients.normal', clients);
  field('cluster.links', 0);
  field('aof.buffer', 0);
  field('lua.caches', 0);
  field('functions.caches', 0);
  for (const database of databases) {
    out.bulk(`db.${database.index}`);
    out.mapHeader(3);
    field('overhead.hashtable.main', database.size * TABLE_ENTRY_BYTES);
    field('overhead.hashtable.expires', database.volatileKeys.size * TABLE_ENTRY_BYTES);
    field('overhead.hashtable.slot-to-keys', 0);
  }
  field('overhead.total', overhead);
  field('keys.count', keys);
  field('keys.bytes-per-key', keys > 0 ? Math.floor(net / keys) : 0);
  field('dataset.bytes', dataset);
  ratio('dataset.percentage', net > 0 ? (dataset * 100) / net : 0);
  ratio('peak.percentage', accounting.peak > 0 ? (used * 100) / accounting.peak : 0);
  field('allocator.allocated', allocated);
  field('allocator.active', active);
  field('allocator.resident', rss);
  ratio('allocator-fragmentation.ratio', allocated > 0 ? active / allocated : 0);
  field('allocator-fragmentation.bytes', active - allocated);
  ratio('allocator-rss.ratio', active > 0 ? rss / active : 0);
  field('allocator-rss.bytes', rss - active);
  ratio('rss-overhead.ratio', 1);
  field('rss-overhead.bytes', 0);
  ratio('fragmentation', used > 0 ? rss / used : 0);
  field('fragmentation.bytes', rss - used);
}

function memoryDoctor(client: Client, accounting: MemoryAccounting): void {
  const data = accounting.used() - accounting.startup;
  const text =
    data < DOCTOR_MINIMUM
      ? "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
      : "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
  client.out.verbatim(text);
}

/** Our allocator is V8: report its heap spaces the way jemalloc's report lists its arenas. */
function mallocStats(client: Client): void {
  let text = '___ Begin V8 heap statistics ___\n';
  for (const space of getHeapSpaceStatistics()) {
    text += `${space.space_name}: size=${space.space_size} used=${space.space_used_size} available=${space.space_available_size} physical=${space.physical_space_size}\n`;
  }
  text += '--- End V8 heap statistics ---\n';
  client.out.verbatim(text);
}

export function memoryCommands(accounting: MemoryAccounting): CommandDefinition[] {
  return [
    { name: 'memory|usage', handler: memoryUsage },
    { name: 'memory|stats', handler: (client) => memoryStats(client, accounting) },
    { name: 'memory|doctor', handler: (client) => memoryDoctor(client, accounting) },
    { name: 'memory|malloc-stats', handler: mallocStats },
    // Our allocator's "dirty pages" are V8's garbage: PURGE runs a full collection.
    {
      name: 'memory|purge',
      handler: (client) => {
        accounting.collectGarbage(true, true);
        client.out.ok();
      },
    },
    { name: 'memory|help', handler: (client) => replyHelp(client, MEMORY_HELP) },
  ];
}
