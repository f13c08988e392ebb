// Installs client-side caching support: the tracking state, its hooks into key changes, flushes,
// commands and client lifecycle, and its cron work (tracking-table-max-keys).
import type { CodisServer } from '../server.ts';
import { Tracking } from './tracking.ts';

export { type ClientTracking, Tracking, type TrackingOptions, trackingOf } from './tracking.ts';

export function installTracking(server: CodisServer): Tracking {
  const tracking = new Tracking(server);
  server.features.set('tracking', tracking);
  server.keyModifiedListeners.push((_database, key) => tracking.invalidate(key));
  server.afterCommandHooks.push((client, command, argv) =>
    tracking.afterCommand(client, command, argv, server.callDepth),
  );
  server.clientClosedHooks.push((client) => tracking.disable(client));
  server.clientResetHooks.push((client) => tracking.disable(client));
  server.addCronTask(() => tracking.limit(server.config.getNumber('tracking-table-max-keys')));
  return tracking;
}

/** The server's tracking, when installed. */
export function trackingFeature(server: CodisServer): Tracking | undefined {
  return server.features.get('tracking') as Tracking | undefined;
}
