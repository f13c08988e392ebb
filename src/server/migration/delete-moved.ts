// The source's last step of a migration: the moved keys are deleted by running DEL through the
// normal command pipeline, so replicas and the AOF see exactly what Codis propagates (one
// `DEL k1 k2 ...`), and WATCH, keyspace notifications and the dirty counter follow as for any DEL.
import type { Client } from '../client.ts';
import type { Database } from '../keyspace/database.ts';
import type { CodisServer } from '../server.ts';

const internalClients = new WeakMap<CodisServer, Client>();

export function deleteMovedKeys(server: CodisServer, database: Database, keys: readonly string[]): void {
  if (keys.length === 0) return;
  const del = server.registry.lookup('del');
  if (del === undefined) {
    for (const key of keys) if (database.delete(key)) server.signalModifiedKey(database, key);
    return;
  }
  let client = internalClients.get(server);
  if (client === undefined) {
    client = server.createInternalClient();
    internalClients.set(server, client);
  }
  client.database = database;
  server.cachedNow = Date.now();
  server.call(client, del, ['DEL', ...keys]);
  client.out.length = 0;
}
