// Replication: Redis's protocol (PSYNC, REPLCONF, backlog, full and partial resync) on both sides,
// so stock redis-server replicates from us and we from it, and redis-sentinel can fail over.
import { adminState } from '../admin-state.ts';
import type { Client } from '../client.ts';
import type { ServerCommand } from '../command-registry.ts';
import type { CodisServer } from '../server.ts';
import { Replication } from './master.ts';
import { replicateFrom } from './role.ts';

export { encodeCommand } from '../propagation/index.ts';
export { Backlog } from './backlog.ts';
export type { FailoverState } from './failover.ts';
export { type AttachedReplica, newReplicationId, Replication } from './master.ts';
export { MasterLink } from './replica.ts';
export { promote, replicateFrom } from './role.ts';

const READONLY = "READONLY You can't write against a read only replica.";

/** The replication feature of a server (created by installReplication). */
export function replicationOf(server: CodisServer): Replication | undefined {
  return server.features.get('replication') as Replication | undefined;
}

/** Wires replication into a server: hooks for propagation, the read-only gate, the cron. */
export function installReplication(server: CodisServer): Replication {
  const replication = new Replication(server, adminState(server).replicationId);
  server.features.set('replication', replication);
  server.gates.push((client, command) => readOnlyGate(replication, client, command));
  let minReplicas = server.config.getNumber('min-replicas-to-write') > 0;
  server.config.onChange((name, value) => {
    if (name === 'min-replicas-to-write') minReplicas = Number(value) > 0;
  });
  server.gates.push((client, command) => {
    if (!minReplicas || !command.isWrite || replication.enoughGoodReplicas()) return false;
    command.stats.rejectedCalls++;
    client.replyError('NOREPLICAS Not enough good replicas to write.');
    return true;
  });
  server.clientClosedHooks.push((client) => replication.detach(client));
  server.addCronTask((now) => replication.cron(now));
  server.addShutdownTask(() => replication.link?.cancel());
  server.config.onChange((name, value) => {
    if (name === 'repl-backlog-size') replication.backlog?.resize(Number(value));
  });
  // `replicaof host port` in the configuration: replicate from the start.
  const [host, port] = server.config.get('replicaof').split(' ');
  if (host !== undefined && host !== '' && port !== undefined && /^\d+$/.test(port))
    setImmediate(() => {
      if (replication.link === undefined) replicateFrom(replication, host, Number(port), 'configuration');
    });
  return replication;
}

const MASTERDOWN = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";

function readOnlyGate(replication: Replication, client: Client, command: ServerCommand): boolean {
  const link = replication.link;
  if (link === undefined || link.isMasterClient(client)) return false;
  if (
    link.state !== 'connected' &&
    !(command.parent ?? command).spec.flags.has('stale') &&
    replication.server.config.get('replica-serve-stale-data') === 'no'
  ) {
    command.stats.rejectedCalls++;
    client.replyError(MASTERDOWN);
    return true;
  }
  if (!command.isWrite) return false;
  if (replication.server.config.get('replica-read-only') !== 'yes') return false;
  command.stats.rejectedCalls++;
  client.replyError(READONLY);
  return true;
}
