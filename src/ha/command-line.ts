// codis-ha's command line (spec/control-plane.md §12.5), plus what ours adds:
//   codis-ha [--log=FILE] [--log-level=LEVEL] [--interval=SECONDS] --dashboard=ADDR [--no-maintains]
//            [--product_auth=AUTH] [--admin-secret=SECRET]
//   codis-ha --version
// The product auth (used to AUTH before shutting a broken replica down) and the dashboard's admin
// secret can come from the environment instead, where other users of the machine cannot read them.

import { Command, CommanderError } from 'commander';
import { ADMIN_SECRET_ENV } from '../admin/index.ts';
import { pinoLevel } from '../common/log-levels.ts';

export const PRODUCT_AUTH_ENV = 'CODIS_PRODUCT_AUTH';
export const HA_VERSION = 'codis-ha 3.2 (TypeScript) 0.1.0';

export interface HaSettings {
  readonly dashboard: string;
  readonly interval: number;
  readonly maintains: boolean;
  readonly productAuth: string;
  readonly adminSecret: string;
  /** The log file; undefined: stdout. */
  readonly log: string | undefined;
  /** A pino level. */
  readonly logLevel: string;
}

export interface HaIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
}

/** The settings to run with, or the exit status when there is nothing to run (--help, --version, an error). */
export type HaCommandLine = { readonly settings: HaSettings } | { readonly exitCode: number };

export function parseHaCommandLine(argv: readonly string[], io: HaIo): HaCommandLine {
  const cmd = new Command('codis-ha')
    .description(
      'Codis HA: watch a dashboard and repair its product (remove dead proxies and broken replicas, promote a replica when a master dies)',
    )
    .option('-l, --log <file>', 'log file (default: stdout)')
    .option('--log-level <level>', 'ERROR, WARN, INFO, DEBUG or NONE', 'INFO')
    .option('--interval <seconds>', 'seconds between two checks (> 0)', '5')
    .option('--dashboard <addr>', 'dashboard admin address, host:port')
    .option('--no-maintains', 'only log what is wrong; change nothing')
    .option(
      '--product_auth <auth>',
      `AUTH sent to a broken replica before SHUTDOWN (default: $${PRODUCT_AUTH_ENV}, else none, as Codis)`,
    )
    .option('--admin-secret <secret>', `the dashboard's admin secret (default: $${ADMIN_SECRET_ENV})`)
    .option('--version', 'print the version')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  try {
    cmd.parse(argv as string[], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return { exitCode: error.exitCode };
    throw error;
  }
  const o = cmd.opts<{
    log?: string;
    logLevel: string;
    interval: string;
    dashboard?: string;
    maintains: boolean;
    product_auth?: string;
    adminSecret?: string;
    version?: boolean;
  }>();
  if (o.version === true) {
    io.stdout.write(`${HA_VERSION}\n`);
    return { exitCode: 0 };
  }
  const fail = (message: string): HaCommandLine => {
    io.stderr.write(`codis-ha: ${message}\n`);
    return { exitCode: 1 };
  };
  const logLevel = pinoLevel(o.logLevel);
  if (logLevel === undefined)
    return fail(`invalid --log-level ${o.logLevel}: ERROR, WARN, INFO, DEBUG or NONE`);
  const interval = /^\s*\d+\s*$/.test(o.interval) ? Number(o.interval) : Number.NaN;
  if (!Number.isSafeInteger(interval) || interval <= 0) {
    return fail(`invalid --interval ${o.interval}: a whole number of seconds > 0`);
  }
  if (o.dashboard === undefined || o.dashboard === '') return fail('--dashboard=ADDR is required');
  return {
    settings: {
      dashboard: o.dashboard,
      interval,
      maintains: o.maintains,
      productAuth: o.product_auth ?? io.env[PRODUCT_AUTH_ENV] ?? '',
      adminSecret: o.adminSecret ?? io.env[ADMIN_SECRET_ENV] ?? '',
      log: o.log,
      logLevel,
    },
  };
}
