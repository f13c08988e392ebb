// Where the sibling programs are: `src/cli/*.ts` when running from source, `dist/cli/*.js` once
// built. `codis <program>` and `codis up` use the same files as the bins.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PROGRAMS = [
  'codis-server',
  'codis-proxy',
  'codis-dashboard',
  'codis-admin',
  'codis-fe',
  'codis-ha',
] as const;
export type ProgramName = (typeof PROGRAMS)[number];

const EXTENSION = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** `server`, `codis-server` → `codis-server`; undefined for anything else. */
export function programName(word: string): ProgramName | undefined {
  const name = word.startsWith('codis-') ? word : `codis-${word}`;
  return (PROGRAMS as readonly string[]).includes(name) ? (name as ProgramName) : undefined;
}

/** The entry file of a program (it may not exist: codis-fe in a build without it). */
export function programFile(name: ProgramName): string {
  return fileURLToPath(new URL(`../cli/${name}${EXTENSION}`, import.meta.url));
}

export function programExists(name: ProgramName): boolean {
  return existsSync(programFile(name));
}
