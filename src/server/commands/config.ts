// CONFIG GET/SET/RESETSTAT/REWRITE/HELP with Redis 7.0's rules: GET takes several glob patterns
// and matches aliases too; SET takes several pairs and applies all of them or none.

import { readFileSync, writeFileSync } from 'node:fs';
import { splitInlineArguments } from '../../resp/index.ts';
import { describeUser } from '../acl/index.ts';
import { adminState } from '../admin-state.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { CONFIG_PARAMETERS, ConfigError, type ConfigParameter, configParameter } from '../config/index.ts';
import { ConfigValueError, normalizeConfigValue } from '../config/values.ts';
import { SYNTAX } from '../errors.ts';
import { globMatch } from '../glob.ts';
import type { CodisServer } from '../server.ts';
import { replyHelp } from './command-introspection.ts';

function configGet(client: Client, argv: string[]): void {
  const config = client.server.config;
  const found = new Map<string, string>();
  for (let i = 2; i < argv.length; i++) {
    const pattern = argv[i] as string;
    // A name without glob characters is a direct lookup (it may be an alias).
    if (!/[*?[]/.test(pattern)) {
      const parameter = configParameter(pattern);
      if (parameter !== undefined) found.set(pattern.toLowerCase(), config.get(parameter.name));
      continue;
    }
    for (const [parameter, value] of config.entries()) {
      if (globMatch(pattern, parameter.name, true)) found.set(parameter.name, value);
      for (const alias of parameter.aliases ?? [])
        if (globMatch(pattern, alias, true)) found.set(alias, value);
    }
  }
  client.out.mapHeader(found.size);
  for (const [name, value] of found) {
    client.out.bulk(name);
    client.out.bulk(value);
  }
}

function configSet(client: Client, argv: string[]): void {
  if ((argv.length - 2) % 2 !== 0) {
    client.replyError(SYNTAX);
    return;
  }
  const config = client.server.config;
  const changes: Array<[ConfigParameter, string]> = [];
  const seen = new Set<string>();
  for (let i = 2; i < argv.length; i += 2) {
    const name = argv[i] as string;
    const parameter = configParameter(name);
    if (parameter === undefined) {
      client.replyError(`ERR Unknown option or number of arguments for CONFIG SET - '${name}'`);
      return;
    }
    if (!parameter.mutable) {
      client.replyError(
        `ERR CONFIG SET failed (possibly related to argument '${name}') - can't set immutable config`,
      );
      return;
    }
    if (seen.has(parameter.name)) {
      client.replyError(
        `ERR CONFIG SET failed (possibly related to argument '${name}') - duplicate parameter`,
      );
      return;
    }
    seen.add(parameter.name);
    try {
      changes.push([parameter, normalizeConfigValue(parameter, argv[i + 1] as string)]);
    } catch (error) {
      if (!(error instanceof ConfigValueError)) throw error;
      client.replyError(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${error.message}`);
      return;
    }
  }
  // Everything validated: apply, restoring the previous values if a listener refuses one.
  const previous = changes.map(([parameter]) => [parameter.name, config.get(parameter.name)] as const);
  try {
    for (const [parameter, value] of changes) config.set(parameter.name, value, true);
  } catch (error) {
    for (const [name, value] of previous) config.set(name, value);
    const message = error instanceof ConfigError ? error.message : String(error);
    client.replyError(`ERR ${message}`);
    return;
  }
  client.out.ok();
}

/** Clears the statistics INFO reports (CONFIG RESETSTAT). */
export function resetStats(server: CodisServer): void {
  const stats = server.stats;
  stats.totalConnections = 0;
  stats.rejectedConnections = 0;
  stats.totalCommands = 0;
  stats.netInputBytes = 0;
  stats.netOutputBytes = 0;
  stats.keyspaceHits = 0;
  stats.keyspaceMisses = 0;
  stats.expiredKeys = 0;
  stats.evictedKeys = 0;
  stats.errorReplies = 0;
  stats.errors.clear();
  for (const command of server.registry.all()) {
    command.stats.calls = 0;
    command.stats.microseconds = 0;
    command.stats.rejectedCalls = 0;
    command.stats.failedCalls = 0;
    command.stats.histogram = undefined;
  }
  adminState(server).resetPeak();
}

function configResetstat(client: Client): void {
  resetStats(client.server);
  client.out.ok();
}

/** Quotes a config value for redis.conf when it needs it. */
function confValue(value: string): string {
  if (value === '') return '""';
  if (/^[\x21-\x7e]+$/.test(value) && !/["'\\]/.test(value)) return value;
  return `"${value.replace(/[\\"]/g, (ch) => `\\${ch}`).replace(/\n/g, '\\n')}"`;
}

function directiveLine(parameter: ConfigParameter, value: string): string {
  if (parameter.kind === 'save' || parameter.kind === 'list') {
    if (parameter.kind === 'save' && value === '') return 'save ""';
    const words = value.split(' ');
    if (parameter.kind === 'save') {
      const lines: string[] = [];
      for (let i = 0; i + 1 < words.length; i += 2) lines.push(`save ${words[i]} ${words[i + 1]}`);
      return lines.join('\n');
    }
    return `${parameter.name} ${words.map(confValue).join(' ')}`;
  }
  return `${parameter.name} ${confValue(value)}`;
}

/** CONFIG REWRITE: keeps the file's comments and order, updates known directives, appends changes. */
export function rewriteConfigFile(server: CodisServer, path: string): void {
  const config = server.config;
  const text = readFileSync(path, 'latin1');
  const out: string[] = [];
  const written = new Set<string>();
  const marker = '# Generated by CONFIG REWRITE';
  // Users replace the file's `user` lines one for one (the rest are appended, default included),
  // unless they live in an ACL file: then `user` lines are dropped.
  const userLines =
    config.get('aclfile') === ''
      ? server.acl.sortedUsers().map((user) => `user ${user.name} ${describeUser(user)}`)
      : [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === marker) continue;
    if (trimmed === '' || trimmed.startsWith('#')) {
      out.push(line);
      continue;
    }
    const words = splitInlineArguments(trimmed);
    if (words?.[0]?.toLowerCase() === 'user') {
      const next = userLines.shift();
      if (next !== undefined) out.push(next);
      continue;
    }
    const parameter = words?.[0] === undefined ? undefined : configParameter(words[0]);
    if (parameter === undefined) {
      out.push(line);
      continue;
    }
    if (written.has(parameter.name)) continue;
    written.add(parameter.name);
    out.push(directiveLine(parameter, config.get(parameter.name)));
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  const appended: string[] = [];
  for (const parameter of CONFIG_PARAMETERS) {
    if (written.has(parameter.name)) continue;
    const value = config.get(parameter.name);
    if (value === parameter.default) continue;
    appended.push(directiveLine(parameter, value));
  }
  appended.push(...userLines);
  if (appended.length > 0) out.push(marker, ...appended);
  writeFileSync(path, `${out.join('\n')}\n`, 'latin1');
}

function configRewrite(client: Client): void {
  const path = client.server.config.configFile;
  if (path === undefined) {
    client.replyError('ERR The server is running without a config file');
    return;
  }
  try {
    rewriteConfigFile(client.server, path);
  } catch (error) {
    client.server.log('warning', `CONFIG REWRITE failed: ${(error as Error).message}`);
    client.replyError(`ERR Rewriting config file: ${(error as Error).message}`);
    return;
  }
  client.server.log('notice', 'CONFIG REWRITE executed with success.');
  client.out.ok();
}

const CONFIG_HELP = [
  'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET <pattern>',
  '    Return parameters matching the glob-like <pattern> and their values.',
  'SET <directive> <value>',
  '    Set the configuration <directive> to <value>.',
  'RESETSTAT',
  '    Reset statistics reported by the INFO command.',
  'REWRITE',
  '    Rewrite the configuration file.',
  'HELP',
  '    Prints this help.',
];

export const configCommands: CommandDefinition[] = [
  { name: 'config|get', handler: configGet },
  { name: 'config|set', handler: configSet },
  { name: 'config|resetstat', handler: configResetstat },
  { name: 'config|rewrite', handler: configRewrite },
  { name: 'config|help', handler: (client) => replyHelp(client, CONFIG_HELP) },
];
