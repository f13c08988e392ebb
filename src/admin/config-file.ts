// The files of --config-dump, --config-restore and --config-convert (spec/control-plane.md §12.3):
// Codis 3's `{"slots": [...], "group": [...], "proxy": [...]}` and the conversion from a Codis 2
// (v1) dump.

import {
  type Group,
  groupFromJson,
  groupServer,
  groupToJson,
  type JsonObject,
  type ProxyModel,
  proxyFromJson,
  proxyToJson,
  type SlotMapping,
  slotMappingFromJson,
  slotMappingToJson,
} from '../models/index.ts';
import { MAX_SLOTS } from '../slots/index.ts';
import { AdminFailure } from './output.ts';

export interface ConfigV3 {
  slots: SlotMapping[];
  group: Group[];
  proxy: ProxyModel[];
}

/** Go's struct with `omitempty` on each list: an empty list is left out. */
export function configV3ToJson(config: ConfigV3): JsonObject {
  return {
    slots: config.slots.length > 0 ? config.slots.map(slotMappingToJson) : undefined,
    group: config.group.length > 0 ? config.group.map(groupToJson) : undefined,
    proxy: config.proxy.length > 0 ? config.proxy.map(proxyToJson) : undefined,
  };
}

function listField(obj: Record<string, unknown>, key: string): unknown[] {
  const value = obj[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new AdminFailure(`invalid config: '${key}' is not an array`);
  return value;
}

/** Parses a v3 file (every record validated as the coordinator's would be). */
export function parseConfigV3(text: string): ConfigV3 {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new AdminFailure('decode config failed', error);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AdminFailure('decode config failed', new Error('expected a JSON object'));
  }
  const obj = value as Record<string, unknown>;
  try {
    return {
      slots: listField(obj, 'slots').map((s) => slotMappingFromJson(s)),
      group: listField(obj, 'group').map((g) => groupFromJson(g)),
      proxy: listField(obj, 'proxy').map((p) => proxyFromJson(p)),
    };
  } catch (error) {
    if (error instanceof AdminFailure) throw error;
    throw new AdminFailure('decode config failed', error);
  }
}

/** What --config-restore checks before writing anything. */
export function validateConfigV3(config: ConfigV3): void {
  const proxies = new Set<string>();
  for (const p of config.proxy) {
    if (p.token === '') throw new AdminFailure('invalid proxy token');
    if (proxies.has(p.token)) throw new AdminFailure(`proxy-[${p.token}] already exists`);
    proxies.add(p.token);
  }
  const groups = new Map<number, Group>();
  const servers = new Set<string>();
  for (const g of config.group) {
    if (g.id <= 0 || g.id > 9999) throw new AdminFailure(`invalid group id = ${g.id}`);
    if (groups.has(g.id)) throw new AdminFailure(`group-[${g.id}] already exists`);
    if (g.promoting.state !== '') throw new AdminFailure(`group-[${g.id}] is promoting`);
    groups.set(g.id, g);
    for (const x of g.servers) {
      if (servers.has(x.addr)) throw new AdminFailure(`server-[${x.addr}] already exists`);
      servers.add(x.addr);
    }
  }
  const slots = new Set<number>();
  for (const s of config.slots) {
    if (s.id < 0 || s.id >= MAX_SLOTS) throw new AdminFailure(`invalid slot id = ${s.id}`);
    if (slots.has(s.id)) throw new AdminFailure(`slot-[${s.id}] already exists`);
    if (s.action.state !== '')
      throw new AdminFailure(`slot-[${s.id}] action = ${s.action.state} isn't empty`);
    slots.add(s.id);
    if (s.groupId === 0) continue;
    const g = groupMust(groups, s);
    if (g.servers.length === 0) throw new AdminFailure(`slot-[${s.id}] group-[${g.id}] is empty`);
  }
}

function groupMust(groups: Map<number, Group>, s: SlotMapping): Group {
  const g = groups.get(s.groupId);
  if (g === undefined) throw new AdminFailure(`slot-[${s.id}] group-[${s.groupId}] doesn't exist`);
  return g;
}

/**
 * A Codis 2 dump (`/zk/codis/db_NAME` as --config-dump -1 prints it) in the v3 format: online slots
 * keep their group, offline slots are dropped; each `servers/group_N` becomes group N with its
 * master first.
 */
export function convertConfigV1(text: string): ConfigV3 {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new AdminFailure('decode config failed', error);
  }
  const root = asObject(value, 'config');
  const slots: SlotMapping[] = [];
  for (const [name, raw] of Object.entries(asObject(root.slots ?? {}, 'slots'))) {
    const slot = asObject(raw, `slots.${name}`);
    const id = asInt(slot.id, `slots.${name}.id`);
    const gid = asInt(slot.group_id, `slots.${name}.group_id`);
    const state = asObject(slot.state ?? {}, `slots.${name}.state`);
    const status = state.status;
    if (status === 'offline') continue;
    if (status !== 'online') {
      throw new AdminFailure(`invalid slot-[${id}] status = ${String(status)}, expected online or offline`);
    }
    if (id < 0 || id >= MAX_SLOTS) throw new AdminFailure(`invalid slot id = ${id}`);
    slots.push({ id, groupId: gid, action: { index: 0, state: '', targetId: 0 } });
  }
  slots.sort((a, b) => a.id - b.id);

  const groups = new Map<number, { masters: string[]; replicas: string[] }>();
  for (const [name, raw] of Object.entries(asObject(root.servers ?? {}, 'servers'))) {
    for (const [addrKey, rawServer] of Object.entries(asObject(raw, `servers.${name}`))) {
      const server = asObject(rawServer, `servers.${name}.${addrKey}`);
      const gid = asInt(server.group_id, `servers.${name}.${addrKey}.group_id`);
      const addr = typeof server.addr === 'string' && server.addr !== '' ? server.addr : addrKey;
      let entry = groups.get(gid);
      if (entry === undefined) {
        entry = { masters: [], replicas: [] };
        groups.set(gid, entry);
      }
      (server.type === 'master' ? entry.masters : entry.replicas).push(addr);
    }
  }
  const group: Group[] = [...groups.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([id, entry]) => ({
      id,
      servers: [...entry.masters.sort(), ...entry.replicas.sort()].map((addr) => groupServer(addr)),
      promoting: { index: 0, state: '' },
      outOfSync: false,
    }));
  return { slots, group, proxy: [] };
}

function asObject(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AdminFailure(`invalid config: ${where} is not an object`);
  }
  return value as Record<string, unknown>;
}

function asInt(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new AdminFailure(`invalid config: ${where} is not an integer`);
  }
  return value;
}
