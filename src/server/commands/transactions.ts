// MULTI, EXEC, DISCARD, WATCH, UNWATCH with Redis 7.0's replies and errors.
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { OOM } from '../errors.ts';
import { EXECABORT, type Transactions } from '../transactions/multi.ts';

function transactionsOf(client: Client): Transactions {
  return client.server.features.get('transactions') as Transactions;
}

function multi(client: Client): void {
  const transactions = transactionsOf(client);
  if (transactions.stateOf(client) !== undefined) {
    client.replyError('ERR MULTI calls can not be nested');
    return;
  }
  transactions.begin(client);
  client.out.ok();
}

function discard(client: Client): void {
  const transactions = transactionsOf(client);
  if (transactions.stateOf(client) === undefined) {
    client.replyError('ERR DISCARD without MULTI');
    return;
  }
  transactions.discard(client);
  client.out.ok();
}

function exec(client: Client): void {
  const transactions = transactionsOf(client);
  const state = transactions.stateOf(client);
  if (state === undefined) {
    client.replyError('ERR EXEC without MULTI');
    return;
  }
  if (state.aborted) {
    transactions.discard(client);
    client.replyError(EXECABORT);
    return;
  }
  if (transactions.watches.transactionFails(client)) {
    transactions.discard(client);
    client.out.nullArray();
    return;
  }
  const server = client.server;
  const queue = state.queue;
  // A transaction holding commands that may grow memory is refused as a whole when over maxmemory.
  if (
    server.maxMemory > 0 &&
    queue.some((queued) => queued.command.denyOom) &&
    !server.freeMemoryIfNeeded()
  ) {
    transactions.discard(client);
    client.replyError(`EXECABORT Transaction discarded because of: ${OOM}`);
    return;
  }
  // Unwatch first: the transaction's own writes must not mark anything dirty.
  transactions.watches.unwatchAll(client);
  client.out.arrayHeader(queue.length);
  // Clients blocked on keys the transaction fills are served after EXEC, not between its commands.
  const deferred = server.deferReadyKeys;
  server.deferReadyKeys = true;
  try {
    for (const queued of queue) {
      // Rules may have changed since the command was queued: checked again (the reply stays in place).
      if (!client.user.unrestricted && server.acl.refuseInExec(client, queued.command, queued.argv)) continue;
      server.call(client, queued.command, queued.argv);
    }
  } finally {
    server.deferReadyKeys = deferred;
    transactions.discard(client);
  }
}

function watch(client: Client, argv: string[]): void {
  const transactions = transactionsOf(client);
  if (transactions.stateOf(client) !== undefined) {
    client.replyError('ERR WATCH inside MULTI is not allowed');
    return;
  }
  // Nothing more to learn once a watched key changed.
  if (!transactions.watches.isDirty(client))
    for (let i = 1; i < argv.length; i++) transactions.watches.watch(client, argv[i] as string);
  client.out.ok();
}

function unwatch(client: Client): void {
  transactionsOf(client).watches.unwatchAll(client);
  client.out.ok();
}

export const transactionCommands: CommandDefinition[] = [
  { name: 'multi', handler: multi },
  { name: 'exec', handler: exec },
  { name: 'discard', handler: discard },
  { name: 'watch', handler: watch },
  { name: 'unwatch', handler: unwatch },
];
