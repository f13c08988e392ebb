// Rendering a slot mapping into the view a proxy is given (spec/control-plane.md §8.2): where to
// send requests, where to migrate keys from, whether the slot is locked, and replica tiers.

import { isIP } from 'node:net';
import type { Group, ProxyModel, SlotMapping } from '../models/index.ts';
import type { ProxySlot } from '../proxy/slot.ts';

export interface ViewContext {
  readonly groups: ReadonlyMap<number, Group>;
  /** 0 = sync, 1 = semi-async. */
  readonly forwardMethod: number;
}

function master(groups: ReadonlyMap<number, Group>, gid: number): string {
  return groups.get(gid)?.servers[0]?.addr ?? '';
}

function promotionLocked(groups: ReadonlyMap<number, Group>, gid: number): boolean {
  return groups.get(gid)?.promoting.state === 'prepared';
}

export function hostOf(addr: string): string {
  const colon = addr.lastIndexOf(':');
  return (colon < 0 ? addr : addr.slice(0, colon)).replace(/^\[|\]$/g, '');
}

/** The proxy's admin IP, or undefined when its host is not an IP literal (tier 2 for all then). */
export function proxyIp(proxy: ProxyModel | undefined): string | undefined {
  if (proxy === undefined) return undefined;
  const host = hostOf(proxy.adminAddr);
  return isIP(host) !== 0 ? host : undefined;
}

function replicaTiers(
  groups: ReadonlyMap<number, Group>,
  gid: number,
  proxy: ProxyModel | undefined,
): string[][] | undefined {
  const group = groups.get(gid);
  if (group === undefined || group.promoting.state !== '' || group.servers.length <= 1) return undefined;
  const ip = proxyIp(proxy);
  const tiers: string[][] = [[], [], []];
  for (const server of group.servers) {
    if (!server.replicaGroup) continue;
    let tier = 2;
    if (proxy !== undefined && ip !== undefined && server.datacenter === proxy.datacenter) {
      tier = hostOf(server.addr) === ip ? 0 : 1;
    }
    tiers[tier]?.push(server.addr);
  }
  const kept = tiers.filter((t) => t.length > 0);
  return kept.length > 0 ? kept : undefined;
}

export function renderSlot(m: SlotMapping, ctx: ViewContext, proxy?: ProxyModel): ProxySlot {
  const { groups } = ctx;
  const slot: ProxySlot = { id: m.id };
  let locked = false;
  let backend = '';
  let backendGid = 0;
  let from = '';
  let fromGid = 0;
  let replicas: string[][] | undefined;
  switch (m.action.state) {
    case '':
    case 'pending':
      backend = master(groups, m.groupId);
      backendGid = m.groupId;
      locked = promotionLocked(groups, m.groupId);
      replicas = replicaTiers(groups, m.groupId, proxy);
      break;
    case 'preparing':
      backend = master(groups, m.groupId);
      backendGid = m.groupId;
      locked = promotionLocked(groups, m.groupId);
      break;
    case 'prepared':
    case 'migrating':
      backend = master(groups, m.action.targetId);
      backendGid = m.action.targetId;
      from = master(groups, m.groupId);
      fromGid = m.groupId;
      locked =
        m.action.state === 'prepared' ||
        promotionLocked(groups, m.groupId) ||
        promotionLocked(groups, m.action.targetId);
      break;
    case 'finished':
      backend = master(groups, m.action.targetId);
      backendGid = m.action.targetId;
      locked = promotionLocked(groups, m.action.targetId);
      break;
  }
  // Go's omitempty: zero values are left out, in the struct's field order.
  if (locked) slot.locked = true;
  if (backend !== '') slot.backend_addr = backend;
  if (backendGid !== 0) slot.backend_addr_group_id = backendGid;
  if (from !== '') slot.migrate_from = from;
  if (fromGid !== 0) slot.migrate_from_group_id = fromGid;
  if (ctx.forwardMethod !== 0) slot.forward_method = ctx.forwardMethod;
  if (replicas !== undefined) slot.replica_groups = replicas;
  return slot;
}
