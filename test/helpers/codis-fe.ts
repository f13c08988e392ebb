// Starts the codis-fe program (src/cli/codis-fe.ts) on a free loopback port.

import { resolve } from 'node:path';
import { type Daemon, startDaemon } from './daemon.ts';
import { freePort } from './free-port.ts';

export const CODIS_FE_ENTRY = resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'codis-fe.ts');

export interface RunningFe {
  readonly daemon: Daemon;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
}

export async function startFe(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<RunningFe> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const daemon = await startDaemon({
    command: process.execPath,
    args: [CODIS_FE_ENTRY, '--listen', `127.0.0.1:${port}`, '--log-level', 'WARN', ...args],
    env,
    ready: async () => (await fetch(`${url}/`)).status === 200,
    ports: [port],
  });
  return { daemon, url };
}
