// The jodis record (spec/proxy.md §11, spec/control-plane.md §3.7): the ephemeral node a proxy
// registers for client-side discovery. Go writes it from a map, so its keys are sorted.

import { type DecodeContext, expectObject, parseRecordJson, readString } from './decode.ts';
import { encodeGoJson, type JsonObject } from './go-json.ts';

export interface JodisRecord {
  /** The proxy's client address (`model.proxy_addr`). */
  addr: string;
  /** The proxy's admin address. */
  admin: string;
  /** The proxy's start time. */
  start: string;
  /** Always `online` while registered. */
  state: string;
  token: string;
}

export function jodisToJson(record: JodisRecord): JsonObject {
  return {
    addr: record.addr,
    admin: record.admin,
    start: record.start,
    state: record.state,
    token: record.token,
  };
}

export function jodisFromJson(value: unknown, path?: string): JodisRecord {
  const ctx: DecodeContext = { record: 'jodis', path };
  const obj = expectObject(value, ctx, '');
  return {
    addr: readString(obj, 'addr', ctx, ''),
    admin: readString(obj, 'admin', ctx, ''),
    start: readString(obj, 'start', ctx, ''),
    state: readString(obj, 'state', ctx, ''),
    token: readString(obj, 'token', ctx, ''),
  };
}

export function encodeJodis(record: JodisRecord): string {
  return encodeGoJson(jodisToJson(record));
}

export function decodeJodis(data: string | Uint8Array, path?: string): JodisRecord {
  return jodisFromJson(parseRecordJson(data, { record: 'jodis', path }), path);
}
