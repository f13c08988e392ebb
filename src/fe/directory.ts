// Where each product's dashboard is (spec/control-plane.md §13.1): a `--dashboard-list` JSON file, or
// the coordinator (every product under /codis3 whose topom node is held by a dashboard). Unlike
// Codis, the table is loaded on first use and refreshed when an unknown product is asked for, so a
// forwarded request never fails only because /list was not called first.

import { readFile } from 'node:fs/promises';
import { listProducts, type Store } from '../coordinator/index.ts';
import { decodeTopom, topomPath } from '../models/index.ts';

export interface DashboardSource {
  /** Product name → dashboard admin address (entries with an empty name or address are dropped). */
  load(): Promise<Map<string, string>>;
  close(): Promise<void>;
}

function keep(table: Map<string, string>, name: unknown, addr: unknown): void {
  if (typeof name === 'string' && typeof addr === 'string' && name !== '' && addr !== '') {
    table.set(name, addr);
  }
}

/** `[{"name": "...", "dashboard": "host:port"}]`, the output of `codis-admin --dashboard-list`. */
export class ListFileSource implements DashboardSource {
  readonly file: string;

  constructor(file: string) {
    this.file = file;
  }

  async load(): Promise<Map<string, string>> {
    const value: unknown = JSON.parse(await readFile(this.file, 'utf8'));
    if (!Array.isArray(value)) throw new Error(`${this.file}: expected a JSON array of {name, dashboard}`);
    const table = new Map<string, string>();
    for (const item of value) {
      if (typeof item === 'object' && item !== null) {
        const entry = item as Record<string, unknown>;
        keep(table, entry.name, entry.dashboard);
      }
    }
    return table;
  }

  async close(): Promise<void> {}
}

/** Products with a running dashboard in a coordinator; unreadable products are skipped and reported. */
export class CoordinatorSource implements DashboardSource {
  readonly store: Store;
  readonly #onError: (product: string, error: Error) => void;

  constructor(store: Store, onError: (product: string, error: Error) => void = () => undefined) {
    this.store = store;
    this.#onError = onError;
  }

  async load(): Promise<Map<string, string>> {
    const table = new Map<string, string>();
    for (const name of await listProducts(this.store)) {
      try {
        const path = topomPath(name);
        const data = await this.store.read(path);
        if (data !== undefined) keep(table, name, decodeTopom(data, path).adminAddr);
      } catch (error) {
        this.#onError(name, error as Error);
      }
    }
    return table;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/** The cached table: reloaded at most every `minInterval` ms, and at once when it was never loaded. */
export class DashboardDirectory {
  readonly #source: DashboardSource;
  readonly #minInterval: number;
  #table = new Map<string, string>();
  #loadedAt = 0;
  #loading: Promise<void> | undefined;

  constructor(source: DashboardSource, minInterval = 5_000) {
    this.#source = source;
    this.#minInterval = minInterval;
  }

  /** The sorted product names (refreshing the table when it is older than the interval). */
  async products(): Promise<string[]> {
    await this.#refresh(false);
    return [...this.#table.keys()].sort();
  }

  /** The dashboard address of a product; an unknown product triggers a refresh (rate-limited). */
  async dashboard(product: string): Promise<string | undefined> {
    await this.#refresh(false);
    if (!this.#table.has(product)) await this.#refresh(true);
    return this.#table.get(product);
  }

  async #refresh(missing: boolean): Promise<void> {
    const age = Date.now() - this.#loadedAt;
    const due = this.#loadedAt === 0 || age >= this.#minInterval || (missing && age >= 1_000);
    if (!due) return;
    this.#loading ??= (async () => {
      try {
        this.#table = await this.#source.load();
      } finally {
        this.#loadedAt = Date.now();
        this.#loading = undefined;
      }
    })();
    await this.#loading;
  }

  close(): Promise<void> {
    return this.#source.close();
  }
}
