// Every flag of codis-admin (spec/control-plane.md §12.3), as the CLI parses them.

export interface AdminOptions {
  verbose: boolean;
  // Targets.
  dashboard?: string | undefined;
  proxy?: string | undefined;
  /** Product auth, for the proxy xauth (`--auth`, `-a`, or `--product_auth`). */
  auth?: string | undefined;
  /** Overrides the product name learned from the model. */
  productName?: string | undefined;
  /** Our dashboards' optional admin secret (`--admin-secret` or CODIS_ADMIN_SECRET). */
  adminSecret?: string | undefined;
  /** `config`, `model`, `stats`, `slots`, `group` or `proxy` after an overview mode. */
  section?: string | undefined;

  // Dashboard and proxy modes.
  shutdown?: boolean;
  reload?: boolean;
  logLevel?: string | undefined;
  slotsAssign?: boolean;
  slotsStatus?: boolean;
  listProxy?: boolean;
  createProxy?: boolean;
  onlineProxy?: boolean;
  removeProxy?: boolean;
  reinitProxy?: boolean;
  proxyStatus?: boolean;
  listGroup?: boolean;
  createGroup?: boolean;
  removeGroup?: boolean;
  resyncGroup?: boolean;
  groupAdd?: boolean;
  groupDel?: boolean;
  groupStatus?: boolean;
  replicaGroups?: boolean;
  promoteServer?: boolean;
  syncAction?: boolean;
  slotAction?: boolean;
  rebalance?: boolean;
  sentinelAdd?: boolean;
  sentinelDel?: boolean;
  sentinelResync?: boolean;

  // Their arguments.
  beg?: string | undefined;
  end?: string | undefined;
  gid?: string | undefined;
  sid?: string | undefined;
  gidFrom?: string | undefined;
  gidTo?: string | undefined;
  numSlots?: string | undefined;
  pid?: string | undefined;
  interval?: string | undefined;
  disabled?: string | undefined;
  addr?: string | undefined;
  token?: string | undefined;
  datacenter?: string | undefined;
  offline?: boolean;
  confirm?: boolean;
  force?: boolean;
  all?: boolean;
  enable?: boolean;
  disable?: boolean;
  create?: boolean;
  remove?: boolean;
  createSome?: boolean;
  createRange?: boolean;

  // Proxy-only modes.
  start?: boolean;
  fillslots?: string | undefined;
  locked?: boolean;
  resetStats?: boolean;
  forcegc?: boolean;

  // Coordinator modes.
  removeLock?: boolean;
  configDump?: boolean;
  /** `-1`: dump the Codis 2 layout. */
  v1?: boolean;
  configConvert?: string | undefined;
  configRestore?: string | undefined;
  dashboardList?: boolean;
  product?: string | undefined;
  zookeeper?: string | undefined;
  zookeeperAuth?: string | undefined;
  etcd?: string | undefined;
  etcdAuth?: string | undefined;
  filesystem?: string | undefined;
}
