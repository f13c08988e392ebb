// codis-server's public surface: build a server from a configuration with every command wired in.

import { connectionCommands } from './commands/connection.ts';
import { keyCommands } from './commands/keys.ts';
import { basicKeyCommands } from './commands/keys-basic.ts';
import { listCommands } from './commands/lists.ts';
import { slotCommands } from './commands/slots.ts';
import { stringCommands } from './commands/strings.ts';
import type { ServerConfig } from './config/index.ts';
import { ActiveExpiry } from './keyspace/active-expiry.ts';
import { installMemory } from './memory/index.ts';
import { CodisServer } from './server.ts';
import { bindEncodingLimits } from './types/encoding-limits.ts';

export { Client } from './client.ts';
export { ConfigError, ServerConfig } from './config/index.ts';
export { CodisServer } from './server.ts';

/** A codis-server with all commands and background tasks, not yet listening. */
export function createCodisServer(config: ServerConfig): CodisServer {
  const server = new CodisServer(config);
  bindEncodingLimits(config);
  server.registry.register(connectionCommands);
  server.registry.register(stringCommands);
  server.registry.register(basicKeyCommands);
  server.registry.register(listCommands);
  server.registry.register(keyCommands);
  server.registry.register(slotCommands);
  server.features.set('active-expiry', new ActiveExpiry(server));
  installMemory(server);
  return server;
}
