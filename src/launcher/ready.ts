// Readiness probes for `codis up`: a codis-server answers PING (or asks for AUTH); an HTTP admin
// address answers a GET with 200.

import { connect } from 'node:net';

export function pingServer(addr: string, timeoutMs = 1000): Promise<boolean> {
  const colon = addr.lastIndexOf(':');
  return new Promise((resolve) => {
    const socket = connect(Number(addr.slice(colon + 1)), addr.slice(0, colon));
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.once('data', (chunk: Buffer) => {
      const reply = chunk.toString('latin1');
      // -LOADING means the data files are still being read: not ready yet.
      done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
  });
}

export async function httpOk(url: string, timeoutMs = 1000): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** Polls `probe` until it resolves true; throws `what` after `timeoutMs`, or early if `alive` turns false. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  alive: () => boolean = () => true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (!alive()) throw new Error(`${what}: the process exited`);
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
