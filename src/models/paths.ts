// Coordinator paths of Codis 3.2 (spec/control-plane.md §3.1, spec/proxy.md §11). Every tool that
// shares a coordinator with Codis must agree on these byte for byte.

import { MAX_SLOTS } from '../slots/index.ts';

/** The root of every product: `/codis3/{product}`. */
export const CODIS_DIR = '/codis3';
/** Group ids are 1..9999 (Codis's MaxGroupId); file names pad them to 4 digits. */
export const MAX_GROUP_ID = 9999;

const PRODUCT_NAME = /^\w[\w.-]*$/;

/** A product name as Codis accepts it: a letter, digit or `_`, then letters, digits, `_`, `.`, `-`. */
export function isValidProductName(name: string): boolean {
  return PRODUCT_NAME.test(name);
}

/** Codis's message for a bad product name (dashboard and proxy refuse to start with it). */
export class ProductNameError extends Error {
  readonly code = 'ERR_MODEL_PRODUCT_NAME';
  readonly product: string;
  constructor(product: string) {
    super(`bad product name = ${product}`);
    this.name = 'ProductNameError';
    this.product = product;
  }
}

export function assertProductName(name: string): void {
  if (!isValidProductName(name)) throw new ProductNameError(name);
}

function pad4(n: number): string {
  return String(n).padStart(4, '0');
}

export function productPath(product: string): string {
  return `${CODIS_DIR}/${product}`;
}

/** The dashboard's record, which is also the product lock. */
export function topomPath(product: string): string {
  return `${CODIS_DIR}/${product}/topom`;
}

export function slotDir(product: string): string {
  return `${CODIS_DIR}/${product}/slots`;
}

export function slotPath(product: string, slotId: number): string {
  return `${CODIS_DIR}/${product}/slots/slot-${pad4(slotId)}`;
}

export function groupDir(product: string): string {
  return `${CODIS_DIR}/${product}/group`;
}

export function groupPath(product: string, groupId: number): string {
  return `${CODIS_DIR}/${product}/group/group-${pad4(groupId)}`;
}

export function proxyDir(product: string): string {
  return `${CODIS_DIR}/${product}/proxy`;
}

export function proxyPath(product: string, token: string): string {
  return `${CODIS_DIR}/${product}/proxy/proxy-${token}`;
}

export function sentinelPath(product: string): string {
  return `${CODIS_DIR}/${product}/sentinel`;
}

/**
 * The ephemeral node a proxy registers for client discovery. With `compatible` (proxy option
 * `jodis_compatible`) the Codis 2.x layout is used: a `proxy` directory holding the bare token.
 */
export function jodisPath(product: string, token: string, compatible = false): string {
  return compatible ? `/zk/codis/db_${product}/proxy/${token}` : `/jodis/${product}/proxy-${token}`;
}

/** The directory under which the proxies of a product register their jodis nodes. */
export function jodisDir(product: string, compatible = false): string {
  return compatible ? `/zk/codis/db_${product}/proxy` : `/jodis/${product}`;
}

function lastSegment(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function parsePadded(name: string, prefix: string, max: number): number | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const digits = name.slice(prefix.length);
  if (!/^\d{4,}$/.test(digits)) return undefined;
  const n = Number(digits);
  return n <= max ? n : undefined;
}

/** The slot id named by `.../slots/slot-NNNN`, or undefined when the name is not a slot node. */
export function slotIdOfPath(path: string): number | undefined {
  return parsePadded(lastSegment(path), 'slot-', MAX_SLOTS - 1);
}

/** The group id named by `.../group/group-NNNN`, or undefined when the name is not a group node. */
export function groupIdOfPath(path: string): number | undefined {
  return parsePadded(lastSegment(path), 'group-', MAX_GROUP_ID);
}

/** The token named by `.../proxy/proxy-{token}`, or undefined. */
export function proxyTokenOfPath(path: string): string | undefined {
  const name = lastSegment(path);
  return name.startsWith('proxy-') && name.length > 'proxy-'.length ? name.slice('proxy-'.length) : undefined;
}
