// Parsing shared by the stream commands, with Redis 7.0's rules and messages: IDs (strict, with
// `-`/`+`, exclusive `(` bounds, `<ms>-*`), XADD/XTRIM trimming options, and BLOCK timeouts.
import { isKeyword, parseInt64 } from '../arguments.ts';
import type { Client } from '../client.ts';
import { NOT_INTEGER, SYNTAX } from '../errors.ts';
import { encodingLimits } from '../types/encoding-limits.ts';
import { nextId, parseStreamId, previousId, type StreamId, UINT64_MAX } from '../types/stream-id.ts';

export const INVALID_ID = 'ERR Invalid stream ID specified as stream command argument';
const INT64_MAX = 9223372036854775807n;

/** A stream ID argument; undefined after the invalid-ID error. `-` and `+` only when not strict. */
export function parseIdArgument(
  client: Client,
  text: string,
  missingSeq: bigint,
  strict: boolean,
): StreamId | undefined {
  const parsed = parseStreamId(text, missingSeq, strict);
  if (parsed === undefined) {
    client.replyError(INVALID_ID);
    return undefined;
  }
  return parsed.id;
}

/** Strict IDs from argv[from] on (XDEL, XACK): all of them, or undefined after the first error. */
export function parseIdList(client: Client, argv: readonly string[], from: number): StreamId[] | undefined {
  const ids: StreamId[] = [];
  for (let i = from; i < argv.length; i++) {
    const id = parseIdArgument(client, argv[i] as string, 0n, true);
    if (id === undefined) return undefined;
    ids.push(id);
  }
  return ids;
}

/**
 * An XRANGE bound (streamParseIntervalIDOrReply): `(id` excludes it. Returns the inclusive bound,
 * or undefined after an error.
 */
export function parseRangeBound(client: Client, text: string, start: boolean): StreamId | undefined {
  const missingSeq = start ? 0n : UINT64_MAX;
  if (text.length > 1 && text.charCodeAt(0) === 40) {
    const id = parseIdArgument(client, text.slice(1), missingSeq, true);
    if (id === undefined) return undefined;
    const moved = start ? nextId(id) : previousId(id);
    if (moved === undefined) {
      client.replyError(
        start ? 'ERR invalid start ID for the interval' : 'ERR invalid end ID for the interval',
      );
      return undefined;
    }
    return moved;
  }
  return parseIdArgument(client, text, missingSeq, false);
}

/** A long long argument, or undefined after Redis's integer error. */
export function parseLongLongArgument(client: Client, text: string): bigint | undefined {
  const value = parseInt64(text);
  if (value === undefined) {
    client.replyError(NOT_INTEGER);
    return undefined;
  }
  return BigInt(value);
}

export const TRIM_NONE = 0;
export const TRIM_MAXLEN = 1;
export const TRIM_MINID = 2;

export interface TrimArguments {
  strategy: number;
  approx: boolean;
  /** 0 = unlimited. */
  limit: number;
  maxlen: number;
  minid: StreamId;
  /** argv index of the threshold (rewritten for propagation after an approximate trim). */
  thresholdIndex: number;
  // XADD only
  id: StreamId | undefined;
  /** `<ms>-*`: the sequence is generated. */
  autoSeq: boolean;
  noMakeStream: boolean;
  /** argv index of the ID (`*` or given). */
  idIndex: number;
}

/**
 * Redis's streamParseAddOrTrimArgsOrReply for XADD (`xadd`) or XTRIM. Undefined after an error.
 * Commands from the master or the AOF trim without LIMIT: their threshold was rewritten exact.
 */
export function parseTrimArguments(client: Client, argv: string[], xadd: boolean): TrimArguments | undefined {
  const args: TrimArguments = {
    strategy: TRIM_NONE,
    approx: false,
    limit: 0,
    maxlen: 0,
    minid: { ms: 0n, seq: 0n },
    thresholdIndex: 0,
    id: undefined,
    autoSeq: false,
    noMakeStream: false,
    idIndex: argv.length,
  };
  let limitGiven = false;
  let i = 2;
  for (; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const option = argv[i] as string;
    if (xadd && option === '*') break;
    if (more > 0 && (isKeyword(option, 'maxlen') || isKeyword(option, 'minid'))) {
      const maxlen = option.length === 6;
      if (args.strategy !== TRIM_NONE) {
        client.replyError('ERR syntax error, MAXLEN and MINID options at the same time are not compatible');
        return undefined;
      }
      args.approx = false;
      const next = argv[i + 1] as string;
      if (more >= 2 && next === '~') {
        args.approx = true;
        i++;
      } else if (more >= 2 && next === '=') i++;
      const threshold = argv[i + 1] as string;
      if (maxlen) {
        const value = parseLongLongArgument(client, threshold);
        if (value === undefined) return undefined;
        if (value < 0n) {
          client.replyError('ERR The MAXLEN argument must be >= 0.');
          return undefined;
        }
        args.maxlen = Number(value);
        args.strategy = TRIM_MAXLEN;
      } else {
        const id = parseIdArgument(client, threshold, 0n, true);
        if (id === undefined) return undefined;
        args.minid = id;
        args.strategy = TRIM_MINID;
      }
      i++;
      args.thresholdIndex = i;
    } else if (more > 0 && isKeyword(option, 'limit')) {
      const value = parseLongLongArgument(client, argv[i + 1] as string);
      if (value === undefined) return undefined;
      if (value < 0n) {
        client.replyError('ERR The LIMIT argument must be >= 0.');
        return undefined;
      }
      args.limit = value > INT64_MAX ? Number.MAX_SAFE_INTEGER : Number(value);
      limitGiven = true;
      i++;
    } else if (xadd && isKeyword(option, 'nomkstream')) {
      args.noMakeStream = true;
    } else if (xadd) {
      const parsed = parseStreamId(option, 0n, true, true);
      if (parsed === undefined) {
        client.replyError(INVALID_ID);
        return undefined;
      }
      args.id = parsed.id;
      args.autoSeq = parsed.autoSeq;
      break;
    } else {
      client.replyError(SYNTAX);
      return undefined;
    }
  }
  args.idIndex = i;
  if (args.limit !== 0 && args.strategy === TRIM_NONE) {
    client.replyError('ERR syntax error, LIMIT cannot be used without specifying a trimming strategy');
    return undefined;
  }
  if (!xadd && args.strategy === TRIM_NONE) {
    client.replyError('ERR syntax error, XTRIM must be called with a trimming strategy');
    return undefined;
  }
  if (client.origin === 'master' || client.origin === 'aof') {
    args.limit = 0;
  } else if (limitGiven) {
    if (!args.approx) {
      client.replyError('ERR syntax error, LIMIT cannot be used without the special ~ option');
      return undefined;
    }
  } else {
    args.limit = args.approx ? 100 * encodingLimits.streamNodeMaxEntries : 0;
  }
  return args;
}

/**
 * A BLOCK timeout in milliseconds (getTimeoutFromObjectOrReply, UNIT_MILLISECONDS): the absolute
 * deadline (0 = forever), or undefined after an error.
 */
export function parseBlockTimeout(client: Client, text: string): number | undefined {
  const value = parseInt64(text);
  if (value === undefined) {
    client.replyError('ERR timeout is not an integer or out of range');
    return undefined;
  }
  const ms = Number(value);
  if (ms < 0) {
    client.replyError('ERR timeout is negative');
    return undefined;
  }
  if (ms === 0) return 0;
  const now = client.server.cachedNow;
  if (BigInt(value) > INT64_MAX - BigInt(now)) {
    client.replyError('ERR timeout is out of range');
    return undefined;
  }
  return now + ms;
}
