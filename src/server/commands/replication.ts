// Replication commands: REPLICAOF/SLAVEOF, REPLCONF, PSYNC, SYNC (from replicas), ROLE, WAIT,
// FAILOVER.
import { parseLongLong } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { promote, type Replication, replicateFrom, replicationOf } from '../replication/index.ts';

function replicationFor(client: Client): Replication {
  const replication = replicationOf(client.server);
  if (replication === undefined) throw new Error('replication is not installed');
  return replication;
}

function replicaof(client: Client, argv: string[]): void {
  const replication = replicationFor(client);
  const host = argv[1] as string;
  const portText = argv[2] as string;
  if (host.toLowerCase() === 'no' && portText.toLowerCase() === 'one') {
    promote(replication, 'user request from client');
    client.out.ok();
    return;
  }
  if (replication.replicas.has(client)) {
    client.replyError('ERR Command is not valid when client is a replica.');
    return;
  }
  const port = parseLongLong(portText);
  if (port === undefined || port < 0 || port > 65535) {
    client.replyError('ERR Invalid master port');
    return;
  }
  const link = replication.link;
  if (link !== undefined && link.host.toLowerCase() === host.toLowerCase() && link.port === Number(port)) {
    client.out.status('OK Already connected to specified master');
    return;
  }
  replicateFrom(replication, host, Number(port), 'user request');
  client.out.ok();
}

function replconf(client: Client, argv: string[]): void {
  replicationFor(client).replconf(client, argv);
}

function psync(client: Client, argv: string[]): void {
  const replication = replicationFor(client);
  if (replication.replicas.has(client)) return;
  // `PSYNC <replid> <offset> FAILOVER`: our master hands over to us (its FAILOVER). We take over
  // first, so the PSYNC below continues our shared history from the old id (now our replid2).
  if (argv.length > 3 && (argv[3] as string).toLowerCase() === 'failover') {
    const replicationId = argv[1] as string;
    replication.server.log('warning', `Failover request received for replid ${replicationId}.`);
    if (replication.link === undefined) {
      client.replyError("ERR PSYNC FAILOVER can't be sent to a master.");
      return;
    }
    if (replicationId.toLowerCase() !== replication.replicationId.toLowerCase()) {
      client.replyError('ERR PSYNC FAILOVER replid must match my replid.');
      return;
    }
    promote(replication, `failover request from '${client.address}'`);
  }
  const offset = parseLongLong(argv[2] as string);
  replication.psync(client, argv[1] as string, offset === undefined ? -1 : Number(offset));
}

function failover(client: Client, argv: string[]): void {
  replicationFor(client).failover.command(client, argv);
}

function sync(client: Client): void {
  const replication = replicationFor(client);
  if (replication.replicas.has(client)) return;
  replication.fullResync(client, false);
}

function role(client: Client): void {
  replicationFor(client).role(client);
}

function wait(client: Client, argv: string[]): void {
  const replicas = parseLongLong(argv[1] as string);
  const timeout = parseLongLong(argv[2] as string);
  if (replicas === undefined || timeout === undefined) {
    client.replyError('ERR value is not an integer or out of range');
    return;
  }
  if (timeout < 0) {
    client.replyError('ERR timeout is negative');
    return;
  }
  replicationFor(client).wait(client, Number(replicas), Number(timeout));
}

export const replicationCommands: CommandDefinition[] = [
  { name: 'replicaof', handler: replicaof },
  { name: 'slaveof', handler: replicaof },
  { name: 'replconf', handler: replconf },
  { name: 'psync', handler: psync },
  { name: 'sync', handler: sync },
  { name: 'role', handler: role },
  { name: 'wait', handler: wait },
  { name: 'failover', handler: failover },
];
