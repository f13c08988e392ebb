// The sentinel record (spec/control-plane.md §3.6) at /codis3/{product}/sentinel. A missing node
// means "no sentinels, in sync".

import {
  type DecodeContext,
  expectObject,
  expectString,
  parseRecordJson,
  readArray,
  readBool,
} from './decode.ts';
import { encodeGoJson, type JsonObject } from './go-json.ts';

export interface Sentinel {
  /** redis-sentinel addresses, `host:port`. */
  servers: string[];
  /** Sentinels and proxies need a `resync-all`. */
  outOfSync: boolean;
}

export function emptySentinel(): Sentinel {
  return { servers: [], outOfSync: false };
}

export function sentinelToJson(sentinel: Sentinel): JsonObject {
  return {
    // Go: `servers,omitempty`.
    servers: sentinel.servers.length > 0 ? [...sentinel.servers] : undefined,
    out_of_sync: sentinel.outOfSync,
  };
}

export function sentinelFromJson(value: unknown, path?: string): Sentinel {
  const ctx: DecodeContext = { record: 'sentinel', path };
  const obj = expectObject(value, ctx, '');
  return {
    servers: readArray(obj, 'servers', ctx, '', { optional: true }, (item, field) =>
      expectString(item, ctx, field),
    ),
    outOfSync: readBool(obj, 'out_of_sync', ctx, ''),
  };
}

export function encodeSentinel(sentinel: Sentinel): string {
  return encodeGoJson(sentinelToJson(sentinel));
}

export function decodeSentinel(data: string | Uint8Array, path?: string): Sentinel {
  return sentinelFromJson(parseRecordJson(data, { record: 'sentinel', path }), path);
}
