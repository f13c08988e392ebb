// Memory: accounting (used_memory from V8), MEMORY commands and maxmemory eviction.
import type { CodisServer } from '../server.ts';
import { MemoryAccounting } from './accounting.ts';
import { memoryCommands } from './commands.ts';
import { Evictor } from './evictor.ts';

export { MemoryAccounting } from './accounting.ts';
export { entryBytes } from './estimate.ts';
export { Evictor } from './evictor.ts';

export interface MemoryFeature {
  readonly accounting: MemoryAccounting;
  readonly evictor: Evictor;
}

/** Wires memory accounting, eviction and the MEMORY command into a server. */
export function installMemory(server: CodisServer): MemoryFeature {
  const accounting = new MemoryAccounting(() => server.stats.netInputBytes);
  accounting.watchGarbageCollection();
  server.addShutdownTask(() => accounting.close());
  const evictor = new Evictor(server, accounting);
  server.registry.register(memoryCommands(accounting));
  const feature: MemoryFeature = { accounting, evictor };
  server.features.set('memory', feature);
  return feature;
}
