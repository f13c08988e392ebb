// codis-ha's loop (spec/control-plane.md §12.5): learn the product from the dashboard, then every
// interval read the stats, log the health of every proxy and server, and (unless told not to) carry
// out the repairs planned for this cycle. A dashboard that does not answer is logged and asked again
// next interval; nothing here ends the process but stop().

import type { Logger } from 'pino';
import { DashboardClient, type DashboardStats } from '../admin/index.ts';
import { RedisClient } from '../dashboard/index.ts';
import { RespError } from '../resp/index.ts';
import { classify, groupLines, proxyLines } from './health.ts';
import { planRepairs, type Step } from './repair.ts';

export interface WatchdogOptions {
  /** The dashboard's admin address, `host:port`. */
  readonly dashboard: string;
  /** Seconds between the end of a cycle and the start of the next (Codis: 5). */
  readonly interval: number;
  /** false: only log (`--no-maintains`). */
  readonly maintains: boolean;
  /** AUTH for the servers codis-ha shuts down ('' = none, as Codis). */
  readonly productAuth: string;
  /** The dashboard's admin secret, sent with every call when non-empty. */
  readonly adminSecret: string;
  readonly logger: Logger;
  /** Limit of the reads (model, overview, stats), in ms. */
  readonly readTimeout?: number;
  /** Limit of a repair call (a promotion pushes slots to every proxy), in ms. */
  readonly writeTimeout?: number;
  /** Limit of the connection and the SHUTDOWN sent to a removed replica, in ms. */
  readonly shutdownTimeout?: number;
}

const DEFAULT_READ_TIMEOUT = 10_000;
const DEFAULT_WRITE_TIMEOUT = 60_000;
const DEFAULT_SHUTDOWN_TIMEOUT = 10_000;

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export class Watchdog {
  readonly #options: WatchdogOptions;
  readonly #reads: DashboardClient;
  readonly #writes: DashboardClient;
  #log: Logger;
  #stopping = false;
  #wake: (() => void) | undefined;
  #running: Promise<void> | undefined;

  constructor(options: WatchdogOptions) {
    if (!Number.isSafeInteger(options.interval) || options.interval <= 0) {
      throw new RangeError(`interval must be a whole number of seconds > 0, got ${options.interval}`);
    }
    this.#options = options;
    const secret = options.adminSecret;
    this.#reads = new DashboardClient({
      addr: options.dashboard,
      adminSecret: secret,
      timeout: options.readTimeout ?? DEFAULT_READ_TIMEOUT,
    });
    this.#writes = new DashboardClient({
      addr: options.dashboard,
      adminSecret: secret,
      timeout: options.writeTimeout ?? DEFAULT_WRITE_TIMEOUT,
    });
    this.#log = options.logger;
  }

  /** Runs until stop(); resolves once the cycle under way (if any) has finished. */
  run(): Promise<void> {
    this.#running ??= this.#loop();
    return this.#running;
  }

  /** Ends run() after the step under way: no new call is made to the dashboard or a server. */
  stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    return this.#running ?? Promise.resolve();
  }

  async #loop(): Promise<void> {
    const { interval, dashboard } = this.#options;
    this.#log.warn(
      { interval, maintains: this.#options.maintains },
      `codis-ha starting: dashboard ${dashboard}, every ${interval} s`,
    );
    while (!this.#stopping && !(await this.#connect())) await this.#sleep(interval);
    while (!this.#stopping) {
      await this.cycle();
      await this.#sleep(interval);
    }
    this.#log.warn('codis-ha stopped');
  }

  /** Startup (§12.5): the model gives the product name, the product name the xauth; then the overview. */
  async #connect(): Promise<boolean> {
    const dashboard = this.#options.dashboard;
    try {
      const model = await this.#reads.model();
      const product = typeof model?.product_name === 'string' ? model.product_name : '';
      this.#reads.setProduct(product);
      this.#writes.setProduct(product);
      const overview = await this.#reads.overview();
      this.#log = this.#options.logger.child({ product });
      // Codis reads config.product_auth here, which no dashboard ever sends: the auth is ours to give.
      const config = (overview.config ?? {}) as { admin_addr?: unknown };
      this.#log.warn({ model, admin_addr: config.admin_addr }, `watching product ${product} at ${dashboard}`);
      return true;
    } catch (error) {
      this.#log.error(
        { err: errorText(error) },
        `cannot read the model and overview of dashboard ${dashboard}: retry in ${this.#options.interval} s`,
      );
      return false;
    }
  }

  /** One cycle: stats, status lines, and the repairs of this cycle unless `--no-maintains`. */
  async cycle(): Promise<void> {
    let stats: DashboardStats;
    try {
      stats = await this.#reads.stats();
    } catch (error) {
      this.#log.error(
        { err: errorText(error) },
        `rpc stats to dashboard ${this.#options.dashboard} failed: nothing checked this cycle`,
      );
      return;
    }
    const health = classify(stats);
    for (const line of proxyLines(health)) this.#log[line.level]({ health: line.health }, line.text);
    for (const line of groupLines(health)) this.#log[line.level]({ health: line.health }, line.text);
    if (!this.#options.maintains) return;
    for (const step of planRepairs(health, this.#options.interval * 10)) {
      if (this.#stopping) return;
      await this.#carryOut(step);
    }
  }

  async #carryOut(step: Step): Promise<void> {
    const log = this.#log;
    switch (step.kind) {
      case 'notice':
        log.warn({ gid: step.gid, reason: step.reason }, step.text);
        return;
      case 'remove-proxy':
        log.warn({ token: step.token }, `try to remove proxy-[${step.adminAddr}] (force)`);
        try {
          await this.#writes.removeProxy(step.token, true);
          log.warn({ token: step.token }, `remove proxy-[${step.adminAddr}] done`);
        } catch (error) {
          log.error({ err: errorText(error) }, `call rpc remove-proxy ${step.adminAddr} to dashboard failed`);
        }
        return;
      case 'remove-replica':
        log.warn({ gid: step.gid }, `try to group-del-server ${step.addr} from group-[${step.gid}]`);
        try {
          await this.#writes.groupDelServer(step.gid, step.addr);
        } catch (error) {
          log.error({ err: errorText(error) }, `call rpc group-del-server ${step.addr} to dashboard failed`);
          return;
        }
        if (this.#stopping) return;
        log.warn(`try to shutdown codis-server (slave) ${step.addr}`);
        await this.#shutdownServer(step.addr);
        return;
      case 'sync-replica':
        log.warn({ gid: step.gid }, `try to sync-action ${step.addr} of group-[${step.gid}] (out of sync)`);
        try {
          await this.#writes.createSyncAction(step.addr);
        } catch (error) {
          log.error(
            { err: errorText(error) },
            `call rpc create-sync-action ${step.addr} to dashboard failed`,
          );
        }
        return;
      case 'promote':
        log.warn(
          { gid: step.gid, choice: step.choice },
          `try to promote group-[${step.gid}] with slave ${step.addr}`,
        );
        try {
          await this.#writes.promoteServer(step.gid, step.addr);
          log.warn({ gid: step.gid }, `promote group-[${step.gid}] with slave ${step.addr} done`);
        } catch (error) {
          log.error(
            { err: errorText(error) },
            `rpc promote server ${step.addr} of group-[${step.gid}] failed`,
          );
        }
        return;
    }
  }

  /**
   * SHUTDOWN, authenticated with the product auth when one is given (Codis sends none: the auth it
   * reads is always empty, spec §15 item 19). A server that shuts down closes the connection
   * without a reply; an error reply (NOAUTH, a failed save) means it is still running.
   */
  async #shutdownServer(addr: string): Promise<void> {
    const timeout = this.#options.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT;
    let client: RedisClient;
    try {
      client = await RedisClient.open(addr, this.#options.productAuth, timeout);
    } catch (error) {
      this.#log.warn({ err: errorText(error) }, `connect to codis-server (slave) ${addr} failed`);
      return;
    }
    try {
      const reply = await client.call('SHUTDOWN');
      if (reply instanceof RespError) {
        this.#log.warn({ err: reply.message }, `try to shutdown codis-server ${addr} failed`);
      } else {
        this.#log.warn({ reply: String(reply) }, `codis-server ${addr} answered SHUTDOWN instead of exiting`);
      }
    } catch (error) {
      const text = errorText(error);
      if (/connection closed|ECONNRESET/.test(text)) this.#log.warn(`codis-server ${addr} is shut down`);
      else this.#log.warn({ err: text }, `try to shutdown codis-server ${addr} failed`);
    } finally {
      client.close();
    }
  }

  #sleep(seconds: number): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, seconds * 1000);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    }).finally(() => {
      this.#wake = undefined;
    });
  }
}
