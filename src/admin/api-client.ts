// The HTTP side of codis-admin: JSON over plain HTTP to a dashboard or a proxy admin address, with
// Codis's error convention (spec/control-plane.md §6.1): status 800 (or 1500) carries
// `{"Cause": ..., "Stack": ...}`; any other non-200 status is `[<code>] <status text> - <url>`.

/** Where an error was raised on the remote side (Go's errors.Trace frames). */
export interface RemoteFrame {
  readonly name: string;
  readonly file: string;
  readonly line: number;
}

/** An error the remote program reported (status 800/1500). */
export class RemoteError extends Error {
  readonly code = 'ERR_REMOTE';
  /** The remote error text (`Cause`). */
  readonly remoteCause: string;
  readonly frames: readonly RemoteFrame[];
  readonly status: number;

  constructor(cause: string, frames: readonly RemoteFrame[], status: number) {
    super(`[Remote Error] ${cause}`);
    this.name = 'RemoteError';
    this.remoteCause = cause;
    this.frames = frames;
    this.status = status;
  }
}

/** A reply that is neither success nor a remote error (404, 401, a proxy in the way...). */
export class HttpStatusError extends Error {
  readonly code = 'ERR_HTTP_STATUS';
  readonly status: number;
  constructor(status: number, statusText: string, url: string, detail: string | undefined) {
    super(`[${status}] ${statusText} - ${url}${detail === undefined ? '' : `: ${detail}`}`);
    this.name = 'HttpStatusError';
    this.status = status;
  }
}

/** The request never got an answer (refused, timed out, reset). */
export class TransportError extends Error {
  readonly code = 'ERR_TRANSPORT';
  constructor(method: string, url: string, reason: string) {
    super(`${method} ${JSON.stringify(url)}: ${reason}`);
    this.name = 'TransportError';
  }
}

export interface ApiClientOptions {
  /** `host:port` of the admin HTTP server. */
  readonly addr: string;
  /** Sent as `X-Codis-Admin-Secret` when non-empty (our dashboards' optional admin secret). */
  readonly adminSecret?: string | undefined;
  /** Whole-request limit in ms (Codis: one minute). */
  readonly timeout?: number;
}

export const ADMIN_SECRET_HEADER = 'X-Codis-Admin-Secret';
const DEFAULT_TIMEOUT = 60_000;

export class ApiClient {
  readonly addr: string;
  readonly #secret: string;
  readonly #timeout: number;

  constructor(options: ApiClientOptions) {
    this.addr = options.addr;
    this.#secret = options.adminSecret ?? '';
    this.#timeout = options.timeout ?? DEFAULT_TIMEOUT;
  }

  url(path: string): string {
    const base = /^https?:\/\//.test(this.addr) ? this.addr.replace(/\/+$/, '') : `http://${this.addr}`;
    return base + path;
  }

  get(path: string): Promise<unknown> {
    return this.request('GET', path);
  }

  put(path: string, body?: unknown): Promise<unknown> {
    return this.request('PUT', path, body);
  }

  async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const url = this.url(path);
    const headers: Record<string, string> = {};
    if (this.#secret !== '') headers[ADMIN_SECRET_HEADER] = this.#secret;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['Content-Type'] = 'application/json; charset=utf-8';
    }
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(payload === undefined ? {} : { body: payload }),
        signal: AbortSignal.timeout(this.#timeout),
      });
      text = await response.text();
    } catch (error) {
      throw new TransportError(method, url, describeFetchError(error));
    }
    if (response.status === 200) return text === '' ? undefined : JSON.parse(text);
    const remote = parseRemoteError(text);
    if (response.status === 800 || response.status === 1500) {
      throw new RemoteError(remote?.cause ?? text, remote?.frames ?? [], response.status);
    }
    throw new HttpStatusError(response.status, response.statusText, url, remote?.cause);
  }
}

function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return 'request timed out';
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) return cause.message;
  return error.message;
}

function parseRemoteError(text: string): { cause: string; frames: RemoteFrame[] } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as { Cause?: unknown; Stack?: unknown };
  if (typeof record.Cause !== 'string') return undefined;
  const frames: RemoteFrame[] = [];
  if (Array.isArray(record.Stack)) {
    for (const frame of record.Stack as unknown[]) {
      if (typeof frame !== 'object' || frame === null) continue;
      const f = frame as { Name?: unknown; File?: unknown; Line?: unknown };
      frames.push({
        name: typeof f.Name === 'string' ? f.Name : '',
        file: typeof f.File === 'string' ? f.File : '',
        line: typeof f.Line === 'number' ? f.Line : 0,
      });
    }
  }
  return { cause: record.Cause, frames };
}
