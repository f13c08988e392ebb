// Scripting wired into the server: the engine, its commands, and the BUSY gate that answers other
// clients while a slow script runs in slices.
import { scriptingCommands } from '../commands/scripting.ts';
import type { CodisServer } from '../server.ts';
import { BUSY_ERROR, ScriptEngine } from './engine.ts';

export { BUSY_ERROR, ScriptEngine } from './engine.ts';

/** Installs scripting; call before transactions, so BUSY is answered before a command is queued. */
export function installScripting(server: CodisServer): ScriptEngine {
  const engine = new ScriptEngine(server);
  server.features.set('scripting', engine);
  server.registry.register(scriptingCommands);
  server.gates.push((client, command) => {
    if (!engine.busy) return false;
    if (command.spec.flags.has('allow_busy') || command.parent?.spec.flags.has('allow_busy') === true)
      return false;
    command.stats.rejectedCalls++;
    server.rejectCommand(client, BUSY_ERROR);
    return true;
  });
  return engine;
}
