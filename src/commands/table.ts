// The command table shared by codis-server and codis-proxy: for each command its name, arity,
// flags and key positions. Redis's own commands come from redis-server 7's COMMAND output
// (scripts/generate-command-table.ts); Codis's slot commands from spec/server-slots.md §1.
import type { CommandNode } from './command-node.ts';
import redisCommands from './redis-commands.json' with { type: 'json' };

export interface CommandSpec {
  /** Lowercase name, e.g. `get`, or `config|get` for a subcommand. */
  name: string;
  /** Redis arity: n = exactly n words, -n = at least n words (the name counts). */
  arity: number;
  flags: ReadonlySet<string>;
  firstKey: number;
  lastKey: number;
  step: number;
  /** The COMMAND INFO entry as redis-server 7 answers it (undefined for Codis's own commands). */
  info: CommandNode | undefined;
  /** The COMMAND DOCS entry. */
  docs: CommandNode | undefined;
  subcommands: ReadonlyMap<string, CommandSpec>;
}

function numberAt(node: CommandNode, index: number): number {
  if (node.t !== 'array') return 0;
  const item = node.v[index];
  return item?.t === 'int' ? item.v : 0;
}

function specFromInfo(info: CommandNode, docs: CommandNode | undefined): CommandSpec {
  if (info.t !== 'array') throw new Error('malformed command info');
  const nameNode = info.v[0];
  const flagsNode = info.v[2];
  const name = nameNode?.t === 'bulk' || nameNode?.t === 'status' ? nameNode.v : '';
  const flags = new Set<string>();
  if (flagsNode?.t === 'array' || flagsNode?.t === 'set') {
    for (const flag of flagsNode.v) if (flag.t === 'status' || flag.t === 'bulk') flags.add(flag.v);
  }
  const subcommands = new Map<string, CommandSpec>();
  const subNode = info.v[9];
  if (subNode?.t === 'array') {
    for (const sub of subNode.v) {
      const subSpec = specFromInfo(sub, subDocs(docs, sub));
      subcommands.set(subSpec.name.slice(subSpec.name.indexOf('|') + 1), subSpec);
    }
  }
  return {
    name,
    arity: numberAt(info, 1),
    flags,
    firstKey: numberAt(info, 3),
    lastKey: numberAt(info, 4),
    step: numberAt(info, 5),
    info,
    docs,
    subcommands,
  };
}

function subDocs(docs: CommandNode | undefined, sub: CommandNode): CommandNode | undefined {
  if (docs?.t !== 'map' || sub.t !== 'array') return undefined;
  const subName = sub.v[0];
  for (const [key, value] of docs.v) {
    if (key.t === 'bulk' && key.v === 'subcommands' && value.t === 'map') {
      for (const [name, doc] of value.v)
        if (name.t === 'bulk' && subName?.t === 'bulk' && name.v === subName.v) return doc;
    }
  }
  return undefined;
}

function codisCommand(
  name: string,
  arity: number,
  flags: string[],
  firstKey = 0,
  lastKey = 0,
  step = 0,
): CommandSpec {
  return {
    name,
    arity,
    flags: new Set(flags),
    firstKey,
    lastKey,
    step,
    info: undefined,
    docs: undefined,
    subcommands: new Map(),
  };
}

/** Codis 3.2's slot commands (spec/server-slots.md §1). */
const CODIS_COMMANDS: CommandSpec[] = [
  codisCommand('slotsinfo', -1, ['readonly', 'fast']),
  codisCommand('slotsscan', -3, ['readonly', 'random']),
  codisCommand('slotsdel', -2, ['write'], 1, -1, 1),
  codisCommand('slotsmgrtslot', 5, ['write']),
  codisCommand('slotsmgrttagslot', 5, ['write']),
  codisCommand('slotsmgrtone', 5, ['write']),
  codisCommand('slotsmgrttagone', 5, ['write']),
  codisCommand('slotshashkey', -1, ['readonly', 'fast']),
  codisCommand('slotscheck', 0, ['readonly']),
  codisCommand('slotsrestore', -4, ['write', 'denyoom']),
  codisCommand('slotsmgrtslot-async', 8, ['write', 'noscript']),
  codisCommand('slotsmgrttagslot-async', 8, ['write', 'noscript']),
  codisCommand('slotsmgrtone-async', -7, ['write', 'noscript']),
  codisCommand('slotsmgrttagone-async', -7, ['write', 'noscript']),
  codisCommand('slotsmgrtone-async-dump', -4, ['readonly', 'denyoom']),
  codisCommand('slotsmgrttagone-async-dump', -4, ['readonly', 'denyoom']),
  codisCommand('slotsmgrt-async-fence', 0, ['readonly', 'noscript']),
  codisCommand('slotsmgrt-async-cancel', 0, ['fast']),
  codisCommand('slotsmgrt-async-status', 0, ['fast']),
  codisCommand('slotsmgrt-exec-wrapper', -3, ['write', 'denyoom']),
  codisCommand('slotsrestore-async', -2, ['write', 'denyoom']),
  codisCommand('slotsrestore-async-auth', 2, ['noscript', 'loading', 'stale', 'fast']),
  codisCommand('slotsrestore-async-select', 2, ['loading', 'fast']),
  codisCommand('slotsrestore-async-ack', 3, ['write']),
];

function buildTable(): Map<string, CommandSpec> {
  const table = new Map<string, CommandSpec>();
  const entries = redisCommands as unknown as Record<string, { info: CommandNode; docs: CommandNode | null }>;
  for (const [name, entry] of Object.entries(entries)) {
    table.set(name, specFromInfo(entry.info, entry.docs ?? undefined));
  }
  for (const spec of CODIS_COMMANDS) table.set(spec.name, spec);
  return table;
}

/** Every command known to Redis 7 and Codis, by lowercase name. */
export const COMMAND_TABLE: ReadonlyMap<string, CommandSpec> = buildTable();

/** The spec of a command by name (any case), or undefined. */
export function commandSpec(name: string): CommandSpec | undefined {
  return COMMAND_TABLE.get(name) ?? COMMAND_TABLE.get(name.toLowerCase());
}
