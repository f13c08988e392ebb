// An AOF base written as commands (aof-use-rdb-preamble no), as Redis 7.0's rewriteAppendOnlyFileRio
// writes it (checked against redis-server 7.0.15's base files): FUNCTION LOAD per library first,
// then for each database with keys a SELECT and per key the commands that rebuild it — SET; RPUSH,
// SADD, ZADD (scores as %.17g) and HMSET with at most 64 items (pairs for ZADD and HMSET) each;
// streams as stream-rewrite.ts says — then PEXPIREAT when the key has a TTL.
import { formatDouble } from '../../resp/double.ts';
import { type StoredValue, stringOf } from '../keyspace/value.ts';
import type { HashValue } from '../types/hash.ts';
import type { ListValue } from '../types/list.ts';
import type { SetValue } from '../types/set.ts';
import type { StreamValue } from '../types/stream.ts';
import type { ZSetValue } from '../types/zset.ts';
import type { SnapshotSink } from './snapshot.ts';
import { rewriteStream } from './stream-rewrite.ts';

/** AOF_REWRITE_ITEMS_PER_CMD. */
const ITEMS_PER_COMMAND = 64;
/** Written data is handed out in chunks of about this size. */
const CHUNK_BYTES = 1 << 20;

/** Emits `head` followed by the items' arguments, at most ITEMS_PER_COMMAND items per command. */
function inBatches(
  head: readonly string[],
  items: Iterable<readonly string[]>,
  emit: (argv: string[]) => void,
): void {
  let argv: string[] = head.slice();
  let count = 0;
  for (const item of items) {
    for (const each of item) argv.push(each);
    if (++count === ITEMS_PER_COMMAND) {
      emit(argv);
      argv = head.slice();
      count = 0;
    }
  }
  if (count > 0) emit(argv);
}

function* single(values: Iterable<string>): Generator<[string]> {
  for (const value of values) yield [value];
}

function* scored(zset: ZSetValue): Generator<[string, string]> {
  for (const [member, score] of zset.entries()) yield [formatDouble(score), member];
}

/** The commands that rebuild one key's value (rewriteAppendOnlyFileRio's per-type rewrites). */
export function rewriteKey(key: string, value: StoredValue, emit: (argv: string[]) => void): void {
  if (typeof value !== 'object') {
    emit(['SET', key, stringOf(value)]);
    return;
  }
  switch (value.type) {
    case 'list':
      inBatches(['RPUSH', key], single(value as ListValue), emit);
      return;
    case 'set':
      inBatches(['SADD', key], single((value as SetValue).members()), emit);
      return;
    case 'zset':
      inBatches(['ZADD', key], scored(value as ZSetValue), emit);
      return;
    case 'hash':
      inBatches(['HMSET', key], (value as HashValue).entries(), emit);
      return;
    case 'stream':
      rewriteStream(key, value as StreamValue, emit);
      return;
  }
}

/** Encodes a snapshot as RESP commands, handing them out in chunks (views valid during the call). */
export class AofCommandEncoder implements SnapshotSink {
  private readonly output: (chunk: Buffer) => void;
  private buffer = Buffer.allocUnsafe(CHUNK_BYTES + 4096);
  private length = 0;
  /** Bytes handed out so far. */
  bytes = 0;
  private readonly emit = (argv: string[]): void => this.write(argv);

  constructor(functions: readonly string[], output: (chunk: Buffer) => void) {
    this.output = output;
    for (const code of functions) this.write(['FUNCTION', 'LOAD', code]);
  }

  beginDatabase(index: number): void {
    this.write(['SELECT', String(index)]);
  }

  key(key: string, value: StoredValue, expireAt: number): void {
    rewriteKey(key, value, this.emit);
    if (expireAt !== 0) this.write(['PEXPIREAT', key, String(expireAt)]);
  }

  end(): void {
    this.flush();
  }

  private write(argv: readonly string[]): void {
    let size = 16;
    for (const arg of argv) size += arg.length + 16;
    if (this.length + size > this.buffer.length) {
      this.flush();
      if (size > this.buffer.length) this.buffer = Buffer.allocUnsafe(size);
    }
    const buffer = this.buffer;
    let at = this.length;
    at += buffer.latin1Write(`*${argv.length}\r\n`, at);
    for (const arg of argv) {
      at += buffer.latin1Write(`$${arg.length}\r\n`, at);
      at += buffer.latin1Write(arg, at);
      buffer[at++] = 13;
      buffer[at++] = 10;
    }
    this.length = at;
    if (at >= CHUNK_BYTES) this.flush();
  }

  private flush(): void {
    if (this.length === 0) return;
    const length = this.length;
    this.length = 0;
    this.bytes += length;
    this.output(this.buffer.subarray(0, length));
  }
}
