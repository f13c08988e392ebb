// Redis Cluster's commands on a server that is not a cluster node, as Redis 7 answers them when
// cluster-enabled is no: CLUSTER (every subcommand), READONLY, READWRITE and ASKING exist and say
// so. A Codis group is not a Redis Cluster: the slots live in the proxy's table, not in the servers.
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';

const CLUSTER_DISABLED = 'ERR This instance has cluster support disabled';

const CLUSTER_SUBCOMMANDS = [
  'addslots',
  'addslotsrange',
  'bumpepoch',
  'count-failure-reports',
  'countkeysinslot',
  'delslots',
  'delslotsrange',
  'failover',
  'flushslots',
  'forget',
  'getkeysinslot',
  'help',
  'info',
  'keyslot',
  'links',
  'meet',
  'myid',
  'nodes',
  'replicas',
  'replicate',
  'reset',
  'saveconfig',
  'set-config-epoch',
  'setslot',
  'shards',
  'slaves',
  'slots',
];

function clusterDisabled(client: Client): void {
  client.replyError(CLUSTER_DISABLED);
}

export const clusterDisabledCommands: CommandDefinition[] = [
  ...CLUSTER_SUBCOMMANDS.map((sub) => ({ name: `cluster|${sub}`, handler: clusterDisabled })),
  { name: 'readonly', handler: clusterDisabled },
  { name: 'readwrite', handler: clusterDisabled },
  { name: 'asking', handler: clusterDisabled },
];
