// COMMAND and its subcommands: what codis-server implements, described exactly as redis-server 7
// describes its commands (the captured COMMAND INFO/DOCS trees), restricted to implemented
// commands and subcommands. Codis's slot commands have no captured tree: theirs is synthesized.
import type { CommandNode } from '../../commands/command-node.ts';
import type { ReplyWriter } from '../../resp/index.ts';
import { isKeyword } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition, CommandRegistry, ServerCommand } from '../command-registry.ts';
import { SYNTAX } from '../errors.ts';
import { globMatch } from '../glob.ts';
import { commandHasKeys, findKeys } from '../key-specs.ts';

/** Writes a captured reply tree with the client's protocol. */
export function writeNode(out: ReplyWriter, node: CommandNode): void {
  switch (node.t) {
    case 'status':
      out.status(node.v);
      return;
    case 'bulk':
      out.bulk(node.v);
      return;
    case 'int':
      out.integer(node.v);
      return;
    case 'null':
      out.nullBulk();
      return;
    case 'array':
      out.arrayHeader(node.v.length);
      for (const item of node.v) writeNode(out, item);
      return;
    case 'set':
      out.setHeader(node.v.length);
      for (const item of node.v) writeNode(out, item);
      return;
    case 'map':
      out.mapHeader(node.v.length);
      for (const [key, value] of node.v) {
        writeNode(out, key);
        writeNode(out, value);
      }
      return;
  }
}

const bulk = (v: string): CommandNode => ({ t: 'bulk', v });
const status = (v: string): CommandNode => ({ t: 'status', v });
const int = (v: number): CommandNode => ({ t: 'int', v });

/** COMMAND INFO entry of a command; subcommands limited to the implemented ones. */
function infoNode(command: ServerCommand): CommandNode {
  const spec = command.spec;
  const subcommands: CommandNode[] = [];
  for (const sub of command.subcommands.values()) subcommands.push(infoNode(sub));
  if (spec.info?.t === 'array') {
    const items = spec.info.v.slice();
    if (items.length > 9) items[9] = { t: 'array', v: subcommands };
    return { t: 'array', v: items };
  }
  // Codis's commands: Redis 7's shape from the table's fields.
  const flags: CommandNode[] = [...spec.flags].map(status);
  const categories: CommandNode[] = [status(spec.flags.has('write') ? '@write' : '@read'), status('@slow')];
  const keySpecs: CommandNode[] = [];
  if (spec.firstKey > 0) {
    keySpecs.push({
      t: 'map',
      v: [
        [
          bulk('flags'),
          {
            t: 'set',
            v: spec.flags.has('write') ? [status('RW'), status('access')] : [status('RO'), status('access')],
          },
        ],
        [
          bulk('begin_search'),
          {
            t: 'map',
            v: [
              [bulk('type'), bulk('index')],
              [bulk('spec'), { t: 'map', v: [[bulk('index'), int(spec.firstKey)]] }],
            ],
          },
        ],
        [
          bulk('find_keys'),
          {
            t: 'map',
            v: [
              [bulk('type'), bulk('range')],
              [
                bulk('spec'),
                {
                  t: 'map',
                  v: [
                    [bulk('lastkey'), int(spec.lastKey < 0 ? spec.lastKey : spec.lastKey - spec.firstKey)],
                    [bulk('keystep'), int(spec.step)],
                    [bulk('limit'), int(0)],
                  ],
                },
              ],
            ],
          },
        ],
      ],
    });
  }
  return {
    t: 'array',
    v: [
      bulk(spec.name),
      int(spec.arity),
      { t: 'set', v: flags },
      int(spec.firstKey),
      int(spec.lastKey),
      int(spec.step),
      { t: 'set', v: categories },
      { t: 'set', v: [] },
      { t: 'set', v: keySpecs },
      { t: 'array', v: subcommands },
    ],
  };
}

/** COMMAND DOCS entry; the subcommands map limited to implemented ones. */
function docsNode(command: ServerCommand): CommandNode {
  const docs = command.spec.docs;
  if (docs?.t !== 'map') {
    return {
      t: 'map',
      v: [
        [bulk('summary'), bulk('Codis slot command')],
        [bulk('since'), bulk('3.2.0')],
        [bulk('group'), bulk('server')],
      ],
    };
  }
  const entries: Array<[CommandNode, CommandNode]> = [];
  for (const [key, value] of docs.v) {
    if (key.t === 'bulk' && key.v === 'subcommands') {
      const subs: Array<[CommandNode, CommandNode]> = [];
      for (const sub of command.subcommands.values()) subs.push([bulk(sub.fullName), docsNode(sub)]);
      if (subs.length > 0) entries.push([key, { t: 'map', v: subs }]);
    } else entries.push([key, value]);
  }
  return { t: 'map', v: entries };
}

/** An implemented command by name, `parent|sub` included. */
function lookupByName(registry: CommandRegistry, name: string): ServerCommand | undefined {
  const bar = name.indexOf('|');
  if (bar < 0) return registry.lookup(name);
  const parent = registry.lookup(name.slice(0, bar));
  return parent?.subcommands.get(name.slice(bar + 1).toLowerCase());
}

function command(client: Client): void {
  const registry = client.server.registry;
  client.out.arrayHeader(registry.commands.size);
  for (const each of registry.commands.values()) writeNode(client.out, infoNode(each));
}

function commandCount(client: Client): void {
  client.out.integer(client.server.registry.commands.size);
}

function commandInfo(client: Client, argv: string[]): void {
  const registry = client.server.registry;
  if (argv.length === 2) {
    command(client);
    return;
  }
  client.out.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const found = lookupByName(registry, argv[i] as string);
    if (found === undefined) client.out.nullBulk();
    else writeNode(client.out, infoNode(found));
  }
}

function commandDocs(client: Client, argv: string[]): void {
  const registry = client.server.registry;
  const found: ServerCommand[] = [];
  if (argv.length === 2) found.push(...registry.commands.values());
  else
    for (let i = 2; i < argv.length; i++) {
      const each = lookupByName(registry, argv[i] as string);
      if (each !== undefined) found.push(each);
    }
  client.out.mapHeader(found.length);
  for (const each of found) {
    client.out.bulk(each.fullName);
    writeNode(client.out, docsNode(each));
  }
}

function categoriesOf(command: ServerCommand): string[] {
  const info = command.spec.info;
  const node = info?.t === 'array' ? info.v[6] : undefined;
  if (node?.t !== 'set' && node?.t !== 'array')
    return [command.spec.flags.has('write') ? 'write' : 'read', 'slow'];
  return node.v.map((each) => (each.t === 'status' || each.t === 'bulk' ? each.v.replace(/^@/, '') : ''));
}

function commandList(client: Client, argv: string[]): void {
  let filter: ((command: ServerCommand) => boolean) | undefined;
  if (argv.length === 5 && isKeyword(argv[2] as string, 'filterby')) {
    const kind = (argv[3] as string).toLowerCase();
    const value = argv[4] as string;
    if (kind === 'module') filter = () => false;
    else if (kind === 'aclcat') {
      const category = value.toLowerCase();
      filter = (each) => categoriesOf(each).includes(category);
    } else if (kind === 'pattern') filter = (each) => globMatch(value, each.fullName, true);
  }
  if (argv.length !== 2 && filter === undefined) {
    client.replyError(SYNTAX);
    return;
  }
  const names: string[] = [];
  for (const each of client.server.registry.all())
    if (filter === undefined || filter(each)) names.push(each.fullName);
  client.out.bulkArray(names);
}

function getKeys(client: Client, argv: string[], withFlags: boolean): void {
  const request = argv.slice(2);
  let target = client.server.registry.lookup(request[0] as string);
  if (target !== undefined && target.subcommands.size > 0) {
    target = request.length >= 2 ? target.subcommands.get((request[1] as string).toLowerCase()) : undefined;
  }
  if (target === undefined) {
    client.replyError('ERR Invalid command specified');
    return;
  }
  const spec = target.spec;
  if (!commandHasKeys(spec)) {
    client.replyError('ERR The command has no key arguments');
    return;
  }
  if ((spec.arity > 0 && spec.arity !== request.length) || request.length < -spec.arity) {
    client.replyError('ERR Invalid number of arguments specified for command');
    return;
  }
  const keys = findKeys(spec, request);
  if (keys.length === 0) {
    if (spec.flags.has('no_mandatory_keys')) client.out.arrayHeader(0);
    else client.replyError('ERR Invalid arguments specified for command');
    return;
  }
  client.out.arrayHeader(keys.length);
  for (const key of keys) {
    if (withFlags) {
      client.out.arrayHeader(2);
      client.out.bulk(request[key.position] as string);
      client.out.setHeader(key.flags.length);
      for (const flag of key.flags) client.out.status(flag);
    } else client.out.bulk(request[key.position] as string);
  }
}

export const COMMAND_HELP = [
  'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  '(no subcommand)',
  '    Return details about all Redis commands.',
  'COUNT',
  '    Return the total number of commands in this Redis server.',
  'LIST',
  '    Return a list of all commands in this Redis server.',
  'INFO [<command-name> ...]',
  '    Return details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'DOCS [<command-name> ...]',
  '    Return documentation details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'GETKEYS <full-command>',
  '    Return the keys from a full Redis command.',
  'GETKEYSANDFLAGS <full-command>',
  '    Return the keys and the access flags from a full Redis command.',
  'HELP',
  '    Prints this help.',
];

/** A HELP reply: an array of status lines, as Redis's addReplyHelp. */
export function replyHelp(client: Client, lines: readonly string[]): void {
  client.out.arrayHeader(lines.length);
  for (const line of lines) client.out.status(line);
}

/**
 * COMMAND with no subcommand lists every command; the registry dispatches `command <sub>`, so the
 * container's own handler answers the bare form.
 */
function commandRoot(client: Client, argv: string[]): void {
  if (argv.length === 1) command(client);
  else client.replyError(`ERR unknown subcommand '${argv[1]}'. Try COMMAND HELP.`);
}

export const commandIntrospectionCommands: CommandDefinition[] = [
  { name: 'command', handler: commandRoot },
  { name: 'command|count', handler: commandCount },
  { name: 'command|info', handler: commandInfo },
  { name: 'command|docs', handler: commandDocs },
  { name: 'command|list', handler: commandList },
  { name: 'command|getkeys', handler: (client, argv) => getKeys(client, argv, false) },
  { name: 'command|getkeysandflags', handler: (client, argv) => getKeys(client, argv, true) },
  { name: 'command|help', handler: (client) => replyHelp(client, COMMAND_HELP) },
];
