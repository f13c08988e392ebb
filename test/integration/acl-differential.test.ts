// Random ACL rules set on an admin connection while a user connection authenticates as those users
// and runs commands under them, sent to Debian's redis-server and to our codis-server side by side:
// every reply must be the same (test/helpers/random-acl.ts says what is generated). A connection
// that one server closes (its user deleted) must be closed by the other too.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { comparableAclReply, RANDOM_ACL_USERS, RandomAcl } from '../helpers/random-acl.ts';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

const SEEDS = [1, 2, 3];
const ROUNDS_PER_SEED = 1500;

async function replyOrClosed(connection: RawConnection): Promise<string> {
  try {
    return (await connection.reply()).raw;
  } catch {
    return '(closed)';
  }
}

describe('codis-server answers random ACL traffic as redis-server does', () => {
  let redis: RunningServer;
  let codis: RunningServer;

  before(async () => {
    [redis, codis] = await Promise.all([startServer('redis-server'), startServer('codis-server')]);
  });

  after(async () => {
    await Promise.all([redis?.stop(), codis?.stop()]);
  });

  for (const seed of SEEDS) {
    it(`seed ${seed}: ${ROUNDS_PER_SEED} rounds`, async () => {
      const open = () => Promise.all([RawConnection.open(redis.port), RawConnection.open(codis.port)]);
      const admins = await open();
      let users = await open();
      const both = async (pair: RawConnection[], command: readonly string[]): Promise<[string, string]> => {
        for (const connection of pair) connection.send(...command);
        return [await replyOrClosed(pair[0] as RawConnection), await replyOrClosed(pair[1] as RawConnection)];
      };
      const random = new RandomAcl(seed);
      try {
        for (let round = 0; round < ROUNDS_PER_SEED; round++) {
          const command = random.admin();
          const [expected, actual] = await both(admins, command);
          assert.equal(
            comparableAclReply(command, actual),
            comparableAclReply(command, expected),
            `seed ${seed}, round ${round}: ${JSON.stringify(command)}`,
          );
          const userCommand = random.user();
          if (userCommand === undefined) continue;
          const [userExpected, userActual] = await both(users, userCommand);
          assert.equal(
            userActual,
            userExpected,
            `seed ${seed}, round ${round}, user: ${JSON.stringify(userCommand)}`,
          );
          if (userExpected === '(closed)') {
            for (const connection of users) connection.close();
            users = await open();
          }
        }
      } finally {
        // The next seed starts from the default user alone.
        await both(admins, ['ACL', 'DELUSER', ...RANDOM_ACL_USERS]);
        await both(admins, ['FLUSHALL']);
        for (const connection of [...admins, ...users]) connection.close();
      }
    });
  }
});
