// codis-admin's command line (spec/control-plane.md §12.3), parsed with commander, then handed to
// the dashboard, proxy or coordinator modes. `runAdmin` returns the exit status instead of exiting,
// so `codis admin ...` and tests can run it in process.

import { Command, CommanderError, Option } from 'commander';
import { isCoordinatorMode, runCoordinatorMode } from './coordinator-commands.ts';
import { runDashboardMode } from './dashboard-commands.ts';
import type { AdminOptions } from './options.ts';
import { AdminFailure, Console } from './output.ts';
import { runProxyMode } from './proxy-commands.ts';

export interface AdminIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
}

export const ADMIN_SECRET_ENV = 'CODIS_ADMIN_SECRET';

const USAGE_EXAMPLES = `
Modes:
  --proxy=ADDR [--auth=AUTH] [config|model|stats|slots]
  --proxy=ADDR [--auth=AUTH] (--start | --shutdown | --log-level=LEVEL | --fillslots=FILE [--locked] | --reset-stats | --forcegc)
  --dashboard=ADDR [config|model|stats|slots|group|proxy]
  --dashboard=ADDR (--shutdown | --reload | --log-level=LEVEL)
  --dashboard=ADDR --slots-assign --beg=ID --end=ID (--gid=ID | --offline) [--confirm]
  --dashboard=ADDR --slots-status
  --dashboard=ADDR (--list-proxy | --proxy-status)
  --dashboard=ADDR (--create-proxy | --online-proxy) --addr=ADDR
  --dashboard=ADDR --remove-proxy (--addr=ADDR | --token=TOKEN | --pid=ID) [--force]
  --dashboard=ADDR --reinit-proxy (--addr=ADDR | --token=TOKEN | --pid=ID | --all) [--force]
  --dashboard=ADDR (--list-group | --group-status)
  --dashboard=ADDR (--create-group | --remove-group) --gid=ID
  --dashboard=ADDR --resync-group (--gid=ID | --all)
  --dashboard=ADDR --group-add --gid=ID --addr=ADDR [--datacenter=DATACENTER]
  --dashboard=ADDR (--group-del | --promote-server) --gid=ID --addr=ADDR
  --dashboard=ADDR --replica-groups --gid=ID --addr=ADDR (--enable | --disable)
  --dashboard=ADDR --sync-action (--create | --remove) --addr=ADDR
  --dashboard=ADDR --slot-action --create --sid=ID --gid=ID
  --dashboard=ADDR --slot-action --remove --sid=ID
  --dashboard=ADDR --slot-action --create-some --gid-from=ID --gid-to=ID --num-slots=N
  --dashboard=ADDR --slot-action --create-range --beg=ID --end=ID --gid=ID
  --dashboard=ADDR --slot-action (--interval=VALUE | --disabled=VALUE)
  --dashboard=ADDR --rebalance [--confirm]
  --dashboard=ADDR (--sentinel-add --addr=ADDR | --sentinel-del --addr=ADDR [--force] | --sentinel-resync)
  --remove-lock --product=NAME COORDINATOR
  --config-dump --product=NAME COORDINATOR [-1]
  --config-convert=FILE
  --config-restore=FILE --product=NAME COORDINATOR [--confirm]
  --dashboard-list COORDINATOR
where COORDINATOR is --zookeeper=ADDR [--zookeeper-auth=USR:PWD] | --etcd=ADDR [--etcd-auth=USR:PWD] | --filesystem=ROOT.
The dashboard's admin secret, if it has one: --admin-secret=SECRET or ${ADMIN_SECRET_ENV}.`;

function program(io: AdminIo): Command {
  const cmd = new Command('codis-admin');
  cmd
    .description('Administer a Codis cluster: its dashboard, its proxies, its coordinator.')
    .argument('[section]', 'with no mode: the part of the overview to print')
    .option('-v, --verbose', 'debug logging')
    .option('--version', 'print the version')
    .option('--dashboard <addr>', 'dashboard admin address')
    .option('--proxy <addr>', 'proxy admin address')
    .option('-a, --auth <auth>', 'product auth (proxy xauth)')
    .addOption(new Option('--product_auth <auth>', 'same as --auth'))
    .addOption(new Option('--product_name <name>', 'product name (default: from the model)'))
    .option('--admin-secret <secret>', `dashboard admin secret (default: $${ADMIN_SECRET_ENV})`);
  const flags: [string, string][] = [
    ['--shutdown', 'shut the dashboard or proxy down'],
    ['--reload', 'dashboard: re-read the coordinator'],
    ['--slots-assign', 'assign slots --beg..--end to --gid (or --offline)'],
    ['--slots-status', 'slot views'],
    ['--list-proxy', 'proxy models'],
    ['--create-proxy', 'register a proxy (--addr)'],
    ['--online-proxy', 'register or refresh a proxy (--addr)'],
    ['--remove-proxy', 'remove proxies'],
    ['--reinit-proxy', 'push slots and sentinels to proxies'],
    ['--proxy-status', 'one line per proxy'],
    ['--list-group', 'group models'],
    ['--create-group', 'create group --gid'],
    ['--remove-group', 'remove group --gid'],
    ['--resync-group', 'push a group (--gid or --all) to the proxies'],
    ['--group-add', 'add server --addr to group --gid'],
    ['--group-del', 'remove server --addr from group --gid'],
    ['--group-status', 'one line per server'],
    ['--replica-groups', 'let a replica serve reads (--enable/--disable)'],
    ['--promote-server', 'promote replica --addr of group --gid'],
    ['--sync-action', 'SLAVEOF job of server --addr (--create/--remove)'],
    ['--slot-action', 'slot migrations'],
    ['--rebalance', 'balance the slots between groups'],
    ['--sentinel-add', 'add sentinel --addr'],
    ['--sentinel-del', 'remove sentinel --addr'],
    ['--sentinel-resync', 'configure every sentinel and proxy'],
    ['--offline', 'with --slots-assign: set the slots offline'],
    ['--confirm', 'apply (default: preview)'],
    ['--force', 'go on when a proxy or sentinel cannot be reached or found'],
    ['--all', 'every proxy or group'],
    ['--enable', 'with --replica-groups'],
    ['--disable', 'with --replica-groups'],
    ['--create', 'with --sync-action or --slot-action'],
    ['--remove', 'with --sync-action or --slot-action'],
    ['--create-some', 'with --slot-action'],
    ['--create-range', 'with --slot-action'],
    ['--start', 'proxy: go online'],
    ['--locked', 'with --fillslots: lock every slot'],
    ['--reset-stats', 'proxy: reset counters'],
    ['--forcegc', 'proxy: run the garbage collector'],
    ['--remove-lock', 'delete the product lock'],
    ['--config-dump', 'print the product'],
    ['--v1', 'with --config-dump: the Codis 2 layout (also -1)'],
    ['--dashboard-list', 'every product and its dashboard'],
  ];
  for (const [flag, help] of flags) cmd.option(flag, help);
  const values: [string, string][] = [
    ['--log-level <level>', 'ERROR, WARN, INFO, DEBUG or NONE'],
    ['--beg <id>', 'first slot'],
    ['--end <id>', 'last slot'],
    ['-g, --gid <id>', 'group id'],
    ['--sid <id>', 'slot id'],
    ['--gid-from <id>', 'source group'],
    ['--gid-to <id>', 'target group'],
    ['--num-slots <n>', 'how many slots'],
    ['--pid <id>', 'proxy id'],
    ['--interval <us>', 'pause between migration steps, µs'],
    ['--disabled <value>', '1 pauses the migration scheduler, 0 resumes it'],
    ['-x, --addr <addr>', 'server, proxy admin or sentinel address'],
    ['-t, --token <token>', 'proxy token'],
    ['--datacenter <dc>', 'data center of a server'],
    ['--fillslots <file>', 'proxy: push the slots of a JSON file'],
    ['--config-convert <file>', 'convert a Codis 2 dump'],
    ['--config-restore <file>', 'write a dump into an empty product'],
    ['--product <name>', 'product name (coordinator modes)'],
    ['--zookeeper <addr>', 'ZooKeeper coordinator'],
    ['--zookeeper-auth <auth>', 'user:password'],
    ['--etcd <addr>', 'etcd coordinator'],
    ['--etcd-auth <auth>', 'user:password'],
    ['--filesystem <root>', 'filesystem coordinator'],
  ];
  for (const [flag, help] of values) cmd.option(flag, help);
  cmd.addHelpText('after', USAGE_EXAMPLES);
  cmd.exitOverride();
  cmd.configureOutput({
    writeOut: (text) => io.stdout.write(text),
    writeErr: (text) => io.stderr.write(text),
  });
  return cmd;
}

function toOptions(
  parsed: Record<string, unknown>,
  section: string | undefined,
  env: NodeJS.ProcessEnv,
): AdminOptions {
  const str = (key: string): string | undefined => {
    const value = parsed[key];
    return typeof value === 'string' ? value : undefined;
  };
  const bool = (key: string): boolean => parsed[key] === true;
  return {
    verbose: bool('verbose'),
    dashboard: str('dashboard'),
    proxy: str('proxy'),
    auth: str('auth') ?? str('product_auth'),
    productName: str('product_name'),
    adminSecret: str('adminSecret') ?? env[ADMIN_SECRET_ENV],
    section,
    shutdown: bool('shutdown'),
    reload: bool('reload'),
    logLevel: str('logLevel'),
    slotsAssign: bool('slotsAssign'),
    slotsStatus: bool('slotsStatus'),
    listProxy: bool('listProxy'),
    createProxy: bool('createProxy'),
    onlineProxy: bool('onlineProxy'),
    removeProxy: bool('removeProxy'),
    reinitProxy: bool('reinitProxy'),
    proxyStatus: bool('proxyStatus'),
    listGroup: bool('listGroup'),
    createGroup: bool('createGroup'),
    removeGroup: bool('removeGroup'),
    resyncGroup: bool('resyncGroup'),
    groupAdd: bool('groupAdd'),
    groupDel: bool('groupDel'),
    groupStatus: bool('groupStatus'),
    replicaGroups: bool('replicaGroups'),
    promoteServer: bool('promoteServer'),
    syncAction: bool('syncAction'),
    slotAction: bool('slotAction'),
    rebalance: bool('rebalance'),
    sentinelAdd: bool('sentinelAdd'),
    sentinelDel: bool('sentinelDel'),
    sentinelResync: bool('sentinelResync'),
    beg: str('beg'),
    end: str('end'),
    gid: str('gid'),
    sid: str('sid'),
    gidFrom: str('gidFrom'),
    gidTo: str('gidTo'),
    numSlots: str('numSlots'),
    pid: str('pid'),
    interval: str('interval'),
    disabled: str('disabled'),
    addr: str('addr'),
    token: str('token'),
    datacenter: str('datacenter'),
    offline: bool('offline'),
    confirm: bool('confirm'),
    force: bool('force'),
    all: bool('all'),
    enable: bool('enable'),
    disable: bool('disable'),
    create: bool('create'),
    remove: bool('remove'),
    createSome: bool('createSome'),
    createRange: bool('createRange'),
    start: bool('start'),
    fillslots: str('fillslots'),
    locked: bool('locked'),
    resetStats: bool('resetStats'),
    forcegc: bool('forcegc'),
    removeLock: bool('removeLock'),
    configDump: bool('configDump'),
    v1: bool('v1'),
    configConvert: str('configConvert'),
    configRestore: str('configRestore'),
    dashboardList: bool('dashboardList'),
    product: str('product'),
    zookeeper: str('zookeeper'),
    zookeeperAuth: str('zookeeperAuth'),
    etcd: str('etcd'),
    etcdAuth: str('etcdAuth'),
    filesystem: str('filesystem'),
  };
}

/** Runs codis-admin with `argv` (without node and script); resolves to the exit status. */
export async function runAdmin(argv: readonly string[], io: AdminIo): Promise<number> {
  const cmd = program(io);
  // Codis spells the Codis 2 dump flag `-1`, which commander would not take for an option.
  const args = argv.map((arg) => (arg === '-1' ? '--v1' : arg));
  try {
    cmd.parse(args as string[], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    throw error;
  }
  const parsed = cmd.opts();
  if (parsed.version === true) {
    io.stdout.write('codis-admin (Codis 3.2 in TypeScript) 0.1.0\n');
    return 0;
  }
  const options = toOptions(parsed, cmd.args[0], io.env);
  const console = new Console({ stdout: io.stdout, stderr: io.stderr, verbose: options.verbose });
  try {
    if (options.proxy !== undefined) await runProxyMode(options, console);
    else if (options.dashboard !== undefined) await runDashboardMode(options, console);
    else if (isCoordinatorMode(options)) await runCoordinatorMode(options, console);
    else {
      cmd.outputHelp({ error: true });
      return 1;
    }
    return 0;
  } catch (error) {
    console.panic(error instanceof AdminFailure ? error : new AdminFailure(errorText(error)));
    return 1;
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
