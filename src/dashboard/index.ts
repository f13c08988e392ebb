export { dashboardXAuth, newToken, newXAuth, proxyXAuth } from './auth.ts';
export {
  applyDashboardEnvironment,
  DASHBOARD_CONFIG_KEYS,
  type DashboardConfig,
  DashboardConfigError,
  dashboardConfigJson,
  dashboardConfigToml,
  defaultDashboardConfig,
  loadDashboardConfigFile,
  parseDashboardToml,
  setDashboardConfigValue,
  validateDashboardConfig,
} from './config.ts';
export { DashboardError, UnauthorizedError } from './errors.ts';
export { ADMIN_SECRET_HEADER, DashboardHttp } from './http.ts';
export { rebalancePlan } from './rebalance.ts';
export { RedisClient, RedisClientError } from './redis-client.ts';
export { renderSlot } from './slot-view.ts';
export { DEFAULT_TIMINGS, Topom, type TopomOptions, type TopomTimings } from './topom.ts';
