// Loading at start: from the AOF when appendonly is on and one exists (base, then incremental files
// replayed through an internal client), else from the RDB file. A file that cannot be loaded stops
// the start with an error naming it.
import { existsSync, readFileSync, truncateSync } from 'node:fs';
import { loadRdbFunctions } from '../scripting/index.ts';
import type { CodisServer } from '../server.ts';
import { AofError, type AofFiles, parseCommands } from './aof.ts';
import type { Persistence } from './index.ts';
import { loadRdb, loadRdbFile } from './rdb-file.ts';

/** Loads the data files; returns whether the data came from the AOF. */
export function loadAtStart(server: CodisServer, persistence: Persistence, appendOnly: boolean): boolean {
  const started = Date.now();
  if (appendOnly && persistence.aofExists()) {
    loadAof(server, persistence.aofLayout());
    server.log(
      'notice',
      `DB loaded from append only file: ${((Date.now() - started) / 1000).toFixed(3)} seconds`,
    );
    return true;
  }
  const path = persistence.rdbPath;
  if (existsSync(path)) {
    const result = loadRdbFile(path, server.databases, Date.now());
    loadRdbFunctions(server, result.functions);
    server.log(
      'notice',
      `DB loaded from disk: ${((Date.now() - started) / 1000).toFixed(3)} seconds (${result.keys} keys, ${result.expired} expired dropped)`,
    );
  }
  return false;
}

/** Loads an AOF directory: the base (RDB or commands), then every incremental file in order. */
export function loadAof(server: CodisServer, files: AofFiles): void {
  const manifest = files.readManifest();
  const loadTruncated = server.config.getBoolean('aof-load-truncated');
  const live = manifest.filter((file) => file.type !== 'h');
  for (const [index, file] of live.entries()) {
    const path = files.path(file.name);
    if (!existsSync(path))
      throw new AofError(`The AOF file ${path} doesn't exist (listed in ${files.manifestPath})`);
    const buffer = readFileSync(path);
    if (buffer.length === 0) continue;
    if (buffer.latin1Slice(0, 5) === 'REDIS') {
      // An RDB base (aof-use-rdb-preamble), possibly followed by commands in older layouts.
      loadRdbFunctions(server, loadRdb(buffer, path, server.databases, Date.now()).functions);
      continue;
    }
    const parsed = parseCommands(buffer);
    if (parsed.complete < buffer.length) {
      const last = index === live.length - 1;
      if (parsed.invalid || !last)
        throw new AofError(
          `Bad file format reading the append only file ${path} at offset ${parsed.complete}: make a backup of your AOF file, then use redis-check-aof --fix <filename.manifest>`,
        );
      if (!loadTruncated)
        throw new AofError(
          `Unexpected end of file reading the append only file ${path} (offset ${parsed.complete} of ${buffer.length}). You can: 1) Make a backup of your AOF file, then use redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.`,
        );
      server.log(
        'warning',
        `!!! Warning: short read while loading the AOF file ${path}!!! AOF loaded anyway because aof-load-truncated is enabled; truncated to ${parsed.complete} bytes (last valid command)`,
      );
      truncateSync(path, parsed.complete);
    }
    replay(server, parsed.commands, path);
  }
}

function replay(server: CodisServer, commands: string[][], path: string): void {
  const client = server.createInternalClient('aof');
  client.authenticated = true;
  for (const argv of commands) {
    const name = (argv[0] as string).toLowerCase();
    // Transactions in an AOF written by Redis: the commands inside are applied in order.
    if (name === 'multi' || name === 'exec') continue;
    if (server.registry.lookup(name) === undefined)
      throw new AofError(`Unknown command '${argv[0]}' reading the append only file ${path}`);
    server.execute(client, argv);
    client.out.length = 0;
  }
  server.removeClient(client);
}
