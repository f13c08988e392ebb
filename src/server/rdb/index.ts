// The RDB codec: Redis's value serialization for DUMP/RESTORE, migration and RDB files.
export { crc64 } from './crc64.ts';
export { RdbFormatError } from './errors.ts';
export { lzfCompress, lzfDecompress } from './lzf.ts';
export { materialize } from './materialize.ts';
export { type RdbValue, readObject, writeObject } from './object.ts';
export { createDumpPayload, decodeDumpPayload, payloadVersion, verifyDumpPayload } from './payload.ts';
export { RdbReader } from './reader.ts';
export { RdbWriter } from './writer.ts';
