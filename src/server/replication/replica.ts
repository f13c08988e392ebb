// The replica side: one connection to our master. Handshake (PING, AUTH, REPLCONF, PSYNC), the
// full-sync RDB payload (flush, then load), then the command stream applied through an internal
// client, acknowledged every second and on GETACK; reconnects with PSYNC after a broken link.
import { connect, type Socket } from 'node:net';
import { PARSE_COMMAND, PARSE_ERROR, PARSE_INCOMPLETE, RequestParser } from '../../resp/index.ts';
import type { Client } from '../client.ts';
import type { Database } from '../keyspace/database.ts';
import { loadRdb } from '../persistence/index.ts';
import { encodeCommand } from '../propagation/index.ts';
import { loadRdbFunctions } from '../scripting/index.ts';
import type { Replication } from './master.ts';

export type LinkState = 'connect' | 'connecting' | 'handshake' | 'sync' | 'connected';

const RECONNECT_MS = 1000;

export class MasterLink {
  readonly host: string;
  readonly port: number;
  state: LinkState = 'connect';
  /** Dropped by REPLICAOF NO ONE or another REPLICAOF: the link must not reconnect. */
  private cancelled = false;
  private socket: Socket | undefined;
  private readonly replication: Replication;
  /** Applies the master's stream; kept across reconnects (its SELECTed database persists). */
  private masterClient: Client;
  /** Handshake replies are lines; the RDB payload a bulk; then the stream. */
  private input: Buffer = Buffer.alloc(0);
  private handshakeQueue: Array<(line: string) => void> = [];
  private payloadLength = -1;
  private readonly parser: RequestParser;
  private lastIo = Date.now();
  private lastAck = 0;
  private downSince = Date.now();
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(replication: Replication, host: string, port: number) {
    this.replication = replication;
    this.host = host;
    this.port = port;
    this.masterClient = this.newMasterClient();
    this.parser = new RequestParser({ maxBulkLength: Number.MAX_SAFE_INTEGER });
  }

  private newMasterClient(): Client {
    const client = this.replication.server.createInternalClient('master');
    client.authenticated = true;
    client.flags = 'M';
    return client;
  }

  get roleState(): string {
    return this.state === 'handshake' ? 'handshake' : this.state;
  }

  /** The database the master's stream currently writes to (for our own replicas' RDB). */
  get streamDatabase(): Database {
    return this.masterClient.database;
  }

  isMasterClient(client: Client): boolean {
    return client === this.masterClient;
  }

  start(): void {
    if (this.cancelled) return;
    const server = this.replication.server;
    this.state = 'connecting';
    server.log('notice', `Connecting to MASTER ${this.host}:${this.port}`);
    const socket = connect({ host: this.host, port: this.port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('connect', () => {
      server.log('notice', 'MASTER <-> REPLICA sync started');
      this.lastIo = Date.now();
      this.handshake();
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => {
      server.log('warning', `Error condition on socket for SYNC: ${error.message}`);
    });
    socket.on('close', () => this.onClose(socket));
  }

  /** Stops replicating (REPLICAOF NO ONE, or a new master). */
  cancel(): void {
    this.cancelled = true;
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.socket?.destroy();
    this.socket = undefined;
  }

  private onClose(socket: Socket): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    const awaitingPsync = this.awaitingPsync;
    this.awaitingPsync = false;
    if (this.state === 'connected') {
      this.downSince = Date.now();
      this.replication.server.log('notice', 'Connection with master lost.');
    }
    this.state = 'connect';
    this.input = Buffer.alloc(0);
    this.handshakeQueue = [];
    this.payloadLength = -1;
    this.payloadChunks = [];
    this.payloadReceived = 0;
    this.parser.reset();
    this.heldInput = undefined;
    if (awaitingPsync && this.replication.failover.state === 'failover-in-progress') {
      // The target closed the link instead of answering PSYNC FAILOVER: as a refusal.
      this.replication.server.log('warning', 'Master did not reply to PSYNC, will try later');
      this.replication.failover.targetAnswered(false);
      return;
    }
    if (!this.cancelled) {
      this.reconnectTimer = setTimeout(() => this.start(), RECONNECT_MS);
      this.reconnectTimer.unref();
    }
  }

  private fail(reason: string): void {
    this.replication.server.log('warning', reason);
    this.socket?.destroy();
  }

  private send(argv: readonly string[]): void {
    this.socket?.write(encodeCommand(argv));
  }

  /** Sends a command and handles its one-line reply. */
  private request(argv: readonly string[], onReply: (line: string) => void): void {
    this.handshakeQueue.push(onReply);
    this.send(argv);
  }

  private handshake(): void {
    this.state = 'handshake';
    const server = this.replication.server;
    const config = server.config;
    this.request(['PING'], (line) => {
      // -NOAUTH is fine here: AUTH follows.
      if (line.startsWith('-') && !line.startsWith('-NOAUTH') && !line.startsWith('-NOPERM'))
        return this.fail(`Error reply to PING from master: '${line}'`);
      const password = config.get('masterauth');
      if (password !== '') {
        const user = config.get('masteruser');
        this.request(user === '' ? ['AUTH', password] : ['AUTH', user, password], (reply) => {
          if (reply.startsWith('-')) return this.fail(`Unable to AUTH to MASTER: ${reply}`);
          this.announce();
        });
      } else this.announce();
    });
  }

  private announce(): void {
    const config = this.replication.server.config;
    const server = this.replication.server;
    const port = config.getNumber('replica-announce-port') || server.boundPort || config.getNumber('port');
    this.request(['REPLCONF', 'listening-port', String(port)], () => undefined);
    const ip = config.get('replica-announce-ip');
    if (ip !== '') this.request(['REPLCONF', 'ip-address', ip], () => undefined);
    // PSYNC waits for the REPLCONF replies, as Redis's handshake does: a redis-server that reads
    // PSYNC while those replies are still in its output buffer refuses it ("SYNC and PSYNC are
    // invalid with pending output"), which made about one FAILOVER to a redis-server in six abort.
    this.request(['REPLCONF', 'capa', 'psync2'], () => this.psync());
  }

  private psync(): void {
    const replication = this.replication;
    const history = replication.backlog !== undefined;
    const id = history ? replication.replicationId : '?';
    const offset = history ? String(replication.offset + 1) : '-1';
    // A master handing over to us (FAILOVER) asks its replica to take over with this PSYNC.
    const argv =
      replication.failover.state === 'failover-in-progress'
        ? ['PSYNC', id, offset, 'FAILOVER']
        : ['PSYNC', id, offset];
    this.awaitingPsync = true;
    this.request(argv, (line) => this.onPsyncReply(line));
  }

  /** PSYNC was sent and not answered yet (a FAILOVER fails when the link closes meanwhile). */
  private awaitingPsync = false;

  private onPsyncReply(line: string): void {
    const server = this.replication.server;
    const replication = this.replication;
    this.awaitingPsync = false;
    if (line.startsWith('+FULLRESYNC')) {
      const [, id, offset] = line.split(' ');
      server.log('notice', `Full resync from master: ${id}:${offset}`);
      this.pendingFullSync = { id: id ?? '', offset: Number(offset) };
      this.state = 'sync';
      replication.failover.targetAnswered(true);
      return;
    }
    if (line.startsWith('+CONTINUE')) {
      const newId = line.split(' ')[1];
      server.log('notice', 'Successful partial resynchronization with master.');
      if (newId !== undefined && newId !== '' && newId !== replication.replicationId) {
        replication.replicationId2 = replication.replicationId;
        replication.secondOffset = replication.offset + 1;
        replication.replicationId = newId;
        // Our replicas must learn the new id: they reconnect and continue from us.
        server.log('notice', `Master replication ID changed to ${newId}`);
        replication.disconnectReplicas();
      }
      this.linkUp();
      replication.failover.targetAnswered(true);
      return;
    }
    if (replication.failover.state === 'failover-in-progress') {
      // The target refused to take over: the failover is aborted (we become a master again).
      server.log('warning', `Unexpected reply to PSYNC FAILOVER from the target: ${line}`);
      replication.failover.targetAnswered(false);
      return;
    }
    if (line.startsWith('-NOMASTERLINK') || line.startsWith('-LOADING')) {
      server.log('notice', `Master is currently unable to PSYNC but should be in the future: ${line}`);
    }
    this.fail(`Unexpected reply to PSYNC from master: ${line}`);
  }

  private pendingFullSync: { id: string; offset: number } | undefined;
  private payloadChunks: Buffer[] = [];
  private payloadReceived = 0;

  private linkUp(): void {
    this.state = 'connected';
    this.lastIo = Date.now();
    this.sendAck();
    this.replication.server.log(
      'notice',
      'MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.',
    );
  }

  private onData(chunk: Buffer): void {
    this.lastIo = Date.now();
    if (this.state === 'sync' && this.payloadLength >= 0) {
      // The RDB payload: gathered as chunks and joined once (it can be large).
      this.payloadChunks.push(chunk);
      this.payloadReceived += chunk.length;
      if (this.payloadReceived < this.payloadLength) return;
      const joined = Buffer.concat(this.payloadChunks, this.payloadReceived);
      this.payloadChunks = [];
      this.payloadReceived = 0;
      this.input = joined;
    } else this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    try {
      this.process();
    } catch (error) {
      this.fail(`Replication stream failed: ${(error as Error).stack ?? error}`);
    }
  }

  private process(): void {
    while (this.socket !== undefined && this.input.length > 0) {
      if (this.state === 'handshake') {
        const end = this.input.indexOf('\r\n');
        if (end < 0) return;
        const line = this.input.latin1Slice(0, end);
        this.input = this.input.subarray(end + 2);
        this.handshakeQueue.shift()?.(line);
        continue;
      }
      if (this.state === 'sync') {
        if (!this.readPayload()) return;
        continue;
      }
      if (this.state === 'connected') {
        this.applyStream();
        return;
      }
      return;
    }
  }

  /** Reads `$<len>\r\n<rdb>` (after newlines the master sends as keep-alives); true once loaded. */
  private readPayload(): boolean {
    if (this.payloadLength < 0) {
      let start = 0;
      while (start < this.input.length && this.input[start] === 10) start++;
      this.input = this.input.subarray(start);
      const end = this.input.indexOf('\r\n');
      if (end < 0) return false;
      const header = this.input.latin1Slice(0, end);
      if (header.startsWith('-')) {
        this.fail(`Master aborted the sync: ${header}`);
        return false;
      }
      if (!header.startsWith('$') || header.startsWith('$EOF:')) {
        this.fail(`Bad protocol from MASTER, the first byte is not '$': ${header}`);
        return false;
      }
      this.payloadLength = Number(header.slice(1));
      this.input = this.input.subarray(end + 2);
    }
    if (this.input.length < this.payloadLength) {
      // Wait for the rest in onData's chunk list, starting with what already came.
      if (this.input.length > 0) {
        this.payloadChunks.push(this.input);
        this.payloadReceived = this.input.length;
        this.input = Buffer.alloc(0);
      }
      return false;
    }
    const payload = this.input.subarray(0, this.payloadLength);
    this.input = this.input.subarray(this.payloadLength);
    this.payloadLength = -1;
    this.loadPayload(Buffer.from(payload));
    return true;
  }

  private loadPayload(payload: Buffer): void {
    const replication = this.replication;
    const server = replication.server;
    const sync = this.pendingFullSync ?? { id: replication.replicationId, offset: replication.offset };
    this.pendingFullSync = undefined;
    server.log('notice', `MASTER <-> REPLICA sync: receiving ${payload.length} bytes from master to disk`);
    server.log('notice', 'MASTER <-> REPLICA sync: Flushing old data');
    server.log('notice', 'MASTER <-> REPLICA sync: Loading DB in memory');
    for (const database of server.databases) database.flush();
    // Keys already expired stay until the master's DEL (the master decides when keys expire).
    const loaded = loadRdb(payload, `from MASTER ${this.host}:${this.port}`, server.databases, Date.now(), {
      keepExpired: true,
    });
    // The master's functions replace ours, as its data does.
    loadRdbFunctions(server, loaded.functions);
    for (const hook of server.flushAllHooks) hook();
    this.masterClient = this.newMasterClient();
    if (loaded.streamDatabase > 0) {
      const database = server.databases[loaded.streamDatabase];
      if (database !== undefined) this.masterClient.database = database;
    }
    replication.resetHistory(sync.id, sync.offset);
    // Our own replicas had another history: they must sync again from this one.
    replication.disconnectReplicas();
    server.log('notice', `MASTER <-> REPLICA sync: Finished with success (${loaded.keys} keys)`);
    this.state = 'connected';
    this.parser.reset();
    this.heldInput = undefined;
    this.sendAck();
  }

  /** Runs every complete command of the stream; each one's bytes then go to our own replicas. */
  private applyStream(): void {
    const parser = this.parser;
    const replication = this.replication;
    const server = replication.server;
    const client = this.masterClient;
    const chunk = this.input;
    this.input = Buffer.alloc(0);
    // The raw bytes of commands not yet complete are kept beside the parser's own copy, so each
    // command's exact bytes can be forwarded.
    const input = this.heldInput === undefined ? chunk : Buffer.concat([this.heldInput, chunk]);
    parser.feed(chunk);
    let consumed = 0;
    for (;;) {
      const result = parser.next();
      if (result === PARSE_INCOMPLETE) break;
      if (result === PARSE_ERROR) {
        this.fail(`Protocol error in the replication stream: ${parser.error}`);
        return;
      }
      if (result !== PARSE_COMMAND) break;
      const argv = parser.argv;
      const processed = input.length - parser.pendingBytes;
      const bytes = input.subarray(consumed, processed);
      consumed = processed;
      const name = (argv[0] as string).toLowerCase();
      if (name === 'replconf' && (argv[1] ?? '').toLowerCase() === 'getack') {
        replication.feed(bytes);
        this.sendAck();
        continue;
      }
      if (name !== 'ping') {
        // The master decides when keys expire: its commands see keys our clock calls expired.
        // Nor does maxmemory refuse its writes (replica-ignore-maxmemory, Redis's default).
        const maxMemory = server.maxMemoryBytes;
        server.expiryDisabled = true;
        server.maxMemoryBytes = 0;
        try {
          server.execute(client, argv);
        } finally {
          server.expiryDisabled = false;
          server.maxMemoryBytes = maxMemory;
        }
      }
      client.out.length = 0;
      replication.feed(bytes);
    }
    this.heldInput = consumed < input.length ? input.subarray(consumed) : undefined;
  }

  private heldInput: Buffer | undefined;

  sendAck(): void {
    if (this.state !== 'connected') return;
    this.lastAck = Date.now();
    this.send(['REPLCONF', 'ACK', String(this.replication.offset)]);
  }

  cron(now: number): void {
    if (this.state === 'connected' && now - this.lastAck >= 1000) this.sendAck();
    const timeout = this.replication.server.config.getNumber('repl-timeout') * 1000;
    if (this.socket !== undefined && this.state !== 'connecting' && now - this.lastIo > timeout) {
      this.fail('MASTER timeout: no data nor PING received...');
    }
  }

  infoLines(now: number): string[] {
    const config = this.replication.server.config;
    const up = this.state === 'connected';
    const lines = [
      `master_host:${this.host}`,
      `master_port:${this.port}`,
      `master_link_status:${up ? 'up' : 'down'}`,
      `master_last_io_seconds_ago:${this.socket === undefined ? -1 : Math.floor((now - this.lastIo) / 1000)}`,
      `master_sync_in_progress:${this.state === 'sync' ? 1 : 0}`,
      `slave_read_repl_offset:${this.replication.offset}`,
      `slave_repl_offset:${this.replication.offset}`,
    ];
    if (this.state === 'sync') {
      lines.push(
        `master_sync_total_bytes:${this.payloadLength}`,
        `master_sync_read_bytes:${this.payloadReceived}`,
        `master_sync_left_bytes:${Math.max(0, this.payloadLength - this.payloadReceived)}`,
        `master_sync_perc:0.00`,
        `master_sync_last_io_seconds_ago:${Math.floor((now - this.lastIo) / 1000)}`,
      );
    }
    if (!up) lines.push(`master_link_down_since_seconds:${Math.floor((now - this.downSince) / 1000)}`);
    lines.push(
      `slave_priority:${config.getNumber('replica-priority')}`,
      `slave_read_only:${config.get('replica-read-only') === 'yes' ? 1 : 0}`,
      'replica_announced:1',
    );
    return lines;
  }
}
