// Whether two addresses reach the same redis process (spec/proxy.md §6.8): before the proxy points a
// slot at the master sentinel names, it compares the `run_id` both addresses report in INFO, so an
// alias (another interface, a NAT address) of the current master does not trigger a pointless
// re-fill with its lock-and-drain pause.
import { connect } from 'node:net';
import { ReplyParser } from '../resp/index.ts';
import { splitAddress } from './backend.ts';
import { encodeRequest } from './request-decoder.ts';

/** Codis fetches the run ids with a 100 ms budget per pass. */
export const RUN_ID_TIMEOUT = 100;

/**
 * The `run_id` INFO reports at `addr` (AUTH first when `auth` is set), or undefined when the server
 * does not answer in time, refuses, or reports none: an unknown id never counts as "same server".
 */
export function fetchRunId(
  addr: string,
  auth: string,
  timeoutMs = RUN_ID_TIMEOUT,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const { host, port } = splitAddress(addr);
    const socket = connect({ host, port });
    const parser = new ReplyParser();
    let expected = auth === '' ? 1 : 2;
    const done = (runId: string | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(runId);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on('connect', () => {
      const auths = auth === '' ? [] : [encodeRequest(['AUTH', auth])];
      socket.write(Buffer.concat([...auths, encodeRequest(['INFO', 'server'])]));
    });
    socket.on('data', (chunk: Buffer) => {
      parser.feed(chunk);
      for (let reply = parser.next(); reply !== undefined; reply = parser.next()) {
        expected--;
        if (expected > 0) continue;
        const value = reply.value;
        const text = typeof value === 'string' ? value : '';
        const match = /^run_id:([0-9a-f]+)\r?$/m.exec(text);
        done(match?.[1]);
        return;
      }
    });
    socket.on('error', () => done(undefined));
  });
}

/** Fetches every address's run id concurrently; the map holds only the ones that answered. */
export async function fetchRunIds(
  addrs: Iterable<string>,
  auth: string,
  timeoutMs = RUN_ID_TIMEOUT,
): Promise<Map<string, string>> {
  const unique = [...new Set(addrs)];
  const ids = await Promise.all(unique.map((addr) => fetchRunId(addr, auth, timeoutMs)));
  const known = new Map<string, string>();
  unique.forEach((addr, index) => {
    const id = ids[index];
    if (id !== undefined) known.set(addr, id);
  });
  return known;
}
