// ACL and its subcommands (SETUSER, GETUSER, DELUSER, USERS, LIST, WHOAMI, CAT, GENPASS, LOG, DRYRUN,
// LOAD, SAVE, HELP) with Redis 7.0's replies and error texts.
import { randomBytes } from 'node:crypto';
import {
  ACL_COMMANDS,
  CATEGORIES,
  categoryBit,
  describeChannels,
  describeCommandRules,
  describeKeys,
  describeUser,
  type Selector,
} from '../acl/index.ts';
import { parseLongLong } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { NOT_INTEGER, subcommandSyntax } from '../errors.ts';
import { replyHelp } from './command-introspection.ts';

const GENPASS_MAX_BITS = 4096;

const NO_ACL_FILE =
  'ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.';

function setUser(client: Client, argv: string[]): void {
  const error = client.server.acl.setUser(argv[2] as string, argv.slice(3));
  if (error !== undefined) client.replyError(error);
  else client.out.ok();
}

function delUser(client: Client, argv: string[]): void {
  const names = argv.slice(2);
  if (names.includes('default')) {
    client.replyError("ERR The 'default' user cannot be removed");
    return;
  }
  client.out.integer(client.server.acl.deleteUsers(names));
}

/** The commands, keys and channels fields of one selector in ACL GETUSER. */
function replySelector(client: Client, selector: Selector): void {
  const out = client.out;
  out.bulk('commands');
  out.bulk(describeCommandRules(selector));
  out.bulk('keys');
  out.bulk(describeKeys(selector));
  out.bulk('channels');
  out.bulk(describeChannels(selector));
}

function getUser(client: Client, argv: string[]): void {
  const name = argv[2] as string;
  const user = client.server.acl.getUser(name);
  if (user === undefined) {
    client.out.nullBulk();
    return;
  }
  const out = client.out;
  out.mapHeader(6);
  out.bulk('flags');
  const flags = user.flagNames();
  out.setHeader(flags.length);
  for (const flag of flags) out.bulk(flag);
  out.bulk('passwords');
  out.arrayHeader(user.passwords.length);
  for (const hash of user.passwords) out.bulk(hash);
  replySelector(client, user.root);
  out.bulk('selectors');
  out.arrayHeader(user.selectors.length - 1);
  for (const selector of user.selectors.slice(1)) {
    out.mapHeader(3);
    replySelector(client, selector);
  }
}

function list(client: Client): void {
  const users = client.server.acl.sortedUsers();
  client.out.arrayHeader(users.length);
  for (const user of users) client.out.bulk(`user ${user.name} ${describeUser(user)}`);
}

function users(client: Client): void {
  const all = client.server.acl.sortedUsers();
  client.out.arrayHeader(all.length);
  for (const user of all) client.out.bulk(user.name);
}

function whoami(client: Client): void {
  client.out.bulk(client.user.name);
}

function cat(client: Client, argv: string[]): void {
  if (argv.length === 2) {
    client.out.bulkArray(CATEGORIES);
    return;
  }
  if (argv.length !== 3) {
    client.replyError(subcommandSyntax(argv));
    return;
  }
  const bit = categoryBit(argv[2] as string);
  if (bit === 0) {
    client.replyError(`ERR Unknown category '${(argv[2] as string).slice(0, 128)}'`);
    return;
  }
  const names: string[] = [];
  for (const command of ACL_COMMANDS) if ((command.categories & bit) !== 0) names.push(command.fullName);
  client.out.bulkArray(names);
}

function genpass(client: Client, argv: string[]): void {
  if (argv.length > 3) {
    client.replyError(subcommandSyntax(argv));
    return;
  }
  let bits = 256;
  if (argv.length === 3) {
    const given = parseLongLong(argv[2] as string);
    if (given === undefined) {
      client.replyError(NOT_INTEGER);
      return;
    }
    bits = given;
  }
  if (bits <= 0 || bits > GENPASS_MAX_BITS) {
    client.replyError(
      `ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to ${GENPASS_MAX_BITS}`,
    );
    return;
  }
  const chars = Math.floor((bits + 3) / 4);
  client.out.bulk(
    randomBytes(Math.ceil(chars / 2))
      .toString('hex')
      .slice(0, chars),
  );
}

function log(client: Client, argv: string[]): void {
  if (argv.length > 3) {
    client.replyError(subcommandSyntax(argv));
    return;
  }
  const acl = client.server.acl;
  let count = 10;
  if (argv.length === 3) {
    const word = argv[2] as string;
    if (word.toLowerCase() === 'reset') {
      acl.log.length = 0;
      client.out.ok();
      return;
    }
    const given = parseLongLong(word);
    if (given === undefined) {
      client.replyError(NOT_INTEGER);
      return;
    }
    count = Math.max(0, given);
  }
  count = Math.min(count, acl.log.length);
  const out = client.out;
  const now = Date.now();
  out.arrayHeader(count);
  for (let i = 0; i < count; i++) {
    const entry = acl.log[i];
    if (entry === undefined) break;
    out.mapHeader(7);
    out.bulk('count');
    out.integer(entry.count);
    out.bulk('reason');
    out.bulk(entry.reason);
    out.bulk('context');
    out.bulk(entry.context);
    out.bulk('object');
    out.bulk(entry.object);
    out.bulk('username');
    out.bulk(entry.username);
    out.bulk('age-seconds');
    out.double((now - entry.time) / 1000);
    out.bulk('client-info');
    out.bulk(entry.clientInfo);
  }
}

function dryrun(client: Client, argv: string[]): void {
  const server = client.server;
  const name = argv[2] as string;
  const user = server.acl.getUser(name);
  if (user === undefined) {
    client.replyError(`ERR User '${name}' not found`);
    return;
  }
  const args = argv.slice(3);
  let command = server.registry.lookup(args[0] as string);
  if (command !== undefined && command.subcommands.size > 0 && args.length > 1)
    command = command.subcommands.get((args[1] as string).toLowerCase());
  if (command === undefined) {
    client.replyError(`ERR Command '${args[0]}' not found`);
    return;
  }
  const denial = server.acl.dryRun(user, command, args);
  if (denial === undefined) client.out.ok();
  else client.out.bulk(denial);
}

function load(client: Client): void {
  const path = client.server.config.get('aclfile');
  if (path === '') {
    client.replyError(NO_ACL_FILE);
    return;
  }
  const errors = client.server.acl.loadFile(path);
  if (errors === undefined) client.out.ok();
  else client.replyError(`ERR ${errors}`);
}

function save(client: Client): void {
  const path = client.server.config.get('aclfile');
  if (path === '') {
    client.replyError(NO_ACL_FILE);
    return;
  }
  if (client.server.acl.saveFile(path)) client.out.ok();
  else
    client.replyError(
      'ERR There was an error trying to save the ACLs. Please check the server logs for more information',
    );
}

const ACL_HELP = [
  'ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CAT [<category>]',
  '    List all commands that belong to <category>, or all command categories',
  '    when no category is specified.',
  'DELUSER <username> [<username> ...]',
  '    Delete a list of users.',
  'DRYRUN <username> <command> [<arg> ...]',
  '    Returns whether the user can execute the given command without executing the command.',
  'GETUSER <username>',
  "    Get the user's details.",
  'GENPASS [<bits>]',
  '    Generate a secure 256-bit user password. The optional `bits` argument can',
  '    be used to specify a different size.',
  'LIST',
  '    Show users details in config file format.',
  'LOAD',
  '    Reload users from the ACL file.',
  'LOG [<count> | RESET]',
  '    Show the ACL log entries.',
  'SAVE',
  '    Save the current config to the ACL file.',
  'SETUSER <username> <attribute> [<attribute> ...]',
  '    Create or modify a user with the specified attributes.',
  'USERS',
  '    List all the registered usernames.',
  'WHOAMI',
  '    Return the current connection username.',
  'HELP',
  '    Prints this help.',
];

export const aclCommands: CommandDefinition[] = [
  { name: 'acl|setuser', handler: setUser },
  { name: 'acl|deluser', handler: delUser },
  { name: 'acl|getuser', handler: getUser },
  { name: 'acl|list', handler: list },
  { name: 'acl|users', handler: users },
  { name: 'acl|whoami', handler: whoami },
  { name: 'acl|cat', handler: cat },
  { name: 'acl|genpass', handler: genpass },
  { name: 'acl|log', handler: log },
  { name: 'acl|dryrun', handler: dryrun },
  { name: 'acl|load', handler: load },
  { name: 'acl|save', handler: save },
  { name: 'acl|help', handler: (client) => replyHelp(client, ACL_HELP) },
];
