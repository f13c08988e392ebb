// Turns a decoded RDB value into the server's own data structure for that type.
import { encodeString, type StoredValue } from '../keyspace/value.ts';
import { ListValue } from '../types/list.ts';
import { ZSetValue } from '../types/zset.ts';
import { RdbFormatError } from './errors.ts';
import type { RdbValue } from './object.ts';

/** The stored form of a decoded value; throws RdbFormatError for a type the server lacks. */
export function materialize(value: RdbValue): StoredValue {
  switch (value.type) {
    case 'string':
      return encodeString(value.value);
    case 'list':
      return ListValue.fromArray(value.items);
    case 'zset':
      return ZSetValue.fromPairs(value.pairs);
    default:
      throw new RdbFormatError(`values of type ${value.type} are not supported yet`);
  }
}
