// One propagation stream for every consumer of writes (replicas, the AOF), as Redis's
// propagateNow/alsoPropagate: each executed write becomes the commands that reproduce its effect
// (rewrite.ts), keys that expire or are evicted become DELs, the writes of a transaction or a script
// are wrapped in MULTI ... EXEC, and each target gets a SELECT when its stream was in another database.
import type { Client } from '../client.ts';
import type { ServerCommand } from '../command-registry.ts';
import type { Database } from '../keyspace/database.ts';
import type { CodisServer } from '../server.ts';
import { commandsToPropagate, encodeCommand } from './rewrite.ts';

export { commandsToPropagate, encodeCommand } from './rewrite.ts';

/** A consumer of the stream: the replication backlog and replicas, the AOF. */
export interface PropagationTarget {
  /** Whether the target takes writes now (a master with a backlog; appendonly on). */
  readonly accepting: boolean;
  /** The database the target's stream last selected; -1 makes the next write start with SELECT. */
  selectedDatabase: number;
  /** Appends encoded commands to the target's stream (the buffer is not reused by the caller). */
  append(bytes: Buffer): void;
  /** A client's write reached the stream (WAIT waits for the offset after it). */
  propagated?(client: Client): void;
}

const MULTI = encodeCommand(['MULTI']);
const EXEC = encodeCommand(['EXEC']);

export class Propagator {
  readonly server: CodisServer;
  private readonly targets: PropagationTarget[] = [];
  /** server.dirty after the previous command: a command that moved it changed data. */
  private lastDirty: number;
  private forced = false;
  /** The client whose MULTI went out and whose EXEC is pending. */
  private transactionClient: Client | undefined;
  /** Keys the current command modified (for commands propagated as their effects). */
  private readonly touched: Array<[Database, string]> = [];
  private readonly selects: Buffer[] = [];

  constructor(server: CodisServer) {
    this.server = server;
    this.lastDirty = server.dirty;
  }

  addTarget(target: PropagationTarget): void {
    this.targets.push(target);
  }

  /** Whether any target takes writes (otherwise nothing is encoded at all). */
  get active(): boolean {
    const targets = this.targets;
    for (let i = 0; i < targets.length; i++) if ((targets[i] as PropagationTarget).accepting) return true;
    return false;
  }

  /** server.dirty changed outside a command (a save reset it): not a write to propagate. */
  dirtyAdjusted(delta: number): void {
    this.lastDirty += delta;
  }

  /** The current command is propagated even if it did not move server.dirty (FLUSHALL). */
  force(): void {
    this.forced = true;
  }

  keyTouched(database: Database, key: string): void {
    if (this.active) this.touched.push([database, key]);
  }

  /** A key expired or was evicted: replicas and the AOF delete it when we say so. */
  keyRemoved(database: Database, key: string): void {
    if (this.active) this.emit(database.index, [['DEL', key]]);
  }

  /** The after-command hook: propagates the command when it changed data. */
  afterCommand(client: Client, command: ServerCommand, argv: string[]): void {
    const dirty = this.server.dirty;
    const changed = dirty !== this.lastDirty || this.forced;
    this.lastDirty = dirty;
    this.forced = false;
    if (!this.active) {
      this.forgetTouched();
      this.transactionClient = undefined;
      return;
    }
    // A SET's value left as bytes by the request parser goes out decoded.
    client.materializeArguments();
    if ((command.parent ?? command).spec.name === 'exec') {
      // The writes of a transaction (or a script) go out as one MULTI ... EXEC, as in Redis.
      if (this.transactionClient === client) {
        this.transactionClient = undefined;
        this.emitRaw(EXEC);
        this.propagated(client);
      }
    } else {
      // Commands that decide their own propagation (XREADGROUP's XCLAIMs) set it while running.
      const instead = this.server.propagateInstead;
      const commands =
        instead ??
        (changed && (command.isWrite || command.parent?.isWrite === true)
          ? commandsToPropagate(client.database, argv, this.touched)
          : []);
      if (commands.length > 0) {
        // Inside EXEC (or a script) the client still has its MULTI state: open the transaction.
        if (this.transactionClient === undefined && client.features.has('multi')) {
          this.transactionClient = client;
          this.emitRaw(MULTI);
        }
        this.emit(client.database.index, commands);
        this.propagated(client);
      }
    }
    this.forgetTouched();
  }

  /** Keys changed outside commands (active expiry) matter to no command's propagation. */
  cron(): void {
    this.forgetTouched();
  }

  /** Empties the touched keys; an array's length store is a runtime call, paid per command otherwise. */
  private forgetTouched(): void {
    if (this.touched.length > 0) this.touched.length = 0;
  }

  /** Propagates commands run in database `index` (with a SELECT where a stream was elsewhere). */
  emit(index: number, commands: readonly (readonly string[])[]): void {
    if (commands.length === 0) return;
    const encoded = commands.map(encodeCommand);
    for (const target of this.targets) {
      if (!target.accepting) continue;
      if (target.selectedDatabase !== index) {
        target.append(this.select(index));
        target.selectedDatabase = index;
      }
      for (const bytes of encoded) target.append(bytes);
    }
  }

  private emitRaw(bytes: Buffer): void {
    for (const target of this.targets) if (target.accepting) target.append(bytes);
  }

  private propagated(client: Client): void {
    for (const target of this.targets) if (target.accepting) target.propagated?.(client);
  }

  private select(index: number): Buffer {
    let bytes = this.selects[index];
    if (bytes === undefined) {
      bytes = encodeCommand(['SELECT', String(index)]);
      this.selects[index] = bytes;
    }
    return bytes;
  }
}

/**
 * The server's propagator, created and wired into the command pipeline on first use (by
 * replication and persistence, whichever is installed first).
 */
export function propagatorOf(server: CodisServer): Propagator {
  let propagator = server.features.get('propagation') as Propagator | undefined;
  if (propagator !== undefined) return propagator;
  const created = new Propagator(server);
  propagator = created;
  server.features.set('propagation', created);
  server.keyModifiedListeners.push((database, key) => created.keyTouched(database, key));
  server.keyExpiredListeners.push((database, key) => created.keyRemoved(database, key));
  const memory = server.features.get('memory') as
    | { evictor?: { evictionListeners?: Array<(index: number, key: string) => void> } }
    | undefined;
  memory?.evictor?.evictionListeners?.push((index, key) => {
    const database = server.databases[index];
    if (database !== undefined) created.keyRemoved(database, key);
  });
  server.afterCommandHooks.push((client, command, argv) => created.afterCommand(client, command, argv));
  server.addCronTask(() => created.cron());
  return created;
}
