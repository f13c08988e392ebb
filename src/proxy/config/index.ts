export { formatDuration, formatSize, parseDuration, parseSize, UnitFormatError } from '../../common/units.ts';
export {
  applyProxyEnvironment,
  type LoadProxyConfigOptions,
  loadProxyConfig,
  PROXY_ENV_PREFIX,
  ProxyConfigError,
  parseProxyToml,
  proxyConfigToJson,
  proxyConfigToToml,
  setProxyConfigValue,
  validateProxyConfig,
} from './load.ts';
export {
  DEFAULT_PROXY_TOML,
  PROXY_CONFIG_KEYS,
  type ProxyConfigKey,
  type ProxyConfigKind,
} from './schema.ts';
export { defaultProxyConfig, type ProxyConfig } from './types.ts';
