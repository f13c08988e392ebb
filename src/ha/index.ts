export {
  HA_VERSION,
  type HaCommandLine,
  type HaIo,
  type HaSettings,
  PRODUCT_AUTH_ENV,
  parseHaCommandLine,
} from './command-line.ts';
export {
  classify,
  type GroupState,
  groupLines,
  type Health,
  marker,
  type ProxyHealth,
  type ProxyState,
  proxyHealth,
  proxyLines,
  type ServerHealth,
  type ServerState,
  type StatusLine,
  serverHealth,
} from './health.ts';
export { type NoticeReason, planRepairs, type Step } from './repair.ts';
export { Watchdog, type WatchdogOptions } from './watchdog.ts';
