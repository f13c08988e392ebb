// Debian's ZooKeeper for tests: a standalone server run in the foreground (the class zkServer.sh
// starts, without its pid-file handling) on a free loopback port with a temporary data directory;
// stop() and start() keep the port and the data, to test clients across a restart.

import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
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

const JAVA = '/usr/bin/java';
const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
const SLF4J_SIMPLE = '/usr/share/java/slf4j-simple.jar';
/** ZooKeeper's unit of time; sessions may be as short as 2 ticks. */
const TICK_MS = 200;

export type ZooKeeperServer = RestartableServer;

/** Sends a four-letter command and returns the answer. */
export function fourLetter(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(1_000, () => socket.destroy(new Error('timeout')));
    socket.once('connect', () => socket.write(command));
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
    });
    socket.once('end', () => resolve(answer));
    socket.once('error', reject);
  });
}

export async function startZooKeeper(): Promise<ZooKeeperServer> {
  requireExecutable(JAVA, 'default-jre-headless');
  requireExecutable(ZOOKEEPER_JAR, 'zookeeper');
  const dir = await mkdtemp(join(tmpdir(), 'codis-zookeeper-'));
  const port = await freePort();
  const config = join(dir, 'zoo.cfg');
  await writeFile(
    config,
    [
      `tickTime=${TICK_MS}`,
      `dataDir=${join(dir, 'data')}`,
      `clientPort=${port}`,
      'clientPortAddress=127.0.0.1',
      // No Jetty admin server (it would take port 8080) and the four-letter words we poll with.
      'admin.enableServer=false',
      '4lw.commands.whitelist=ruok,srvr,stat,cons,mntr',
      `minSessionTimeout=${2 * TICK_MS}`,
      'maxSessionTimeout=60000',
      'maxClientCnxns=0',
      '',
    ].join('\n'),
  );
  const classpath = [
    '/etc/zookeeper/conf',
    ZOOKEEPER_JAR,
    ...(existsSync(SLF4J_SIMPLE) ? [SLF4J_SIMPLE] : []),
  ];
  const args = [
    '-Xmx256m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
    `-Dzookeeper.log.dir=${dir}`,
    '-cp',
    classpath.join(':'),
    'org.apache.zookeeper.server.ZooKeeperServerMain',
    config,
  ];
  const launch = (): Promise<Daemon> =>
    startDaemon({
      command: JAVA,
      args,
      ready: async () => (await fourLetter(port, 'srvr')).includes('Mode: standalone'),
      ports: [port],
      startTimeout: 30_000,
    });
  return startRestartable(`127.0.0.1:${port}`, dir, launch);
}
