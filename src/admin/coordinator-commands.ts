// codis-admin's coordinator modes (spec/control-plane.md §12.3): they read and write the
// coordinator directly, with no dashboard (--remove-lock, --config-dump, --config-restore,
// --dashboard-list) or with nothing at all (--config-convert).

import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { listProducts, openStore, ProductStore, type Store } from '../coordinator/index.ts';
import { decodeTopom, type JsonValue, topomPath } from '../models/index.ts';
import { requireString } from './arguments.ts';
import { configV3ToJson, convertConfigV1, parseConfigV3, validateConfigV3 } from './config-file.ts';
import type { AdminOptions } from './options.ts';
import { AdminFailure, type Console } from './output.ts';

export function isCoordinatorMode(options: AdminOptions): boolean {
  return (
    options.removeLock === true ||
    options.configDump === true ||
    options.configConvert !== undefined ||
    options.configRestore !== undefined ||
    options.dashboardList === true
  );
}

async function openCoordinator(options: AdminOptions, console: Console): Promise<Store> {
  const chosen: [string, string, string | undefined][] = [];
  if (options.zookeeper !== undefined) chosen.push(['zookeeper', options.zookeeper, options.zookeeperAuth]);
  if (options.etcd !== undefined) chosen.push(['etcd', options.etcd, options.etcdAuth]);
  if (options.filesystem !== undefined) chosen.push(['filesystem', options.filesystem, undefined]);
  if (chosen.length !== 1) {
    throw new AdminFailure('expected exactly one of --zookeeper=ADDR, --etcd=ADDR or --filesystem=ROOT');
  }
  const [name, addr, auth] = chosen[0] as [string, string, string | undefined];
  console.debug(`connect to ${name} ${addr}`);
  try {
    return await openStore({ name, addr, ...(auth === undefined ? {} : { auth }) });
  } catch (error) {
    throw new AdminFailure(`create '${name}' client to '${addr}' failed`, error);
  }
}

function product(options: AdminOptions): string {
  return requireString(options.product, '--product');
}

export async function runCoordinatorMode(options: AdminOptions, console: Console): Promise<void> {
  if (options.configConvert !== undefined) {
    const text = await readConfigFile(options.configConvert);
    console.printJson(configV3ToJson(convertConfigV1(text)));
    return;
  }
  if (options.configRestore !== undefined && options.confirm !== true) {
    // Preview: the validated file, nothing written, no coordinator needed yet.
    const config = parseConfigV3(await readConfigFile(options.configRestore));
    validateConfigV3(config);
    product(options);
    console.printJson(configV3ToJson(config));
    return;
  }
  const name = options.dashboardList ? '' : product(options);
  const store = await openCoordinator(options, console);
  try {
    if (options.removeLock) {
      await new ProductStore(store, name).forceRemoveLock();
    } else if (options.configDump) {
      if (options.v1) await dumpV1(store, name, console);
      else await dumpV3(new ProductStore(store, name), console);
    } else if (options.configRestore !== undefined) {
      await restore(new ProductStore(store, name), options.configRestore, console);
    } else {
      await dashboardList(store, console);
    }
  } finally {
    await store.close();
  }
}

async function readConfigFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new AdminFailure(`read file '${file}' failed`, error);
  }
}

async function dumpV3(products: ProductStore, console: Console): Promise<void> {
  const [group, proxy] = [await products.readGroups(), await products.readProxies()];
  if (group.length === 0 && proxy.length === 0) {
    throw new AdminFailure(`cann't find product = ${products.product} [v3]`);
  }
  const slots = await products.readSlots();
  console.printJson(configV3ToJson({ slots, group, proxy }));
}

/** The Codis 2 tree as nested objects; a leaf is its node's JSON (or text, if it is not JSON). */
async function loadTree(store: Store, path: string): Promise<JsonValue | undefined> {
  const children = await store.list(path);
  if (children !== undefined && children.length > 0) {
    const tree: Record<string, JsonValue> = {};
    for (const child of children) {
      const value = await loadTree(store, child);
      if (value !== undefined) tree[basename(child)] = value;
    }
    return tree;
  }
  const data = await store.read(path);
  if (data === undefined || data.length === 0) return undefined;
  const text = data.toString('utf8');
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

async function dumpV1(store: Store, product: string, console: Console): Promise<void> {
  const tree = await loadTree(store, `/zk/codis/db_${product}`);
  if (tree === undefined) throw new AdminFailure(`cann't find product = ${product} [v1]`);
  console.printJson(tree);
}

async function restore(products: ProductStore, file: string, console: Console): Promise<void> {
  const config = parseConfigV3(await readConfigFile(file));
  validateConfigV3(config);
  const [group, proxy] = [await products.readGroups(), await products.readProxies()];
  if (group.length !== 0 || proxy.length !== 0) {
    throw new AdminFailure(`product ${products.product} is not empty`);
  }
  for (const slot of config.slots) await products.updateSlot(slot);
  console.info(`restore ${config.slots.length} slots of product ${products.product}`);
  for (const g of config.group) {
    await products.updateGroup(g);
    console.info(`restore group-[${g.id}]`);
  }
  for (const p of config.proxy) {
    await products.updateProxy(p);
    console.info(`restore proxy-[${p.token}]`);
  }
}

async function dashboardList(store: Store, console: Console): Promise<void> {
  const list: { name: string; dashboard: string }[] = [];
  for (const name of await listProducts(store)) {
    const data = await store.read(topomPath(name));
    let dashboard = '';
    if (data !== undefined) {
      try {
        dashboard = decodeTopom(data).adminAddr;
      } catch (error) {
        throw new AdminFailure(`decode topom of product ${name} failed`, error);
      }
    }
    list.push({ name, dashboard });
  }
  console.printJson(list);
}
