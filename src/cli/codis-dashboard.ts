#!/usr/bin/env node
// codis-dashboard: the control plane of one product (spec/control-plane.md §5, §12.2).
//   codis-dashboard [--config=CONF] [--log=FILE] [--log-level=LEVEL] [--host-admin=ADDR]
//                   [--pidfile=FILE] [--zookeeper=ADDR|--etcd=ADDR|--filesystem=ROOT]
//                   [--product_name=NAME] [--product_auth=AUTH] [--remove-lock]
//   codis-dashboard --default-config
// Config precedence: defaults < --config file < CODIS_DASHBOARD_<KEY> environment < flags.

import { rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Command } from 'commander';
import pino from 'pino';
import { pinoLevel } from '../common/log-levels.ts';
import { localSystemDescription, openStore, type Store } from '../coordinator/index.ts';
import {
  applyDashboardEnvironment,
  DashboardConfigError,
  DashboardHttp,
  dashboardConfigToml,
  defaultDashboardConfig,
  loadDashboardConfigFile,
  newToken,
  Topom,
  validateDashboardConfig,
} from '../dashboard/index.ts';
import { goTimeNow, ProductNameError } from '../models/index.ts';

const program = new Command('codis-dashboard')
  .description('Codis dashboard: topology, slot migration, groups, proxies and sentinels of one product')
  .option('-c, --config <file>', 'dashboard.toml')
  .option('-l, --log <file>', 'log file (default: stdout)')
  .option('--log-level <level>', 'ERROR, WARN, INFO, DEBUG or NONE', 'INFO')
  .option('--host-admin <addr>', 'advertised admin address (host:port) stored in the model')
  .option('--pidfile <file>', 'write the pid here; removed at exit')
  .option('--zookeeper <addr>', 'use ZooKeeper at addr as coordinator')
  .option('--etcd <addr>', 'use etcd at addr as coordinator')
  .option('--filesystem <root>', 'use the directory root as coordinator')
  .option('--product_name <name>', 'product name (overrides the config)')
  .option('--product_auth <auth>', 'product auth (overrides the config)')
  .option('--remove-lock', 'delete the product lock before starting')
  .option('--online-attempts <n>', 'how many times to try the product lock, 2 s apart', '17')
  .option('--ncpu <n>', 'accepted for compatibility; ignored')
  .option('--default-config', 'print the default dashboard.toml and exit')
  .version('codis-dashboard 3.2 (TypeScript)', '--version');

program.parse();
const opts = program.opts<{
  config?: string;
  log?: string;
  logLevel: string;
  hostAdmin?: string;
  pidfile?: string;
  zookeeper?: string;
  etcd?: string;
  filesystem?: string;
  product_name?: string;
  product_auth?: string;
  removeLock?: boolean;
  onlineAttempts: string;
  defaultConfig?: boolean;
}>();

if (opts.defaultConfig === true) {
  process.stdout.write(dashboardConfigToml());
  process.exit(0);
}

function die(message: string): never {
  process.stderr.write(`codis-dashboard: ${message}\n`);
  process.exit(1);
}

const config = (() => {
  try {
    const c = opts.config !== undefined ? loadDashboardConfigFile(opts.config) : defaultDashboardConfig();
    applyDashboardEnvironment(c, process.env);
    if (opts.zookeeper !== undefined)
      [c.coordinator_name, c.coordinator_addr] = ['zookeeper', opts.zookeeper];
    if (opts.etcd !== undefined) [c.coordinator_name, c.coordinator_addr] = ['etcd', opts.etcd];
    if (opts.filesystem !== undefined)
      [c.coordinator_name, c.coordinator_addr] = ['filesystem', opts.filesystem];
    if (opts.product_name !== undefined) c.product_name = opts.product_name;
    if (opts.product_auth !== undefined) c.product_auth = opts.product_auth;
    validateDashboardConfig(c);
    return c;
  } catch (error) {
    if (error instanceof DashboardConfigError) die(error.message);
    throw error;
  }
})();

const level = pinoLevel(opts.logLevel);
if (level === undefined) die(`invalid --log-level ${opts.logLevel}`);
const logger = pino(
  {
    level,
    base: { component: 'dashboard', product: config.product_name },
    redact: ['product_auth', 'admin_secret', 'coordinator_auth'],
  },
  opts.log !== undefined
    ? pino.destination({ dest: opts.log, sync: true, mkdir: true })
    : pino.destination(1),
);

let store: Store;
try {
  store = await openStore({
    name: config.coordinator_name,
    addr: config.coordinator_name.startsWith('f')
      ? resolve(config.coordinator_addr)
      : config.coordinator_addr,
    auth: config.coordinator_auth,
    timeout: 60_000,
  });
} catch (error) {
  die((error as Error).message);
}

const placeholder = {
  token: '',
  startTime: goTimeNow(),
  adminAddr: '',
  productName: config.product_name,
  pid: process.pid,
  pwd: process.cwd(),
  sys: localSystemDescription(),
};
let topom: Topom;
try {
  topom = new Topom({ config, store, logger, model: placeholder });
} catch (error) {
  if (error instanceof ProductNameError) die(error.message);
  throw error;
}

if (opts.removeLock === true) {
  logger.warn('force remove-lock');
  try {
    await topom.store.forceRemoveLock();
    logger.warn('force remove-lock OK');
  } catch (error) {
    logger.error({ err: (error as Error).message }, 'force remove-lock failed');
  }
}

let shuttingDown = false;
const http = new DashboardHttp({ topom, logger, onShutdown: () => void shutdown('admin shutdown') });

const colon = config.admin_addr.lastIndexOf(':');
const listenHost = config.admin_addr.slice(0, colon).replace(/^\[|\]$/g, '') || '0.0.0.0';
const listenPort = Number(config.admin_addr.slice(colon + 1));
let listened: string;
try {
  listened = await http.listen(listenHost, listenPort);
} catch (error) {
  die(`listen on ${config.admin_addr} failed: ${(error as Error).message}`);
}
// An unspecified listener is advertised by host name (spec §5.1 step 4).
let adminAddr = opts.hostAdmin ?? listened;
if (opts.hostAdmin === undefined && (listenHost === '0.0.0.0' || listenHost === '::')) {
  adminAddr = `${hostname()}:${listened.slice(listened.lastIndexOf(':') + 1)}`;
}
topom.model = { ...placeholder, adminAddr, token: newToken(config.product_name, listened) };
logger.warn(`admin start service on ${listened}`);

if (opts.pidfile !== undefined) {
  writeFileSync(opts.pidfile, `${process.pid}\n`);
  logger.warn(`option --pidfile = ${resolve(opts.pidfile)}`);
}

async function shutdown(reason: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  logger.warn(`dashboard receive signal = '${reason}'`);
  const force = setTimeout(() => process.exit(1), 15_000);
  force.unref();
  await http.close();
  await topom.close();
  await store.close().catch(() => undefined);
  if (opts.pidfile !== undefined) rmSync(opts.pidfile, { force: true });
  logger.warn('dashboard is exiting ...');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('terminated'));
process.on('SIGINT', () => void shutdown('interrupt'));

try {
  await topom.goOnline(Math.max(1, Number(opts.onlineAttempts) || 17));
} catch (error) {
  if (shuttingDown) await new Promise(() => undefined);
  logger.error((error as Error).message);
  process.stderr.write(`codis-dashboard: ${(error as Error).message}\n`);
  await http.close();
  await store.close().catch(() => undefined);
  if (opts.pidfile !== undefined) rmSync(opts.pidfile, { force: true });
  process.exit(1);
}
