// XREAD and XREADGROUP, blocking included. A blocked read is run again when one of its keys gets
// an entry (or its group goes away); as in Redis, that run answers for the ready key alone, reads
// after the ID it blocked on (`$` is fixed to the last ID when it blocked) and, without COUNT,
// returns at most 1000 entries.
import { isKeyword } from '../arguments.ts';
import type { Client } from '../client.ts';
import { SYNTAX } from '../errors.ts';
import type { ConsumerGroup, StreamConsumer, StreamValue } from '../types/stream.ts';
import {
  compareIds,
  formatId,
  MAX_ID,
  MIN_ID,
  nextId,
  parseStreamId,
  type StreamId,
} from '../types/stream-id.ts';
import { readCollection } from './keyspace-access.ts';
import { parseBlockTimeout, parseIdArgument, parseLongLongArgument } from './stream-arguments.ts';
import { consumerFor, deliverHistory, deliverNew, propagateStream } from './stream-delivery.ts';
import { replyEntries } from './stream-replies.ts';

/** COUNT of a blocked read served without one (XREAD_BLOCKED_DEFAULT_COUNT). */
const BLOCKED_DEFAULT_COUNT = 1000;
const NEW_ENTRIES = '>';

interface ReadRequest {
  group: string | undefined;
  consumer: string | undefined;
  noack: boolean;
  count: number;
  /** -1 without BLOCK, 0 forever, else the deadline. */
  deadline: number;
  firstKey: number;
  keys: number;
}

function parseRead(client: Client, argv: string[], withGroup: boolean): ReadRequest | undefined {
  const request: ReadRequest = {
    group: undefined,
    consumer: undefined,
    noack: false,
    count: 0,
    deadline: -1,
    firstKey: 0,
    keys: 0,
  };
  const name = argv[0] as string;
  for (let i = 1; i < argv.length; i++) {
    const more = argv.length - i - 1;
    const option = argv[i] as string;
    if (more > 0 && isKeyword(option, 'block')) {
      if (client.origin === 'script') {
        client.replyError(`ERR ${name} command is not allowed with BLOCK option from scripts`);
        return undefined;
      }
      i++;
      const deadline = parseBlockTimeout(client, argv[i] as string);
      if (deadline === undefined) return undefined;
      request.deadline = deadline;
    } else if (more > 0 && isKeyword(option, 'count')) {
      i++;
      const count = parseLongLongArgument(client, argv[i] as string);
      if (count === undefined) return undefined;
      request.count = count < 0n ? 0 : count > 2n ** 53n ? Number.MAX_SAFE_INTEGER : Number(count);
    } else if (more > 0 && isKeyword(option, 'streams')) {
      const left = argv.length - i - 1;
      if (left % 2 !== 0) {
        // Redis 7.0 names XREAD and '$' for XREADGROUP too.
        client.replyError(
          "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
        );
        return undefined;
      }
      request.firstKey = i + 1;
      request.keys = left / 2;
      break;
    } else if (more >= 2 && isKeyword(option, 'group')) {
      if (!withGroup) {
        client.replyError('ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.');
        return undefined;
      }
      request.group = argv[i + 1] as string;
      request.consumer = argv[i + 2] as string;
      i += 2;
    } else if (isKeyword(option, 'noack')) {
      if (!withGroup) {
        client.replyError('ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.');
        return undefined;
      }
      request.noack = true;
    } else {
      client.replyError(SYNTAX);
      return undefined;
    }
  }
  if (request.firstKey === 0) {
    client.replyError(SYNTAX);
    return undefined;
  }
  if (withGroup && request.group === undefined) {
    client.replyError('ERR Missing GROUP option for XREADGROUP');
    return undefined;
  }
  return request;
}

function readGeneric(client: Client, argv: string[], withGroup: boolean): void {
  const request = parseRead(client, argv, withGroup);
  if (request === undefined) return;
  if (client.retryingBlocked) {
    serveBlocked(client, argv, request);
    return;
  }
  const { firstKey, keys, group: groupName } = request;
  // Resolve the IDs (and groups) of every key first: any error answers before anything is read.
  const ids: StreamId[] = [];
  const groups: ConsumerGroup[] = [];
  const streams: Array<StreamValue | null> = [];
  for (let i = 0; i < keys; i++) {
    const key = argv[firstKey + i] as string;
    const text = argv[firstKey + keys + i] as string;
    const stream = readCollection<StreamValue>(client, key, 'stream');
    if (stream === undefined) return;
    streams.push(stream);
    if (groupName !== undefined) {
      const group = stream?.group(groupName);
      if (group === undefined) {
        client.replyError(
          `NOGROUP No such key '${key}' or consumer group '${groupName}' in XREADGROUP with GROUP option`,
        );
        return;
      }
      groups.push(group);
    }
    if (text === '$') {
      if (withGroup) {
        client.replyError(
          'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.',
        );
        return;
      }
      ids.push(stream === null ? MIN_ID : stream.lastId);
    } else if (text === NEW_ENTRIES) {
      if (!withGroup) {
        client.replyError(
          'ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.',
        );
        return;
      }
      ids.push(MAX_ID);
    } else {
      const id = parseIdArgument(client, text, 0n, true);
      if (id === undefined) return;
      ids.push(id);
    }
  }
  const out = client.out;
  const resp3 = client.out.protocol === 3;
  let served = 0;
  // The reply's length is the number of keys served, known only at the end.
  let mark = 0;
  for (let i = 0; i < keys; i++) {
    const stream = streams[i] as StreamValue | null;
    if (stream === null) continue;
    const key = argv[firstKey + i] as string;
    let after = ids[i] as StreamId;
    let history = false;
    let serve = false;
    const group = groups[i];
    if (group !== undefined) {
      if (compareIds(after, MAX_ID) !== 0) {
        serve = true;
        history = true;
      } else if (stream.length > 0 && compareIds(stream.edgeId(false) as StreamId, group.lastId) > 0) {
        serve = true;
        after = group.lastId;
      }
    } else if (stream.length > 0 && compareIds(stream.edgeId(false) as StreamId, after) > 0) serve = true;
    if (!serve) continue;
    if (group !== undefined) client.database.beforeWrite(key);
    // The consumer is looked up (or created) only when its group serves it, as in Redis.
    const consumer = group === undefined ? undefined : readerConsumer(client, key, group, request);
    if (served === 0) mark = client.out.length;
    served++;
    if (!resp3) out.arrayHeader(2);
    out.bulk(key);
    const start = nextId(after);
    if (group === undefined || consumer === undefined) {
      replyRange(client, stream, start, request.count);
    } else if (history) {
      deliverHistory(out, stream, start ?? MAX_ID, request.count, consumer);
    } else {
      deliverNew(client, out, key, stream, after, request.count, group, consumer, request.noack);
    }
  }
  if (served > 0) {
    finishReply(client, mark, served);
    return;
  }
  if (request.deadline === -1 || client.silent || client.flags.includes('x')) {
    client.out.nullArray();
    return;
  }
  // Block: `$` becomes the ID it stands for now, so the run on a new entry reads after it.
  const blockedArgv = argv.slice();
  for (let i = 0; i < keys; i++) {
    const text = argv[firstKey + keys + i] as string;
    if (text === '$') blockedArgv[firstKey + keys + i] = formatId(ids[i] as StreamId);
  }
  client.block(argv.slice(firstKey, firstKey + keys), blockedArgv, request.deadline, (blocked) =>
    blocked.out.nullArray(),
  );
}

/** Writes the reply's header before the keys' replies written since `mark`. */
function finishReply(client: Client, mark: number, served: number): void {
  const out = client.out;
  const body = out.cut(mark);
  if (client.out.protocol === 3) out.mapHeader(served);
  else out.arrayHeader(served);
  out.rawBytes(body);
}

function replyRange(client: Client, stream: StreamValue, start: StreamId | undefined, count: number): void {
  const entries = [];
  if (start !== undefined) {
    for (const entry of stream.range(start, MAX_ID)) {
      entries.push(entry);
      if (entries.length === count) break;
    }
  }
  replyEntries(client.out, entries);
}

/**
 * A blocked read run again for the key that became ready (serveClientsBlockedOnStreamKey): it
 * answers with that key's new entries, or keeps waiting. A group reader whose stream or group went
 * away gets Redis 7.0's errors.
 */
function serveBlocked(client: Client, argv: string[], request: ReadRequest): void {
  const key = client.server.blocking.servingKey;
  let index = -1;
  for (let i = 0; i < request.keys; i++) {
    if (argv[request.firstKey + i] === key) {
      index = i;
      break;
    }
  }
  if (key === undefined || index < 0) {
    keepWaiting(client, argv, request);
    return;
  }
  const value = client.database.lookup(key, client.server.cachedNow)?.value;
  const stream = typeof value === 'object' && value.type === 'stream' ? (value as StreamValue) : undefined;
  if (stream === undefined) {
    if (request.group !== undefined) client.replyError('UNBLOCKED the stream key no longer exists');
    else keepWaiting(client, argv, request);
    return;
  }
  let after: StreamId;
  let group: ConsumerGroup | undefined;
  if (request.group !== undefined) {
    group = stream.group(request.group);
    if (group === undefined) {
      client.replyError('NOGROUP the consumer group this client was blocked on no longer exists');
      return;
    }
    after = group.lastId;
  } else {
    // The ID it blocked on (`$` was replaced by the last ID then).
    after = parseStreamId(argv[request.firstKey + request.keys + index] as string, 0n, true)?.id ?? MAX_ID;
  }
  if (compareIds(stream.lastId, after) <= 0) {
    keepWaiting(client, argv, request);
    return;
  }
  const count = request.count === 0 ? BLOCKED_DEFAULT_COUNT : request.count;
  if (group !== undefined) client.database.beforeWrite(key);
  const out = client.out;
  if (out.protocol === 3) out.mapHeader(1);
  else {
    out.arrayHeader(1);
    out.arrayHeader(2);
  }
  out.bulk(key);
  if (group === undefined) {
    replyRange(client, stream, nextId(after), count);
    return;
  }
  deliverNew(
    client,
    out,
    key,
    stream,
    after,
    count,
    group,
    readerConsumer(client, key, group, request),
    request.noack,
  );
}

/** The reading consumer, created when missing; replicas learn of a new one by XGROUP CREATECONSUMER. */
function readerConsumer(
  client: Client,
  key: string,
  group: ConsumerGroup,
  request: ReadRequest,
): StreamConsumer {
  const name = request.consumer as string;
  const state = consumerFor(client, key, group, name);
  if (state.created) propagateStream(client, [['XGROUP', 'CREATECONSUMER', key, group.name, name]]);
  return state.consumer;
}

function keepWaiting(client: Client, argv: string[], request: ReadRequest): void {
  client.block(
    argv.slice(request.firstKey, request.firstKey + request.keys),
    argv,
    request.deadline,
    (blocked) => blocked.out.nullArray(),
  );
}

function xread(client: Client, argv: string[]): void {
  readGeneric(client, argv, false);
}

function xreadgroup(client: Client, argv: string[]): void {
  readGeneric(client, argv, true);
  // XREADGROUP is never propagated as itself: its effects went out as XCLAIM / XGROUP commands.
  if (client.server.propagateInstead === undefined) client.server.propagateInstead = [];
}

export const streamReadCommands = [
  { name: 'xread', handler: xread },
  { name: 'xreadgroup', handler: xreadgroup },
];
