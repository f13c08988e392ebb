// How stream entries are written in replies: `[id, [field, value, ...]]` each.
import type { ReplyWriter } from '../../resp/index.ts';
import type { StreamEntry } from '../types/stream.ts';
import { formatId } from '../types/stream-id.ts';

export function replyEntry(out: ReplyWriter, entry: StreamEntry): void {
  out.arrayHeader(2);
  out.bulk(formatId(entry.id));
  const fields = entry.fields;
  out.arrayHeader(fields.length);
  for (let i = 0; i < fields.length; i++) out.bulk(fields[i] as string);
}

export function replyEntries(out: ReplyWriter, entries: readonly StreamEntry[]): void {
  out.arrayHeader(entries.length);
  for (const entry of entries) replyEntry(out, entry);
}
