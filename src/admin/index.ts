export {
  ADMIN_SECRET_HEADER,
  ApiClient,
  HttpStatusError,
  RemoteError,
  TransportError,
} from './api-client.ts';
export { ADMIN_SECRET_ENV, type AdminIo, runAdmin } from './command-line.ts';
export { configV3ToJson, convertConfigV1, parseConfigV3, validateConfigV3 } from './config-file.ts';
export {
  DashboardClient,
  type DashboardStats,
  type GroupJson,
  type ProxyJson,
  type ProxyStatsJson,
  type RedisStatsJson,
} from './dashboard-client.ts';
export {
  connectDashboard,
  groupStatusLines,
  proxyStatusLines,
  rebalanceLines,
} from './dashboard-commands.ts';
export { AdminFailure, Console } from './output.ts';
export { ProxyClient } from './proxy-client.ts';
export { dashboardXAuth, proxyXAuth, xauth } from './xauth.ts';
