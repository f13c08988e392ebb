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
  server.cachedNow = server.clockNow();
  // Copied in a loop: a spread steps an iterator through every key, an object per key.
  const argv = new Array<string>(keys.length + 1);
  argv[0] = 'DEL';
  for (let i = 0; i < keys.length; i++) argv[i + 1] = keys[i] as string;
  server.call(client, del, argv);
  client.out.length = 0;
}
