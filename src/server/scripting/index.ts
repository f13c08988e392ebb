// Scripting wired into the server: the engine, its commands (EVAL and SCRIPT, FCALL and FUNCTION),
// and the BUSY gate that answers other clients while a slow script runs in slices.
import { functionCommands } from '../commands/functions.ts';
import { scriptingCommands } from '../commands/scripting.ts';
import type { CodisServer } from '../server.ts';
import { ScriptEngine } from './engine.ts';
import { FunctionsManager } from './functions.ts';

export { BUSY_ERROR, BUSY_FUNCTION_ERROR, ScriptEngine } from './engine.ts';
export { FunctionsManager } from './functions.ts';

/** Installs scripting; call before transactions, so BUSY is answered before a command is queued. */
export function installScripting(server: CodisServer): ScriptEngine {
  const engine = new ScriptEngine(server);
  server.features.set('scripting', engine);
  server.features.set('functions', new FunctionsManager(engine));
  server.registry.register(scriptingCommands);
  server.registry.register(functionCommands);
  server.gates.push((client, command) => {
    if (!engine.busy) return false;
    if (command.spec.flags.has('allow_busy') || command.parent?.spec.flags.has('allow_busy') === true)
      return false;
    command.stats.rejectedCalls++;
    server.rejectCommand(client, engine.busyError);
    return true;
  });
  return engine;
}

/** The library codes to save in an RDB image (none when scripting is not installed). */
export function functionCodesOf(server: CodisServer): string[] {
  const manager = server.features.get('functions') as FunctionsManager | undefined;
  return manager === undefined ? [] : manager.codes();
}

/** Replaces the libraries with those of a loaded RDB image (a file at start, a master's payload). */
export function loadRdbFunctions(server: CodisServer, codes: readonly string[]): void {
  const manager = server.features.get('functions') as FunctionsManager | undefined;
  manager?.loadFromRdb(codes, (message) => server.log('warning', message));
}
