// SAVE, BGSAVE [SCHEDULE], BGREWRITEAOF (LASTSAVE is in diagnostics.ts; the work is in persistence/).
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { SYNTAX } from '../errors.ts';
import { type Persistence, persistenceOf } from '../persistence/index.ts';

function persistence(client: Client): Persistence | undefined {
  const found = persistenceOf(client.server);
  if (found === undefined) client.replyError('ERR persistence is not enabled on this server');
  return found;
}

function save(client: Client): void {
  const state = persistence(client);
  if (state === undefined) return;
  if (state.bgsaveInProgress) {
    client.replyError('ERR Background save already in progress');
    return;
  }
  if (state.saveSync()) client.out.ok();
  else client.replyError('ERR');
}

function bgsave(client: Client, argv: string[]): void {
  let schedule = false;
  if (argv.length > 1) {
    if (argv.length === 2 && (argv[1] as string).toLowerCase() === 'schedule') schedule = true;
    else {
      client.replyError(SYNTAX);
      return;
    }
  }
  const state = persistence(client);
  if (state === undefined) return;
  if (state.bgsaveInProgress) {
    client.replyError('ERR Background save already in progress');
    return;
  }
  if (state.rewrite !== undefined && schedule) {
    state.bgsaveScheduled = true;
    client.out.status('Background saving scheduled');
    return;
  }
  const error = state.startBackgroundSave();
  if (error !== undefined) client.replyError(error);
  else client.out.status('Background saving started');
}

function bgrewriteaof(client: Client): void {
  const state = persistence(client);
  if (state === undefined) return;
  const result = state.requestRewrite();
  if ('error' in result) client.replyError(result.error);
  else client.out.status(result.status);
}

export const persistenceCommands: CommandDefinition[] = [
  { name: 'save', handler: save },
  { name: 'bgsave', handler: bgsave },
  { name: 'bgrewriteaof', handler: bgrewriteaof },
];
