#!/usr/bin/env node
// codis-server [config-file] [--option value ...]: redis-server's command line.
import { ConfigError, createCodisServer, ServerConfig } from '../server/index.ts';
import { AofError, installPersistence, loadDataFiles, RdbFileError } from '../server/persistence/index.ts';

const args = process.argv.slice(2);
if (args[0] === '--version' || args[0] === '-v') {
  const { CODIS_VERSION, REDIS_COMPATIBLE_VERSION } = await import('../server/version.ts');
  process.stdout.write(`codis-server v=${CODIS_VERSION} redis=${REDIS_COMPATIBLE_VERSION}\n`);
  process.exit(0);
}
if (args[0] === '--help' || args[0] === '-h') {
  process.stdout.write('Usage: codis-server [/path/to/redis.conf] [--option value ...]\n');
  process.exit(0);
}

const config = new ServerConfig();
try {
  config.applyArguments(args);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`\n*** FATAL CONFIG FILE ERROR ***\n${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

const server = createCodisServer(config);
installPersistence(server);
try {
  loadDataFiles(server);
} catch (error) {
  if (error instanceof RdbFileError || error instanceof AofError) {
    server.log('warning', `Fatal error loading the data files: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
try {
  await server.listen();
} catch (error) {
  process.stderr.write(`Could not start codis-server: ${(error as Error).message}\n`);
  process.exit(1);
}

let stopping = false;
function stop(signal: string): void {
  if (stopping) return;
  stopping = true;
  server.log('warning', `Received ${signal} scheduling shutdown...`);
  server.close().then(
    () => {
      server.log('warning', 'codis-server is now ready to exit, bye bye...');
      process.exit(0);
    },
    () => process.exit(1),
  );
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
