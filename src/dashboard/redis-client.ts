// A small RESP client for the control plane: INFO, SLAVEOF transactions, SLOTSINFO, migration
// batches, SENTINEL commands. One connection, requests pipelined in order, every call bounded by a
// timeout (a dead server must never hang a dashboard loop).

import { connect, type Socket } from 'node:net';
import { ReplyParser, RespError, RespStatus, type RespValue } from '../resp/index.ts';

export class RedisClientError extends Error {
  readonly code = 'ERR_DASHBOARD_REDIS';
}

interface Pending {
  resolve(value: RespValue): void;
  reject(error: Error): void;
}

export function splitAddr(addr: string): { host: string; port: number } {
  const colon = addr.lastIndexOf(':');
  const port = Number(addr.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new RedisClientError(`invalid address ${addr}`);
  }
  return { host: addr.slice(0, colon).replace(/^\[|\]$/g, ''), port };
}

function encode(args: readonly (string | number)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.from(String(arg), 'utf8');
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Go-like text for socket errors, as Codis reports them (`dial tcp A: connect: connection refused`). */
function describeSocketError(addr: string, error: NodeJS.ErrnoException): string {
  if (error.code === 'ECONNREFUSED') return `dial tcp ${addr}: connect: connection refused`;
  if (error.code === 'ENOTFOUND') return `dial tcp ${addr}: lookup failed: no such host`;
  return `${addr}: ${error.message}`;
}

export class RedisClient {
  readonly addr: string;
  private readonly socket: Socket;
  private readonly parser = new ReplyParser();
  private readonly pending: Pending[] = [];
  private readonly timeout: number;
  private failure: Error | undefined;
  private timer: NodeJS.Timeout | undefined;

  private constructor(addr: string, socket: Socket, timeout: number) {
    this.addr = addr;
    this.socket = socket;
    this.timeout = timeout;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(new RedisClientError(describeSocketError(addr, error))));
    socket.on('close', () => this.fail(new RedisClientError(`${addr}: connection closed`)));
  }

  /** Connects (and AUTHs when `auth` is non-empty); `timeout` bounds the dial and every call. */
  static async open(addr: string, auth: string, timeout: number): Promise<RedisClient> {
    const { host, port } = splitAddr(addr);
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new RedisClientError(`dial tcp ${addr}: i/o timeout`));
      }, timeout);
      s.once('connect', () => {
        clearTimeout(timer);
        s.setNoDelay(true);
        resolve(s);
      });
      s.once('error', (error) => {
        clearTimeout(timer);
        reject(new RedisClientError(describeSocketError(addr, error)));
      });
    });
    const client = new RedisClient(addr, socket, timeout);
    if (auth !== '') {
      try {
        await client.ok('AUTH', auth);
      } catch (error) {
        client.close();
        throw error;
      }
    }
    return client;
  }

  /** Sends one command; error replies are returned as RespError values. */
  call(...args: (string | number)[]): Promise<RespValue> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.socket.write(encode(args));
      this.arm();
    });
  }

  /** Like call, but an error reply is thrown. */
  async ok(...args: (string | number)[]): Promise<RespValue> {
    const reply = await this.call(...args);
    if (reply instanceof RespError) throw new RedisClientError(reply.message);
    return reply;
  }

  /** A bulk-string reply as text. */
  async text(...args: (string | number)[]): Promise<string> {
    const reply = await this.ok(...args);
    if (typeof reply === 'string') return reply;
    if (reply instanceof RespStatus) return reply.text;
    throw new RedisClientError(`unexpected reply to ${String(args[0])}`);
  }

  close(): void {
    this.socket.destroy();
    this.fail(new RedisClientError(`${this.addr}: client closed`));
  }

  private arm(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.pending.length > 0) {
        this.fail(new RedisClientError(`${this.addr}: i/o timeout`));
        this.socket.destroy();
      }
    }, this.timeout);
  }

  private onData(chunk: Buffer): void {
    this.parser.feed(chunk);
    for (;;) {
      let parsed: ReturnType<ReplyParser['next']>;
      try {
        parsed = this.parser.next();
      } catch (error) {
        this.fail(error as Error);
        this.socket.destroy();
        return;
      }
      if (parsed === undefined) break;
      this.pending.shift()?.resolve(parsed.value);
    }
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pending.length > 0) this.arm();
  }

  private fail(error: Error): void {
    if (this.failure === undefined) this.failure = error;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    for (const p of this.pending.splice(0)) p.reject(error);
  }
}

/** Opens, runs `fn`, always closes. */
export async function withRedis<T>(
  addr: string,
  auth: string,
  timeout: number,
  fn: (client: RedisClient) => Promise<T>,
): Promise<T> {
  const client = await RedisClient.open(addr, auth, timeout);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

/** `INFO` text → map of every `key:value` line (spec §6.4). */
export function parseInfo(text: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    map[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return map;
}

/** The server's INFO map as the dashboard reports it: `master_addr`, `maxmemory` from CONFIG GET. */
export async function serverInfo(client: RedisClient): Promise<Record<string, string>> {
  const info = parseInfo(await client.text('INFO'));
  const host = info.master_host;
  const port = info.master_port;
  if (host !== undefined || port !== undefined) info.master_addr = `${host ?? ''}:${port ?? ''}`;
  const maxmemory = await client.call('CONFIG', 'GET', 'maxmemory');
  if (Array.isArray(maxmemory) && typeof maxmemory[1] === 'string') info.maxmemory = maxmemory[1];
  return sortKeys(info);
}

export function sortKeys(map: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(map).sort()) out[key] = map[key] as string;
  return out;
}

/** A reply array of alternating field/value strings (SENTINEL MASTERS entries) → map. */
export function pairsToMap(value: RespValue): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(value)) return out;
  for (let i = 0; i + 1 < value.length; i += 2) {
    const k = value[i];
    const v = value[i + 1];
    if (typeof k === 'string') out[k] = typeof v === 'string' ? v : String(v);
  }
  return sortKeys(out);
}
