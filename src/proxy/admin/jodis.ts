// Jodis registration (spec/proxy.md §11): while the proxy is online, an ephemeral node in ZooKeeper or
// etcd holds its addresses, so Jodis clients discover it. Lost nodes are recreated; failures retry
// with backoff from 1 s doubling to 30 s; close deletes the node and ends the coordinator session.

import type { Logger } from 'pino';
import { NodeExistsError, type Store } from '../../coordinator/index.ts';
import { encodeJodis, type JodisRecord } from '../../models/jodis.ts';

export interface JodisOptions {
  path: string;
  record: JodisRecord;
  /** Opens the coordinator client (a fresh session after a loss). */
  open: () => Promise<Store>;
  logger: Logger;
  /** How often an existing node is checked, in ms. */
  checkInterval?: number;
  minBackoff?: number;
  maxBackoff?: number;
}

export class JodisRegistration {
  private readonly options: JodisOptions;
  private store: Store | undefined;
  private running = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  /** Resolves each time the node has been (re)created; for tests and logs. */
  registrations = 0;

  constructor(options: JodisOptions) {
    this.options = options;
  }

  /** Starts registering (idempotent). */
  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.loop = this.run();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    const { path, logger } = this.options;
    const data = Buffer.from(encodeJodis(this.options.record));
    const minBackoff = this.options.minBackoff ?? 1000;
    const maxBackoff = this.options.maxBackoff ?? 30_000;
    const checkInterval = this.options.checkInterval ?? 1000;
    let backoff = minBackoff;
    while (!this.stopped) {
      try {
        this.store ??= await this.options.open();
        const existing = await this.store.read(path);
        if (existing === undefined || !existing.equals(data)) {
          if (existing !== undefined) await this.store.delete(path);
          try {
            await this.store.createEphemeral(path, data);
          } catch (error) {
            if (!(error instanceof NodeExistsError)) throw error;
          }
          this.registrations++;
          logger.info({ path }, 'jodis create node');
        }
        backoff = minBackoff;
        await this.sleep(checkInterval);
      } catch (error) {
        if (this.stopped) break;
        logger.warn({ path, err: error }, `jodis create node ${path} failed`);
        const store = this.store;
        this.store = undefined;
        await store?.close().catch(() => undefined);
        await this.sleep(backoff);
        backoff = Math.min(maxBackoff, backoff * 2);
      }
    }
  }

  /** Deletes the node and closes the coordinator client. */
  async close(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    const store = this.store;
    this.store = undefined;
    if (store === undefined) return;
    try {
      await store.delete(this.options.path);
      this.options.logger.info({ path: this.options.path }, 'jodis remove node');
    } catch (error) {
      this.options.logger.warn({ err: error }, `jodis remove node ${this.options.path} failed`);
    }
    await store.close().catch(() => undefined);
  }
}
