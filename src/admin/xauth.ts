// The API passwords of spec/control-plane.md §2.3: the first 16 bytes of
// sha256("Codis-XAuth" + "-[seg]"...) as 32 lowercase hex characters.

import { createHash } from 'node:crypto';

export function xauth(...segments: string[]): string {
  const text = `Codis-XAuth${segments.map((segment) => `-[${segment}]`).join('')}`;
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** The dashboard's xauth: the product name only (product_auth is not part of it, as in Codis). */
export function dashboardXAuth(product: string): string {
  return xauth(product);
}

/** A proxy's xauth: product name, product auth and the proxy's token. */
export function proxyXAuth(product: string, auth: string, token: string): string {
  return xauth(product, auth, token);
}
