export { ConfigError, type ConfigListener, ServerConfig } from './config.ts';
export { CONFIG_PARAMETERS, type ConfigParameter, configParameter } from './schema.ts';
export { parseMemory } from './values.ts';
