// What sessions need from the proxy that owns them.
import type { ProxyConfig } from './config/types.ts';
import type { Router } from './router.ts';
import type { Session } from './session.ts';
import type { ProxyStats } from './stats.ts';

export interface ProxyCore {
  readonly config: ProxyConfig;
  readonly counters: ProxyStats;
  readonly router: Router;
  /** How long a request waits for a locked slot before failing (ms). */
  readonly slotWaitTimeout: number;
  sessionClosed(session: Session): void;
}
