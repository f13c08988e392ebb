// A client of the dashboard's HTTP API (spec/control-plane.md §6.2), route for route. The xauth is
// learned as codis-admin does: read the model, compute the xauth from its product name, xping.

import { type JsonObject, type SlotMapping, slotMappingToJson } from '../models/index.ts';
import { ApiClient, type ApiClientOptions } from './api-client.ts';
import { dashboardXAuth } from './xauth.ts';

/** The parts of `GET /api/topom/stats` that codis-admin reads; everything else passes through. */
export interface DashboardStats {
  slots?: JsonObject[];
  group?: {
    models?: GroupJson[] | null;
    stats?: Record<string, RedisStatsJson> | null;
  };
  proxy?: {
    models?: ProxyJson[] | null;
    stats?: Record<string, ProxyStatsJson> | null;
  };
  [key: string]: unknown;
}

export interface GroupJson {
  id: number;
  servers: { server: string; datacenter?: string; [key: string]: unknown }[] | null;
  [key: string]: unknown;
}

export interface ProxyJson {
  id?: number;
  token: string;
  admin_addr: string;
  proxy_addr: string;
  [key: string]: unknown;
}

export interface RedisStatsJson {
  stats?: Record<string, string>;
  error?: unknown;
  timeout?: boolean;
  [key: string]: unknown;
}

export interface ProxyStatsJson {
  stats?: { online?: boolean; closed?: boolean; [key: string]: unknown };
  error?: unknown;
  timeout?: boolean;
  [key: string]: unknown;
}

export interface TopomModelJson {
  product_name: string;
  admin_addr?: string;
  [key: string]: unknown;
}

const flag = (value: boolean): string => (value ? '1' : '0');
// Addresses go in the path as they are (`:` is legal in a path segment); anything else unsafe is escaped.
const seg = (value: string | number): string => encodeURIComponent(String(value)).replace(/%3A/gi, ':');

export class DashboardClient {
  readonly api: ApiClient;
  #xauth = '';

  constructor(options: ApiClientOptions) {
    this.api = new ApiClient(options);
  }

  get addr(): string {
    return this.api.addr;
  }

  get xauth(): string {
    return this.#xauth;
  }

  /** Sets the xauth from a product name (what `connect` does after reading the model). */
  setProduct(product: string): void {
    this.#xauth = dashboardXAuth(product);
  }

  model(): Promise<TopomModelJson> {
    return this.api.get('/api/topom/model') as Promise<TopomModelJson>;
  }

  xping(): Promise<unknown> {
    return this.api.get(`/api/topom/xping/${this.#xauth}`);
  }

  overview(): Promise<JsonObject> {
    return this.api.get('/topom') as Promise<JsonObject>;
  }

  stats(): Promise<DashboardStats> {
    return this.api.get(`/api/topom/stats/${this.#xauth}`) as Promise<DashboardStats>;
  }

  slots(): Promise<JsonObject[]> {
    return this.api.get(`/api/topom/slots/${this.#xauth}`) as Promise<JsonObject[]>;
  }

  #put(path: string, body?: unknown): Promise<unknown> {
    return this.api.put(path, body);
  }

  reload(): Promise<unknown> {
    return this.#put(`/api/topom/reload/${this.#xauth}`);
  }

  shutdown(): Promise<unknown> {
    return this.#put(`/api/topom/shutdown/${this.#xauth}`);
  }

  logLevel(level: string): Promise<unknown> {
    return this.#put(`/api/topom/loglevel/${this.#xauth}/${seg(level)}`);
  }

  createProxy(adminAddr: string): Promise<unknown> {
    return this.#put(`/api/topom/proxy/create/${this.#xauth}/${seg(adminAddr)}`);
  }

  onlineProxy(adminAddr: string): Promise<unknown> {
    return this.#put(`/api/topom/proxy/online/${this.#xauth}/${seg(adminAddr)}`);
  }

  reinitProxy(token: string): Promise<unknown> {
    return this.#put(`/api/topom/proxy/reinit/${this.#xauth}/${seg(token)}`);
  }

  removeProxy(token: string, force: boolean): Promise<unknown> {
    return this.#put(`/api/topom/proxy/remove/${this.#xauth}/${seg(token)}/${flag(force)}`);
  }

  createGroup(gid: number): Promise<unknown> {
    return this.#put(`/api/topom/group/create/${this.#xauth}/${gid}`);
  }

  removeGroup(gid: number): Promise<unknown> {
    return this.#put(`/api/topom/group/remove/${this.#xauth}/${gid}`);
  }

  resyncGroup(gid: number): Promise<unknown> {
    return this.#put(`/api/topom/group/resync/${this.#xauth}/${gid}`);
  }

  resyncGroupAll(): Promise<unknown> {
    return this.#put(`/api/topom/group/resync-all/${this.#xauth}`);
  }

  groupAddServer(gid: number, addr: string, datacenter = ''): Promise<unknown> {
    const dc = datacenter === '' ? '' : `/${seg(datacenter)}`;
    return this.#put(`/api/topom/group/add/${this.#xauth}/${gid}/${seg(addr)}${dc}`);
  }

  groupDelServer(gid: number, addr: string): Promise<unknown> {
    return this.#put(`/api/topom/group/del/${this.#xauth}/${gid}/${seg(addr)}`);
  }

  promoteServer(gid: number, addr: string): Promise<unknown> {
    return this.#put(`/api/topom/group/promote/${this.#xauth}/${gid}/${seg(addr)}`);
  }

  replicaGroups(gid: number, addr: string, enable: boolean): Promise<unknown> {
    return this.#put(`/api/topom/group/replica-groups/${this.#xauth}/${gid}/${seg(addr)}/${flag(enable)}`);
  }

  replicaGroupsAll(enable: boolean): Promise<unknown> {
    return this.#put(`/api/topom/group/replica-groups-all/${this.#xauth}/${flag(enable)}`);
  }

  createSyncAction(addr: string): Promise<unknown> {
    return this.#put(`/api/topom/group/action/create/${this.#xauth}/${seg(addr)}`);
  }

  removeSyncAction(addr: string): Promise<unknown> {
    return this.#put(`/api/topom/group/action/remove/${this.#xauth}/${seg(addr)}`);
  }

  createSlotAction(sid: number, gid: number): Promise<unknown> {
    return this.#put(`/api/topom/slots/action/create/${this.#xauth}/${sid}/${gid}`);
  }

  createSlotActionSome(from: number, to: number, num: number): Promise<unknown> {
    return this.#put(`/api/topom/slots/action/create-some/${this.#xauth}/${from}/${to}/${num}`);
  }

  createSlotActionRange(beg: number, end: number, gid: number): Promise<unknown> {
    return this.#put(`/api/topom/slots/action/create-range/${this.#xauth}/${beg}/${end}/${gid}`);
  }

  removeSlotAction(sid: number): Promise<unknown> {
    return this.#put(`/api/topom/slots/action/remove/${this.#xauth}/${sid}`);
  }

  setSlotActionInterval(value: number): Promise<unknown> {
    return this.#put(`/api/topom/slots/action/interval/${this.#xauth}/${value}`);
  }

  setSlotActionDisabled(value: number): Promise<unknown> {
    return this.#put(`/api/topom/slots/action/disabled/${this.#xauth}/${value}`);
  }

  assignSlots(slots: readonly SlotMapping[]): Promise<unknown> {
    return this.#put(`/api/topom/slots/assign/${this.#xauth}`, slots.map(slotMappingToJson));
  }

  assignSlotsOffline(slots: readonly SlotMapping[]): Promise<unknown> {
    return this.#put(`/api/topom/slots/assign/${this.#xauth}/offline`, slots.map(slotMappingToJson));
  }

  /** The plan `{"<sid>": gid}`; applied (actions created) only with `confirm`. */
  async rebalance(confirm: boolean): Promise<Record<string, number>> {
    const plan = await this.#put(`/api/topom/slots/rebalance/${this.#xauth}/${flag(confirm)}`);
    return (plan ?? {}) as Record<string, number>;
  }

  addSentinel(addr: string): Promise<unknown> {
    return this.#put(`/api/topom/sentinels/add/${this.#xauth}/${seg(addr)}`);
  }

  delSentinel(addr: string, force: boolean): Promise<unknown> {
    return this.#put(`/api/topom/sentinels/del/${this.#xauth}/${seg(addr)}/${flag(force)}`);
  }

  resyncSentinels(): Promise<unknown> {
    return this.#put(`/api/topom/sentinels/resync-all/${this.#xauth}`);
  }
}
