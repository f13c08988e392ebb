// The rebalance plan (spec/control-plane.md §8.8), step for step as Codis's SlotsRebalance: each
// group keeps its lowest-numbered slots up to floor(1024/n), offline slots go to the smallest
// groups, then the largest group gives its highest-numbered movable slots to the smallest until
// sizes differ by at most one.

import type { Group, SlotMapping } from '../models/index.ts';
import { MAX_SLOTS } from '../slots/index.ts';
import { DashboardError } from './errors.ts';

/** slot id → target group id. */
export type RebalancePlan = Map<number, number>;

export function rebalancePlan(slots: readonly SlotMapping[], groups: Iterable<Group>): RebalancePlan {
  const groupIds = [...groups]
    .filter((g) => g.servers.length > 0)
    .map((g) => g.id)
    .sort((a, b) => a - b);
  if (groupIds.length === 0) throw new DashboardError('no valid group could be found');

  const assigned = new Map<number, number>();
  const pendings = new Map<number, number[]>();
  const moveout = new Map<number, number>();
  const docking: number[] = [];
  const get = (m: Map<number, number>, gid: number): number => m.get(gid) ?? 0;
  const pending = (gid: number): number[] => {
    let list = pendings.get(gid);
    if (list === undefined) {
      list = [];
      pendings.set(gid, list);
    }
    return list;
  };
  const size = (gid: number): number => get(assigned, gid) + pending(gid).length - get(moveout, gid);

  // Slots being migrated count for their target and never move.
  for (const m of slots) {
    if (m.action.state !== '') assigned.set(m.action.targetId, get(assigned, m.action.targetId) + 1);
  }
  const lower = Math.floor(MAX_SLOTS / groupIds.length);
  for (const m of slots) {
    if (m.action.state !== '' || m.groupId === 0) continue;
    if (size(m.groupId) < lower) assigned.set(m.groupId, get(assigned, m.groupId) + 1);
    else pending(m.groupId).push(m.id);
  }

  // The ordered set of groups, by (size, gid); re-sorted after every change, as Codis's rbtree.
  let tree = [...groupIds];
  const order = (): void => {
    tree.sort((a, b) => size(a) - size(b) || a - b);
  };
  order();
  for (const m of slots) {
    if (m.action.state !== '' || m.groupId !== 0) continue;
    const dest = tree[0] as number;
    docking.push(m.id);
    moveout.set(dest, get(moveout, dest) - 1);
    order();
  }

  const upper = Math.ceil(MAX_SLOTS / groupIds.length);
  while (tree.length >= 2) {
    const from = tree.pop() as number;
    if (pending(from).length === get(moveout, from)) continue;
    const dest = tree.shift() as number;
    const fromSize = size(from);
    const destSize = size(dest);
    if (fromSize <= lower || destSize >= upper || fromSize - destSize <= 1) break;
    moveout.set(from, get(moveout, from) + 1);
    moveout.set(dest, get(moveout, dest) - 1);
    tree = [...tree, from, dest];
    order();
  }

  for (const [gid, n] of moveout) {
    if (n <= 0) continue;
    const sids = pending(gid).sort((a, b) => b - a);
    docking.push(...sids.slice(0, n));
    pendings.set(gid, sids.slice(n));
  }
  docking.sort((a, b) => a - b);

  const plan: RebalancePlan = new Map();
  let next = 0;
  for (const gid of groupIds) {
    const incoming = -get(moveout, gid);
    for (let i = 0; i < incoming && next < docking.length; i++) plan.set(docking[next++] as number, gid);
  }
  return new Map([...plan].sort((a, b) => a[0] - b[0]));
}
