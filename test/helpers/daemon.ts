// A server process started by a test: spawned in the foreground, its output kept for failure
// messages, readiness polled, and stopped by its pid (never by name).

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { killOnExit } from './child-reaper.ts';
import { holdsPort } from './port-owner.ts';

export interface DaemonSpec {
  readonly command: string;
  readonly args: readonly string[];
  /** Resolves true once the server answers. */
  readonly ready: () => Promise<boolean>;
  /** How long to wait for `ready`, in ms. */
  readonly startTimeout?: number;
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Ports the daemon listens on: it is ready only once its own process holds them, so a server of
   * another test that was given the same port is not taken for it (test/helpers/port-owner.ts).
   */
  readonly ports?: readonly number[];
}

export interface Daemon {
  readonly process: ChildProcess;
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL; resolves when the process has exited. */
  kill(): Promise<void>;
}

const MAX_OUTPUT = 64 * 1024;

/** Fails with an actionable message when a system package is missing. */
export function requireExecutable(path: string, debianPackage: string): void {
  if (!existsSync(path)) {
    throw new Error(`${path} not found: install Debian's ${debianPackage} (scripts/install-system-deps.sh)`);
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startDaemon(spec: DaemonSpec): Promise<Daemon> {
  const child = spawn(spec.command, spec.args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: spec.env ?? process.env,
  });
  killOnExit(child);
  let text = '';
  const keep = (chunk: Buffer): void => {
    text += chunk.toString('utf8');
    if (text.length > MAX_OUTPUT) text = text.slice(-MAX_OUTPUT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  const daemon: Daemon = {
    process: child,
    output: () => text,
    async stop(graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = exited(child);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await done;
      clearTimeout(timer);
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = exited(child);
      child.kill('SIGKILL');
      await done;
    },
  };

  const deadline = Date.now() + (spec.startTimeout ?? 30_000);
  for (;;) {
    const failure = await Promise.race([
      spawnError,
      new Promise<undefined>((r) => setTimeout(r, 50, undefined)),
    ]);
    if (failure !== undefined) throw new Error(`${spec.command} failed to start: ${failure.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${spec.command} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${text}`,
      );
    }
    if (
      (await spec.ready().catch(() => false)) &&
      (spec.ports ?? []).every((port) => holdsPort(port, child.pid as number))
    )
      return daemon;
    if (Date.now() > deadline) {
      await daemon.kill();
      throw new Error(`${spec.command} was not ready after ${spec.startTimeout ?? 30_000} ms:\n${text}`);
    }
  }
}

/** A coordinator server run by the tests that can be stopped, killed and started again on its data. */
export interface RestartableServer {
  /** `127.0.0.1:port`, what a coordinator address names. */
  readonly endpoint: string;
  readonly dataDir: string;
  output(): string;
  /** Stops the server (SIGTERM), keeping its data. */
  stop(): Promise<void>;
  /** Kills the server (SIGKILL), keeping its data. */
  kill(): Promise<void>;
  /** Starts it again on the same ports with the same data. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  dispose(): Promise<void>;
}

/** Starts a daemon with `launch` and wraps it so tests can restart it and read all its output. */
export async function startRestartable(
  endpoint: string,
  dataDir: string,
  launch: () => Promise<Daemon>,
): Promise<RestartableServer> {
  let daemon: Daemon | undefined = await launch();
  let earlier = '';
  return {
    endpoint,
    dataDir,
    output: () => earlier + (daemon?.output() ?? ''),
    async stop() {
      await daemon?.stop();
      earlier += daemon?.output() ?? '';
      daemon = undefined;
    },
    async kill() {
      await daemon?.kill();
      earlier += daemon?.output() ?? '';
      daemon = undefined;
    },
    async start() {
      if (daemon === undefined) daemon = await launch();
    },
    async dispose() {
      await daemon?.stop();
      daemon = undefined;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
