// CLIENT and its subcommands (ID, INFO, LIST, KILL, SETNAME, GETNAME, SETINFO, PAUSE, UNPAUSE,
// REPLY, NO-EVICT, UNBLOCK, HELP) with Redis 7.0's formats and error texts.

import type { User } from '../acl/index.ts';
import { adminState } from '../admin-state.ts';
import { isKeyword, parseInt64, parseLongLong } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { NOT_INTEGER, SYNTAX } from '../errors.ts';
import type { CodisServer } from '../server.ts';
import { trackingOf } from '../tracking/index.ts';
import { replyHelp } from './command-introspection.ts';

type ClientType = 'normal' | 'master' | 'replica' | 'pubsub';

function parseClientType(text: string): ClientType | undefined {
  const lower = text.toLowerCase();
  if (lower === 'normal' || lower === 'master' || lower === 'pubsub') return lower;
  if (lower === 'replica' || lower === 'slave') return 'replica';
  return undefined;
}

/** Subscription counts, when the pub/sub feature keeps them on the client. */
function subscriptions(client: Client): { channels: number; patterns: number; shards: number } {
  const state = client.features.get('pubsub') as
    | { channels?: { size: number }; patterns?: { size: number }; shardChannels?: { size: number } }
    | undefined;
  return {
    channels: state?.channels?.size ?? 0,
    patterns: state?.patterns?.size ?? 0,
    shards: state?.shardChannels?.size ?? 0,
  };
}

function typeOf(client: Client): ClientType {
  const subs = subscriptions(client);
  if (client.flags.includes('S') && !client.flags.includes('O')) return 'replica';
  if (client.flags.includes('M')) return 'master';
  return subs.channels + subs.patterns + subs.shards > 0 ? 'pubsub' : 'normal';
}

function flagsOf(client: Client): string {
  const state = adminState(client.server);
  let flags = client.flags === 'N' ? '' : client.flags;
  if (state.monitors.has(client) && !flags.includes('O')) flags = `O${flags}`;
  if (client.blocked !== undefined && !flags.includes('b')) flags += 'b';
  if (state.noEvict.has(client) && !flags.includes('e')) flags += 'e';
  return flags === '' ? 'N' : flags;
}

/** One CLIENT LIST line, Redis 7.0's fields in order. */
export function clientLine(client: Client, current?: string): string {
  const now = Date.now();
  const subs = subscriptions(client);
  const queryBuffer = client.parser.pendingBytes;
  const outputBuffer = client.out.buffer.length;
  return (
    `id=${client.id} addr=${client.address} laddr=${client.localAddress} fd=${client.id + 7}` +
    ` name=${client.name} age=${Math.floor((now - client.createdAt) / 1000)}` +
    ` idle=${Math.floor((now - client.lastInteraction) / 1000)} flags=${flagsOf(client)}` +
    ` db=${client.databaseIndex} sub=${subs.channels} psub=${subs.patterns} ssub=${subs.shards}` +
    ` multi=${(client.features.get('multi') as { queue: unknown[] } | undefined)?.queue.length ?? -1} qbuf=${queryBuffer} qbuf-free=${Math.max(0, 32768 - queryBuffer)} argv-mem=0 multi-mem=0` +
    ` rbs=${outputBuffer} rbp=${outputBuffer} obl=${client.out.length} oll=0 omem=${client.queuedOutput}` +
    ` tot-mem=${outputBuffer + queryBuffer} events=r cmd=${current ?? client.lastCommandName}` +
    ` user=${client.user.name} redir=${trackingOf(client)?.redirect ?? -1} resp=${client.out.protocol}`
  );
}

function clientId(client: Client): void {
  client.out.integer(client.id);
}

function clientInfo(client: Client): void {
  client.out.verbatim(`${clientLine(client, 'client|info')}\n`);
}

function clientList(client: Client, argv: string[]): void {
  const server = client.server;
  let type: ClientType | undefined;
  let ids: Set<number> | undefined;
  if (argv.length === 4 && isKeyword(argv[2] as string, 'type')) {
    type = parseClientType(argv[3] as string);
    if (type === undefined) {
      client.replyError(`ERR Unknown client type '${argv[3]}'`);
      return;
    }
  } else if (argv.length >= 4 && isKeyword(argv[2] as string, 'id')) {
    ids = new Set();
    for (let i = 3; i < argv.length; i++) {
      const id = parseLongLong(argv[i] as string);
      if (id === undefined || id <= 0) {
        client.replyError('ERR Invalid client ID');
        return;
      }
      ids.add(id);
    }
  } else if (argv.length !== 2) {
    client.replyError(SYNTAX);
    return;
  }
  let text = '';
  for (const each of server.clients.values()) {
    if (type !== undefined && typeOf(each) !== type) continue;
    if (ids !== undefined && !ids.has(each.id)) continue;
    text += `${clientLine(each, each === client ? 'client|list' : undefined)}\n`;
  }
  client.out.verbatim(text);
}

interface KillFilter {
  id?: number;
  address?: string;
  localAddress?: string;
  user?: User;
  type?: ClientType;
  skipMe: boolean;
}

function killClient(server: CodisServer, self: Client, victim: Client): void {
  if (victim === self) {
    self.closeAfterReply = true;
    return;
  }
  victim.close();
  void server;
}

function clientKill(client: Client, argv: string[]): void {
  const server = client.server;
  if (argv.length === 3) {
    for (const each of server.clients.values()) {
      if (each.address === argv[2]) {
        client.out.ok();
        killClient(server, client, each);
        return;
      }
    }
    client.replyError('ERR No such client');
    return;
  }
  if (argv.length % 2 !== 0) {
    client.replyError(SYNTAX);
    return;
  }
  const filter: KillFilter = { skipMe: true };
  for (let i = 2; i < argv.length; i += 2) {
    const option = (argv[i] as string).toLowerCase();
    const value = argv[i + 1] as string;
    if (option === 'id') {
      const id = parseLongLong(value);
      if (id === undefined || id < 1) {
        client.replyError('ERR client-id should be greater than 0');
        return;
      }
      filter.id = id;
    } else if (option === 'type') {
      const type = parseClientType(value);
      if (type === undefined) {
        client.replyError(`ERR Unknown client type '${value}'`);
        return;
      }
      filter.type = type;
    } else if (option === 'addr') filter.address = value;
    else if (option === 'laddr') filter.localAddress = value;
    else if (option === 'user') {
      const user = client.server.acl.getUser(value);
      if (user === undefined) {
        client.replyError(`ERR No such user '${value}'`);
        return;
      }
      filter.user = user;
    } else if (option === 'skipme') {
      const lower = value.toLowerCase();
      if (lower !== 'yes' && lower !== 'no') {
        client.replyError(SYNTAX);
        return;
      }
      filter.skipMe = lower === 'yes';
    } else {
      client.replyError(SYNTAX);
      return;
    }
  }
  let killed = 0;
  let killSelf = false;
  for (const each of [...server.clients.values()]) {
    if (filter.id !== undefined && each.id !== filter.id) continue;
    if (filter.address !== undefined && each.address !== filter.address) continue;
    if (filter.localAddress !== undefined && each.localAddress !== filter.localAddress) continue;
    if (filter.user !== undefined && each.user !== filter.user) continue;
    if (filter.type !== undefined && typeOf(each) !== filter.type) continue;
    if (each === client && filter.skipMe) continue;
    killed++;
    if (each === client) killSelf = true;
    else each.close();
  }
  client.out.integer(killed);
  if (killSelf) client.closeAfterReply = true;
}

const INVALID_NAME = 'ERR Client names cannot contain spaces, newlines or special characters.';

function clientSetname(client: Client, argv: string[]): void {
  const name = argv[2] as string;
  if (/[^\x21-\x7e]/.test(name)) {
    client.replyError(INVALID_NAME);
    return;
  }
  client.name = name;
  client.out.ok();
}

function clientGetname(client: Client): void {
  if (client.name === '') client.out.nullBulk();
  else client.out.bulk(client.name);
}

/** CLIENT SETINFO (Redis 7.2, sent by current client libraries on connect). */
function clientSetinfo(client: Client, argv: string[]): void {
  const attribute = (argv[2] as string).toLowerCase();
  const value = argv[3] as string;
  if (attribute !== 'lib-name' && attribute !== 'lib-ver') {
    client.replyError(`ERR Unrecognized option '${argv[2]}'`);
    return;
  }
  if (/[^\x21-\x7e]/.test(value)) {
    client.replyError(`ERR ${attribute} cannot contain spaces, newlines or special characters.`);
    return;
  }
  if (attribute === 'lib-name') client.libraryName = value;
  else client.libraryVersion = value;
  client.out.ok();
}

function clientPause(client: Client, argv: string[]): void {
  const timeout = parseInt64(argv[2] as string);
  if (timeout === undefined || typeof timeout === 'bigint' || timeout < 0) {
    client.replyError('ERR timeout is not an integer or out of range');
    return;
  }
  let mode: 'all' | 'write' = 'all';
  if (argv.length === 4) {
    const given = (argv[3] as string).toLowerCase();
    if (given !== 'all' && given !== 'write') {
      client.replyError('ERR CLIENT PAUSE mode must be WRITE or ALL');
      return;
    }
    mode = given;
  } else if (argv.length > 4) {
    client.replyError(SYNTAX);
    return;
  }
  adminState(client.server).pause(mode, Date.now() + timeout);
  client.out.ok();
}

function clientUnpause(client: Client): void {
  adminState(client.server).unpause();
  client.out.ok();
}

function clientReply(client: Client, argv: string[]): void {
  const mode = (argv[2] as string).toLowerCase();
  if (mode === 'on') {
    client.replyMode = 'on';
    client.out.ok();
  } else if (mode === 'off') client.replyMode = 'off';
  else if (mode === 'skip') {
    if (client.replyMode === 'on') client.replyMode = 'skip';
  } else client.replyError(SYNTAX);
}

function clientNoEvict(client: Client, argv: string[]): void {
  const mode = (argv[2] as string).toLowerCase();
  const state = adminState(client.server);
  if (mode === 'on') state.noEvict.add(client);
  else if (mode === 'off') state.noEvict.delete(client);
  else {
    client.replyError(SYNTAX);
    return;
  }
  client.out.ok();
}

function clientUnblock(client: Client, argv: string[]): void {
  const id = parseLongLong(argv[2] as string);
  if (id === undefined) {
    client.replyError(NOT_INTEGER);
    return;
  }
  let withError = false;
  if (argv.length === 4) {
    const reason = (argv[3] as string).toLowerCase();
    if (reason === 'error') withError = true;
    else if (reason !== 'timeout') {
      client.replyError('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
      return;
    }
  } else if (argv.length > 4) {
    client.replyError(SYNTAX);
    return;
  }
  const target = client.server.clients.get(id);
  if (target === undefined || target.blocked === undefined) {
    client.out.integer(0);
    return;
  }
  client.out.integer(client.server.blocking.unblock(target, withError) ? 1 : 0);
  target.scheduleFlush();
}

const CLIENT_HELP = [
  'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CACHING (YES|NO)',
  '    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.',
  'GETREDIR',
  '    Return the client ID we are redirecting to when tracking is enabled.',
  'GETNAME',
  '    Return the name of the current connection.',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'KILL <ip:port>',
  '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]',
  '    Kill connections. Options are:',
  '    * ADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made from the specified address',
  '    * LADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made to specified local address',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Kill connections by type.',
  '    * USER <username>',
  '      Kill connections authenticated by <username>.',
  '    * SKIPME (YES|NO)',
  '      Skip killing current connection (default: yes).',
  'LIST [options ...]',
  '    Return information about client connections. Options:',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Return clients of specified type.',
  'UNPAUSE',
  '    Stop the current client pause, resuming traffic.',
  'PAUSE <timeout> [WRITE|ALL]',
  '    Suspend all, or just write, clients for <timeout> milliseconds.',
  'REPLY (ON|OFF|SKIP)',
  '    Control the replies sent to the current connection.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'UNBLOCK <clientid> [TIMEOUT|ERROR]',
  '    Unblock the specified blocked client.',
  'TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]',
  '         [OPTIN] [OPTOUT] [NOLOOP]',
  '    Control server assisted client side caching.',
  'TRACKINGINFO',
  '    Report tracking status for the current connection.',
  'NO-EVICT (ON|OFF)',
  '    Protect current client connection from eviction.',
  'HELP',
  '    Prints this help.',
];

export const clientCommands: CommandDefinition[] = [
  { name: 'client|id', handler: clientId },
  { name: 'client|info', handler: clientInfo },
  { name: 'client|list', handler: clientList },
  { name: 'client|kill', handler: clientKill },
  { name: 'client|setname', handler: clientSetname },
  { name: 'client|getname', handler: clientGetname },
  { name: 'client|pause', handler: clientPause },
  { name: 'client|unpause', handler: clientUnpause },
  { name: 'client|reply', handler: clientReply },
  { name: 'client|no-evict', handler: clientNoEvict },
  { name: 'client|unblock', handler: clientUnblock },
  { name: 'client|help', handler: (client) => replyHelp(client, CLIENT_HELP) },
];

/**
 * CLIENT SETINFO is Redis 7.2's; the 7.0 command table lacks it, so it is added to the registry
 * with a spec of its own (ioredis and node-redis send it on connect).
 */
export function registerClientSetinfo(server: CodisServer): void {
  const parent = server.registry.lookup('client');
  if (parent === undefined || parent.subcommands.has('setinfo')) return;
  const flags = new Set(['noscript', 'loading', 'stale']);
  parent.subcommands.set('setinfo', {
    spec: {
      name: 'client|setinfo',
      arity: 4,
      flags,
      firstKey: 0,
      lastKey: 0,
      step: 0,
      info: undefined,
      docs: undefined,
      subcommands: new Map(),
    },
    fullName: 'client|setinfo',
    handler: clientSetinfo,
    subcommands: new Map(),
    parent,
    isWrite: false,
    denyOom: false,
    isFast: false,
    noAuth: false,
    // Not in Redis 7.0's table: ACL rules on CLIENT (+client, +@connection...) decide for it.
    acl: parent.acl,
    stats: { calls: 0, microseconds: 0, rejectedCalls: 0, failedCalls: 0 },
  });
}
