// A stream as the commands that rebuild it, for an AOF base written as commands: what Redis 7.0's
// rewriteStreamObject emits, checked against redis-server 7.0.15's own base file. Live entries as
// XADD with their IDs (an empty stream as `XADD key MAXLEN 0 0-1 x y`, which leaves it empty), then
// XSETID with the last ID, entries added and largest deleted ID; per group (in name order)
// XGROUP CREATE with its last ID and entries read, then per consumer (in name order) an XCLAIM ...
// FORCE per pending entry, which recreates the entry with its delivery time and count, or
// XGROUP CREATECONSUMER for a consumer with nothing pending. Like Redis's, the rewrite does not
// keep consumers' seen times: replaying it sets them to the time of the replay.

import type { StreamValue } from '../types/stream.ts';
import { formatId } from '../types/stream-id.ts';

export function rewriteStream(key: string, stream: StreamValue, emit: (argv: string[]) => void): void {
  if (stream.length > 0) {
    for (const node of stream.nodes) {
      for (const entry of node.entries) {
        if (entry.deleted) continue;
        emit(['XADD', key, formatId(entry.id), ...entry.fields]);
      }
    }
  } else {
    emit(['XADD', key, 'MAXLEN', '0', '0-1', 'x', 'y']);
  }
  emit([
    'XSETID',
    key,
    formatId(stream.lastId),
    'ENTRIESADDED',
    String(stream.entriesAdded),
    'MAXDELETEDID',
    formatId(stream.maxDeletedEntryId),
  ]);
  for (const group of stream.sortedGroups()) {
    emit([
      'XGROUP',
      'CREATE',
      key,
      group.name,
      formatId(group.lastId),
      'ENTRIESREAD',
      String(group.entriesRead),
    ]);
    for (const consumer of group.sortedConsumers()) {
      if (consumer.pel.size === 0) {
        emit(['XGROUP', 'CREATECONSUMER', key, group.name, consumer.name]);
        continue;
      }
      for (const [id, nack] of consumer.pel.entries()) {
        emit([
          'XCLAIM',
          key,
          group.name,
          consumer.name,
          '0',
          formatId(id),
          'TIME',
          String(nack.deliveryTime),
          'RETRYCOUNT',
          String(nack.deliveryCount),
          'JUSTID',
          'FORCE',
        ]);
      }
    }
  }
}
