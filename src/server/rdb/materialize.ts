// Turns a decoded RDB value into the server's own data structure for that type.
import { encodeString, type StoredValue } from '../keyspace/value.ts';
import { HashValue } from '../types/hash.ts';
import { ListValue } from '../types/list.ts';
import { SetValue } from '../types/set.ts';
import { ZSetValue } from '../types/zset.ts';
import type { RdbValue } from './object.ts';

/** The stored form of a decoded value. */
export function materialize(value: RdbValue): StoredValue {
  switch (value.type) {
    case 'string':
      return encodeString(value.value);
    case 'list':
      return ListValue.fromArray(value.items);
    case 'hash':
      return HashValue.fromEntries(value.entries);
    case 'set':
      return SetValue.fromMembers(value.members);
    case 'zset':
      return ZSetValue.fromPairs(value.pairs);
  }
}
