export { crc32OfBytes, crc32OfLatin1 } from './crc32.ts';
export { hashTagBoundsOfLatin1, MAX_SLOTS, slotOf, slotOfBytes, tagCrcOf } from './hash.ts';
