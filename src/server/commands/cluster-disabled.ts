// Redis Cluster's commands on a server that is not a cluster node, as Redis 7 answers them when
// cluster-enabled is no: CLUSTER (every subcommand), READONLY, READWRITE and ASKING exist and say
// so. A Codis group is not a Redis Cluster: the slots live in the proxy's table, not in the servers.
import { commandSpec } from '../../commands/index.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';

const CLUSTER_DISABLED = 'ERR This instance has cluster support disabled';

function clusterDisabled(client: Client): void {
  client.replyError(CLUSTER_DISABLED);
}

export const clusterDisabledCommands: CommandDefinition[] = [
  // Every subcommand redis-server 7 has (from the shared command table).
  ...[...(commandSpec('cluster')?.subcommands.keys() ?? [])].map((sub) => ({
    name: `cluster|${sub}`,
    handler: clusterDisabled,
  })),
  { name: 'readonly', handler: clusterDisabled },
  { name: 'readwrite', handler: clusterDisabled },
  { name: 'asking', handler: clusterDisabled },
];
