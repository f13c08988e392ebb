// A client of a proxy's admin HTTP API (spec/proxy.md §8.3), as codis-admin --proxy uses it.

import type { JsonObject } from '../models/index.ts';
import { ApiClient, type ApiClientOptions } from './api-client.ts';
import { proxyXAuth } from './xauth.ts';

export interface ProxyModelJson {
  token: string;
  product_name: string;
  admin_addr?: string;
  proxy_addr?: string;
  [key: string]: unknown;
}

export class ProxyClient {
  readonly api: ApiClient;
  #xauth = '';

  constructor(options: ApiClientOptions) {
    this.api = new ApiClient(options);
  }

  get addr(): string {
    return this.api.addr;
  }

  get xauth(): string {
    return this.#xauth;
  }

  setXAuth(product: string, auth: string, token: string): void {
    this.#xauth = proxyXAuth(product, auth, token);
  }

  overview(): Promise<JsonObject> {
    return this.api.get('/proxy') as Promise<JsonObject>;
  }

  model(): Promise<ProxyModelJson> {
    return this.api.get('/api/proxy/model') as Promise<ProxyModelJson>;
  }

  xping(): Promise<unknown> {
    return this.api.get(`/api/proxy/xping/${this.#xauth}`);
  }

  stats(flags = 0): Promise<JsonObject> {
    const suffix = flags === 0 ? '' : `/${flags}`;
    return this.api.get(`/api/proxy/stats/${this.#xauth}${suffix}`) as Promise<JsonObject>;
  }

  slots(): Promise<JsonObject[]> {
    return this.api.get(`/api/proxy/slots/${this.#xauth}`) as Promise<JsonObject[]>;
  }

  start(): Promise<unknown> {
    return this.api.put(`/api/proxy/start/${this.#xauth}`);
  }

  shutdown(): Promise<unknown> {
    return this.api.put(`/api/proxy/shutdown/${this.#xauth}`);
  }

  logLevel(level: string): Promise<unknown> {
    return this.api.put(`/api/proxy/loglevel/${this.#xauth}/${encodeURIComponent(level)}`);
  }

  fillSlots(slots: readonly unknown[]): Promise<unknown> {
    return this.api.put(`/api/proxy/fillslots/${this.#xauth}`, slots);
  }

  resetStats(): Promise<unknown> {
    return this.api.put(`/api/proxy/stats/reset/${this.#xauth}`);
  }

  forceGC(): Promise<unknown> {
    return this.api.put(`/api/proxy/forcegc/${this.#xauth}`);
  }
}
