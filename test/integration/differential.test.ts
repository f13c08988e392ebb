// Random commands sent to Debian's redis-server and to our codis-server side by side: every reply
// must be the same bytes (test/helpers/random-commands.ts says what is generated and why). Each
// seed is a fixed sequence, so a failure is reproducible; it reports the commands that led to it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  comparableReply,
  DIFFERENTIAL_KEYS,
  hasUnorderedReply,
  RandomCommands,
} from '../helpers/random-commands.ts';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

const SEEDS = [1, 2, 3, 4];
const COMMANDS_PER_SEED = 4000;
/** State is reset this often, so that each stretch starts from nothing. */
const FLUSH_EVERY = 500;

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

  async function both(command: readonly string[]): Promise<[string, string]> {
    reference.send(...command);
    ours.send(...command);
    return [(await reference.reply()).raw, (await ours.reply()).raw];
  }

  for (const seed of SEEDS) {
    it(`seed ${seed}: ${COMMANDS_PER_SEED} commands`, async () => {
      const commands = new RandomCommands(seed);
      const history: string[][] = [];
      let inTransaction = false;
      for (let round = 0; round < COMMANDS_PER_SEED; round++) {
        if (round % FLUSH_EVERY === 0) {
          // A transaction left open would queue the FLUSHALL: DISCARD first (an error if none).
          await both(['DISCARD']);
          await both(['FLUSHALL']);
          history.length = 0;
          inTransaction = false;
        }
        let command = commands.next();
        // EXEC's reply would hold the set in hash order, where it cannot be compared sorted.
        if (inTransaction && hasUnorderedReply(command)) command = ['ECHO', command.join(' ')];
        history.push(command);
        const [expected, actual] = await both(command);
        const name = (command[0] as string).toUpperCase();
        if (name === 'MULTI' && expected === '+OK\r\n') inTransaction = true;
        // EXEC and DISCARD end a transaction whatever their reply, unless there was none (-ERR).
        else if ((name === 'EXEC' || name === 'DISCARD') && !expected.startsWith('-ERR'))
          inTransaction = false;
        if (comparableReply(command, expected) === comparableReply(command, actual)) continue;
        const keys = command.filter((word) => DIFFERENTIAL_KEYS.includes(word));
        const related = history.filter((earlier) => earlier.some((word) => keys.includes(word))).slice(-30);
        assert.fail(
          `seed ${seed}, command ${round}: ${JSON.stringify(command)}\n` +
            `redis-server: ${JSON.stringify(expected)}\ncodis-server: ${JSON.stringify(actual)}\n` +
            `earlier commands on its keys:\n${related.map((each) => `  ${JSON.stringify(each)}`).join('\n')}`,
        );
      }
    });
  }
});
