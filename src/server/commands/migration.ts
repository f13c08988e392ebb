// Slot migration commands (spec §7–§9): SLOTSRESTORE and the synchronous SLOTSMGRT* family, the
// asynchronous SLOTSMGRT*-ASYNC family with FENCE / CANCEL / STATUS / EXEC-WRAPPER, and the
// target-side SLOTSRESTORE-ASYNC messages. The machinery lives in src/server/migration.
import { MAX_SLOTS, tagCrcOf } from '../../slots/index.ts';
import { parseInt64 } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { NOT_INTEGER } from '../errors.ts';
import type { Entry } from '../keyspace/entry.ts';
import type { StoredValue } from '../keyspace/value.ts';
import { type AsyncMigrator, type AsyncResult, writeResult } from '../migration/async-migration.ts';
import { Batch, STAGE_PREPARE, tagGroupOf, typeCode } from '../migration/batch.ts';
import { createExecWrapper } from '../migration/exec-wrapper.ts';
import { createRestoreAsyncHandlers } from '../migration/restore-async.ts';
import type { SyncMigrator, SyncResult } from '../migration/sync-migration.ts';
import { RDB_READ_VERSION } from '../rdb/constants.ts';
import { decodeDumpPayload, materialize, RdbFormatError, verifyDumpPayload } from '../rdb/index.ts';
import { isStreamType } from '../rdb/stream.ts';
import { keyChanged } from './keyspace-access.ts';
import { INT32_MAX, parseIntArgument, parseSlotArgument } from './slot-arguments.ts';

/** Codis 3.2 reads DUMP payloads of RDB version 7 and older. */
const CODIS_RDB_VERSION = 7;

/**
 * The newest payload version SLOTSRESTORE takes: Codis 3.2's, except for a stream, which only
 * Redis 7's encodings carry (our DUMP of a stream says version 10, as Redis 7.0's does).
 */
function maxPayloadVersion(payload: Buffer): number {
  return isStreamType(payload[0] as number) ? RDB_READ_VERSION : CODIS_RDB_VERSION;
}

// ---------------------------------------------------------------------------------------------
// Argument parsing

function syncTimeout(client: Client, text: string): number | undefined {
  const value = parseIntArgument(client, text);
  if (value === undefined) return undefined;
  if (value < 0) {
    client.replyError(`ERR invalid timeout = ${value}`);
    return undefined;
  }
  return value === 0 ? 100 : value;
}

/** C's atoi: leading digits (after blanks and a sign), 0 when there are none. */
function atoi(text: string): number {
  const match = /^\s*([+-]?\d+)/.exec(text);
  return match === null ? 0 : Number.parseInt(match[1] as string, 10) | 0;
}

/** The async commands' numbers: strict integer in [min, max], else `invalid value of <name>`. */
function asyncNumber(
  client: Client,
  name: string,
  text: string,
  min: number,
  max: number,
): number | undefined {
  const value = parseInt64(text);
  if (value === undefined || typeof value === 'bigint' || value < min || value > max) {
    client.replyError(`ERR invalid value of ${name} (${text})`);
    return undefined;
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// SLOTSRESTORE

function slotsrestore(client: Client, argv: string[]): void {
  if ((argv.length - 1) % 3 !== 0) {
    client.replyError("ERR wrong number of arguments for 'slotsrestore' command");
    return;
  }
  const restores: Array<{ key: string; ttl: number; value: StoredValue }> = [];
  for (let i = 1; i < argv.length; i += 3) {
    const key = argv[i] as string;
    const ttl = parseInt64(argv[i + 1] as string);
    if (ttl === undefined) {
      client.replyError(NOT_INTEGER);
      return;
    }
    if (ttl < 0) {
      client.replyError('ERR invalid ttl value, must be >= 0');
      return;
    }
    const payload = Buffer.from(argv[i + 2] as string, 'latin1');
    if (!verifyDumpPayload(payload, maxPayloadVersion(payload))) {
      client.replyError('ERR dump payload version or checksum are wrong');
      return;
    }
    let value: StoredValue;
    try {
      value = materialize(decodeDumpPayload(payload));
    } catch (error) {
      if (!(error instanceof RdbFormatError)) throw error;
      client.replyError('ERR bad data format');
      return;
    }
    restores.push({ key, ttl: Number(ttl), value });
  }
  const database = client.database;
  const now = client.server.cachedNow;
  for (const { key, ttl, value } of restores) {
    database.delete(key);
    const entry = database.add(key, value, now);
    if (ttl > 0) database.setExpire(key, entry, now + ttl);
    keyChanged(client, key);
  }
  client.out.ok();
}

// ---------------------------------------------------------------------------------------------
// Synchronous migration

function replyCount(client: Client, result: SyncResult): void {
  if ('error' in result) client.replyError(result.error);
  else client.out.integer(result.moved);
}

/** Keys of a tag group (or the key alone when untagged), in tag-index order. */
function tagGroupKeys(client: Client, key: string): string[] {
  const crc = tagCrcOf(key);
  if (crc === undefined) return [key];
  return tagGroupOf(client.database, crc);
}

/** A random key of a slot (expired keys included, as Codis picks them). */
function randomKeyOf(map: Map<string, Entry>): string | undefined {
  // Walk a bounded random distance: uniform enough, O(1) for big slots.
  let skip = Math.floor(Math.random() * Math.min(map.size, 64));
  for (const key of map.keys()) if (skip-- === 0) return key;
  return undefined;
}

export function createMigrationCommands(sync: SyncMigrator, async: AsyncMigrator): CommandDefinition[] {
  function syncCommand(tag: boolean, bySlot: boolean) {
    return (client: Client, argv: string[]): void => {
      const host = argv[1] as string;
      const port = atoi(argv[2] as string);
      const timeout = syncTimeout(client, argv[3] as string);
      if (timeout === undefined) return;
      if (!bySlot) {
        const key = argv[4] as string;
        sync.migrate(
          client,
          host,
          port,
          timeout,
          false,
          () => (tag ? tagGroupKeys(client, key) : [key]),
          replyCount,
        );
        return;
      }
      const slot = parseSlotArgument(client, argv[4] as string);
      if (slot === undefined) return;
      const map = client.database.slots[slot] as Map<string, Entry>;
      const replySlot = (c: Client, result: SyncResult): void => {
        if ('error' in result) {
          c.replyError(result.error);
          return;
        }
        c.out.arrayHeader(2);
        c.out.integer(result.moved);
        c.out.integer(map.size);
      };
      const picked = randomKeyOf(map);
      if (picked === undefined) {
        replySlot(client, { moved: 0 });
        return;
      }
      sync.migrate(
        client,
        host,
        port,
        timeout,
        true,
        () => (tag ? tagGroupKeys(client, picked) : [picked]),
        replySlot,
      );
    };
  }

  function asyncCommand(tag: boolean, bySlot: boolean) {
    return (client: Client, argv: string[]): void => {
      const host = argv[1] as string;
      const port = asyncNumber(client, 'port', argv[2] as string, 1, 65535);
      if (port === undefined) return;
      let timeout = asyncNumber(client, 'timeout', argv[3] as string, 0, INT32_MAX);
      if (timeout === undefined) return;
      let maxbulks = asyncNumber(client, 'maxbulks', argv[4] as string, 0, INT32_MAX);
      if (maxbulks === undefined) return;
      let maxbytes = asyncNumber(client, 'maxbytes', argv[5] as string, 0, INT32_MAX);
      if (maxbytes === undefined) return;
      if (timeout === 0) timeout = 30000;
      if (maxbulks === 0) maxbulks = 200;
      else if (maxbulks > 524288) maxbulks = 524288;
      if (maxbytes === 0) maxbytes = 524288;
      else if (maxbytes > 1073741823) maxbytes = 1073741823;
      let slot = -1;
      let numkeys = 0;
      if (bySlot) {
        const parsedSlot = asyncNumber(client, 'slot', argv[6] as string, 0, MAX_SLOTS - 1);
        if (parsedSlot === undefined) return;
        const parsedCount = asyncNumber(client, 'numkeys', argv[7] as string, 0, INT32_MAX);
        if (parsedCount === undefined) return;
        slot = parsedSlot;
        numkeys = parsedCount === 0 ? 100 : parsedCount;
      }
      const database = client.database;
      if (async.batchOf(database) !== undefined) {
        client.replyError('ERR the specified DB is being migrated');
        return;
      }
      const state = async.connectionFor(database, host, port);
      const now = Date.now();
      const batch = new Batch(database, { timeout, maxbulks, maxbytes });
      batch.slot = slot;
      if (!bySlot) {
        for (let i = 6; i < argv.length; i++) batch.add(argv[i] as string, tag, now);
      } else {
        fillFromSlot(batch, slot, numkeys, tag, now);
      }
      async.start(client, state, batch, (c: Client, result: AsyncResult) => writeResult(c, result));
    };
  }

  function fence(client: Client, _argv: string[]): void {
    async.fence(client);
  }

  function cancel(client: Client, _argv: string[]): void {
    client.out.integer(async.cancel(client.database) ? 1 : 0);
  }

  function status(client: Client, _argv: string[]): void {
    const state = async.connections.get(client.database.index);
    const out = client.out;
    if (state === undefined) {
      out.nullArray();
      return;
    }
    const now = Date.now();
    out.arrayHeader(18);
    out.bulk('host');
    out.bulk(state.host);
    out.bulk('port');
    out.bulk(String(state.port));
    out.bulk('used');
    out.bulk(state.used ? '1' : '0');
    out.bulk('timeout');
    out.bulk(String(state.timeout));
    out.bulk('lastuse');
    out.bulk(String(state.lastUse));
    out.bulk('since_lastuse');
    out.bulk(String(now - state.lastUse));
    out.bulk('sending_msgs');
    out.bulk(String(state.sendingMsgs));
    out.bulk('blocked_clients');
    out.bulk(String(state.waiters.length));
    out.bulk('batched_iterator');
    const batch = state.batch;
    if (batch === undefined) {
      out.nullArray();
      return;
    }
    out.arrayHeader(16);
    out.bulk('keys');
    out.arrayHeader(2);
    out.bulk(String(batch.keys.size));
    out.bulkArray([...batch.keys]);
    out.bulk('timeout');
    out.bulk(String(batch.options.timeout));
    out.bulk('maxbulks');
    out.bulk(String(batch.options.maxbulks));
    out.bulk('maxbytes');
    out.bulk(String(batch.options.maxbytes));
    out.bulk('estimate_msgs');
    out.bulk(String(batch.estimateMsgs));
    out.bulk('removed_keys');
    out.bulk(String(batch.removedKeys.length));
    out.bulk('chunked_vals');
    out.bulk(String(batch.chunkedVals));
    out.bulk('iterators');
    out.arrayHeader(2);
    out.bulk(String(batch.remainingIterators));
    const current = batch.current;
    if (current === undefined) {
      out.nullArray();
      return;
    }
    out.arrayHeader(16);
    out.bulk('key');
    out.bulk(current.key);
    out.bulk('val.type');
    out.bulk(
      String(current.stage === STAGE_PREPARE || current.value === undefined ? -1 : typeCode(current.value)),
    );
    out.bulk('stage');
    out.bulk(String(current.stage));
    out.bulk('expire');
    out.bulk(String(current.expireAt));
    out.bulk('cursor');
    out.bulk(String(current.cursor));
    out.bulk('lindex');
    out.bulk(String(current.lindex));
    out.bulk('zindex');
    out.bulk(String(current.zindex));
    out.bulk('chunked_msgs');
    out.bulk(String(current.chunkedMsgs));
  }

  function ackFromClient(client: Client, _argv: string[]): void {
    // Our sources read ACKs on their own connection; a client sending one is not a migration.
    client.replyError('ERR invalid client, permission denied');
    client.closeAfterReply = true;
  }

  /** SLOTSMGRTONE-ASYNC-DUMP / SLOTSMGRTTAGONE-ASYNC-DUMP: the batch's messages, not sent. */
  function asyncDump(tag: boolean) {
    return (client: Client, argv: string[]): void => {
      let timeout = asyncNumber(client, 'timeout', argv[1] as string, 0, INT32_MAX);
      if (timeout === undefined) return;
      let maxbulks = asyncNumber(client, 'maxbulks', argv[2] as string, 0, INT32_MAX);
      if (maxbulks === undefined) return;
      if (timeout === 0) timeout = 30000;
      if (maxbulks === 0) maxbulks = 1000;
      const now = Date.now();
      const batch = new Batch(client.database, { timeout, maxbulks, maxbytes: Number.POSITIVE_INFINITY });
      for (let i = 3; i < argv.length; i++) batch.add(argv[i] as string, tag, now);
      const context = { used: true, password: '', pendingBytes: () => 0 };
      const messages: Array<Array<string | Buffer>> = [];
      for (let message = batch.next(context, now); message !== undefined; message = batch.next(context, now))
        messages.push(message.args);
      const out = client.out;
      out.arrayHeader(messages.length);
      for (const args of messages) {
        out.arrayHeader(args.length);
        for (const arg of args) {
          if (typeof arg === 'string') out.bulk(arg);
          else out.bulkBytes(arg);
        }
      }
    };
  }

  const restoreAsync = createRestoreAsyncHandlers(async);
  return [
    { name: 'slotsrestore', handler: slotsrestore },
    { name: 'slotsmgrtone', handler: syncCommand(false, false) },
    { name: 'slotsmgrttagone', handler: syncCommand(true, false) },
    { name: 'slotsmgrtslot', handler: syncCommand(false, true) },
    { name: 'slotsmgrttagslot', handler: syncCommand(true, true) },
    { name: 'slotsmgrtone-async', handler: asyncCommand(false, false) },
    { name: 'slotsmgrttagone-async', handler: asyncCommand(true, false) },
    { name: 'slotsmgrtslot-async', handler: asyncCommand(false, true) },
    { name: 'slotsmgrttagslot-async', handler: asyncCommand(true, true) },
    { name: 'slotsmgrtone-async-dump', handler: asyncDump(false) },
    { name: 'slotsmgrttagone-async-dump', handler: asyncDump(true) },
    { name: 'slotsmgrt-async-fence', handler: fence },
    { name: 'slotsmgrt-async-cancel', handler: cancel },
    { name: 'slotsmgrt-async-status', handler: status },
    { name: 'slotsmgrt-exec-wrapper', handler: createExecWrapper(async) },
    { name: 'slotsrestore-async', handler: restoreAsync.slotsrestoreAsync },
    { name: 'slotsrestore-async-auth', handler: restoreAsync.slotsrestoreAsyncAuth },
    { name: 'slotsrestore-async-select', handler: restoreAsync.slotsrestoreAsyncSelect },
    { name: 'slotsrestore-async-ack', handler: ackFromClient },
  ];
}

/**
 * The SLOT variants' batch: keys of the slot while the estimated message count stays under
 * numkeys (one oversized first key allowed, later big keys skipped), at most max(10·N, 100) keys
 * looked at, expired keys reclaimed on the way.
 */
function fillFromSlot(batch: Batch, slot: number, numkeys: number, tag: boolean, now: number): void {
  const database = batch.database;
  const map = database.slots[slot] as Map<string, Entry>;
  let budget = Math.max(10 * numkeys, 100);
  let expired: string[] | undefined;
  // Keys and entries from two iterators walked in step (both follow the map's order): iterating
  // the map itself makes a [key, entry] array per key, a third of what a batch allocates.
  const keys = map.keys();
  const entries = map.values();
  for (;;) {
    const nextKey = keys.next();
    if (nextKey.done === true) break;
    const key = nextKey.value;
    const entry = entries.next().value as Entry;
    if (budget-- <= 0 || batch.estimateMsgs >= numkeys || batch.keys.size >= numkeys) break;
    const estimate = batch.estimateEntry(entry, now);
    if (estimate === 0) {
      expired ??= [];
      expired.push(key);
      continue;
    }
    if (batch.keys.size > 0 && batch.estimateMsgs + estimate > 2 * numkeys) continue;
    batch.add(key, tag, now, estimate);
  }
  // Reclaimed after the walk: the map is not changed while it is iterated.
  if (expired !== undefined) for (const key of expired) database.lookup(key, now);
}
