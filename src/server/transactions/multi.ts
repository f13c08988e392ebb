// MULTI/EXEC: the queueing gate and the transaction state of a client, with Redis 7.0's rules:
// a command refused while queueing (unknown, wrong arity, not allowed, OOM) flags the transaction
// and EXEC then aborts with EXECABORT.
import type { Client } from '../client.ts';
import type { ServerCommand } from '../command-registry.ts';
import { OOM } from '../errors.ts';
import type { CodisServer } from '../server.ts';
import { WatchRegistry } from './watch.ts';

export interface QueuedCommand {
  readonly command: ServerCommand;
  readonly argv: string[];
}

/** Per-client MULTI state, client.features.get('multi'); absent outside MULTI. */
export interface MultiState {
  readonly queue: QueuedCommand[];
  /** A command was refused while queueing: EXEC answers EXECABORT. */
  aborted: boolean;
}

/** Commands that run at once inside MULTI instead of being queued. */
const NOT_QUEUED = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

export const EXECABORT = 'EXECABORT Transaction discarded because of previous errors.';

export class Transactions {
  readonly server: CodisServer;
  readonly watches: WatchRegistry;

  constructor(server: CodisServer) {
    this.server = server;
    this.watches = new WatchRegistry(server);
  }

  stateOf(client: Client): MultiState | undefined {
    return client.features.get('multi') as MultiState | undefined;
  }

  begin(client: Client): void {
    client.features.set('multi', { queue: [], aborted: false } satisfies MultiState);
    // `x` also tells blocking commands not to block (they act as timed out), as in Redis.
    client.setFlag('x', true);
  }

  /** Ends the transaction (EXEC done, DISCARD, RESET, disconnect) and drops the WATCHes. */
  discard(client: Client): void {
    client.features.delete('multi');
    client.setFlag('x', false);
    this.watches.unwatchAll(client);
  }

  /** Flags the transaction of a client in MULTI after a refused command. */
  flag(client: Client): void {
    const state = this.stateOf(client);
    if (state !== undefined) state.aborted = true;
  }

  /** The queueing gate: inside MULTI, commands other than EXEC/DISCARD/... answer +QUEUED. */
  readonly gate = (client: Client, command: ServerCommand, argv: string[]): boolean => {
    if (client.flags === 'N') return false;
    const state = this.stateOf(client);
    if (state === undefined) return false;
    const root = command.parent ?? command;
    if (NOT_QUEUED.has(root.spec.name)) return false;
    if (command.spec.flags.has('no_multi') || root.spec.flags.has('no_multi')) {
      state.aborted = true;
      command.stats.rejectedCalls++;
      client.replyError('ERR Command not allowed inside a transaction');
      return true;
    }
    // Queueing takes memory too: over maxmemory, Redis refuses any command inside MULTI.
    const server = this.server;
    if (server.maxMemory > 0 && !server.freeMemoryIfNeeded()) {
      state.aborted = true;
      command.stats.rejectedCalls++;
      client.replyError(OOM);
      return true;
    }
    // The parser reuses its argv array: keep a copy (with a deferred SET value decoded).
    client.materializeArguments();
    state.queue.push({ command, argv: argv.slice() });
    client.out.status('QUEUED');
    return true;
  };
}
