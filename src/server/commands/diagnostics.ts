// Diagnostics and process control: TIME, LASTSAVE, SLOWLOG, LATENCY, MONITOR, DEBUG, SHUTDOWN.

import { adminState } from '../admin-state.ts';
import { parseFloatArgument, parseLongLong } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition, ServerCommand } from '../command-registry.ts';
import { NOT_INTEGER, SYNTAX } from '../errors.ts';
import { encodingOf } from '../keyspace/value.ts';
import { latencyDoctorReport, processAnonHugePages } from '../latency-doctor.ts';
import { latencyGraph } from '../latency-graph.ts';
import type { LatencyHistogram } from '../latency-histogram.ts';
import { setShutdownSave } from '../persistence/index.ts';
import { replyHelp } from './command-introspection.ts';

function time(client: Client): void {
  const micro = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  client.out.arrayHeader(2);
  client.out.bulk(String(Math.floor(micro / 1e6)));
  client.out.bulk(String(micro % 1e6));
}

function lastsave(client: Client): void {
  const saved = client.server.features.get('last-save-time');
  client.out.integer(typeof saved === 'number' ? saved : Math.floor(client.server.stats.startedAt / 1000));
}

function slowlogGet(client: Client, argv: string[]): void {
  const state = adminState(client.server);
  let count = 10;
  if (argv.length === 3) {
    const parsed = parseLongLong(argv[2] as string);
    if (parsed === undefined || parsed < -1) {
      client.replyError('ERR count should be greater than or equal to -1');
      return;
    }
    count = parsed === -1 ? state.slowlog.length : parsed;
  } else if (argv.length > 3) {
    client.replyError("ERR wrong number of arguments for 'slowlog|get' command");
    return;
  }
  const entries = state.slowlog.slice(0, count);
  const out = client.out;
  out.arrayHeader(entries.length);
  for (const entry of entries) {
    out.arrayHeader(6);
    out.integer(entry.id);
    out.integer(entry.time);
    out.integer(entry.microseconds);
    out.bulkArray(entry.argv);
    out.bulk(entry.address);
    out.bulk(entry.name);
  }
}

const SLOWLOG_HELP = [
  'SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET [<count>]',
  '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
  '    Entries are made of:',
  '    id, timestamp, time in microseconds, arguments array, client IP and port,',
  '    client name',
  'LEN',
  '    Return the length of the slowlog.',
  'RESET',
  '    Reset the slowlog.',
  'HELP',
  '    Prints this help.',
];

const LATENCY_HELP = [
  'LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DOCTOR',
  '    Return a human readable latency analysis report.',
  'GRAPH <event>',
  '    Return an ASCII latency graph for the <event> class.',
  'HISTORY <event>',
  '    Return time-latency samples for the <event> class.',
  'LATEST',
  '    Return the latest latency samples for all events.',
  'RESET [<event> ...]',
  '    Reset latency data of one or more <event> classes.',
  '    (default: reset all data for all event classes)',
  'HISTOGRAM [COMMAND ...]',
  '    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.',
  '    If no commands are specified then all histograms are replied.',
  'HELP',
  '    Prints this help.',
];

function latencyLatest(client: Client): void {
  const state = adminState(client.server);
  const out = client.out;
  out.arrayHeader(state.latency.size);
  for (const [event, data] of state.latency) {
    const last = data.samples[data.samples.length - 1] ?? [0, 0];
    out.arrayHeader(4);
    out.bulk(event);
    out.integer(last[0]);
    out.integer(last[1]);
    out.integer(data.max);
  }
}

/** LATENCY HISTOGRAM [command ...]: each command's calls and cumulative latency buckets. */
function latencyHistogram(client: Client, argv: string[]): void {
  const registry = client.server.registry;
  const chosen: ServerCommand[] = [];
  if (argv.length === 2) {
    for (const command of registry.all()) if (command.stats.histogram !== undefined) chosen.push(command);
  } else {
    for (let i = 2; i < argv.length; i++) {
      const [name, sub] = (argv[i] as string).toLowerCase().split('|');
      let command = registry.lookup(name as string);
      if (command !== undefined && sub !== undefined) command = command.subcommands.get(sub);
      if (command?.stats.histogram !== undefined && !chosen.includes(command)) chosen.push(command);
    }
  }
  const out = client.out;
  out.mapHeader(chosen.length);
  for (const command of chosen) {
    const histogram = command.stats.histogram as LatencyHistogram;
    out.bulk(command.fullName);
    out.mapHeader(2);
    out.bulk('calls');
    out.integer(histogram.totalCount);
    out.bulk('histogram_usec');
    const rows = histogram.cumulative();
    out.mapHeader(rows.length);
    for (const [micros, count] of rows) {
      out.integer(micros);
      out.integer(count);
    }
  }
}

function latencyHistory(client: Client, argv: string[]): void {
  const data = adminState(client.server).latency.get(argv[2] as string);
  const samples = data?.samples ?? [];
  client.out.arrayHeader(samples.length);
  for (const [at, ms] of samples) {
    client.out.arrayHeader(2);
    client.out.integer(at);
    client.out.integer(ms);
  }
}

function latencyReset(client: Client, argv: string[]): void {
  const latency = adminState(client.server).latency;
  if (argv.length === 2) {
    const count = latency.size;
    latency.clear();
    client.out.integer(count);
    return;
  }
  // latencyResetEvent compares names case-insensitively (HISTORY and GRAPH do not).
  let count = 0;
  for (let i = 2; i < argv.length; i++) {
    const name = (argv[i] as string).toLowerCase();
    for (const event of latency.keys()) {
      if (event.toLowerCase() !== name) continue;
      latency.delete(event);
      count++;
    }
  }
  client.out.integer(count);
}

function latencyGraphCommand(client: Client, argv: string[]): void {
  const event = argv[2] as string;
  const data = adminState(client.server).latency.get(event);
  if (data === undefined) {
    client.replyError(`ERR No samples available for event '${event}'`);
    return;
  }
  client.out.verbatim(latencyGraph(event, data.samples, data.max, Math.floor(Date.now() / 1000)));
}

function latencyDoctor(client: Client): void {
  const config = client.server.config;
  const report = latencyDoctorReport({
    events: adminState(client.server).latency,
    now: Math.floor(Date.now() / 1000),
    latencyThreshold: config.getNumber('latency-monitor-threshold'),
    slowlogSlowerThan: config.getNumber('slowlog-log-slower-than'),
    appendfsync: config.get('appendfsync'),
    hz: config.getNumber('hz'),
    anonHugePages: processAnonHugePages(),
  });
  client.out.verbatim(report);
}

function monitor(client: Client): void {
  const state = adminState(client.server);
  if (state.monitors.has(client)) return;
  state.monitors.add(client);
  client.out.ok();
}

/** Blocks the whole process, as DEBUG SLEEP does in Redis. */
function sleepSync(ms: number): void {
  if (ms <= 0) return;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Bytes an RDB dump of a string takes (length prefix and integer encodings). */
function rdbStringLength(value: string | number): number {
  if (typeof value === 'number' && Number.isInteger(value)) {
    if (value >= -128 && value <= 127) return 2;
    if (value >= -32768 && value <= 32767) return 3;
    if (value >= -2147483648 && value <= 2147483647) return 5;
  }
  const length = String(value).length;
  const prefix = length < 64 ? 1 : length < 16384 ? 2 : 5;
  return prefix + length;
}

function debugObject(client: Client, argv: string[]): void {
  if (argv.length !== 3) {
    client.replyError(debugUnknown('object'));
    return;
  }
  const entry = client.database.lookup(argv[2] as string, client.server.cachedNow);
  if (entry === undefined) {
    client.replyError('ERR no such key');
    return;
  }
  const value = entry.value;
  const shared = typeof value === 'number' && value >= 0 && value < 10000;
  const serialized = typeof value === 'object' ? value.memoryUsage() : rdbStringLength(value);
  const lru = Math.floor(entry.accessedAt / 1000) & 0xffffff;
  const idle = Math.max(0, Math.floor((Date.now() - entry.accessedAt) / 1000));
  const address = (0x7f0000000000 + (entry.accessedAt % 0xffffffff) * 16).toString(16);
  client.out.status(
    `Value at:0x${address} refcount:${shared ? 2147483647 : 1} encoding:${encodingOf(value, entry.stringForm)} serializedlength:${serialized} lru:${lru} lru_seconds_idle:${idle}`,
  );
}

function debugUnknown(subcommand: string): string {
  return `ERR unknown subcommand or wrong number of arguments for '${subcommand}'. Try DEBUG HELP.`;
}

const DEBUG_HELP = [
  'DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'OBJECT <key>',
  '    Show low level info about the `key` and associated value.',
  'SET-ACTIVE-EXPIRE <0|1>',
  '    Setting it to 0 disables expiring keys in background when they are not',
  '    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the',
  '    default.',
  'SLEEP <seconds>',
  '    Stop the server for <seconds>. Decimals allowed.',
  'HELP',
  '    Prints this help.',
];

function debug(client: Client, argv: string[]): void {
  const sub = (argv[1] as string).toLowerCase();
  if (sub === 'help' && argv.length === 2) {
    replyHelp(client, DEBUG_HELP);
  } else if (sub === 'object') {
    debugObject(client, argv);
  } else if (sub === 'sleep' && argv.length === 3) {
    const seconds = parseFloatArgument(argv[2] as string);
    if (seconds === undefined) {
      client.replyError('ERR value is not a valid float');
      return;
    }
    sleepSync(Math.floor(seconds * 1000));
    client.out.ok();
  } else if (sub === 'set-active-expire' && argv.length === 3) {
    const flag = parseLongLong(argv[2] as string);
    if (flag === undefined) {
      client.replyError(NOT_INTEGER);
      return;
    }
    const expiry = client.server.features.get('active-expiry') as { enabled: boolean } | undefined;
    if (expiry !== undefined) expiry.enabled = flag !== 0;
    client.out.ok();
  } else {
    client.replyError(debugUnknown(argv[1] as string));
  }
}

function shutdown(client: Client, argv: string[]): void {
  let abort = false;
  for (let i = 1; i < argv.length; i++) {
    const option = (argv[i] as string).toLowerCase();
    if (option === 'abort') abort = true;
    else if (!['nosave', 'save', 'now', 'force'].includes(option)) {
      client.replyError(SYNTAX);
      return;
    }
  }
  if (abort) {
    if (argv.length > 2) client.replyError(SYNTAX);
    else client.replyError('ERR No shutdown in progress.');
    return;
  }
  const server = client.server;
  setShutdownSave(
    server,
    argv.slice(1).map((option) => option.toLowerCase()),
  );
  server.log('warning', 'User requested shutdown...');
  // No reply: the connection closes with the server, as Redis's SHUTDOWN does.
  client.out.length = 0;
  client.close();
  server.close().then(
    () => {
      server.log('warning', 'codis-server is now ready to exit, bye bye...');
      process.exit(0);
    },
    () => process.exit(1),
  );
}

export const diagnosticCommands: CommandDefinition[] = [
  { name: 'time', handler: time },
  { name: 'lastsave', handler: lastsave },
  { name: 'slowlog|get', handler: slowlogGet },
  { name: 'slowlog|len', handler: (client) => client.out.integer(adminState(client.server).slowlog.length) },
  {
    name: 'slowlog|reset',
    handler: (client) => {
      adminState(client.server).slowlog = [];
      client.out.ok();
    },
  },
  { name: 'slowlog|help', handler: (client) => replyHelp(client, SLOWLOG_HELP) },
  { name: 'latency|latest', handler: latencyLatest },
  { name: 'latency|histogram', handler: latencyHistogram },
  { name: 'latency|history', handler: latencyHistory },
  { name: 'latency|reset', handler: latencyReset },
  { name: 'latency|graph', handler: latencyGraphCommand },
  { name: 'latency|doctor', handler: latencyDoctor },
  { name: 'latency|help', handler: (client) => replyHelp(client, LATENCY_HELP) },
  { name: 'monitor', handler: monitor },
  { name: 'debug', handler: debug },
  { name: 'shutdown', handler: shutdown },
];
