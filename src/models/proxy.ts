// The proxy record (spec/control-plane.md §3.5) at /codis3/{product}/proxy/proxy-{token}: the
// proxy's own model (`GET /api/proxy/model`) plus the id the dashboard assigned.

import { type DecodeContext, expectObject, parseRecordJson, readInt, readString } from './decode.ts';
import { encodeGoJson, type JsonObject } from './go-json.ts';

export interface ProxyModel {
  /** Assigned by the dashboard (max existing + 1); 0, and omitted from JSON, until registered. */
  id: number;
  token: string;
  startTime: string;
  /** Admin HTTP address the dashboard calls. */
  adminAddr: string;
  /** `tcp4`, `tcp`, `unix`, ... */
  protoType: string;
  /** Client-facing address. */
  proxyAddr: string;
  /** The jodis node, `''` (and omitted) when jodis is off. */
  jodisPath: string;
  productName: string;
  pid: number;
  pwd: string;
  sys: string;
  hostname: string;
  datacenter: string;
}

export function proxyToJson(proxy: ProxyModel): JsonObject {
  return {
    id: proxy.id !== 0 ? proxy.id : undefined,
    token: proxy.token,
    start_time: proxy.startTime,
    admin_addr: proxy.adminAddr,
    proto_type: proxy.protoType,
    proxy_addr: proxy.proxyAddr,
    jodis_path: proxy.jodisPath !== '' ? proxy.jodisPath : undefined,
    product_name: proxy.productName,
    pid: proxy.pid,
    pwd: proxy.pwd,
    sys: proxy.sys,
    hostname: proxy.hostname,
    datacenter: proxy.datacenter,
  };
}

export function proxyFromJson(value: unknown, path?: string): ProxyModel {
  const ctx: DecodeContext = { record: 'proxy', path };
  const obj = expectObject(value, ctx, '');
  return {
    id: readInt(obj, 'id', ctx, '', { optional: true, min: 0 }),
    token: readString(obj, 'token', ctx, ''),
    startTime: readString(obj, 'start_time', ctx, ''),
    adminAddr: readString(obj, 'admin_addr', ctx, ''),
    protoType: readString(obj, 'proto_type', ctx, ''),
    proxyAddr: readString(obj, 'proxy_addr', ctx, ''),
    jodisPath: readString(obj, 'jodis_path', ctx, '', { optional: true }),
    productName: readString(obj, 'product_name', ctx, ''),
    pid: readInt(obj, 'pid', ctx, '', { min: 0 }),
    pwd: readString(obj, 'pwd', ctx, ''),
    sys: readString(obj, 'sys', ctx, ''),
    hostname: readString(obj, 'hostname', ctx, ''),
    datacenter: readString(obj, 'datacenter', ctx, ''),
  };
}

export function encodeProxy(proxy: ProxyModel): string {
  return encodeGoJson(proxyToJson(proxy));
}

export function decodeProxy(data: string | Uint8Array, path?: string): ProxyModel {
  return proxyFromJson(parseRecordJson(data, { record: 'proxy', path }), path);
}
