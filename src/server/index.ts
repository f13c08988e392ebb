// codis-server's public surface: build a server from a configuration with every command wired in.

import { adminState } from './admin-state.ts';
import { aclCommands } from './commands/acl.ts';
import { bitmapCommands } from './commands/bitmaps.ts';
import { clientCommands, clientLine, registerClientSetinfo } from './commands/client.ts';
import { clientTrackingCommands } from './commands/client-tracking.ts';
import { clusterDisabledCommands } from './commands/cluster-disabled.ts';
import { commandIntrospectionCommands } from './commands/command-introspection.ts';
import { configCommands } from './commands/config.ts';
import { connectionCommands } from './commands/connection.ts';
import { diagnosticCommands } from './commands/diagnostics.ts';
import { dumpRestoreCommands } from './commands/dump-restore.ts';
import { geoCommands } from './commands/geo.ts';
import { hashCommands } from './commands/hashes.ts';
import { hyperLogLogCommands } from './commands/hyperloglog.ts';
import { infoCommands } from './commands/info.ts';
import { keyCommands } from './commands/keys.ts';
import { basicKeyCommands } from './commands/keys-basic.ts';
import { lcsCommands } from './commands/lcs.ts';
import { listCommands } from './commands/lists.ts';
import { lolwutCommands } from './commands/lolwut.ts';
import { moduleCommands } from './commands/modules.ts';
import { replicationCommands } from './commands/replication.ts';
import { setCommands } from './commands/sets.ts';
import { slotCommands } from './commands/slots.ts';
import { sortCommands } from './commands/sort.ts';
import { sortedSetCommands } from './commands/sorted-sets.ts';
import { streamGroupCommands } from './commands/stream-groups.ts';
import { streamInfoCommands } from './commands/stream-info.ts';
import { streamReadCommands } from './commands/stream-read.ts';
import { streamCommands } from './commands/streams.ts';
import { stringCommands } from './commands/strings.ts';
import type { ServerConfig } from './config/index.ts';
import { ActiveExpiry } from './keyspace/active-expiry.ts';
import { installMemory } from './memory/index.ts';
import { installMigration } from './migration/index.ts';
import { installPubSub } from './pubsub/index.ts';
import { installReplication } from './replication/index.ts';
import { installScripting } from './scripting/index.ts';
import { CodisServer } from './server.ts';
import { installTracking } from './tracking/index.ts';
import { installTransactions } from './transactions/index.ts';
import { bindEncodingLimits } from './types/encoding-limits.ts';

export { AclLoadError } from './acl/index.ts';
export { Client } from './client.ts';
export { ConfigError, ServerConfig } from './config/index.ts';
export { CodisServer } from './server.ts';

/**
 * A codis-server with all commands and background tasks, not yet listening. Throws AclLoadError
 * when the `user` directives or the ACL file cannot be loaded.
 */
export function createCodisServer(config: ServerConfig): CodisServer {
  const server = new CodisServer(config);
  bindEncodingLimits(config);
  server.latencyTracking = config.getBoolean('latency-tracking');
  config.onChange((name, value) => {
    if (name === 'latency-tracking') server.latencyTracking = value === 'yes';
  });
  server.registry.register(connectionCommands);
  server.registry.register(stringCommands);
  server.registry.register(basicKeyCommands);
  server.registry.register(hashCommands);
  server.registry.register(setCommands);
  server.registry.register(listCommands);
  server.registry.register(keyCommands);
  server.registry.register(sortCommands);
  server.registry.register(slotCommands);
  server.registry.register(sortedSetCommands);
  server.registry.register(geoCommands);
  server.registry.register(streamCommands);
  server.registry.register(streamReadCommands);
  server.registry.register(streamGroupCommands);
  server.registry.register(streamInfoCommands);
  server.registry.register(clusterDisabledCommands);
  server.registry.register(moduleCommands);
  server.registry.register(dumpRestoreCommands);
  server.registry.register(bitmapCommands);
  server.registry.register(hyperLogLogCommands);
  server.registry.register(lcsCommands);
  installMigration(server);
  server.features.set('active-expiry', new ActiveExpiry(server));
  installMemory(server);
  server.registry.register(commandIntrospectionCommands);
  server.registry.register(infoCommands);
  server.registry.register(configCommands);
  server.registry.register(diagnosticCommands);
  server.registry.register(lolwutCommands);
  server.registry.register(clientCommands);
  server.registry.register(aclCommands);
  server.acl.describeClient = clientLine;
  server.registry.register(clientTrackingCommands);
  registerClientSetinfo(server);
  adminState(server);
  server.registry.register(replicationCommands);
  installReplication(server);
  installPubSub(server);
  installTracking(server);
  installScripting(server);
  // CLIENT PAUSE and FAILOVER park requests after Redis's other checks: a write to a replica is
  // refused with READONLY at once, paused or not.
  const admin = adminState(server);
  server.gates.push((client, command, argv) => admin.pauseGate(client, command, argv));
  // Last: queueing runs after every other gate (pause, read-only replica...).
  installTransactions(server);
  server.acl.loadAtStartup(config.users);
  return server;
}
