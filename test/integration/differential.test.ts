// Random commands sent to Debian's redis-server and to our codis-server side by side: every reply
// must be the same bytes (test/helpers/random-commands.ts says what is generated and why).
import { after, before, describe, it } from 'node:test';
import { runDifferential } from '../helpers/differential.ts';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

const SEEDS = [1, 2, 3, 4];
const COMMANDS_PER_SEED = 4000;

describe('codis-server answers random commands as redis-server does', () => {
  let redis: RunningServer;
  let codis: RunningServer;
  let reference: RawConnection;
  let ours: RawConnection;

  before(async () => {
    [redis, codis] = await Promise.all([startServer('redis-server'), startServer('codis-server')]);
    [reference, ours] = await Promise.all([RawConnection.open(redis.port), RawConnection.open(codis.port)]);
  });

  after(async () => {
    reference?.close();
    ours?.close();
    await Promise.all([redis?.stop(), codis?.stop()]);
  });

  for (const seed of SEEDS) {
    it(`seed ${seed}: ${COMMANDS_PER_SEED} commands`, async () => {
      const target = {
        reference,
        subject: ours,
        async flush(): Promise<void> {
          for (const connection of [reference, ours]) connection.send('FLUSHALL');
          await Promise.all([reference.reply(), ours.reply()]);
        },
      };
      await runDifferential(target, seed, COMMANDS_PER_SEED);
    });
  }
});
