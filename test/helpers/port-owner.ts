// Whether a process is the one listening on a TCP port (Linux /proc). A test picks a free port,
// then starts a server on it about a second later; in between, another test file running in
// parallel can be handed the same port and start its own server there. A readiness check that only
// connects would then take the other server for ours, and the test would talk to the wrong
// process. Checking the listener's owner tells the two apart.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** The socket inodes of listeners on `port` (any local address, IPv4 or IPv6). */
function listenerInodes(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      if (local === undefined || fields[3] !== '0A') continue; // 0A = LISTEN
      if (local.slice(local.lastIndexOf(':') + 1) === hexPort && fields[9] !== undefined)
        inodes.push(fields[9]);
    }
  }
  return inodes;
}

/**
 * 'ours' when process `pid` holds a listener on `port`, 'other' when only other processes do,
 * 'none' when nobody listens; 'unknown' where /proc cannot tell (not Linux).
 */
export function portOwner(port: number, pid: number): 'ours' | 'other' | 'none' | 'unknown' {
  let descriptors: string[];
  try {
    descriptors = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return 'unknown';
  }
  const inodes = listenerInodes(port);
  if (inodes.length === 0) return 'none';
  const wanted = new Set(inodes.map((inode) => `socket:[${inode}]`));
  for (const fd of descriptors) {
    try {
      if (wanted.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return 'ours';
    } catch {
      // The descriptor closed while we looked.
    }
  }
  return 'other';
}

/** Whether `pid` may be taken as the listener on `port`: it holds it, or /proc cannot tell. */
export function holdsPort(port: number, pid: number): boolean {
  const owner = portOwner(port, pid);
  return owner === 'ours' || owner === 'unknown';
}
