// Pub/sub wired into the server: the registry, the RESP2 subscribed-context gate, cleanup on
// disconnect and RESET, and keyspace notifications published through it.
import type { Client } from '../client.ts';
import type { ServerCommand } from '../command-registry.ts';
import { pubsubCommands } from '../commands/pubsub.ts';
import { createKeyspaceNotifier } from '../notifications.ts';
import type { CodisServer } from '../server.ts';
import { PubSubRegistry } from './registry.ts';

export type { ClientPubSub, SubscriptionKind } from './registry.ts';
export { PubSubRegistry } from './registry.ts';

/** What a RESP2 client may still run once subscribed. */
const ALLOWED_WHEN_SUBSCRIBED = new Set([
  'subscribe',
  'psubscribe',
  'ssubscribe',
  'unsubscribe',
  'punsubscribe',
  'sunsubscribe',
  'ping',
  'quit',
  'reset',
]);

function subscribedContextGate(client: Client, command: ServerCommand): boolean {
  if (client.out.protocol !== 2 || client.flags === 'N' || !client.flags.includes('P')) return false;
  const root = command.parent ?? command;
  if (ALLOWED_WHEN_SUBSCRIBED.has(root.spec.name)) return false;
  client.replyError(
    `ERR Can't execute '${command.fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
  );
  return true;
}

/** Installs pub/sub (commands, gate, hooks) and keyspace notifications on a server. */
export function installPubSub(server: CodisServer): PubSubRegistry {
  const registry = new PubSubRegistry();
  server.features.set('pubsub', registry);
  server.registry.register(pubsubCommands);
  // Runs before the transaction gate, as Redis checks the subscribed context before queueing.
  server.gates.unshift(subscribedContextGate);
  server.clientClosedHooks.push((client) => registry.removeClient(client));
  server.clientResetHooks.push((client) => registry.removeClient(client));

  const publish = (channel: string, message: string): void => {
    registry.publish(channel, message);
  };
  const configure = (value: string): void => {
    server.keyspaceNotifier = createKeyspaceNotifier(value, publish);
  };
  configure(server.config.get('notify-keyspace-events'));
  server.config.onChange((name, value) => {
    if (name === 'notify-keyspace-events') configure(value);
  });
  server.keyExpiredListeners.push((database, key) => {
    const notifier = server.keyspaceNotifier;
    if (notifier !== undefined) notifier('x', 'expired', key, database.index);
  });
  return registry;
}
