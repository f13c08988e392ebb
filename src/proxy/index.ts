// codis-proxy's data plane. `Proxy` is the contract name; `CodisProxy` is the same class, for
// modules that must not shadow the global `Proxy`.

export type { ProxyStatsSnapshot } from './admin/core.ts';
export type { ProxyConfig } from './config/types.ts';
export { defaultProxyConfig } from './config/types.ts';
export { ProxyError, type ProxyErrorCode } from './errors.ts';
export type { ProxyLogger } from './logger.ts';
export { CodisProxy, CodisProxy as Proxy, type ProxyOptions } from './proxy.ts';
export type { ProxySlot } from './slot.ts';
