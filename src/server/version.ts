/** The Redis version whose commands and replies codis-server reproduces (HELLO, INFO redis_version). */
export const REDIS_COMPATIBLE_VERSION = '7.0.15';
/** This implementation's own version (INFO codis_version). */
export const CODIS_VERSION = '3.2.0-ts';
