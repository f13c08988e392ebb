// Debian's etcd-server for tests: a single member on free loopback ports with a temporary data
// directory; stop() and start() keep the ports and the data, to test clients across a restart.

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Daemon,
  type RestartableServer,
  requireExecutable,
  startDaemon,
  startRestartable,
} from './daemon.ts';
import { freePort } from './free-port.ts';

const ETCD = '/usr/bin/etcd';

export type EtcdServer = RestartableServer;

async function healthy(clientPort: number): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${clientPort}/health`, {
    signal: AbortSignal.timeout(1_000),
  });
  const body = (await response.json()) as { health?: string };
  return body.health === 'true';
}

export async function startEtcd(): Promise<EtcdServer> {
  requireExecutable(ETCD, 'etcd-server');
  const dir = await mkdtemp(join(tmpdir(), 'codis-etcd-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name=default',
    `--data-dir=${join(dir, 'data')}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=default=${peer}`,
    // Short raft timers keep start-up and the minimum lease TTL (1.5 election timeouts) small.
    '--heartbeat-interval=50',
    '--election-timeout=250',
    '--logger=zap',
    '--log-level=warn',
  ];
  const launch = (): Promise<Daemon> =>
    startDaemon({
      command: ETCD,
      args,
      ready: () => healthy(clientPort),
      ports: [clientPort],
      startTimeout: 20_000,
    });
  return startRestartable(`127.0.0.1:${clientPort}`, dir, launch);
}
