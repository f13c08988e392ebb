#!/usr/bin/env node
// codis-ha: a watchdog that keeps a product running without a human (spec/control-plane.md §12.5):
// every interval it reads the dashboard's stats, logs the health of every proxy and server, removes
// a dead proxy or a broken replica, and promotes a replica when a master dies.
//   codis-ha [--log=FILE] [--log-level=LEVEL] [--interval=SECONDS] --dashboard=ADDR [--no-maintains]
//            [--product_auth=AUTH] [--admin-secret=SECRET]
//   codis-ha --version
// SIGTERM or SIGINT: finish the step under way, then exit 0.

import pino from 'pino';
import { parseHaCommandLine, Watchdog } from '../ha/index.ts';

const parsed = parseHaCommandLine(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
if ('exitCode' in parsed) process.exit(parsed.exitCode);
const settings = parsed.settings;

const logger = pino(
  {
    level: settings.logLevel,
    base: { component: 'ha', dashboard: settings.dashboard },
    redact: ['product_auth', 'admin_secret', 'productAuth', 'adminSecret'],
  },
  settings.log !== undefined
    ? pino.destination({ dest: settings.log, sync: true, mkdir: true })
    : pino.destination({ dest: 1, sync: true }),
);

const watchdog = new Watchdog({
  dashboard: settings.dashboard,
  interval: settings.interval,
  maintains: settings.maintains,
  productAuth: settings.productAuth,
  adminSecret: settings.adminSecret,
  logger,
});

let stopping = false;
async function shutdown(reason: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.warn(`ha receive signal = '${reason}'`);
  // A repair under way (a promotion pushes slots to every proxy) is let finish, within reason.
  const force = setTimeout(() => {
    logger.error('the step under way did not finish in 15 s: exiting anyway');
    process.exit(1);
  }, 15_000);
  force.unref();
  await watchdog.stop();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('terminated'));
process.on('SIGINT', () => void shutdown('interrupt'));

await watchdog.run();
