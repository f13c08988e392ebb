// The proxy's control side in one object: it binds the data plane's listener and the admin API,
// computes the token, xauth and model, samples stats, runs the metrics reporters and the jodis
// registration, and closes everything in Codis's order (spec/proxy.md §1.1, §1.4).

import type { Logger } from 'pino';
import { pinoLevel } from '../../common/log-levels.ts';
import { coordinatorKind, openStore, type Store } from '../../coordinator/index.ts';
import { encodeGoJson, type JsonObject } from '../../models/go-json.ts';
import { goTimeNow } from '../../models/go-time.ts';
import { assertProductName, jodisPath } from '../../models/paths.ts';
import { type ProxyModel, proxyToJson } from '../../models/proxy.ts';
import { proxyConfigToJson } from '../config/load.ts';
import type { ProxyConfig } from '../config/types.ts';
import type { ProxySlot } from '../slot.ts';
import { proxyToken, proxyXAuth } from './auth.ts';
import type { ProxyCore, ProxyStatsSnapshot } from './core.ts';
import { JodisRegistration } from './jodis.ts';
import { createMetricsRegistry } from './metrics.ts';
import { advertisedAddress, buildProxyModel, checkHostOverride, joinHostPort } from './model.ts';
import { MetricsReporters, type UsageFields, type UsageTags } from './reporters.ts';
import { AdminServer } from './server.ts';
import { slotToJson } from './slots-json.ts';
import { runtimeStats, STATS_RUNTIME, StatsSampler, statsToJson } from './stats.ts';

/** Codis's `use of closed proxy`, for admin calls after close (the core has its own for its calls). */
function closedProxy(): AdminError {
  return new AdminError('CLOSED_PROXY', 'use of closed proxy');
}

export const PROXY_VERSION = '3.2.2-ts';

export class AdminError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'AdminError';
    this.code = code;
  }
}

export interface ProxyServiceOptions {
  config: ProxyConfig;
  core: ProxyCore;
  logger: Logger;
  /** `--host-proxy`, `--host-admin`: advertised addresses (spec §8.2.3). */
  hostProxy?: string | undefined;
  hostAdmin?: string | undefined;
  /** Opens the jodis coordinator (tests inject one); defaults to openStore with the jodis_* keys. */
  openJodisStore?: () => Promise<Store>;
  /** Called once the service has closed (the CLI exits then). */
  onClosed?: () => void;
  /** Extra handling of slot pushes (e.g. forwarding to --ncpu workers); called after the core's. */
  onFillSlots?: (slots: ProxySlot[]) => void;
  onStart?: () => void;
  onSentinels?: (servers: string[], rewatch: boolean) => void;
  onResetStats?: () => void;
  /** Stats of several cores merged (--ncpu); defaults to the core's. */
  statsSource?: () => ProxyStatsSnapshot;
}

export class ProxyService {
  readonly config: ProxyConfig;
  readonly core: ProxyCore;
  readonly logger: Logger;
  readonly version = PROXY_VERSION;
  readonly compile: string;
  token = '';
  xauth = '';
  model!: ProxyModel;
  private readonly options: ProxyServiceOptions;
  private readonly sampler: StatsSampler;
  private readonly admin: AdminServer;
  private reporters: MetricsReporters | undefined;
  private jodis: JodisRegistration | undefined;
  private sentinelServers: string[] = [];
  private closing: Promise<void> | undefined;
  readonly metrics;

  private constructor(options: ProxyServiceOptions) {
    this.options = options;
    this.config = options.config;
    this.core = options.core;
    this.logger = options.logger;
    this.compile = `${new Date().toISOString().replace('T', ' ').slice(0, 19)} +0000 by node ${process.version} ${process.platform}/${process.arch}`;
    this.sampler = new StatsSampler(() => this.snapshot());
    this.admin = new AdminServer(this);
    this.metrics = createMetricsRegistry({
      snapshot: () => this.snapshot(),
      qps: () => this.sampler.qps,
      labels: () => ({ product_name: this.config.product_name, token: this.token }),
    });
  }

  /** Creates the service: validates, binds both listeners and starts sampling and reporting. */
  static async open(options: ProxyServiceOptions): Promise<ProxyService> {
    const { config } = options;
    assertProductName(config.product_name);
    if (config.jodis_addr !== '') coordinatorKind(config.jodis_name);
    const hostProxy =
      options.hostProxy === undefined ? undefined : checkHostOverride('host-proxy', options.hostProxy);
    const hostAdmin =
      options.hostAdmin === undefined ? undefined : checkHostOverride('host-admin', options.hostAdmin);
    const service = new ProxyService(options);
    await options.core.listen();
    try {
      await service.admin.listen(config.admin_addr);
      const bound = options.core.address();
      const unix = config.proto_type === 'unix' || config.proto_type === 'unixpacket';
      const proxyListen = unix ? bound.host : joinHostPort(bound.host, bound.port);
      const adminBound = service.admin.address();
      const adminListen = joinHostPort(adminBound.host, adminBound.port);
      service.token = proxyToken(config.product_name, proxyListen, adminListen);
      service.xauth = proxyXAuth(config.product_name, config.product_auth, service.token);
      const proxyAddr = hostProxy ?? (unix ? bound.host : await advertisedAddress(bound));
      const adminAddr = hostAdmin ?? (await advertisedAddress(adminBound));
      const path =
        config.jodis_addr !== ''
          ? jodisPath(config.product_name, service.token, config.jodis_compatible)
          : '';
      service.model = buildProxyModel({
        token: service.token,
        startTime: goTimeNow(),
        adminAddr,
        protoType: config.proto_type,
        proxyAddr,
        jodisPath: path,
        productName: config.product_name,
        datacenter: config.proxy_datacenter,
      });
      if (path !== '') {
        service.jodis = new JodisRegistration({
          path,
          record: {
            addr: service.model.proxyAddr,
            admin: service.model.adminAddr,
            start: service.model.startTime,
            state: 'online',
            token: service.token,
          },
          open:
            options.openJodisStore ??
            (() =>
              openStore({
                name: config.jodis_name,
                addr: config.jodis_addr,
                auth: config.jodis_auth,
                sessionTimeout: config.jodis_timeout,
              })),
          logger: options.logger.child({ component: 'jodis' }),
        });
      }
      service.sampler.start();
      service.reporters = new MetricsReporters(
        config,
        {
          overview: () => service.overview(STATS_RUNTIME, false),
          tags: () => service.usageTags(),
          fields: () => service.usageFields(),
        },
        options.logger.child({ component: 'metrics' }),
      );
    } catch (error) {
      await service.admin.close().catch(() => undefined);
      await options.core.close().catch(() => undefined);
      throw error;
    }
    options.logger.info({ model: proxyToJson(service.model) }, 'proxy created');
    return service;
  }

  get closed(): boolean {
    return this.closing !== undefined || this.core.closed;
  }

  get online(): boolean {
    return this.core.online;
  }

  adminAddress(): { host: string; port: number } {
    return this.admin.address();
  }

  snapshot(): ProxyStatsSnapshot {
    return (this.options.statsSource ?? (() => this.core.stats()))();
  }

  /** xauth check order of every authenticated route (spec §8.2.2). */
  checkXAuth(xauth: string): void {
    if (this.closed) throw closedProxy();
    if (xauth === '')
      throw new AdminError('ERR_PROXY_XAUTH_MISSING', 'missing xauth, please check product name & auth');
    if (xauth !== this.xauth) {
      throw new AdminError('ERR_PROXY_XAUTH_INVALID', 'invalid xauth, please check product name & auth');
    }
  }

  modelJson(): JsonObject {
    return proxyToJson(this.model);
  }

  slotsJson(): JsonObject[] {
    return this.core.slots().map(slotToJson);
  }

  statsJson(flags: number): JsonObject {
    return statsToJson(
      {
        snapshot: this.snapshot(),
        qps: this.sampler.qps,
        rusage: this.sampler.rusage,
        primaryOnly: this.config.backend_primary_only,
        sentinelServers: this.sentinelServers,
        runtime: () => runtimeStats(this.sampler.gc, this.sampler.uptimeMs),
      },
      flags,
    );
  }

  overview(flags: number, withSlots: boolean): JsonObject {
    return {
      version: this.version,
      compile: this.compile,
      config: proxyConfigToJson(this.config),
      model: this.modelJson(),
      stats: this.statsJson(flags),
      slots: withSlots ? this.slotsJson() : undefined,
    };
  }

  start(): void {
    if (this.closed) throw closedProxy();
    this.core.start();
    this.options.onStart?.();
    this.jodis?.start();
  }

  fillSlots(slots: ProxySlot[]): void {
    if (this.closed) throw closedProxy();
    this.core.fillSlots(slots);
    this.options.onFillSlots?.(slots);
  }

  resetStats(): void {
    this.core.resetStats();
    this.options.onResetStats?.();
    this.sampler.resetBaseline();
  }

  forceGC(): void {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
  }

  setLogLevel(value: string): void {
    const level = pinoLevel(value);
    if (level === undefined) throw new AdminError('ERR_PROXY_LOGLEVEL', 'invalid loglevel');
    this.logger.level = level;
  }

  setSentinels(servers: string[]): void {
    this.sentinelServers = [...servers];
    this.core.setSentinels(servers);
    this.options.onSentinels?.(servers, false);
  }

  rewatchSentinels(): void {
    this.core.rewatchSentinels();
    this.options.onSentinels?.(this.sentinelServers, true);
  }

  usageTags(): UsageTags {
    return {
      admin_addr: this.model.adminAddr,
      hostname: this.model.hostname,
      product_name: this.config.product_name,
      proxy_addr: this.model.proxyAddr,
      token: this.token,
    };
  }

  usageFields(): UsageFields {
    const s = this.snapshot();
    const runtime = runtimeStats(this.sampler.gc, this.sampler.uptimeMs) as {
      gc: { num: number; total_pausems: number };
      num_procs: number;
      num_goroutines: number;
      num_cgo_call: number;
      mem_offheap: number;
    };
    return {
      ops_fails: s.ops.fails,
      ops_qps: this.sampler.qps,
      ops_redis_errors: s.ops.redisErrors,
      ops_total: s.ops.total,
      runtime_gc_num: runtime.gc.num,
      runtime_gc_total_pausems: runtime.gc.total_pausems,
      runtime_num_cgo_call: runtime.num_cgo_call,
      runtime_num_goroutines: runtime.num_goroutines,
      runtime_num_mem_offheap: runtime.mem_offheap,
      runtime_num_procs: runtime.num_procs,
      rusage_cpu: this.sampler.rusage.cpu,
      rusage_mem: this.sampler.rusage.mem,
      sessions_alive: s.sessions.alive,
      sessions_total: s.sessions.total,
    };
  }

  /** The effective model as the startup log prints it. */
  describe(): string {
    return encodeGoJson(this.modelJson());
  }

  /** Closes in Codis's order: jodis node, admin and proxy listeners, router; idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.logger.warn('proxy is closing');
      await this.jodis?.close();
      await this.reporters?.stop();
      this.sampler.stop();
      await this.admin.close();
      await this.core.close();
      this.options.onClosed?.();
    })();
    return this.closing;
  }
}
