// The active expiry cycle: every cron tick, walk a bounded number of volatile keys per database
// (resuming where the last tick stopped) and reclaim the expired ones, so keys nobody reads again
// still go away. Like Redis, it keeps going while a large share of the sampled keys were expired.
import type { CodisServer } from '../server.ts';

const KEYS_PER_LOOP = 20;
const MAX_LOOPS_PER_TICK = 16;
/** Stop repeating once fewer than this share of the sampled keys had expired. */
const REPEAT_THRESHOLD = 0.1;

export class ActiveExpiry {
  enabled = true;
  private readonly server: CodisServer;
  private readonly cursors = new Map<number, Iterator<string>>();

  constructor(server: CodisServer) {
    this.server = server;
    server.addCronTask((now) => this.run(now));
  }

  run(now: number): void {
    if (!this.enabled || this.server.expiryHidesOnly) return;
    const effort = this.server.config.getNumber('active-expire-effort');
    const perLoop = KEYS_PER_LOOP + Math.floor((KEYS_PER_LOOP / 4) * (effort - 1));
    for (const database of this.server.databases) {
      if (database.volatileKeys.size === 0) continue;
      for (let loop = 0; loop < MAX_LOOPS_PER_TICK; loop++) {
        let sampled = 0;
        let expired = 0;
        let cursor = this.cursors.get(database.index);
        while (sampled < perLoop) {
          if (cursor === undefined) cursor = database.volatileKeys.values();
          const next = cursor.next();
          if (next.done) {
            cursor = undefined;
            if (sampled === 0) break;
            continue;
          }
          sampled++;
          if (database.expireIfNeeded(next.value, now)) expired++;
          if (database.volatileKeys.size === 0) break;
        }
        if (cursor === undefined) this.cursors.delete(database.index);
        else this.cursors.set(database.index, cursor);
        if (sampled === 0 || expired / sampled < REPEAT_THRESHOLD) break;
      }
    }
  }
}
