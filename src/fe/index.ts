export { DEFAULT_ASSETS_DIR } from './assets.ts';
export {
  CoordinatorSource,
  DashboardDirectory,
  type DashboardSource,
  ListFileSource,
} from './directory.ts';
export { FeServer, type FeServerOptions, SESSION_COOKIE } from './server.ts';
