// Codis's log level names (`--log-level`, the admin APIs' loglevel routes) and pino's for them.

const PINO_LEVELS: Readonly<Record<string, string>> = {
  ERROR: 'error',
  WARN: 'warn',
  WARNING: 'warn',
  INFO: 'info',
  DEBUG: 'debug',
  NONE: 'silent',
};

/** pino's level for a Codis level name (case-insensitive), or undefined for an unknown name. */
export function pinoLevel(name: string): string | undefined {
  return PINO_LEVELS[name.toUpperCase()];
}
