// Prometheus metrics (`GET /metrics`): the proxy's counters as codis_proxy_*, read from the core at
// scrape time, plus Node's process metrics under the same prefix.

import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { ProxyStatsSnapshot } from './core.ts';

export interface MetricsSource {
  snapshot(): ProxyStatsSnapshot;
  qps(): number;
  labels(): { product_name: string; token: string };
}

export function createMetricsRegistry(source: MetricsSource): Registry {
  const registry = new Registry();
  const registers = [registry];
  let current: ProxyStatsSnapshot | undefined;
  // One snapshot per scrape, taken by the first collector that runs.
  const snap = (): ProxyStatsSnapshot => {
    current ??= source.snapshot();
    queueMicrotask(() => {
      current = undefined;
    });
    return current;
  };
  // Counters reset with `stats/reset`, which Prometheus treats as a counter restart.
  const counter = (name: string, help: string, read: (s: ProxyStatsSnapshot) => number): void => {
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read(snap()));
      },
    });
  };
  const gauge = (name: string, help: string, read: (s: ProxyStatsSnapshot) => number): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read(snap()));
      },
    });
  };
  new Gauge({
    name: 'codis_proxy_info',
    help: 'Constant 1, labelled with the product name and the proxy token',
    labelNames: ['product_name', 'token'],
    registers,
    collect() {
      this.reset();
      this.set(source.labels(), 1);
    },
  });
  gauge('codis_proxy_online', '1 when the proxy is online', (s) => (s.online ? 1 : 0));
  gauge('codis_proxy_closed', '1 when the proxy is closed', (s) => (s.closed ? 1 : 0));
  counter('codis_proxy_ops_total', 'Requests decoded by all sessions', (s) => s.ops.total);
  counter('codis_proxy_ops_fails_total', 'Failed requests and rejected sessions', (s) => s.ops.fails);
  counter('codis_proxy_ops_redis_errors_total', 'Error replies written to clients', (s) => s.ops.redisErrors);
  gauge('codis_proxy_ops_qps', 'Requests per second over the last second', () => source.qps());
  counter('codis_proxy_sessions_total', 'Sessions accepted since start or reset', (s) => s.sessions.total);
  gauge('codis_proxy_sessions_alive', 'Sessions currently open', (s) => s.sessions.alive);

  const perCommand = (
    name: string,
    help: string,
    read: (c: ProxyStatsSnapshot['ops']['commands'][number]) => number,
  ): void => {
    new Counter({
      name,
      help,
      labelNames: ['command'],
      registers,
      collect() {
        this.reset();
        for (const command of snap().ops.commands) this.inc({ command: command.opstr }, read(command));
      },
    });
  };
  perCommand('codis_proxy_command_calls_total', 'Replies written, per command', (c) => c.calls);
  perCommand('codis_proxy_command_fails_total', 'Failed requests, per command', (c) => c.fails);
  perCommand('codis_proxy_command_redis_errors_total', 'Error replies, per command', (c) => c.redisErrors);
  perCommand(
    'codis_proxy_command_duration_seconds_total',
    'Sum of request latencies (decode to reply), per command',
    (c) => c.usecs / 1e6,
  );
  new Gauge({
    name: 'codis_proxy_command_latency_usecs_percall',
    help: 'Mean latency per call in microseconds, per command',
    labelNames: ['command'],
    registers,
    collect() {
      this.reset();
      for (const c of snap().ops.commands) {
        this.set({ command: c.opstr }, c.calls > 0 ? Math.trunc(c.usecs / c.calls) : 0);
      }
    },
  });
  collectDefaultMetrics({ register: registry, prefix: 'codis_proxy_' });
  return registry;
}
