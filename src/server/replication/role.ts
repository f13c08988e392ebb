// Role changes: becoming a replica of a master (REPLICAOF host port, a FAILOVER's old master) and
// becoming a master (REPLICAOF NO ONE, a FAILOVER's target, an aborted FAILOVER).
import { adminState } from '../admin-state.ts';
import type { Replication } from './master.ts';
import { MasterLink } from './replica.ts';

/**
 * REPLICAOF host port: syncs from the new master, continuing our history when it can. Our own
 * replicas are dropped (they reconnect and learn the new history), except during a FAILOVER,
 * where they stay attached as Redis 7 keeps them: the target leaves by itself when it takes
 * over, the others when the new master's id reaches us (+CONTINUE <id>).
 */
export function replicateFrom(replication: Replication, host: string, port: number, reason: string): void {
  const server = replication.server;
  if (replication.link !== undefined) replication.link.cancel();
  else {
    // Our own history is the cache we try to continue from (PSYNC with our id and offset).
    replication.ensureBacklog();
  }
  if (replication.failover.state !== 'failover-in-progress') replication.disconnectReplicas();
  // Requests blocked on keys or WAIT would wait for writes that now come from another master.
  server.blocking.unblockAllForRoleChange();
  server.role = 'slave';
  server.expiryHidesOnly = true;
  server.config.set('replicaof', `${host} ${port}`);
  const link = new MasterLink(replication, host, port);
  replication.link = link;
  server.log('notice', `REPLICAOF ${host}:${port} enabled (${reason})`);
  link.start();
}

/**
 * Becomes a master with a new history; the old id stays valid for PSYNC up to our offset, so the
 * old master and the other replicas continue from us. `reason` is logged, when given.
 */
export function promote(replication: Replication, reason?: string): void {
  const server = replication.server;
  const link = replication.link;
  if (link === undefined) return;
  link.cancel();
  replication.link = undefined;
  replication.shiftReplicationId();
  replication.disconnectReplicas();
  replication.selectedDatabase = -1;
  server.config.set('replicaof', '');
  server.role = 'master';
  // Keys still expire for readers only while writes are paused (a FAILOVER being aborted).
  server.expiryHidesOnly = adminState(server).pauseMode !== undefined;
  if (reason !== undefined) server.log('notice', `MASTER MODE enabled (${reason})`);
}
