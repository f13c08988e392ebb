// The group record (spec/control-plane.md §3.4) at /codis3/{product}/group/group-NNNN: an ordered
// list of servers (index 0 is the master), each with its SLAVEOF job state, plus promote state.

import {
  type DecodeContext,
  expectObject,
  parseRecordJson,
  readArray,
  readBool,
  readChildObject,
  readInt,
  readString,
} from './decode.ts';
import { encodeGoJson, type JsonObject } from './go-json.ts';
import { MAX_GROUP_ID } from './paths.ts';

/** States of a server's SLAVEOF job (spec §9.2); `''` is "no action". */
export const SERVER_ACTION_STATES = ['', 'pending', 'syncing', 'synced', 'synced_failed'] as const;
export type ServerActionState = (typeof SERVER_ACTION_STATES)[number];

export const ServerActionState = {
  None: '',
  Pending: 'pending',
  Syncing: 'syncing',
  Synced: 'synced',
  SyncedFailed: 'synced_failed',
} as const satisfies Record<string, ServerActionState>;

/** States of a promotion (spec §9.4); `''` is "not promoting". */
export const PROMOTING_STATES = ['', 'preparing', 'prepared', 'finished'] as const;
export type PromotingState = (typeof PROMOTING_STATES)[number];

export const PromotingState = {
  None: '',
  Preparing: 'preparing',
  Prepared: 'prepared',
  Finished: 'finished',
} as const satisfies Record<string, PromotingState>;

export interface GroupServer {
  /** `host:port` of the codis-server (JSON `server`). */
  addr: string;
  /** Free text, may be empty; used to prefer replicas in the proxy's data center. */
  datacenter: string;
  action: { index: number; state: ServerActionState };
  /** The server may serve reads for proxies. */
  replicaGroup: boolean;
}

export interface Group {
  id: number;
  /** Index 0 is the master. */
  servers: GroupServer[];
  promoting: { index: number; state: PromotingState };
  /** Proxies may hold stale routing for this group until it is resynced. */
  outOfSync: boolean;
}

export function emptyGroup(id: number): Group {
  return { id, servers: [], promoting: { index: 0, state: '' }, outOfSync: false };
}

export function groupServer(addr: string, datacenter = ''): GroupServer {
  return { addr, datacenter, action: { index: 0, state: '' }, replicaGroup: false };
}

export function groupServerToJson(server: GroupServer): JsonObject {
  return {
    server: server.addr,
    datacenter: server.datacenter,
    action: {
      index: server.action.index !== 0 ? server.action.index : undefined,
      state: server.action.state !== '' ? server.action.state : undefined,
    },
    replica_group: server.replicaGroup,
  };
}

export function groupToJson(group: Group): JsonObject {
  return {
    id: group.id,
    servers: group.servers.map(groupServerToJson),
    promoting: {
      index: group.promoting.index !== 0 ? group.promoting.index : undefined,
      state: group.promoting.state !== '' ? group.promoting.state : undefined,
    },
    out_of_sync: group.outOfSync,
  };
}

function groupServerFromJson(value: unknown, ctx: DecodeContext, where: string): GroupServer {
  const obj = expectObject(value, ctx, where);
  const action = readChildObject(obj, 'action', ctx, where);
  const actionWhere = `${where}.action`;
  return {
    addr: readString(obj, 'server', ctx, where),
    datacenter: readString(obj, 'datacenter', ctx, where),
    action: {
      index: readInt(action, 'index', ctx, actionWhere, { optional: true, min: 0 }),
      state: readString(action, 'state', ctx, actionWhere, { optional: true, oneOf: SERVER_ACTION_STATES }),
    },
    replicaGroup: readBool(obj, 'replica_group', ctx, where),
  };
}

export function groupFromJson(value: unknown, path?: string): Group {
  const ctx: DecodeContext = { record: 'group', path };
  const obj = expectObject(value, ctx, '');
  const promoting = readChildObject(obj, 'promoting', ctx, '');
  return {
    id: readInt(obj, 'id', ctx, '', { min: 1, max: MAX_GROUP_ID }),
    servers: readArray(obj, 'servers', ctx, '', {}, (item, field) => groupServerFromJson(item, ctx, field)),
    promoting: {
      index: readInt(promoting, 'index', ctx, 'promoting', { optional: true, min: 0 }),
      state: readString(promoting, 'state', ctx, 'promoting', { optional: true, oneOf: PROMOTING_STATES }),
    },
    outOfSync: readBool(obj, 'out_of_sync', ctx, ''),
  };
}

export function encodeGroup(group: Group): string {
  return encodeGoJson(groupToJson(group));
}

export function decodeGroup(data: string | Uint8Array, path?: string): Group {
  return groupFromJson(parseRecordJson(data, { record: 'group', path }), path);
}
