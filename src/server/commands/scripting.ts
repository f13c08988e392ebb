// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD/EXISTS/FLUSH/KILL/HELP with Redis 7.0's
// replies and errors.
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { NOT_INTEGER } from '../errors.ts';
import type { ScriptEngine } from '../scripting/engine.ts';

const NOSCRIPT = 'NOSCRIPT No matching script. Please use EVAL.';

function engineOf(client: Client): ScriptEngine {
  return client.server.features.get('scripting') as ScriptEngine;
}

/** numkeys, KEYS and ARGV of an EVAL-like request; undefined after an error reply. */
function splitArguments(client: Client, argv: string[]): { keys: string[]; args: string[] } | undefined {
  const text = argv[2] as string;
  const numkeys = /^-?\d{1,19}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(numkeys)) {
    client.replyError(NOT_INTEGER);
    return undefined;
  }
  if (numkeys > argv.length - 3) {
    client.replyError("ERR Number of keys can't be greater than number of args");
    return undefined;
  }
  if (numkeys < 0) {
    client.replyError("ERR Number of keys can't be negative");
    return undefined;
  }
  return { keys: argv.slice(3, 3 + numkeys), args: argv.slice(3 + numkeys) };
}

function evalGeneric(client: Client, argv: string[], readOnly: boolean): void {
  const split = splitArguments(client, argv);
  if (split === undefined) return;
  const engine = engineOf(client);
  const script = engine.load(argv[1] as string);
  if (typeof script === 'string') {
    client.replyError(script);
    return;
  }
  engine.run(client, script, split.keys, split.args, readOnly);
}

function evalShaGeneric(client: Client, argv: string[], readOnly: boolean): void {
  const split = splitArguments(client, argv);
  if (split === undefined) return;
  const sha = argv[1] as string;
  const engine = engineOf(client);
  const script = sha.length === 40 ? engine.scripts.get(sha.toLowerCase()) : undefined;
  if (script === undefined) {
    client.replyError(NOSCRIPT);
    return;
  }
  engine.run(client, script, split.keys, split.args, readOnly);
}

function scriptLoad(client: Client, argv: string[]): void {
  const script = engineOf(client).load(argv[2] as string);
  if (typeof script === 'string') client.replyError(script);
  else client.out.bulk(script.sha);
}

function scriptExists(client: Client, argv: string[]): void {
  const scripts = engineOf(client).scripts;
  client.out.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++)
    client.out.integer(scripts.has((argv[i] as string).toLowerCase()) ? 1 : 0);
}

function scriptFlush(client: Client, argv: string[]): void {
  if (argv.length > 3) {
    client.replyError('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
    return;
  }
  const mode = argv[2]?.toLowerCase();
  if (mode !== undefined && mode !== 'sync' && mode !== 'async') {
    client.replyError('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
    return;
  }
  engineOf(client).reset();
  client.out.ok();
}

function scriptKill(client: Client): void {
  const error = engineOf(client).kill(true);
  if (error === undefined) client.out.ok();
  else client.replyError(error);
}

const SCRIPT_HELP = [
  'SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DEBUG (YES|SYNC|NO)',
  '    Set the debug mode for subsequent scripts executed.',
  'EXISTS <sha1> [<sha1> ...]',
  '    Return information about the existence of the scripts in the script cache.',
  'FLUSH [ASYNC|SYNC]',
  '    Flush the Lua scripts cache. Very dangerous on replicas.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the scripts cache.',
  '    * SYNC: Synchronously flush the scripts cache.',
  'KILL',
  '    Kill the currently executing Lua script.',
  'LOAD <script>',
  '    Load a script into the scripts cache without executing it.',
  'HELP',
  '    Prints this help.',
];

function scriptHelp(client: Client): void {
  client.out.arrayHeader(SCRIPT_HELP.length);
  for (const line of SCRIPT_HELP) client.out.status(line);
}

export const scriptingCommands: CommandDefinition[] = [
  { name: 'eval', handler: (client, argv) => evalGeneric(client, argv, false) },
  { name: 'eval_ro', handler: (client, argv) => evalGeneric(client, argv, true) },
  { name: 'evalsha', handler: (client, argv) => evalShaGeneric(client, argv, false) },
  { name: 'evalsha_ro', handler: (client, argv) => evalShaGeneric(client, argv, true) },
  { name: 'script|load', handler: scriptLoad },
  { name: 'script|exists', handler: scriptExists },
  { name: 'script|flush', handler: scriptFlush },
  { name: 'script|kill', handler: scriptKill },
  { name: 'script|help', handler: scriptHelp },
];
