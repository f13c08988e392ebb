// Transactions wired into the server: MULTI/EXEC/DISCARD/WATCH/UNWATCH, the queueing gate, and
// cleanup on disconnect and RESET.
import { transactionCommands } from '../commands/transactions.ts';
import type { CodisServer } from '../server.ts';
import { Transactions } from './multi.ts';

export type { MultiState, QueuedCommand } from './multi.ts';
export { EXECABORT, Transactions } from './multi.ts';

/** Installs transactions on a server; call after the other gates are in place (queueing is last). */
export function installTransactions(server: CodisServer): Transactions {
  const transactions = new Transactions(server);
  server.features.set('transactions', transactions);
  server.registry.register(transactionCommands);
  server.gates.push(transactions.gate);
  server.commandRejectedHooks.push((client) => transactions.flag(client));
  server.execRejected = (client, reason) => {
    transactions.discard(client);
    client.replyError(`EXECABORT Transaction discarded because of: ${reason}`);
  };
  const drop = (client: Parameters<typeof transactions.discard>[0]): void => {
    if (transactions.stateOf(client) !== undefined || client.features.has('watch'))
      transactions.discard(client);
  };
  server.clientClosedHooks.push(drop);
  server.clientResetHooks.push(drop);
  return transactions;
}
