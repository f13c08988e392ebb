import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Whether `port` on 127.0.0.1 can be listened on now. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** The first port of the kernel's range for ephemeral ports (listen on port 0, outgoing connections). */
function ephemeralLow(): number {
  try {
    const low = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'latin1').trim().split(/\s+/)[0],
    );
    if (Number.isInteger(low) && low > 0) return low;
  } catch {}
  return 32768;
}

/**
 * The first of `count` consecutive free ports (`codis up` numbers its servers from a base). They
 * are taken below the kernel's ephemeral range: a test that stops a cluster and starts it again on
 * the same ports would otherwise race every other test's `freePort()` and outgoing connection,
 * which the kernel serves from that range (a second `codis up` once found a port taken).
 */
export async function freeRange(count: number): Promise<number> {
  const low = 10000;
  const high = Math.max(low + count, ephemeralLow() - count);
  for (;;) {
    const base = low + Math.floor(Math.random() * (high - low));
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
}
