// codis-server: the process-wide state (databases, clients, configuration, statistics) and the
// request pipeline every command goes through, in Redis's order: lookup, arity, authentication,
// feature gates (transactions, pub/sub, replicas), memory, then the handler.

import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { adoptWithSharedRead, SharedReadBuffer } from '../common/shared-read.ts';
import { AccessControl } from './acl/index.ts';
import { BlockingRegistry } from './blocking.ts';
import { Client, type ClientOrigin } from './client.ts';
import { CommandRegistry, type ServerCommand } from './command-registry.ts';
import type { ServerConfig } from './config/index.ts';
import { NOAUTH, OOM, unknownCommand, unknownSubcommand, wrongArity } from './errors.ts';
import { Database, type KeyspaceHooks } from './keyspace/database.ts';
import { LatencyHistogram } from './latency-histogram.ts';
import { type OutputLimits, parseOutputLimits } from './output-limits.ts';
import { ScanCursors } from './scan-cursors.ts';
import { WallClock } from './wall-clock.ts';

export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning';

/** The read buffer of every client connection (one connection reads at a time). */
const SHARED_READ = new SharedReadBuffer(64 * 1024);
const LOG_LEVELS: Record<string, number> = { debug: 0, verbose: 1, notice: 2, warning: 3, nothing: 4 };

export interface ServerStats {
  startedAt: number;
  totalConnections: number;
  rejectedConnections: number;
  totalCommands: number;
  netInputBytes: number;
  netOutputBytes: number;
  keyspaceHits: number;
  keyspaceMisses: number;
  expiredKeys: number;
  evictedKeys: number;
  errorReplies: number;
  /** Error replies by their code (errorstats). */
  errors: Map<string, number>;
}

/**
 * A gate run before a command's handler. Returns true when it handled the request itself (queued
 * it, refused it with an error) so the handler must not run. A SET's or MSET's values may still be
 * bytes in the request (argv holds undefined there: RequestParser.deferValues): a gate that keeps
 * argv, or reads beyond its keys, calls client.materializeArguments() first.
 */
export type CommandGate = (client: Client, command: ServerCommand, argv: string[]) => boolean;

/** Something a command changed in the keyspace, for WATCH, notifications and propagation. */
export type KeyModifiedListener = (database: Database, key: string) => void;

export class CodisServer implements KeyspaceHooks {
  readonly config: ServerConfig;
  readonly registry = new CommandRegistry();
  readonly databases: Database[];
  readonly clients = new Map<number, Client>();
  readonly blocking: BlockingRegistry;
  /** Paused SCAN/HSCAN/SSCAN/ZSCAN iterations. */
  readonly scanCursors = new ScanCursors();
  readonly stats: ServerStats;
  readonly gates: CommandGate[] = [];
  readonly keyModifiedListeners: KeyModifiedListener[] = [];
  /** Extra state of features, by name (slowlog, monitors, persistence...). */
  readonly features = new Map<string, unknown>();
  /** client-output-buffer-limit, parsed. */
  outputLimits: OutputLimits;
  /** Users and permissions (ACL). */
  readonly acl: AccessControl;
  /** Writes since the last save (rdb_changes_since_last_save). */
  dirty = 0;
  /** The wall clock (ms) at the start of the current command, from its one clock read (execute). */
  cachedNow = Date.now();
  queryBufferLimit: number;
  expiryHidesOnly = false;
  /** Set while a replica applies its master's stream: keys the master still has are seen. */
  expiryDisabled = false;
  /** The error that made the last command fail, for failed_calls accounting. */
  private nextClientId = 1;
  private listener: Server | undefined;
  private cronTimer: NodeJS.Timeout | undefined;
  private readonly cronTasks: Array<(now: number) => void> = [];
  private readonly shutdownTasks: Array<() => void> = [];
  private logLevel: number;
  /**
   * Called after each command when a feature (MONITOR, slowlog) asked for it. As for gates, a hook
   * that keeps argv or reads beyond its keys calls client.materializeArguments() first. The
   * command's duration is in whole microseconds.
   */
  readonly afterCommandHooks: Array<
    (client: Client, command: ServerCommand, argv: string[], microseconds: number) => void
  > = [];

  constructor(config: ServerConfig) {
    this.config = config;
    const count = config.getNumber('databases');
    this.databases = [];
    for (let i = 0; i < count; i++) this.databases.push(new Database(i, this));
    this.blocking = new BlockingRegistry(this);
    this.stats = {
      startedAt: Date.now(),
      totalConnections: 0,
      rejectedConnections: 0,
      totalCommands: 0,
      netInputBytes: 0,
      netOutputBytes: 0,
      keyspaceHits: 0,
      keyspaceMisses: 0,
      expiredKeys: 0,
      evictedKeys: 0,
      errorReplies: 0,
      errors: new Map(),
    };
    this.acl = new AccessControl(this);
    this.queryBufferLimit = config.getNumber('client-query-buffer-limit');
    this.outputLimits = parseOutputLimits(config.get('client-output-buffer-limit'));
    this.logLevel = LOG_LEVELS[config.get('loglevel')] ?? 2;
    config.onChange((name, value) => {
      if (name === 'client-query-buffer-limit') this.queryBufferLimit = Number(value);
      else if (name === 'client-output-buffer-limit') this.outputLimits = parseOutputLimits(value);
      else if (name === 'loglevel') this.logLevel = LOG_LEVELS[value] ?? 2;
      else if (name === 'proto-max-bulk-len')
        for (const client of this.clients.values()) client.parser.limits.maxBulkLength = Number(value);
    });
  }

  log(level: LogLevel, message: string): void {
    if ((LOG_LEVELS[level] ?? 2) < this.logLevel) return;
    const mark = level === 'warning' ? '#' : level === 'notice' ? '*' : level === 'verbose' ? '-' : '.';
    const time = new Date().toISOString();
    process.stderr.write(`${process.pid}:M ${time} ${mark} ${message}\n`);
  }

  /** Starts listening on the configured bind addresses and port. */
  listen(): Promise<void> {
    const port = this.config.getNumber('port');
    const host = (this.config.get('bind').split(' ')[0] ?? '127.0.0.1').replace(/^-/, '');
    // Accepted sockets start paused: accept() reads them into the shared buffer instead.
    this.listener = createServer({ noDelay: true, pauseOnConnect: true }, (socket) => this.accept(socket));
    this.startCron();
    return new Promise((resolve, reject) => {
      const listener = this.listener as Server;
      listener.once('error', reject);
      listener.listen({ port, host, backlog: this.config.getNumber('tcp-backlog') }, () => {
        listener.off('error', reject);
        const address = listener.address();
        if (address !== null && typeof address === 'object') this.boundPort = address.port;
        this.log('notice', `Ready to accept connections tcp on ${host}:${this.boundPort}`);
        resolve();
      });
    });
  }

  boundPort = 0;

  private accept(socket: Socket): void {
    this.stats.totalConnections++;
    if (this.clients.size >= this.config.getNumber('maxclients')) {
      this.stats.rejectedConnections++;
      socket.end('-ERR max number of clients reached\r\n');
      return;
    }
    // Every client reads into one buffer rather than a fresh 64 KB allocation per read, so the reads
    // land in memory that stays hot. Requests are parsed before the callback returns and their
    // arguments are copies (latin1 strings), so only bytes left pending are copied out.
    let client: Client | undefined;
    const reader = adoptWithSharedRead(
      socket,
      SHARED_READ.bytes,
      (length) => client?.onSharedRead(SHARED_READ, length) ?? true,
    );
    const keepalive = this.config.getNumber('tcp-keepalive');
    if (keepalive > 0) reader.setKeepAlive(true, keepalive * 1000);
    client = new Client(this, reader, this.nextClientId++);
    this.clients.set(client.id, client);
    reader.resume();
  }

  /** A client not bound to a socket (loading an AOF, scripts, replication): replies are discarded. */
  createInternalClient(origin: ClientOrigin = 'internal'): Client {
    return new Client(this, undefined, this.nextClientId++, true, origin);
  }

  removeClient(client: Client): void {
    if (client.blocked !== undefined) this.blocking.remove(client);
    this.clients.delete(client.id);
    for (const hook of this.clientClosedHooks) hook(client);
  }

  readonly clientClosedHooks: Array<(client: Client) => void> = [];
  /** Run by RESET: each feature drops its per-client state (transactions, subscriptions...). */
  readonly clientResetHooks: Array<(client: Client) => void> = [];
  /** Run by FLUSHALL after the databases are emptied (persistence resets its counters). */
  readonly flushAllHooks: Array<() => void> = [];
  /** master or slave (ROLE, HELLO, INFO replication). */
  role: 'master' | 'slave' = 'master';

  recordError(message: string): void {
    this.stats.errorReplies++;
    const space = message.indexOf(' ');
    const code = space < 0 ? message : message.slice(0, space);
    this.stats.errors.set(code, (this.stats.errors.get(code) ?? 0) + 1);
  }

  /** The time commands see, from the one clock read of each request. */
  private readonly wallClock = new WallClock();

  /** The wall clock in ms, as commands see it (cachedNow is its value at the current command). */
  clockNow(): number {
    return this.wallClock.now();
  }

  /** Runs one request of a client. The hot path: no allocation beyond what the command needs. */
  execute(client: Client, argv: string[]): void {
    const start = performance.now();
    this.cachedNow = this.wallClock.at(start);
    const name = argv[0] as string;
    let command = this.registry.lookup(name);
    // Only SET and MSET store deferred values' bytes (RequestParser.deferValues): anything else
    // that runs the request, and an ACL check that may log it, sees the decoded values.
    if (
      client.parser.deferredArgv === argv &&
      (command === undefined ||
        (command.spec.name !== 'set' && command.spec.name !== 'mset') ||
        !client.user.unrestricted)
    )
      client.materializeArguments();
    if (command === undefined) {
      this.rejectCommand(client, unknownCommand(argv));
      return;
    }
    const arity = command.spec.arity;
    if ((arity > 0 && argv.length !== arity) || argv.length < -arity) {
      command.stats.rejectedCalls++;
      this.rejectCommand(client, wrongArity(command.fullName), command);
      return;
    }
    // A bare container (COMMAND) runs its own handler; the others' arity needs a subcommand.
    if (command.subcommands.size > 0 && argv.length > 1) {
      const sub = command.subcommands.get((argv[1] as string).toLowerCase());
      if (sub === undefined) {
        command.stats.rejectedCalls++;
        this.rejectCommand(client, unknownSubcommand(argv[1] as string, command.fullName));
        return;
      }
      command = sub;
      const subArity = command.spec.arity;
      if ((subArity > 0 && argv.length !== subArity) || argv.length < -subArity) {
        command.stats.rejectedCalls++;
        this.rejectCommand(client, wrongArity(command.fullName));
        return;
      }
    }
    if (!client.authenticated && this.acl.authRequired && !command.noAuth) {
      command.stats.rejectedCalls++;
      this.rejectCommand(client, NOAUTH);
      return;
    }
    // One flag for users allowed everything (the default user unless configured otherwise).
    if (!client.user.unrestricted && this.acl.refuse(client, command, argv)) return;
    const gates = this.gates;
    const errorsBefore = this.stats.errorReplies;
    for (let i = 0; i < gates.length; i++) {
      if ((gates[i] as CommandGate)(client, command, argv)) {
        // A gate that refused the request (READONLY, subscribed context...) flags a MULTI too.
        if (this.stats.errorReplies !== errorsBefore) {
          const hooks = this.commandRejectedHooks;
          for (let j = 0; j < hooks.length; j++) (hooks[j] as (client: Client) => void)(client);
        }
        return;
      }
    }
    if (command.denyOom && this.maxMemory > 0 && !this.freeMemoryIfNeeded()) {
      command.stats.rejectedCalls++;
      this.rejectCommand(client, OOM);
      return;
    }
    this.requestStart = start;
    this.call(client, command, argv);
  }

  /**
   * execute's clock read, for call() to time the command with (NaN: call reads the clock). A field,
   * not an argument: a double passed to a call V8 does not inline is a heap number, 16 bytes per
   * request.
   */
  private requestStart = Number.NaN;

  /**
   * Refuses a request. A refused EXEC (wrong arity, an ACL denial) ends the transaction, as Redis's
   * rejectCommand does: `EXECABORT ... because of: <error>`, with or without a MULTI.
   */
  rejectCommand(client: Client, message: string, command?: ServerCommand): void {
    if (command !== undefined && command.fullName === 'exec' && this.execRejected !== undefined) {
      this.execRejected(client, message.startsWith('ERR ') ? message.slice(4) : message);
      return;
    }
    client.replyError(message);
    const hooks = this.commandRejectedHooks;
    for (let i = 0; i < hooks.length; i++) (hooks[i] as (client: Client) => void)(client);
  }

  /** latency-tracking: per-command latency histograms (INFO latencystats, LATENCY HISTOGRAM). */
  latencyTracking = true;

  /** Nesting of call(): 1 for a client's command, more inside EXEC and scripts. */
  callDepth = 0;
  /** The client whose command is running (the outermost one), undefined between commands. */
  callingClient: Client | undefined = undefined;
  /** The outermost command running (EVAL for a script's redis.call), for the ACL log. */
  callingCommand: ServerCommand | undefined = undefined;

  /**
   * Set by a command that propagates other commands than itself to replicas and the AOF (XADD
   * with its generated ID, XREADGROUP as XCLAIMs...): the propagator sends these instead.
   */
  propagateInstead: string[][] | undefined = undefined;

  /** Run when a request is refused before its handler (unknown command, arity, NOAUTH, OOM). */
  readonly commandRejectedHooks: Array<(client: Client) => void> = [];
  /** Ends a refused EXEC's transaction and says why (installed by transactions). */
  execRejected: ((client: Client, reason: string) => void) | undefined = undefined;
  /** Set during EXEC: clients blocked on keys are served once the whole transaction ran. */
  deferReadyKeys = false;

  /**
   * Runs a command's handler with its statistics (also used by EXEC for queued commands). A request
   * from execute is timed from its clock read, so that one read serves both.
   */
  call(client: Client, command: ServerCommand, argv: string[]): void {
    let start = this.requestStart;
    if (Number.isNaN(start)) start = performance.now();
    else this.requestStart = Number.NaN;
    // The outermost client (a MULTI's, a script's caller) is the one Redis calls current_client.
    if (this.callDepth++ === 0) {
      this.callingClient = client;
      this.callingCommand = command;
    }
    const mark = client.out.length;
    const errorsBefore = this.stats.errorReplies;
    command.handler(client, argv);
    const microseconds = (performance.now() - start) * 1000;
    // Whole microseconds, as Redis measures them: a small integer, where a fraction passed to the
    // hooks would be a heap number per request.
    const wholeMicroseconds = Math.floor(microseconds);
    const stats = command.stats;
    stats.calls++;
    stats.microseconds += microseconds;
    // Redis samples whole microseconds, in nanoseconds; a request that blocked counts when served.
    if (this.latencyTracking && client.blocked === undefined) {
      stats.histogram ??= new LatencyHistogram();
      stats.histogram.record(wholeMicroseconds * 1000);
    }
    if (this.stats.errorReplies !== errorsBefore) stats.failedCalls++;
    this.stats.totalCommands++;
    client.commandsProcessed++;
    client.lastCommandName = command.fullName;
    if (client.replyMode !== 'on' && command.spec.name !== 'client|reply') {
      client.out.length = mark;
      if (client.replyMode === 'skip') client.replyMode = 'on';
    }
    const hooks = this.afterCommandHooks;
    for (let i = 0; i < hooks.length; i++)
      (hooks[i] as (typeof hooks)[number])(client, command, argv, wholeMicroseconds);
    this.propagateInstead = undefined;
    if (--this.callDepth === 0) {
      this.callingClient = undefined;
      this.callingCommand = undefined;
    }
    if (this.blocking.hasReadyKeys && !client.retryingBlocked && !this.deferReadyKeys)
      this.blocking.serveReadyKeys();
  }

  /** Max memory in bytes (0 = no limit), kept as a number for the per-request check. */
  get maxMemory(): number {
    return this.maxMemoryBytes;
  }

  maxMemoryBytes = 0;

  /**
   * Evicts keys per maxmemory-policy until memory is under the limit. Returns false when it stays
   * over (noeviction, or nothing left to evict): the write is then refused with OOM.
   * Replaced by the eviction module at start; the default refuses nothing.
   */
  freeMemoryIfNeeded: () => boolean = () => true;

  // KeyspaceHooks
  get blockedClients(): number {
    return this.blocking.blockedCount;
  }

  streamRemoved(database: Database, key: string): void {
    this.blocking.signalKeyRemoved(database, key);
  }

  keyExpired(database: Database, key: string): void {
    this.stats.expiredKeys++;
    this.signalModifiedKey(database, key);
    for (const listener of this.keyExpiredListeners) listener(database, key);
  }

  readonly keyExpiredListeners: KeyModifiedListener[] = [];

  /** A command changed a key: WATCH invalidation and other listeners. */
  signalModifiedKey(database: Database, key: string): void {
    const listeners = this.keyModifiedListeners;
    for (let i = 0; i < listeners.length; i++) (listeners[i] as KeyModifiedListener)(database, key);
  }

  /**
   * Publishes keyspace notifications (`notify-keyspace-events`); set by the pub/sub feature when
   * notifications are enabled, undefined otherwise so handlers pay nothing.
   */
  keyspaceNotifier: ((type: string, event: string, key: string, databaseIndex: number) => void) | undefined;

  /** Registers work for the periodic server cron (runs `hz` times per second). */
  addCronTask(task: (now: number) => void): void {
    this.cronTasks.push(task);
  }

  addShutdownTask(task: () => void): void {
    this.shutdownTasks.push(task);
  }

  private startCron(): void {
    const run = (): void => {
      this.wallClock.follow();
      const now = this.clockNow();
      this.cachedNow = now;
      for (const task of this.cronTasks) {
        try {
          task(now);
        } catch (error) {
          this.log('warning', `cron task failed: ${(error as Error).stack ?? error}`);
        }
      }
      // Keys the cron removed (an expired stream) end the reads blocked on them now.
      if (this.blocking.hasReadyKeys) this.blocking.serveReadyKeys();
      this.cronTimer = setTimeout(run, Math.max(1, Math.floor(1000 / this.config.getNumber('hz'))));
      this.cronTimer.unref();
    };
    this.cronTimer = setTimeout(run, 100);
    this.cronTimer.unref();
  }

  /** Stops listening, closes every client and runs the shutdown tasks (saving, releasing). */
  close(): Promise<void> {
    if (this.cronTimer) clearTimeout(this.cronTimer);
    for (const task of this.shutdownTasks) {
      try {
        task();
      } catch (error) {
        this.log('warning', `shutdown task failed: ${(error as Error).message}`);
      }
    }
    for (const client of [...this.clients.values()]) {
      client.flush();
      client.close();
    }
    return new Promise((resolve) => {
      if (this.listener === undefined) resolve();
      else this.listener.close(() => resolve());
    });
  }
}
