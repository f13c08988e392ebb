// The proxy's model record (spec/proxy.md §8.4.1) and its advertised addresses (§8.2.3).

import { execFileSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { hostname, networkInterfaces } from 'node:os';
import type { ProxyModel } from '../../models/proxy.ts';

export class AddressError extends Error {
  readonly code = 'ERR_PROXY_ADDRESS';
}

/** `uname -a`, trimmed; empty when uname is missing. */
export function systemDescription(): string {
  try {
    return execFileSync('uname', ['-a'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** `host:port` as Go's net.JoinHostPort writes it (IPv6 in brackets). */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function splitHostPort(addr: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(addr);
  if (m === null) return undefined;
  return { host: m[1] ?? m[2] ?? '', port: Number(m[3]) };
}

function isUnspecified(host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** Go's IP.IsGlobalUnicast: not unspecified, loopback, link-local, multicast or broadcast. */
export function isGlobalUnicast(ip: string): boolean {
  if (ip.includes(':')) {
    const lower = ip.toLowerCase();
    return !(lower === '::' || lower === '::1' || lower.startsWith('fe80') || lower.startsWith('ff'));
  }
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p))) return false;
  const [a, b] = parts as [number, number, number, number];
  if (ip === '0.0.0.0' || ip === '255.255.255.255') return false;
  if (a === 127 || a >= 224) return false;
  return !(a === 169 && b === 254);
}

async function resolveWithin(name: string, ms: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    const found = await Promise.race([lookup(name, { all: true }).catch(() => undefined), timeout]);
    return found?.map((entry) => entry.address).find(isGlobalUnicast);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The address others should use for a bound TCP address: the bound one when its IP is specific;
 * for a wildcard, `<hostname>:<port>` when the hostname resolves (30 ms) to a global-unicast IP,
 * else the first global-unicast interface IP.
 */
export async function advertisedAddress(bound: { host: string; port: number }): Promise<string> {
  if (!isUnspecified(bound.host)) return joinHostPort(bound.host, bound.port);
  const name = hostname();
  if ((await resolveWithin(name, 30)) !== undefined) return joinHostPort(name, bound.port);
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (isGlobalUnicast(entry.address)) return joinHostPort(entry.address, bound.port);
    }
  }
  throw new AddressError(`resolve address '${joinHostPort(bound.host, bound.port)}' to '${name}'`);
}

/** `--host-proxy`/`--host-admin`: a TCP address with a specific host and a non-zero port. */
export function checkHostOverride(flag: string, addr: string): string {
  const parsed = splitHostPort(addr);
  if (parsed === undefined || parsed.port === 0 || parsed.port > 65535 || isUnspecified(parsed.host)) {
    throw new AddressError(`invalid ${flag} = ${addr}`);
  }
  return addr;
}

export interface ModelInputs {
  token: string;
  startTime: string;
  adminAddr: string;
  protoType: string;
  proxyAddr: string;
  jodisPath: string;
  productName: string;
  datacenter: string;
}

export function buildProxyModel(inputs: ModelInputs): ProxyModel {
  return {
    id: 0,
    token: inputs.token,
    startTime: inputs.startTime,
    adminAddr: inputs.adminAddr,
    protoType: inputs.protoType,
    proxyAddr: inputs.proxyAddr,
    jodisPath: inputs.jodisPath,
    productName: inputs.productName,
    pid: process.pid,
    pwd: process.cwd(),
    sys: systemDescription(),
    hostname: hostname(),
    datacenter: inputs.datacenter,
  };
}
