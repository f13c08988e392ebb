#!/usr/bin/env node
// codis: the umbrella program.
//   codis up [options]           start a whole local cluster (servers, dashboard, proxies)
//   codis <program> [args...]    run codis-server, codis-proxy, codis-dashboard, codis-admin, codis-fe
//                                or codis-ha
import { enableCompileCache } from 'node:module';
import { Command, Option } from 'commander';
import {
  DEFAULT_UP_OPTIONS,
  PROGRAMS,
  programExists,
  programFile,
  programName,
  up,
} from '../launcher/index.ts';

const [first, ...rest] = process.argv.slice(2);
const program = first === undefined ? undefined : programName(first);

if (program !== undefined) {
  if (!programExists(program)) {
    process.stderr.write(`codis: ${program} is not part of this build\n`);
    process.exit(1);
  }
  // The program runs in this process, as if started under its own name.
  process.argv = [process.argv[0] ?? process.execPath, programFile(program), ...rest];
  await import(programFile(program));
} else {
  // The programs `codis up` starts share Node's module compile cache with it (NODE_COMPILE_CACHE,
  // else a directory under the OS's temp dir): each starts in less than half the CPU time.
  const cache = enableCompileCache();
  if (cache.directory !== undefined) process.env.NODE_COMPILE_CACHE = cache.directory;
  const d = DEFAULT_UP_OPTIONS;
  const int = (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${value}`);
    return n;
  };
  const cli = new Command('codis')
    .description(
      `Codis, the distributed Redis solution.\n\nRun one program: codis <${PROGRAMS.map((p) => p.slice(6)).join('|')}> [args...]\n` +
        `(codis-<name> works too), e.g. codis admin --dashboard=127.0.0.1:18080 --group-status`,
    )
    .version('codis 3.2 (TypeScript) 0.1.0', '--version');
  cli
    .command('up')
    .description(
      'start a local cluster: groups of codis-servers, a dashboard, proxies and codis-fe; Ctrl-C stops it',
    )
    .option('--dir <dir>', 'data, configs and logs', d.dir)
    .option('--product <name>', 'product name', d.product)
    .option(
      '--product-auth <auth>',
      'product auth (servers requirepass, proxy and dashboard auth)',
      d.productAuth,
    )
    .option('--groups <n>', 'groups', String(d.groups))
    .option('--replicas <n>', 'replicas per group', String(d.replicas))
    .option('--proxies <n>', 'proxies', String(d.proxies))
    .option('--host <ip>', 'address every program binds', d.host)
    .option('--server-port <port>', 'first codis-server port', String(d.serverPort))
    .option('--dashboard-port <port>', 'dashboard admin port', String(d.dashboardPort))
    .option('--proxy-port <port>', 'first proxy port', String(d.proxyPort))
    .option('--proxy-admin-port <port>', 'first proxy admin port', String(d.proxyAdminPort))
    .option('--fe-port <port>', 'codis-fe (web UI) port; 0 = no codis-fe', String(d.fePort))
    .addOption(
      new Option('--coordinator <name>', 'coordinator')
        .choices(['filesystem', 'etcd', 'zookeeper'])
        .default(d.coordinator),
    )
    .option(
      '--coordinator-addr <addr>',
      'etcd endpoints, ZooKeeper hosts, or a directory (default <dir>/coordinator)',
    )
    .option('--coordinator-auth <user:password>', 'etcd or ZooKeeper credentials')
    .action(async (o: Record<string, string | undefined>) => {
      try {
        process.exitCode = await up({
          dir: o.dir ?? d.dir,
          product: o.product ?? d.product,
          productAuth: o.productAuth ?? '',
          groups: int(o.groups ?? ''),
          replicas: int(o.replicas ?? ''),
          proxies: int(o.proxies ?? ''),
          host: o.host ?? d.host,
          serverPort: int(o.serverPort ?? ''),
          dashboardPort: int(o.dashboardPort ?? ''),
          proxyPort: int(o.proxyPort ?? ''),
          proxyAdminPort: int(o.proxyAdminPort ?? ''),
          fePort: int(o.fePort ?? ''),
          coordinator: o.coordinator ?? d.coordinator,
          coordinatorAddr: o.coordinatorAddr,
          coordinatorAuth: o.coordinatorAuth,
        });
      } catch (error) {
        process.stderr.write(`codis up: ${(error as Error).message}\n`);
        process.exitCode = 1;
      }
    });
  await cli.parseAsync();
}
