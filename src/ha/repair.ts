// What codis-ha repairs in one cycle (spec/control-plane.md §12.5), decided from the health of the
// proxies and servers alone: a pure plan of steps that the watchdog then carries out in order.
// Three phases, as Codis 3.2's codis-ha:
//   1. the first proxy that does not answer is removed (force), and nothing else happens this cycle;
//   2. the first bad replica (of a group whose master is healthy) is repaired, and nothing else
//      happens this cycle: one that does not answer is taken out of its group and shut down, as
//      Codis does; better than Codis, one that answers but follows another master (the replicas
//      left behind by a promotion, a server just added) gets a sync action instead of a SHUTDOWN;
//   3. every group whose master does not answer gets a replica promoted, chosen as below.

import type { GroupState, Health, ServerState } from './health.ts';

export type Step =
  /** `PUT /api/topom/proxy/remove/:xauth/:token/1`. */
  | { readonly kind: 'remove-proxy'; readonly id: number; readonly token: string; readonly adminAddr: string }
  /** `PUT /api/topom/group/del/:xauth/:gid/:addr`, then `SHUTDOWN` sent to the server. */
  | { readonly kind: 'remove-replica'; readonly gid: number; readonly addr: string }
  /** `PUT /api/topom/group/action/create/:xauth/:addr`: the dashboard makes it follow servers[0]. */
  | { readonly kind: 'sync-replica'; readonly gid: number; readonly addr: string }
  /** `PUT /api/topom/group/promote/:xauth/:gid/:addr`. */
  | {
      readonly kind: 'promote';
      readonly gid: number;
      readonly addr: string;
      /** Why this replica: its link went down recently, or it is the best of the rest. */
      readonly choice: 'recent-link' | 'stale-link' | 'out-of-sync';
    }
  /** Only logged. */
  | { readonly kind: 'notice'; readonly reason: NoticeReason; readonly gid: number; readonly text: string };

export type NoticeReason =
  /** Phase 2 stops at a group whose master is unhealthy: phase 3 deals with it first. */
  | 'master-unhealthy'
  /** A replica whose link to its master is down is left alone (it may be the next master). */
  | 'replica-link-down'
  /** An out-of-sync replica whose sync action is already under way is left to the dashboard. */
  | 'sync-under-way'
  /** `master_link_down_since_seconds` is not a number: that replica cannot be ranked. */
  | 'unreadable-link-down'
  /** The master is down and no replica can take over. */
  | 'give-up'
  /** The master is down but the group is already promoting: a human must finish it. */
  | 'already-promoting';

/** Dead proxies: no answer, an error, or no stats yet. */
const unreachable = new Set(['error', 'timeout', 'missing']);
/** Bad replicas and masters in phase 2: unreachable, or replicating from the wrong place. */
const unhealthy = new Set(['error', 'timeout', 'missing', 'sync-error']);

/**
 * The steps of one cycle. `maxDownSeconds` (Codis: interval × 10) bounds how long ago a replica's
 * link may have gone down for it to be the first choice of a promotion.
 */
export function planRepairs(health: Health, maxDownSeconds: number): Step[] {
  // Phase 1: one dead proxy per cycle. Until it is gone the dashboard could not push slots to every
  // proxy, which a promotion needs.
  for (const { proxy, health: h } of health.proxies) {
    if (unreachable.has(h)) {
      return [{ kind: 'remove-proxy', id: proxy.id ?? 0, token: proxy.token, adminAddr: proxy.admin_addr }];
    }
  }

  // Phase 2: one bad replica per cycle, in group order. A lone master is never touched (removing it
  // would lose the group); a group with an unhealthy master ends the scan, so that its replicas
  // are kept for phase 3 to promote.
  const steps: Step[] = [];
  for (const g of health.groups) {
    const [master, ...replicas] = g.servers;
    if (master === undefined || replicas.length === 0) continue;
    if (unhealthy.has(master.health)) {
      steps.push(notice('master-unhealthy', g, `codis-server (master) ${master.addr} state error`));
      break;
    }
    for (const replica of replicas) {
      if (replica.health === 'sync-error') {
        if (replica.action !== '') {
          steps.push(
            notice('sync-under-way', g, `slave ${replica.addr} out of sync, sync action ${replica.action}`),
          );
          continue;
        }
        steps.push({ kind: 'sync-replica', gid: g.group.id, addr: replica.addr });
        return steps;
      }
      if (unhealthy.has(replica.health)) {
        steps.push({ kind: 'remove-replica', gid: g.group.id, addr: replica.addr });
        return steps;
      }
      if (replica.health === 'broken') {
        steps.push(notice('replica-link-down', g, `slave ${replica.addr} master link down`));
      }
    }
  }

  // Phase 3: a promotion for every group whose master does not answer. (A master that answers but
  // replicates from somewhere is out of sync, not dead: it is only logged.)
  for (const g of health.groups) {
    const master = g.servers[0];
    if (master === undefined || !unreachable.has(master.health)) continue;
    const choice = pickReplica(g, maxDownSeconds, steps);
    if (choice === undefined) {
      const synced = g.servers.slice(1).filter((s) => s.health === 'ready').length;
      steps.push(
        notice(
          'give-up',
          g,
          `try to promote group-[${g.group.id}], but no replica can take over ` +
            `(${g.servers.length - 1} replicas, ${synced} still synced), giveup`,
        ),
      );
    } else if (g.promoting !== '') {
      steps.push(
        notice(
          'already-promoting',
          g,
          `try to promote group-[${g.group.id}], but group is promoting = ${g.promoting}, please fix it manually`,
        ),
      );
    } else {
      steps.push({ kind: 'promote', gid: g.group.id, addr: choice.server.addr, choice: choice.why });
    }
  }
  return steps;
}

/**
 * The replica to promote when the master is dead, as Codis 3.2 picks it:
 * - first choice, a replica of the master whose link went down the most recently, at most
 *   `maxDownSeconds` ago (it has the freshest data);
 * - else the replica of the master whose link went down the most recently, however long ago;
 * - else the first replica that is out of sync (it answers, which is better than nothing).
 * A replica whose link is still up is never chosen: the master answered it moments ago, so the
 * dashboard's view is what is in doubt, not the master.
 */
function pickReplica(
  g: GroupState,
  maxDownSeconds: number,
  steps: Step[],
): { server: ServerState; why: 'recent-link' | 'stale-link' | 'out-of-sync' } | undefined {
  let recent: ServerState | undefined;
  let recentDown = Number.POSITIVE_INFINITY;
  let other: ServerState | undefined;
  let otherDown = Number.POSITIVE_INFINITY;
  let outOfSync: ServerState | undefined;
  for (const s of g.servers.slice(1)) {
    if (s.health === 'broken') {
      const text = s.info.master_link_down_since_seconds ?? '';
      if (!/^[+-]?\d+$/.test(text)) {
        steps.push(
          notice(
            'unreadable-link-down',
            g,
            `try to get ${s.addr} master_link_down_since_seconds failed: ${JSON.stringify(text)}`,
          ),
        );
        continue;
      }
      // A negative value is Redis's "never connected": nothing to rank it by.
      const down = Number(text);
      if (down < 0) continue;
      if (down <= maxDownSeconds && down < recentDown) [recent, recentDown] = [s, down];
      if (down < otherDown) [other, otherDown] = [s, down];
    } else if (s.health === 'sync-error' && outOfSync === undefined) {
      outOfSync = s;
    }
  }
  if (recent !== undefined) return { server: recent, why: 'recent-link' };
  if (other !== undefined) return { server: other, why: 'stale-link' };
  if (outOfSync !== undefined) return { server: outOfSync, why: 'out-of-sync' };
  return undefined;
}

function notice(reason: NoticeReason, g: GroupState, text: string): Step {
  return { kind: 'notice', reason, gid: g.group.id, text };
}
