// The thresholds that decide a collection's compact encoding (listpack, intset) versus its big one
// (quicklist, hashtable, skiplist), mirrored from the configuration so the types need no server.
import type { ServerConfig } from '../config/index.ts';

export const encodingLimits = {
  listMaxListpackSize: -2,
  hashMaxListpackEntries: 128,
  hashMaxListpackValue: 64,
  setMaxIntsetEntries: 512,
  zsetMaxListpackEntries: 128,
  zsetMaxListpackValue: 64,
  streamNodeMaxBytes: 4096,
  streamNodeMaxEntries: 100,
};

const CONFIG_NAMES: Record<string, keyof typeof encodingLimits> = {
  'list-max-listpack-size': 'listMaxListpackSize',
  'hash-max-listpack-entries': 'hashMaxListpackEntries',
  'hash-max-listpack-value': 'hashMaxListpackValue',
  'set-max-intset-entries': 'setMaxIntsetEntries',
  'zset-max-listpack-entries': 'zsetMaxListpackEntries',
  'zset-max-listpack-value': 'zsetMaxListpackValue',
  'stream-node-max-bytes': 'streamNodeMaxBytes',
  'stream-node-max-entries': 'streamNodeMaxEntries',
};

/** Copies the limits from the configuration now and on every CONFIG SET. */
export function bindEncodingLimits(config: ServerConfig): void {
  for (const [name, field] of Object.entries(CONFIG_NAMES)) encodingLimits[field] = config.getNumber(name);
  config.onChange((name, value) => {
    const field = CONFIG_NAMES[name];
    if (field !== undefined) encodingLimits[field] = Number(value);
  });
}

/**
 * Whether a list of `count` elements whose largest is `largestBytes` fits one listpack under
 * list-max-listpack-size (positive: max entries; -1..-5: max bytes 4k..64k).
 */
export function listFitsListpack(count: number, totalBytes: number): boolean {
  const limit = encodingLimits.listMaxListpackSize;
  if (limit >= 0) return count <= limit;
  const bytes = [4096, 8192, 16384, 32768, 65536][Math.min(4, -limit - 1)] as number;
  return totalBytes + count * 2 + 7 <= bytes;
}
