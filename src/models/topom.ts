// The dashboard's record (spec/control-plane.md §3.2), stored at /codis3/{product}/topom. Its
// existence is the product lock; it is also what `GET /api/topom/model` returns.

import { type DecodeContext, expectObject, parseRecordJson, readInt, readString } from './decode.ts';
import { encodeGoJson, type JsonObject } from './go-json.ts';

export interface Topom {
  /** Dashboard token (spec §2.2). */
  token: string;
  /** Go `time.Now().String()` at process start; free text that nobody parses but our lock check. */
  startTime: string;
  /** Advertised admin address, `host:port`: how proxies, fe and admin find the dashboard. */
  adminAddr: string;
  productName: string;
  pid: number;
  /** Working directory. */
  pwd: string;
  /** `uname -a`, trimmed; its second word is the host name. */
  sys: string;
}

/** The record as a JSON object with Codis's field names, in Go struct order. */
export function topomToJson(topom: Topom): JsonObject {
  return {
    token: topom.token,
    start_time: topom.startTime,
    admin_addr: topom.adminAddr,
    product_name: topom.productName,
    pid: topom.pid,
    pwd: topom.pwd,
    sys: topom.sys,
  };
}

export function topomFromJson(value: unknown, path?: string): Topom {
  const ctx: DecodeContext = { record: 'topom', path };
  const obj = expectObject(value, ctx, '');
  return {
    token: readString(obj, 'token', ctx, ''),
    startTime: readString(obj, 'start_time', ctx, ''),
    adminAddr: readString(obj, 'admin_addr', ctx, ''),
    productName: readString(obj, 'product_name', ctx, ''),
    pid: readInt(obj, 'pid', ctx, '', { min: 0 }),
    pwd: readString(obj, 'pwd', ctx, ''),
    sys: readString(obj, 'sys', ctx, ''),
  };
}

/** The stored bytes' text: indented exactly as Codis writes it. */
export function encodeTopom(topom: Topom): string {
  return encodeGoJson(topomToJson(topom));
}

export function decodeTopom(data: string | Uint8Array, path?: string): Topom {
  return topomFromJson(parseRecordJson(data, { record: 'topom', path }), path);
}
