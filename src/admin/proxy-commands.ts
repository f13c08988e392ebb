// codis-admin --proxy=ADDR (spec/control-plane.md §12.3, spec/proxy.md §8.6): the overview from
// `GET /proxy`; the mutating modes read the model, compute the proxy xauth from its product name,
// `--auth` and its token, xping, then call the route.

import { readFile } from 'node:fs/promises';
import { requireString } from './arguments.ts';
import type { AdminOptions } from './options.ts';
import { AdminFailure, type Console } from './output.ts';
import { ProxyClient } from './proxy-client.ts';

const OVERVIEW_SECTIONS = ['config', 'model', 'stats', 'slots'] as const;

export async function runProxyMode(options: AdminOptions, console: Console): Promise<void> {
  const addr = requireString(options.proxy, '--proxy');
  const client = new ProxyClient({ addr, adminSecret: options.adminSecret });
  const rpc = async <T>(name: string, call: () => Promise<T>): Promise<T> => {
    console.debug(`call rpc ${name} to proxy ${addr}`);
    try {
      const result = await call();
      console.debug(`call rpc ${name} OK`);
      return result;
    } catch (error) {
      throw new AdminFailure(`call rpc ${name} to proxy ${addr} failed`, error);
    }
  };
  const connect = async (): Promise<void> => {
    const model = await rpc('model', () => client.model());
    const product =
      options.productName ?? (typeof model?.product_name === 'string' ? model.product_name : '');
    client.setXAuth(product, options.auth ?? '', typeof model?.token === 'string' ? model.token : '');
    await rpc('xping', () => client.xping());
  };

  if (options.start) {
    await connect();
    await rpc('start', () => client.start());
  } else if (options.shutdown) {
    await connect();
    await rpc('shutdown', () => client.shutdown());
  } else if (options.logLevel !== undefined) {
    const level = options.logLevel;
    await connect();
    await rpc('loglevel', () => client.logLevel(level));
  } else if (options.fillslots !== undefined) {
    const slots = await readSlotsFile(options.fillslots, options.locked === true);
    await connect();
    await rpc('fillslots', () => client.fillSlots(slots));
  } else if (options.resetStats) {
    await connect();
    await rpc('reset-stats', () => client.resetStats());
  } else if (options.forcegc) {
    await connect();
    await rpc('forcegc', () => client.forceGC());
  } else {
    const section = options.section;
    if (section !== undefined && !(OVERVIEW_SECTIONS as readonly string[]).includes(section)) {
      throw new AdminFailure(
        `unknown sub-command ${section}, expected one of ${OVERVIEW_SECTIONS.join('|')}`,
      );
    }
    const o = (await rpc('overview', () => client.overview())) as Record<string, unknown>;
    console.printJson(section === undefined ? o : (o[section] ?? null));
  }
}

/** A JSON array of slot objects (spec/proxy.md §8.4.3); `--locked` locks every one. */
async function readSlotsFile(file: string, locked: boolean): Promise<Record<string, unknown>[]> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new AdminFailure(`load slots from ${file} failed`, error);
  }
  if (
    !Array.isArray(value) ||
    !value.every((s) => typeof s === 'object' && s !== null && !Array.isArray(s))
  ) {
    throw new AdminFailure(
      `load slots from ${file} failed`,
      new Error('expected a JSON array of slot objects'),
    );
  }
  const slots = value as Record<string, unknown>[];
  return locked ? slots.map((slot) => ({ ...slot, locked: true })) : slots;
}
