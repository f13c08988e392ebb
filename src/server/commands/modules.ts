// MODULE: codis-server runs no Redis modules (they are C libraries for Redis's own process). LIST
// is empty; LOAD, LOADEX and UNLOAD are refused as Redis refuses them under enable-module-command,
// and when that option allows them they fail as a module that cannot be loaded does.
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { replyHelp } from './command-introspection.ts';

const MODULE_HELP = [
  'MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'LIST',
  '    Return a list of loaded modules.',
  'LOAD <path> [<arg> ...]',
  '    Load a module library from <path>, passing to it any optional arguments.',
  'LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]',
  '    Load a module library from <path>, while passing it module configurations and optional arguments.',
  'UNLOAD <name>',
  '    Unload a module.',
  'HELP',
  '    Prints this help.',
];

const NOT_ALLOWED =
  'ERR MODULE command not allowed. If the enable-module-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.';

/** Redis's protected-command rule: yes, or local for loopback connections. */
function allowed(client: Client): boolean {
  const setting = client.server.config.get('enable-module-command');
  if (setting === 'yes') return true;
  if (setting !== 'local') return false;
  const address = client.address;
  return (
    address === '' ||
    address.startsWith('127.') ||
    address.startsWith('::1') ||
    address.startsWith('::ffff:127.')
  );
}

function load(client: Client, argv: string[]): void {
  if (!allowed(client)) {
    client.replyError(NOT_ALLOWED);
    return;
  }
  client.server.log('warning', `Module ${argv[2]} failed to load: codis-server does not load Redis modules`);
  client.replyError('ERR Error loading the extension. Please check the server logs.');
}

function unload(client: Client): void {
  if (!allowed(client)) {
    client.replyError(NOT_ALLOWED);
    return;
  }
  client.replyError('ERR Error unloading module: no such module with that name');
}

export const moduleCommands: CommandDefinition[] = [
  { name: 'module|list', handler: (client) => client.out.arrayHeader(0) },
  { name: 'module|help', handler: (client) => replyHelp(client, MODULE_HELP) },
  { name: 'module|load', handler: load },
  { name: 'module|loadex', handler: load },
  { name: 'module|unload', handler: unload },
];
