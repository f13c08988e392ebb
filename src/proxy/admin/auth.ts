// Codis's token and xauth (spec/proxy.md §8.2): the token names a proxy by its host's hardware
// addresses, product and listen addresses, so a proxy restarted on the same host and addresses keeps
// its identity; xauth proves a caller knows the product name and auth.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';

const LOOPBACK_TYPE = '772';

/** Hardware addresses of every interface that has one (Go's net.Interfaces), sorted. */
export function hardwareAddresses(): string[] {
  const list: string[] = [];
  try {
    // /sys lists interfaces without IP addresses too, as Go's net.Interfaces does.
    for (const name of readdirSync('/sys/class/net')) {
      try {
        const type = readFileSync(`/sys/class/net/${name}/type`, 'utf8').trim();
        if (type === LOOPBACK_TYPE) continue;
        const addr = readFileSync(`/sys/class/net/${name}/address`, 'utf8').trim().toLowerCase();
        if (addr !== '') list.push(addr);
      } catch {
        // An interface that vanished while we listed them.
      }
    }
  } catch {
    for (const entries of Object.values(networkInterfaces())) {
      const first = entries?.find((entry) => !entry.internal && entry.mac !== '00:00:00:00:00:00');
      if (first !== undefined) list.push(first.mac.toLowerCase());
    }
  }
  return list.sort();
}

/** MD5 of `Codis-Token@[<macs>]-{seg}-{seg}...`, lowercase hex. */
export function newToken(segments: readonly string[], macs: readonly string[] = hardwareAddresses()): string {
  let text = `Codis-Token@[${macs.join(' ')}]`;
  for (const segment of segments) text += `-{${segment}}`;
  return createHash('md5').update(text).digest('hex');
}

/** First 16 bytes of SHA-256 of `Codis-XAuth-[seg]-[seg]...`, lowercase hex. */
export function xauth(...segments: string[]): string {
  let text = 'Codis-XAuth';
  for (const segment of segments) text += `-[${segment}]`;
  return createHash('sha256').update(text).digest().subarray(0, 16).toString('hex');
}

/** The proxy's token: product name, proxy listen address, admin listen address. */
export function proxyToken(
  productName: string,
  proxyAddr: string,
  adminAddr: string,
  macs?: readonly string[],
): string {
  return newToken([productName, proxyAddr, adminAddr], macs);
}

/** The xauth the proxy's admin API expects. */
export function proxyXAuth(productName: string, productAuth: string, token: string): string {
  return xauth(productName, productAuth, token);
}

/** The xauth of the dashboard's API, which a proxy uses to put itself online. */
export function dashboardXAuth(productName: string): string {
  return xauth(productName);
}
