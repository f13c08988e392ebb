#!/usr/bin/env node
// codis-fe: the web UI for every product of a coordinator (spec/control-plane.md §12.4, §13).
//   codis-fe [--log=FILE] [--log-level=LEVEL] [--assets-dir=PATH] [--pidfile=FILE]
//            (--dashboard-list=FILE | --zookeeper=ADDR [--zookeeper-auth=USR:PWD] |
//             --etcd=ADDR [--etcd-auth=USR:PWD] | --filesystem=ROOT) [--listen=ADDR]
// Ours adds an optional login: the password comes from CODIS_FE_PASSWORD or --password-file (never
// from the command line, where other users could read it).

import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import pino from 'pino';
import { pinoLevel } from '../common/log-levels.ts';
import { openStore } from '../coordinator/index.ts';
import {
  CoordinatorSource,
  DashboardDirectory,
  type DashboardSource,
  DEFAULT_ASSETS_DIR,
  FeServer,
  ListFileSource,
} from '../fe/index.ts';

const program = new Command('codis-fe')
  .description('Codis FE: the web UI of every product (reverse proxy to their dashboards)')
  .option('-d, --dashboard-list <file>', 'JSON [{"name": ..., "dashboard": "host:port"}]')
  .option('--zookeeper <addr>', 'discover products from ZooKeeper at addr')
  .option('--zookeeper-auth <user:password>', 'ZooKeeper credentials')
  .option('--etcd <addr>', 'discover products from etcd at addr')
  .option('--etcd-auth <user:password>', 'etcd credentials')
  .option('--filesystem <root>', 'discover products from the filesystem coordinator at root')
  .option('--listen <addr>', 'listen address host:port', '127.0.0.1:9090')
  .option('--assets-dir <dir>', 'the UI files (index.html must exist)', DEFAULT_ASSETS_DIR)
  .option('-l, --log <file>', 'log file (default: stdout)')
  .option('--log-level <level>', 'ERROR, WARN, INFO, DEBUG or NONE', 'INFO')
  .option('--pidfile <file>', 'write the pid here; removed at exit')
  .option('--password-file <file>', 'require a login with the password in this file (or CODIS_FE_PASSWORD)')
  .option('--ncpu <n>', 'accepted for compatibility; ignored')
  .version('codis-fe 3.2 (TypeScript)', '--version');

program.parse();
const opts = program.opts<{
  dashboardList?: string;
  zookeeper?: string;
  zookeeperAuth?: string;
  etcd?: string;
  etcdAuth?: string;
  filesystem?: string;
  listen: string;
  assetsDir: string;
  log?: string;
  logLevel: string;
  pidfile?: string;
  passwordFile?: string;
}>();

function die(message: string): never {
  process.stderr.write(`codis-fe: ${message}\n`);
  process.exit(1);
}

const level = pinoLevel(opts.logLevel);
if (level === undefined) die(`invalid --log-level ${opts.logLevel}`);
const logger = pino(
  { level, base: { component: 'fe' } },
  opts.log !== undefined
    ? pino.destination({ dest: opts.log, sync: true, mkdir: true })
    : pino.destination(1),
);

const assetsDir = resolve(opts.assetsDir);
if (!existsSync(join(assetsDir, 'index.html'))) die(`no index.html in --assets-dir ${assetsDir}`);

const sources = [opts.dashboardList, opts.zookeeper, opts.etcd, opts.filesystem].filter(
  (s) => s !== undefined,
);
if (sources.length !== 1) {
  die('expected exactly one of --dashboard-list=FILE, --zookeeper=ADDR, --etcd=ADDR or --filesystem=ROOT');
}

let source: DashboardSource;
if (opts.dashboardList !== undefined) {
  source = new ListFileSource(resolve(opts.dashboardList));
} else {
  const [name, addr, auth] =
    opts.zookeeper !== undefined
      ? ['zookeeper', opts.zookeeper, opts.zookeeperAuth]
      : opts.etcd !== undefined
        ? ['etcd', opts.etcd, opts.etcdAuth]
        : ['filesystem', resolve(opts.filesystem ?? ''), undefined];
  try {
    const store = await openStore({ name, addr, ...(auth === undefined ? {} : { auth }) });
    source = new CoordinatorSource(store, (product, error) =>
      logger.warn({ product, err: error.message }, 'read topom failed'),
    );
  } catch (error) {
    die(`create '${name}' client to '${addr}' failed: ${(error as Error).message}`);
  }
}

let password = process.env.CODIS_FE_PASSWORD;
if (opts.passwordFile !== undefined) {
  try {
    password = readFileSync(opts.passwordFile, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    die(`read --password-file failed: ${(error as Error).message}`);
  }
  if (password === '') die('--password-file is empty');
}

const directory = new DashboardDirectory(source);
const server = new FeServer({ directory, assetsDir, logger, password });
const colon = opts.listen.lastIndexOf(':');
const host = opts.listen.slice(0, colon).replace(/^\[|\]$/g, '') || '0.0.0.0';
const port = Number(opts.listen.slice(colon + 1));
if (colon < 0 || !Number.isInteger(port) || port < 0 || port > 65535) die(`invalid --listen ${opts.listen}`);
let listened: string;
try {
  listened = await server.listen(host, port);
} catch (error) {
  die(`listen on ${opts.listen} failed: ${(error as Error).message}`);
}
logger.warn(
  { assets: assetsDir, login: password !== undefined && password !== '' },
  `fe listen on ${listened}`,
);
if (opts.pidfile !== undefined) writeFileSync(opts.pidfile, `${process.pid}\n`);

let stopping = false;
async function shutdown(reason: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.warn(`fe receive signal = '${reason}'`);
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  await server.close();
  await directory.close().catch(() => undefined);
  if (opts.pidfile !== undefined) rmSync(opts.pidfile, { force: true });
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('terminated'));
process.on('SIGINT', () => void shutdown('interrupt'));
