// The ACL's view of the command table: every command and subcommand Redis 7.0 knows (not only the
// ones codis-server implements, as Redis bases ACLs on its original table), each with a numeric id
// that indexes a selector's bitmap, and its ACL categories.
import { COMMAND_TABLE, type CommandSpec } from '../../commands/index.ts';

/** Redis's categories, in its order (ACL CAT lists them so; rule descriptions try them so). */
export const CATEGORIES = [
  'keyspace',
  'read',
  'write',
  'set',
  'sortedset',
  'list',
  'hash',
  'string',
  'bitmap',
  'hyperloglog',
  'geo',
  'stream',
  'pubsub',
  'admin',
  'fast',
  'slow',
  'blocking',
  'dangerous',
  'connection',
  'transaction',
  'scripting',
] as const;

export interface AclCommand {
  readonly id: number;
  /** `get`, `config|get`. */
  readonly fullName: string;
  /** One bit per CATEGORIES entry. */
  readonly categories: number;
  readonly parent: AclCommand | undefined;
  readonly subcommands: Map<string, AclCommand>;
  /** Allowed to anyone (AUTH, HELLO...): the command bit is not checked. */
  readonly noAuth: boolean;
  /** Codis's own commands: Redis does not have them, so rule descriptions leave them out of counts. */
  readonly codis: boolean;
}

/** The bit of a category name (any case), or 0 when unknown. */
export function categoryBit(name: string): number {
  const index = (CATEGORIES as readonly string[]).indexOf(name.toLowerCase());
  return index < 0 ? 0 : 1 << index;
}

function categoriesOf(spec: CommandSpec): number {
  let bits = 0;
  const info = spec.info;
  if (info?.t === 'array') {
    const node = info.v[6];
    if (node?.t === 'set' || node?.t === 'array')
      for (const each of node.v)
        if (each.t === 'status' || each.t === 'bulk') bits |= categoryBit(each.v.slice(1));
    return bits;
  }
  // Codis's slot commands move, restore and delete whole slots for the cluster's operators: they
  // are @admin and @dangerous (like MIGRATE), never granted by @read or @write; fast or slow by flag.
  bits = categoryBit('admin') | categoryBit('dangerous');
  return bits | categoryBit(spec.flags.has('fast') ? 'fast' : 'slow');
}

function buildCatalog(): { all: AclCommand[]; roots: Map<string, AclCommand> } {
  const all: AclCommand[] = [];
  const roots = new Map<string, AclCommand>();
  const make = (spec: CommandSpec, parent: AclCommand | undefined): AclCommand => {
    const command: AclCommand = {
      id: all.length,
      fullName: spec.name,
      categories: categoriesOf(spec),
      parent,
      subcommands: new Map(),
      noAuth: spec.flags.has('no_auth'),
      codis: spec.info === undefined,
    };
    all.push(command);
    for (const [name, sub] of spec.subcommands) command.subcommands.set(name, make(sub, command));
    return command;
  };
  for (const [name, spec] of COMMAND_TABLE) roots.set(name, make(spec, undefined));
  return { all, roots };
}

const catalog = buildCatalog();

/** Every command and subcommand, by id (a parent before its subcommands). */
export const ACL_COMMANDS: readonly AclCommand[] = catalog.all;

/** Top-level commands by lowercase name. */
export const ACL_ROOT_COMMANDS: ReadonlyMap<string, AclCommand> = catalog.roots;

/**
 * Redis's lookupCommandBySdsLogic over the original table: `name` or `name|sub` (one level, and
 * only for a command that has subcommands), any case.
 */
export function lookupAclCommand(name: string): AclCommand | undefined {
  const parts = name.toLowerCase().split('|');
  if (parts.length > 2) return undefined;
  const base = ACL_ROOT_COMMANDS.get(parts[0] as string);
  if (parts.length === 1) return base;
  if (base === undefined || base.subcommands.size === 0) return undefined;
  return base.subcommands.get(parts[1] as string);
}

/** The ACL entry of a command spec (what the server runs), by its full name. */
export function aclCommandOf(spec: CommandSpec): AclCommand | undefined {
  return lookupAclCommand(spec.name);
}
