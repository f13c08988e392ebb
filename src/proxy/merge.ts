// Reading the few replies the proxy must look inside: sub-replies of split commands (§4.5) and the
// migration steps' replies (§6.5, §6.6). Everything else is relayed without being decoded.
import { ReplyFramer, type ReplySink } from './reply-framer.ts';
import { parseCodisInteger } from './request-decoder.ts';

class Collector implements ReplySink {
  items: Buffer[] = [];
  onReply(raw: Buffer): void {
    this.items.push(raw);
  }
}

/** The raw elements of an array reply, or undefined when `raw` is not a (non-nil) array. */
export function arrayElements(raw: Buffer): Buffer[] | undefined {
  if (raw[0] !== 42) return undefined;
  const lineEnd = raw.indexOf(13);
  const count = parseCodisInteger(raw, 1, lineEnd);
  if (!(count >= 0)) return undefined;
  const items: Buffer[] = [];
  if (count > 0) {
    // One framer for every call: MGET merges run this for each sub-reply.
    collector.items = items;
    framer.reset();
    framer.feed(raw.subarray(lineEnd + 2));
    collector.items = [];
  }
  return items;
}

const collector = new Collector();
const framer = new ReplyFramer(collector);

/** Codis's name of a reply's type in error texts: `<string>`, `<error>`, `<int>`, ... */
export function typeName(raw: Buffer): string {
  switch (raw[0]) {
    case 43:
      return '<string>';
    case 45:
      return '<error>';
    case 58:
      return '<int>';
    case 36:
      return '<bulkbytes>';
    case 42:
      return '<array>';
    default:
      return '<unknown>';
  }
}

/** The text of a simple string, error or integer reply (without type byte and CR LF). */
export function lineText(raw: Buffer): string {
  return raw.latin1Slice(1, raw.length - 2);
}

/** Codis's `value.len` / `array.len`: bytes of a value, elements of an array, -1 for nil. */
export function valueLength(raw: Buffer): number {
  if (raw[0] === 36 || raw[0] === 42) return parseCodisInteger(raw, 1, raw.indexOf(13));
  return raw.length - 3;
}

/** The payload of a bulk string reply, or undefined. */
export function bulkText(raw: Buffer): string | undefined {
  if (raw[0] !== 36) return undefined;
  const lineEnd = raw.indexOf(13);
  const length = parseCodisInteger(raw, 1, lineEnd);
  if (!(length >= 0)) return undefined;
  return raw.latin1Slice(lineEnd + 2, lineEnd + 2 + length);
}

export function integerReply(value: number): Buffer {
  return Buffer.from(`:${value}\r\n`, 'latin1');
}
