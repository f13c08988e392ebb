// The codis-proxy program: the Redis-protocol proxy with its admin API (spec/proxy.md §1, §13),
// started through codis-proxy.ts, which sets Node's flags first.
import { execFileSync } from 'node:child_process';
import cluster from 'node:cluster';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { type DestinationStream, type Logger, pino } from 'pino';
import { pinoLevel } from '../common/log-levels.ts';
import { openStore } from '../coordinator/index.ts';
import { dashboardFromStore, onlineProxy } from '../proxy/admin/online.ts';
import { PROXY_VERSION, ProxyService } from '../proxy/admin/service.ts';
import { slotsFromBody } from '../proxy/admin/slots-json.ts';
import { ClusterCore, runProxyWorker } from '../proxy/cluster.ts';
import {
  DEFAULT_PROXY_TOML,
  loadProxyConfig,
  type ProxyConfig,
  proxyConfigToToml,
} from '../proxy/config/index.ts';
import { Proxy as CodisProxy } from '../proxy/index.ts';

const program = new Command('codis-proxy')
  .description('Codis proxy: Redis protocol in front of codis-server groups, driven by codis-dashboard')
  .addOption(new Option('--ncpu <n>', 'worker processes sharing the proxy port (node:cluster)').default('1'))
  .addOption(new Option('--max-ncpu <max>', 'accepted for compatibility; no effect'))
  .option('-c, --config <file>', 'proxy.toml overlaid on the defaults')
  .option('-l, --log <file>', 'log to FILE.YYYY-MM-DD (daily), not stderr')
  .option('--log-level <level>', 'INFO, WARN, DEBUG, ERROR or NONE', 'INFO')
  .option('--host-admin <addr>', 'advertised admin address')
  .option('--host-proxy <addr>', 'advertised proxy address')
  .option('--dashboard <addr>', 'online through this dashboard')
  .option('--zookeeper <addr>', 'online through the dashboard registered in ZooKeeper')
  .option('--zookeeper-auth <user:password>', 'ZooKeeper credentials')
  .option('--etcd <addr>', 'online through the dashboard registered in etcd')
  .option('--etcd-auth <user:password>', 'etcd credentials')
  .option('--filesystem <root>', 'online through the dashboard registered in a filesystem coordinator')
  .option('--fillslots <file>', 'standalone: fill the slots of this JSON array and go online')
  .option('--ulimit <n>', "refuse to start unless the shell's `ulimit -n` is at least N")
  .option('--pidfile <file>', 'write the pid here (removed at exit)')
  .option('--product_name <name>', 'override product_name')
  .option('--product_auth <auth>', 'override product_auth')
  .option('--session_auth <auth>', 'override session_auth')
  .option('--default-config', 'print the default proxy.toml and exit')
  .option('--version', 'print the version and exit')
  .helpOption('-h, --help', 'print this help')
  .showHelpAfterError()
  .exitOverride()
  .allowExcessArguments(false);

interface Options {
  ncpu: string;
  config?: string;
  log?: string;
  logLevel: string;
  hostAdmin?: string;
  hostProxy?: string;
  dashboard?: string;
  zookeeper?: string;
  zookeeperAuth?: string;
  etcd?: string;
  etcdAuth?: string;
  filesystem?: string;
  fillslots?: string;
  ulimit?: string;
  pidfile?: string;
  product_name?: string;
  product_auth?: string;
  session_auth?: string;
  defaultConfig?: boolean;
  version?: boolean;
}

try {
  program.parse();
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  throw error;
}
const opts = program.opts<Options>();

if (opts.defaultConfig) {
  process.stdout.write(DEFAULT_PROXY_TOML);
  process.exit(0);
}
if (opts.version) {
  process.stdout.write(
    `version: ${PROXY_VERSION}\ncompile: node ${process.version} ${process.platform}/${process.arch}\n`,
  );
  process.exit(0);
}

function fatal(message: string, logger?: Logger): never {
  if (logger !== undefined) logger.fatal(message);
  else process.stderr.write(`codis-proxy: ${message}\n`);
  logger?.flush();
  process.exit(1);
}

/** `FILE.YYYY-MM-DD`, reopened under the new name at each UTC midnight. */
function dailyLog(file: string): DestinationStream {
  const name = (): string => `${file}.${new Date().toISOString().slice(0, 10)}`;
  const destination = pino.destination({ dest: name(), mkdir: true, sync: true });
  const schedule = (): void => {
    const now = new Date();
    const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    setTimeout(
      () => {
        destination.reopen(name());
        schedule();
      },
      midnight - now.getTime() + 10,
    ).unref();
  };
  schedule();
  return destination;
}

const level = pinoLevel(opts.logLevel);
if (level === undefined) fatal(`invalid log level = ${opts.logLevel}`);
const logger = pino(
  {
    level,
    base: { component: 'proxy', pid: process.pid },
    redact: {
      paths: ['product_auth', 'session_auth', 'config.product_auth', 'config.session_auth'],
      censor: '******',
    },
  },
  opts.log !== undefined ? dailyLog(opts.log) : pino.destination({ dest: 2, sync: true }),
);

const modes = ['dashboard', 'zookeeper', 'etcd', 'filesystem', 'fillslots'] as const;
const chosen = modes.filter((mode) => opts[mode] !== undefined);
if (chosen.length > 1) fatal(`options --${chosen.join(', --')} are mutually exclusive`, logger);

const ncpu = Number(opts.ncpu);
if (!Number.isInteger(ncpu) || ncpu < 1) fatal(`invalid ncpu = ${opts.ncpu}`, logger);

if (opts.ulimit !== undefined) {
  const want = Number(opts.ulimit);
  let have = Number.POSITIVE_INFINITY;
  try {
    const text = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
    if (text !== 'unlimited') have = Number(text);
  } catch {
    fatal('run `ulimit -n` failed', logger);
  }
  if (!(have >= want)) fatal(`ulimit too small: ${have}, should be at least ${want}`, logger);
}

let config: ProxyConfig;
try {
  config = loadProxyConfig({
    file: opts.config,
    env: process.env,
    overrides: {
      ...(opts.product_name === undefined ? {} : { product_name: opts.product_name }),
      ...(opts.product_auth === undefined ? {} : { product_auth: opts.product_auth }),
      ...(opts.session_auth === undefined ? {} : { session_auth: opts.session_auth }),
    },
  });
} catch (error) {
  fatal((error as Error).message, logger);
}
if (cluster.isWorker) {
  // A --ncpu worker: the data plane only; the primary runs the admin API and drives it over IPC.
  runProxyWorker(config, logger.child({ component: 'proxy-worker' }));
  // It exits through process.exit when the primary says close or goes away.
  await new Promise<never>(() => undefined);
}
logger.info(`set config\n${proxyConfigToToml(config, { redact: true })}`);
if (ncpu > 1) logger.warn(`set ncpu = ${ncpu}: ${ncpu} worker processes share the proxy port`);

const pidfile = opts.pidfile === undefined ? undefined : resolve(opts.pidfile);
let exiting = false;
function exit(code: number): void {
  if (exiting) return;
  exiting = true;
  if (pidfile !== undefined) rmSync(pidfile, { force: true });
  logger.warn('proxy is exiting ...');
  logger.flush();
  process.exit(code);
}

const online = new AbortController();
let service: ProxyService;
try {
  service = await ProxyService.open({
    config,
    core: ncpu > 1 ? new ClusterCore(ncpu, logger) : new CodisProxy(config),
    logger,
    hostProxy: opts.hostProxy,
    hostAdmin: opts.hostAdmin,
    onClosed: () => {
      online.abort();
      // Existing sessions keep their sockets (Codis): give replies in flight a moment, then exit.
      setTimeout(() => exit(0), 100);
    },
  });
} catch (error) {
  fatal(`create proxy with config failed: ${(error as Error).message}`, logger);
}
logger.warn({ model: service.modelJson() }, 'create proxy');

if (pidfile !== undefined) {
  try {
    writeFileSync(pidfile, String(process.pid));
  } catch (error) {
    fatal(`write pidfile = '${pidfile}' failed: ${(error as Error).message}`, logger);
  }
}

for (const [signal, name] of [
  ['SIGTERM', 'terminated'],
  ['SIGINT', 'interrupt'],
] as const) {
  process.on(signal, () => {
    logger.warn(`proxy receive signal = '${name}'`);
    void service.close();
  });
}

async function autoOnline(): Promise<void> {
  const base = {
    productName: config.product_name,
    adminAddr: service.model.adminAddr,
    logger,
    signal: online.signal,
  };
  if (opts.fillslots !== undefined) {
    let text: string;
    try {
      text = readFileSync(opts.fillslots, 'utf8');
      const parsed: unknown = JSON.parse(text);
      if (!Array.isArray(parsed)) throw new Error('not a JSON array of slots');
    } catch (error) {
      throw new Error(`load slots from '${opts.fillslots}' failed: ${(error as Error).message}`);
    }
    service.fillSlots(slotsFromBody(text));
    service.start();
    return;
  }
  if (opts.dashboard !== undefined) {
    const addr = opts.dashboard;
    await onlineProxy(() => Promise.resolve(addr), { ...base, attempts: 10 });
    return;
  }
  const coordinator =
    opts.zookeeper !== undefined
      ? { name: 'zookeeper', addr: opts.zookeeper, auth: opts.zookeeperAuth ?? '' }
      : opts.etcd !== undefined
        ? { name: 'etcd', addr: opts.etcd, auth: opts.etcdAuth ?? '' }
        : opts.filesystem !== undefined
          ? { name: 'filesystem', addr: opts.filesystem, auth: '' }
          : undefined;
  if (coordinator === undefined) return;
  const store = await openStore(coordinator);
  try {
    await onlineProxy(() => dashboardFromStore(store, config.product_name), { ...base, attempts: 30 });
  } finally {
    await store.close().catch(() => undefined);
  }
}

autoOnline().catch((error: unknown) => {
  if (service.closed) return;
  logger.fatal({ err: error }, (error as Error).message);
  void service.close().finally(() => exit(1));
});

// Codis's main loop: say so while waiting, once when working.
const waiting = setInterval(() => {
  if (service.closed) {
    clearInterval(waiting);
    return;
  }
  if (service.online) {
    logger.warn('proxy is working ...');
    clearInterval(waiting);
    return;
  }
  logger.warn('proxy waiting online ...');
}, 1000);
