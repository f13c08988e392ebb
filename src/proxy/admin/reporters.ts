// Metrics reporters (spec/proxy.md §10): JSON overview POSTed to an HTTP server, InfluxDB 1.x line
// protocol over HTTP, statsd gauges over UDP. Each ticks every max(1 s, period); a failure is logged
// and adds a backoff (1 s doubling to 15 s) that shutdown interrupts.

import { createSocket } from 'node:dgram';
import type { Logger } from 'pino';
import { encodeGoJson, type JsonObject } from '../../models/go-json.ts';

/** The 14 numbers the InfluxDB and statsd reporters send. */
export interface UsageFields {
  ops_fails: number;
  ops_qps: number;
  ops_redis_errors: number;
  ops_total: number;
  runtime_gc_num: number;
  runtime_gc_total_pausems: number;
  runtime_num_cgo_call: number;
  runtime_num_goroutines: number;
  runtime_num_mem_offheap: number;
  runtime_num_procs: number;
  rusage_cpu: number;
  rusage_mem: number;
  sessions_alive: number;
  sessions_total: number;
}

export interface UsageTags {
  admin_addr: string;
  hostname: string;
  product_name: string;
  proxy_addr: string;
  token: string;
}

/** Line protocol escaping of tag keys/values and measurement names. */
function escapeTag(text: string): string {
  return text.replace(/[,= ]/g, (c) => `\\${c}`);
}

const FLOAT_FIELDS = new Set(['rusage_cpu']);
const STRING_FIELDS = new Set(['runtime_gc_total_pausems']);

/** One `codis_usage` point (tags and fields sorted, as the Go client writes them). */
export function influxLine(tags: UsageTags, fields: UsageFields, timestampNs: bigint): string {
  const tagText = Object.keys(tags)
    .sort()
    .map((k) => `${escapeTag(k)}=${escapeTag(tags[k as keyof UsageTags])}`)
    .join(',');
  const fieldText = Object.keys(fields)
    .sort()
    .map((k) => {
      const v = fields[k as keyof UsageFields];
      if (STRING_FIELDS.has(k)) return `${k}="${String(v)}"`;
      if (FLOAT_FIELDS.has(k)) return `${k}=${String(v)}`;
      return `${k}=${Math.trunc(v)}i`;
    })
    .join(',');
  return `codis_usage,${tagText} ${fieldText} ${timestampNs}`;
}

/** `<prefix>.<product>.<admin>.<proxy>.<field>:<value>|g` lines, addresses with `.`/`:` → `_`. */
export function statsdLines(prefix: string, tags: UsageTags, fields: UsageFields): string[] {
  const clean = (addr: string): string => addr.replace(/[.:]/g, '_');
  const base = [prefix, tags.product_name, clean(tags.admin_addr), clean(tags.proxy_addr)].join('.');
  return Object.keys(fields)
    .sort()
    .map((k) => `${base}.${k}:${String(fields[k as keyof UsageFields])}|g`);
}

export interface ReporterSource {
  /** Overview with the runtime flag, no slots (JSON reporter). */
  overview(): JsonObject;
  tags(): UsageTags;
  fields(): UsageFields;
}

type Send = () => Promise<void>;

class Ticker {
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private readonly done: Promise<void>;

  constructor(name: string, periodMs: number, send: Send, logger: Logger) {
    this.done = (async () => {
      const period = Math.max(1000, periodMs);
      let backoff = 0;
      while (!this.stopped) {
        await this.sleep(period + backoff);
        if (this.stopped) break;
        try {
          await send();
          backoff = 0;
        } catch (error) {
          backoff = backoff === 0 ? 1000 : Math.min(15_000, backoff * 2);
          logger.warn({ err: error, reporter: name }, `report ${name} failed`);
        }
      }
    })();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timer = setTimeout(resolve, ms);
      this.wake = resolve;
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.wake?.();
    await this.done;
  }
}

async function postJson(url: string, body: string): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body,
    signal: AbortSignal.timeout(5000),
  });
  const text = await response.text();
  if (response.status === 200) return;
  if (response.status === 800 || response.status === 1500) {
    let cause = text;
    try {
      cause = String((JSON.parse(text) as { Cause?: unknown }).Cause ?? text);
    } catch {
      // Not JSON: report the text.
    }
    throw new Error(`remote error: ${cause}`);
  }
  throw new Error(`http status code ${response.status}`);
}

async function postInflux(
  server: string,
  database: string,
  username: string,
  password: string,
  line: string,
): Promise<void> {
  const url = `${server.replace(/\/+$/, '')}/write?consistency=&db=${encodeURIComponent(database)}&precision=ns&rp=`;
  const headers: Record<string, string> = { 'User-Agent': 'InfluxDBClient' };
  if (username !== '' || password !== '') {
    headers.Authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: line,
    signal: AbortSignal.timeout(5000),
  });
  const text = await response.text();
  if (response.status !== 204) throw new Error(`influxdb status ${response.status}: ${text.trim()}`);
}

function sendStatsd(server: string, lines: string[]): Promise<void> {
  const colon = server.lastIndexOf(':');
  const host = server.slice(0, colon).replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(server.slice(colon + 1));
  return new Promise((resolve, reject) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    socket.once('error', (error) => {
      socket.close();
      reject(error);
    });
    // Datagrams under a typical MTU, lines separated by newlines.
    const batches: string[] = [];
    let current = '';
    for (const line of lines) {
      if (current !== '' && current.length + line.length + 1 > 1400) {
        batches.push(current);
        current = '';
      }
      current = current === '' ? line : `${current}\n${line}`;
    }
    if (current !== '') batches.push(current);
    let pending = batches.length;
    if (pending === 0) {
      socket.close();
      resolve();
      return;
    }
    for (const batch of batches) {
      socket.send(batch, port, host, (error) => {
        if (error) return;
        if (--pending === 0) {
          socket.close();
          resolve();
        }
      });
    }
  });
}

export interface ReporterConfig {
  metrics_report_server: string;
  metrics_report_period: number;
  metrics_report_influxdb_server: string;
  metrics_report_influxdb_period: number;
  metrics_report_influxdb_username: string;
  metrics_report_influxdb_password: string;
  metrics_report_influxdb_database: string;
  metrics_report_statsd_server: string;
  metrics_report_statsd_period: number;
  metrics_report_statsd_prefix: string;
}

/** Starts the reporters the config enables; `stop()` ends them all. */
export class MetricsReporters {
  private readonly tickers: Ticker[] = [];

  constructor(config: ReporterConfig, source: ReporterSource, logger: Logger) {
    if (config.metrics_report_server !== '') {
      const url = /^https?:\/\//.test(config.metrics_report_server)
        ? config.metrics_report_server
        : `http://${config.metrics_report_server}`;
      this.tickers.push(
        new Ticker(
          'json',
          config.metrics_report_period,
          () => postJson(url, encodeGoJson(source.overview())),
          logger,
        ),
      );
    }
    if (config.metrics_report_influxdb_server !== '') {
      const server = /^https?:\/\//.test(config.metrics_report_influxdb_server)
        ? config.metrics_report_influxdb_server
        : `http://${config.metrics_report_influxdb_server}`;
      this.tickers.push(
        new Ticker(
          'influxdb',
          config.metrics_report_influxdb_period,
          () =>
            postInflux(
              server,
              config.metrics_report_influxdb_database,
              config.metrics_report_influxdb_username,
              config.metrics_report_influxdb_password,
              influxLine(source.tags(), source.fields(), nowNanos()),
            ),
          logger,
        ),
      );
    }
    if (config.metrics_report_statsd_server !== '') {
      this.tickers.push(
        new Ticker(
          'statsd',
          config.metrics_report_statsd_period,
          () =>
            sendStatsd(
              config.metrics_report_statsd_server,
              statsdLines(config.metrics_report_statsd_prefix, source.tags(), source.fields()),
            ),
          logger,
        ),
      );
    }
  }

  get count(): number {
    return this.tickers.length;
  }

  async stop(): Promise<void> {
    await Promise.all(this.tickers.map((ticker) => ticker.stop()));
  }
}

function nowNanos(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}
