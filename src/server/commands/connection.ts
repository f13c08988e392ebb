// Connection commands: PING, ECHO, QUIT, SELECT, AUTH, HELLO, RESET.
import { isKeyword, parseInt64 } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { DB_INDEX_OUT_OF_RANGE, NOT_INTEGER, SYNTAX } from '../errors.ts';
import { REDIS_COMPATIBLE_VERSION } from '../version.ts';

const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';

function ping(client: Client, argv: string[]): void {
  if (argv.length > 2) {
    client.replyError("ERR wrong number of arguments for 'ping' command");
    return;
  }
  // A subscribed RESP2 client can only read push-shaped replies: `*2 pong <message|"">`.
  if (client.out.protocol === 2 && client.flags.includes('P')) {
    client.out.arrayHeader(2);
    client.out.bulk('pong');
    client.out.bulk(argv.length === 2 ? (argv[1] as string) : '');
  } else if (argv.length === 2) client.out.bulk(argv[1] as string);
  else client.out.status('PONG');
}

function echo(client: Client, argv: string[]): void {
  client.out.bulk(argv[1] as string);
}

function quit(client: Client): void {
  client.out.ok();
  client.closeAfterReply = true;
}

function select(client: Client, argv: string[]): void {
  const index = parseInt64(argv[1] as string);
  if (index === undefined || typeof index === 'bigint' || index > 2147483647 || index < -2147483648) {
    client.replyError(NOT_INTEGER);
    return;
  }
  const database = client.server.databases[index];
  if (database === undefined) {
    client.replyError(DB_INDEX_OUT_OF_RANGE);
    return;
  }
  client.database = database;
  client.out.ok();
}

function auth(client: Client, argv: string[]): void {
  if (argv.length > 3) {
    client.replyError(SYNTAX);
    return;
  }
  const acl = client.server.acl;
  if (argv.length === 2 && acl.defaultUser.noPass) {
    client.replyError(
      'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
    );
    return;
  }
  const username = argv.length === 3 ? (argv[1] as string) : 'default';
  const password = argv[argv.length - 1] as string;
  if (!acl.authenticate(client, username, password, argv[0] as string)) {
    client.replyError(WRONGPASS);
    return;
  }
  client.out.ok();
}

function hello(client: Client, argv: string[]): void {
  let protocol: number | undefined;
  let index = 1;
  if (argv.length >= 2) {
    const version = parseInt64(argv[1] as string);
    if (version === undefined || typeof version === 'bigint') {
      client.replyError('ERR Protocol version is not an integer or out of range');
      return;
    }
    if (version < 2 || version > 3) {
      client.replyError('NOPROTO unsupported protocol version');
      return;
    }
    protocol = version;
    index = 2;
  }
  let credentials: [string, string] | undefined;
  let name: string | undefined;
  for (; index < argv.length; index++) {
    const option = argv[index] as string;
    const remaining = argv.length - index - 1;
    if (isKeyword(option, 'auth') && remaining >= 2) {
      credentials = [argv[index + 1] as string, argv[index + 2] as string];
      index += 2;
    } else if (isKeyword(option, 'setname') && remaining >= 1) {
      name = argv[index + 1] as string;
      index += 1;
    } else {
      client.replyError(`ERR Syntax error in HELLO option '${option}'`);
      return;
    }
  }
  if (credentials !== undefined) {
    if (!client.server.acl.authenticate(client, credentials[0], credentials[1], argv[0] as string)) {
      client.replyError(WRONGPASS);
      return;
    }
  }
  if (!client.authenticated) {
    client.replyError(
      'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    );
    return;
  }
  if (name !== undefined) {
    if (/[\s]/.test(name) || /[^\x21-\x7e]/.test(name)) {
      client.replyError('ERR Client names cannot contain spaces, newlines or special characters.');
      return;
    }
    client.name = name;
  }
  if (protocol !== undefined) client.out.protocol = protocol as 2 | 3;
  const out = client.out;
  out.mapHeader(7);
  out.bulk('server');
  out.bulk('redis');
  out.bulk('version');
  out.bulk(REDIS_COMPATIBLE_VERSION);
  out.bulk('proto');
  out.integer(out.protocol);
  out.bulk('id');
  out.integer(client.id);
  out.bulk('mode');
  out.bulk('standalone');
  out.bulk('role');
  out.bulk(client.server.role);
  out.bulk('modules');
  out.arrayHeader(0);
}

function reset(client: Client): void {
  for (const hook of client.server.clientResetHooks) hook(client);
  client.database = client.server.databases[0] ?? client.database;
  client.out.protocol = 2;
  client.name = '';
  client.replyMode = 'on';
  client.server.acl.setDefaultAuth(client);
  client.out.status('RESET');
}

export const connectionCommands: CommandDefinition[] = [
  { name: 'ping', handler: ping },
  { name: 'echo', handler: echo },
  { name: 'quit', handler: quit },
  { name: 'select', handler: select },
  { name: 'auth', handler: auth },
  { name: 'hello', handler: hello },
  { name: 'reset', handler: reset },
];
