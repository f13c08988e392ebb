// Tokens and xauth (spec/control-plane.md §2.2, §2.3), exactly as Codis computes them so that
// Codis's own proxies, fe and admin accept ours.

import { createHash } from 'node:crypto';
import { networkInterfaces } from 'node:os';

/** Hardware addresses of every interface that has one (loopback has none), sorted, Go `%v` style. */
function hardwareAddresses(): string {
  const macs = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.mac !== '' && info.mac !== '00:00:00:00:00:00') macs.add(info.mac);
    }
  }
  return `[${[...macs].sort().join(' ')}]`;
}

/** `md5("Codis-Token@" + macs + "-{seg}"...)`, lowercase hex. */
export function newToken(...segments: string[]): string {
  const text = `Codis-Token@${hardwareAddresses()}${segments.map((s) => `-{${s}}`).join('')}`;
  return createHash('md5').update(text).digest('hex');
}

/** First 16 bytes of `sha256("Codis-XAuth" + "-[seg]"...)` as 32 hex characters. */
export function newXAuth(...segments: string[]): string {
  const text = `Codis-XAuth${segments.map((s) => `-[${s}]`).join('')}`;
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** The dashboard API's xauth: the product name only (Codis's, public knowledge). */
export function dashboardXAuth(product: string): string {
  return newXAuth(product);
}

/** What the dashboard sends to a proxy: product name, product auth and the proxy's token. */
export function proxyXAuth(product: string, auth: string, token: string): string {
  return newXAuth(product, auth, token);
}
