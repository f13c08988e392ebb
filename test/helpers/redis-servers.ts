// Starts Redis-protocol servers for tests: our codis-server, or Debian's redis-server as the
// reference. Each runs on a free loopback port in a temporary directory and is stopped (by pid)
// and cleaned up by stop().
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { killOnExit, removeOnExit } from './child-reaper.ts';
import { freePort } from './free-port.ts';
import { holdsPort } from './port-owner.ts';

export type ServerKind = 'codis-server' | 'redis-server';

export interface RunningServer {
  readonly kind: ServerKind;
  readonly port: number;
  readonly dir: string;
  readonly process: ChildProcess;
  /** Everything the server printed (stdout and stderr), for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

const ROOT = resolve(import.meta.dirname, '..', '..');
export const CODIS_SERVER_ENTRY = join(ROOT, 'src', 'cli', 'codis-server.ts');
/** A server starts in about a second; far longer only on a machine loaded with other suites. */
const START_TIMEOUT_MS = 30_000;

export interface StartOptions {
  /** Extra `--name value` options, e.g. ['--requirepass', 'pw']. */
  args?: string[];
  /** A configuration file, read before the options (they override it). */
  configFile?: string;
  /** Keep the directory (for restart tests); removed otherwise. */
  dir?: string;
  port?: number;
  /** Pin the server to these CPUs with taskset (benchmarks). */
  cpus?: string;
  /** Extra options for Node running codis-server, e.g. ['--cpu-prof'] (profiles of benchmarks). */
  nodeArgs?: string[];
}

/** The server could not listen: another process had taken its port meanwhile. */
class PortTakenError extends Error {}

function waitForPort(
  port: number,
  child: ChildProcess,
  output: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolvePromise, reject) => {
    const retry = (): void => {
      if (Date.now() > deadline)
        reject(new Error(`server did not listen on ${port} in ${timeoutMs} ms:\n${output()}`));
      else setTimeout(attempt, 25);
    };
    const attempt = (): void => {
      if (child.exitCode !== null) {
        const message = `server exited with ${child.exitCode} before listening:\n${output()}`;
        reject(
          /address already in use|EADDRINUSE/i.test(output())
            ? new PortTakenError(message)
            : new Error(message),
        );
        return;
      }
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        // Another test's server may have been given the same port: only our own listener counts.
        if (holdsPort(port, child.pid as number)) resolvePromise();
        else retry();
      });
      socket.once('error', () => {
        socket.destroy();
        retry();
      });
    };
    attempt();
  });
}

/** Tries for a free port this many times when another process takes the chosen one first. */
const PORT_ATTEMPTS = 5;

export async function startServer(kind: ServerKind, options: StartOptions = {}): Promise<RunningServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), `${kind}-`));
  // stop() removes it; a test that never stops its server leaves it to the exit.
  if (options.dir === undefined) removeOnExit(dir);
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      return await spawnServer(kind, options, port, dir);
    } catch (error) {
      if (!(error instanceof PortTakenError) || options.port !== undefined || attempt >= PORT_ATTEMPTS) {
        if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
}

async function spawnServer(
  kind: ServerKind,
  options: StartOptions,
  port: number,
  dir: string,
): Promise<RunningServer> {
  const common = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  const args = [
    ...(options.configFile === undefined ? [] : [options.configFile]),
    ...common,
    ...(options.args ?? []),
  ];
  const command =
    kind === 'codis-server'
      ? [process.execPath, ...(options.nodeArgs ?? []), CODIS_SERVER_ENTRY, ...args]
      : ['redis-server', ...args, '--enable-debug-command', 'yes'];
  if (options.cpus !== undefined) command.unshift('taskset', '-c', options.cpus);
  const child = spawn(command[0] as string, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(child);
  let printed = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    printed += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    printed += chunk.toString();
  });
  const output = (): string => printed;
  try {
    await waitForPort(port, child, output, START_TIMEOUT_MS);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    kind,
    port,
    dir,
    process: child,
    output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((done) => child.once('exit', () => done()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}
