// SLOTSMGRT-EXEC-WRAPPER hashkey command [arg ...] (spec §9.12): how the proxy writes to a slot that
// is moving. The inner command runs unless it could change a key of the batch in flight, so a write
// is either applied on the source before its key is captured, or refused (code 1, the proxy
// retries) until the key has moved and the proxy sends it to the target (code 0): never lost, never
// applied twice.
import { tagCrcOf } from '../../slots/index.ts';
import type { Client } from '../client.ts';
import type { ServerCommand } from '../command-registry.ts';
import { lookupWrite } from '../commands/keyspace-access.ts';
import type { AsyncMigrator } from './async-migration.ts';

export function createExecWrapper(migrator: AsyncMigrator) {
  return function slotsmgrtExecWrapper(client: Client, argv: string[]): void {
    const hashkey = argv[1] as string;
    const inner = argv.slice(2);
    const name = inner[0] as string;
    const out = client.out;
    let command: ServerCommand | undefined = client.server.registry.lookup(name);
    if (command !== undefined && command.subcommands.size > 0 && inner.length > 1)
      command = command.subcommands.get((inner[1] as string).toLowerCase()) ?? command;
    if (command === undefined) {
      out.arrayHeader(2);
      out.integer(-1);
      client.replyError(`ERR invalid command specified (${name})`);
      return;
    }
    const arity = command.spec.arity;
    if ((arity > 0 && inner.length !== arity) || inner.length < -arity) {
      out.arrayHeader(2);
      out.integer(-1);
      client.replyError(`ERR wrong number of arguments for command (${name})`);
      return;
    }
    if (lookupWrite(client, hashkey) === undefined) {
      out.arrayHeader(2);
      out.integer(0);
      client.replyError("ERR the specified key doesn't exist");
      return;
    }
    if (!command.spec.flags.has('readonly')) {
      const batch = migrator.batchOf(client.database);
      if (batch !== undefined) {
        const crc = tagCrcOf(hashkey);
        if (batch.keys.has(hashkey) || (crc !== undefined && batch.tagCrcs.has(crc))) {
          out.arrayHeader(2);
          out.integer(1);
          client.replyError('ERR the specified key is being migrated');
          return;
        }
      }
    }
    out.arrayHeader(2);
    out.integer(2);
    client.server.call(client, command, inner);
  };
}
