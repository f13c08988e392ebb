// Slot migration between codis-servers: synchronous (SLOTSMGRT*), asynchronous (SLOTSMGRT*-ASYNC)
// and the target side (SLOTSRESTORE, SLOTSRESTORE-ASYNC*). installMigration wires it into a server.
import { createMigrateCommand } from '../commands/migrate.ts';
import { createMigrationCommands } from '../commands/migration.ts';
import type { CodisServer } from '../server.ts';
import { AsyncMigrator } from './async-migration.ts';
import { SyncMigrator } from './sync-migration.ts';

export { AsyncMigrator } from './async-migration.ts';
export { SyncMigrator } from './sync-migration.ts';
export { TargetConnection } from './target-connection.ts';

/** Registers the migration commands and their background tasks on a server. */
export function installMigration(server: CodisServer): void {
  // The credentials sent to targets: migration-target-auth when set, else (Codis 3.2) requirepass.
  const password = (): string =>
    server.config.get('migration-target-auth') || server.config.get('requirepass');
  const sync = new SyncMigrator(server, password);
  const async = new AsyncMigrator(server, password);
  server.registry.register(createMigrationCommands(sync, async));
  server.registry.register(createMigrateCommand(sync));
  // SLOTSRESTORE-ASYNC-AUTH authenticates a connection, so like AUTH it runs before it.
  const auth = server.registry.commands.get('slotsrestore-async-auth');
  if (auth !== undefined) server.registry.commands.set(auth.fullName, { ...auth, noAuth: true });
}
