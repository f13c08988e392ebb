// FCALL, FCALL_RO and FUNCTION LOAD/DELETE/FLUSH/KILL/LIST/STATS/DUMP/RESTORE/HELP with Redis
// 7.0's replies and errors (functions.c). Changes of the libraries count as data changes
// (server.dirty), so they are saved and propagated to replicas and the AOF as they were sent.
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { globMatch } from '../glob.ts';
import { BUSY_ERROR, LOAD_TIMEOUT_MS, type ScriptEngine } from '../scripting/engine.ts';
import { type FunctionsManager, parseFunctionPayload } from '../scripting/functions.ts';

function managerOf(client: Client): FunctionsManager {
  return client.server.features.get('functions') as FunctionsManager;
}

function fcall(client: Client, argv: string[], readOnly: boolean): void {
  const manager = managerOf(client);
  const found = manager.current.functions.get(argv[1] as string);
  if (found === undefined) {
    client.replyError('ERR Function not found');
    return;
  }
  const text = argv[2] as string;
  const numkeys = /^-?\d{1,19}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(numkeys)) {
    client.replyError('ERR Bad number of keys provided');
    return;
  }
  if (numkeys > argv.length - 3) {
    client.replyError("ERR Number of keys can't be greater than number of args");
    return;
  }
  if (numkeys < 0) {
    client.replyError("ERR Number of keys can't be negative");
    return;
  }
  manager.engine.callFunction(
    client,
    found.definition,
    argv.slice(3, 3 + numkeys),
    argv.slice(3 + numkeys),
    readOnly,
    argv,
  );
}

function functionLoad(client: Client, argv: string[]): void {
  let replace = false;
  let at = 2;
  while (at < argv.length - 1) {
    const option = argv[at++] as string;
    if (option.toLowerCase() === 'replace') {
      replace = true;
      continue;
    }
    client.replyError(`ERR Unknown option given: ${option}`);
    return;
  }
  if (at >= argv.length) {
    client.replyError('ERR Function code is missing');
    return;
  }
  const manager = managerOf(client);
  const timeout = manager.engine.mustObey(client) ? 0 : LOAD_TIMEOUT_MS;
  const created = manager.create(argv[at] as string, replace, manager.current, timeout);
  if (typeof created !== 'string') {
    client.replyError(`ERR ${created.error}`);
    return;
  }
  client.server.dirty++;
  client.out.bulk(created);
}

function functionDelete(client: Client, argv: string[]): void {
  if (!managerOf(client).delete(argv[2] as string)) {
    client.replyError('ERR Library not found');
    return;
  }
  client.server.dirty++;
  client.out.ok();
}

function functionFlush(client: Client, argv: string[]): void {
  const mode = argv[2]?.toLowerCase();
  if (argv.length > 3 || (mode !== undefined && mode !== 'sync' && mode !== 'async')) {
    client.replyError('ERR FUNCTION FLUSH only supports SYNC|ASYNC option');
    return;
  }
  managerOf(client).flush();
  client.server.dirty++;
  client.out.ok();
}

function functionKill(client: Client): void {
  const error = (client.server.features.get('scripting') as ScriptEngine).kill(false);
  if (error === undefined) client.out.ok();
  else client.replyError(error);
}

function functionList(client: Client, argv: string[]): void {
  let withCode = false;
  let pattern: string | undefined;
  for (let i = 2; i < argv.length; i++) {
    const argument = argv[i] as string;
    const lower = argument.toLowerCase();
    if (!withCode && lower === 'withcode') {
      withCode = true;
      continue;
    }
    if (pattern === undefined && lower === 'libraryname') {
      if (i >= argv.length - 1) {
        client.replyError('ERR library name argument was not given');
        return;
      }
      pattern = argv[++i] as string;
      continue;
    }
    client.replyError(`ERR Unknown argument ${argument}`);
    return;
  }
  const libraries = [...managerOf(client).current.libraries.values()].filter(
    (library) => pattern === undefined || globMatch(pattern, library.name, true),
  );
  const out = client.out;
  out.arrayHeader(libraries.length);
  for (const library of libraries) {
    out.mapHeader(withCode ? 4 : 3);
    out.bulk('library_name');
    out.bulk(library.name);
    out.bulk('engine');
    out.bulk('LUA');
    out.bulk('functions');
    out.arrayHeader(library.functions.size);
    for (const definition of library.functions.values()) {
      out.mapHeader(3);
      out.bulk('name');
      out.bulk(definition.name);
      out.bulk('description');
      if (definition.description === undefined) out.nullBulk();
      else out.bulk(definition.description);
      out.bulk('flags');
      out.setHeader(definition.flagNames.length);
      for (const flag of definition.flagNames) out.status(flag);
    }
    if (withCode) {
      out.bulk('library_code');
      out.bulk(library.code);
    }
  }
}

function functionStats(client: Client): void {
  const manager = managerOf(client);
  const running = manager.engine.running();
  if (running?.isEval === true) {
    // Redis keeps FUNCTION STATS for functions: while an EVAL script is busy it answers BUSY.
    client.replyError(BUSY_ERROR);
    return;
  }
  const out = client.out;
  out.mapHeader(2);
  out.bulk('running_script');
  if (running === undefined) out.nullBulk();
  else {
    out.mapHeader(3);
    out.bulk('name');
    out.bulk(running.name);
    out.bulk('command');
    out.arrayHeader(running.argv.length);
    for (const argument of running.argv) out.bulk(argument);
    out.bulk('duration_ms');
    out.integer(running.durationMs);
  }
  out.bulk('engines');
  out.mapHeader(1);
  out.bulk('LUA');
  out.mapHeader(2);
  out.bulk('libraries_count');
  out.integer(manager.current.libraries.size);
  out.bulk('functions_count');
  out.integer(manager.current.functionCount);
}

function functionDump(client: Client): void {
  const payload = managerOf(client).dump(client.server.config.getBoolean('rdbcompression'));
  client.out.bulk(payload.latin1Slice());
}

function functionRestore(client: Client, argv: string[]): void {
  if (argv.length > 4) {
    client.replyError(
      "ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try FUNCTION HELP.",
    );
    return;
  }
  let policy: 'flush' | 'append' | 'replace' = 'append';
  if (argv.length === 4) {
    const given = (argv[3] as string).toLowerCase();
    if (given !== 'flush' && given !== 'append' && given !== 'replace') {
      client.replyError('ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.');
      return;
    }
    policy = given;
  }
  const codes = parseFunctionPayload(Buffer.from(argv[2] as string, 'latin1'));
  if (typeof codes === 'string') {
    client.replyError(`ERR ${codes}`);
    return;
  }
  const error = managerOf(client).restore(codes, policy);
  if (error !== undefined) {
    client.replyError(`ERR ${error}`);
    return;
  }
  client.server.dirty++;
  client.out.ok();
}

const FUNCTION_HELP = [
  'FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'LOAD [REPLACE] <FUNCTION CODE>',
  '    Create a new library with the given library name and code.',
  'DELETE <LIBRARY NAME>',
  '    Delete the given library.',
  'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
  '    Return general information on all the libraries:',
  '    * Library name',
  '    * The engine used to run the Library',
  '    * Library description',
  '    * Functions list',
  '    * Library code (if WITHCODE is given)',
  '    It also possible to get only function that matches a pattern using LIBRARYNAME argument.',
  'STATS',
  '    Return information about the current function running:',
  '    * Function name',
  '    * Command used to run the function',
  '    * Duration in MS that the function is running',
  '    If no function is running, return nil',
  '    In addition, returns a list of available engines.',
  'KILL',
  '    Kill the current running function.',
  'FLUSH [ASYNC|SYNC]',
  '    Delete all the libraries.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the libraries.',
  '    * SYNC: Synchronously flush the libraries.',
  'DUMP',
  '    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command',
  'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
  '    Restore the libraries represented by the given payload, it is possible to give a restore policy to',
  '    control how to handle existing libraries (default APPEND):',
  '    * FLUSH: delete all existing libraries.',
  '    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.',
  '    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old',
  '      libraries with the new libraries (notice that even on this option there is a chance of failure',
  '      in case of functions name collision with another library).',
  'HELP',
  '    Prints this help.',
];

function functionHelp(client: Client): void {
  client.out.arrayHeader(FUNCTION_HELP.length);
  for (const line of FUNCTION_HELP) client.out.status(line);
}

export const functionCommands: CommandDefinition[] = [
  { name: 'fcall', handler: (client, argv) => fcall(client, argv, false) },
  { name: 'fcall_ro', handler: (client, argv) => fcall(client, argv, true) },
  { name: 'function|load', handler: functionLoad },
  { name: 'function|delete', handler: functionDelete },
  { name: 'function|flush', handler: functionFlush },
  { name: 'function|kill', handler: functionKill },
  { name: 'function|list', handler: functionList },
  { name: 'function|stats', handler: functionStats },
  { name: 'function|dump', handler: functionDump },
  { name: 'function|restore', handler: functionRestore },
  { name: 'function|help', handler: functionHelp },
];
