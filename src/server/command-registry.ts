// Binds the shared command table (src/commands) to codis-server's implementations. Only commands
// with an implementation exist for clients; anything else is an unknown command, as in Redis.

import { type CommandSpec, commandSpec } from '../commands/index.ts';
import { type AclCommand, aclCommandOf } from './acl/command-catalog.ts';
import type { Client } from './client.ts';
import type { LatencyHistogram } from './latency-histogram.ts';

export type CommandHandler = (client: Client, argv: string[]) => void;

export interface CommandStats {
  calls: number;
  microseconds: number;
  rejectedCalls: number;
  failedCalls: number;
  /** Latency samples (latency-tracking), made on the first call. */
  histogram?: LatencyHistogram | undefined;
}

export interface ServerCommand {
  readonly spec: CommandSpec;
  /** The name as reported in errors and stats: `get`, `config|get`. */
  readonly fullName: string;
  readonly handler: CommandHandler;
  /** Subcommand implementations, when the command dispatches on argv[1]. */
  readonly subcommands: Map<string, ServerCommand>;
  readonly parent: ServerCommand | undefined;
  readonly isWrite: boolean;
  readonly denyOom: boolean;
  readonly isFast: boolean;
  /** Allowed before AUTH (AUTH, HELLO, QUIT, ...). */
  readonly noAuth: boolean;
  /** Its entry in the ACL's command table (id, categories). */
  readonly acl: AclCommand;
  readonly stats: CommandStats;
}

export interface CommandDefinition {
  /** Lowercase name; `parent|sub` for a subcommand. */
  name: string;
  handler: CommandHandler;
}

function newStats(): CommandStats {
  return { calls: 0, microseconds: 0, rejectedCalls: 0, failedCalls: 0 };
}

export class CommandRegistry {
  readonly commands = new Map<string, ServerCommand>();

  register(definitions: readonly CommandDefinition[]): void {
    for (const definition of definitions) this.add(definition);
    // A command may have been replaced: cached spellings would point at the old one.
    this.spellings.clear();
  }

  private add(definition: CommandDefinition): void {
    const bar = definition.name.indexOf('|');
    if (bar < 0) {
      const spec = commandSpec(definition.name);
      if (spec === undefined) throw new Error(`command '${definition.name}' is not in the command table`);
      const existing = this.commands.get(definition.name);
      const command = this.build(spec, definition.name, definition.handler, undefined);
      if (existing !== undefined)
        for (const [name, sub] of existing.subcommands) command.subcommands.set(name, sub);
      this.commands.set(definition.name, command);
      return;
    }
    const parentName = definition.name.slice(0, bar);
    const subName = definition.name.slice(bar + 1);
    let parent = this.commands.get(parentName);
    if (parent === undefined) {
      const spec = commandSpec(parentName);
      if (spec === undefined) throw new Error(`command '${parentName}' is not in the command table`);
      parent = this.build(spec, parentName, dispatchSubcommand, undefined);
      this.commands.set(parentName, parent);
    }
    const subSpec = parent.spec.subcommands.get(subName);
    if (subSpec === undefined) throw new Error(`subcommand '${definition.name}' is not in the command table`);
    parent.subcommands.set(subName, this.build(subSpec, definition.name, definition.handler, parent));
  }

  private build(
    spec: CommandSpec,
    fullName: string,
    handler: CommandHandler,
    parent: ServerCommand | undefined,
  ): ServerCommand {
    const flags = spec.flags;
    const acl = aclCommandOf(spec);
    if (acl === undefined) throw new Error(`command '${fullName}' is not in the ACL command table`);
    return {
      spec,
      fullName,
      handler,
      subcommands: new Map(),
      parent,
      isWrite: flags.has('write'),
      denyOom: flags.has('denyoom'),
      isFast: flags.has('fast'),
      noAuth: flags.has('no_auth'),
      acl,
      stats: newStats(),
    };
  }

  /** Names as clients spelled them (`SET`, `Get`), so a name is lowercased once, not per request. */
  private readonly spellings = new Map<string, ServerCommand>();

  lookup(name: string): ServerCommand | undefined {
    const known = this.spellings.get(name);
    if (known !== undefined) return known;
    const command = this.commands.get(name.toLowerCase());
    // Bounded: every spelling of every name could otherwise be sent by a hostile client.
    if (command !== undefined && this.spellings.size < 4096) this.spellings.set(name, command);
    return command;
  }

  /** Every command and subcommand with an implementation. */
  *all(): IterableIterator<ServerCommand> {
    for (const command of this.commands.values()) {
      yield command;
      yield* command.subcommands.values();
    }
  }
}

/** Placeholder handler of a container command: the server resolves subcommands before calling. */
function dispatchSubcommand(client: Client, argv: string[]): void {
  client.replyError(`ERR unknown subcommand '${argv[1] ?? ''}'. Try ${(argv[0] ?? '').toUpperCase()} HELP.`);
}
