// MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw | AUTH2 user pw] [KEYS k ...]:
// Redis's way to move keys to another server, with its replies and errors. It rides on the
// synchronous slot migration's machinery (cached sockets, timeouts, other clients' writes parked
// while the keys are in flight) and sends RESTORE, as Redis does outside a cluster.
import { RespError, type RespValue } from '../../resp/index.ts';
import { isKeyword, parseInt64 } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { NOT_INTEGER, SYNTAX } from '../errors.ts';
import type { SyncMigrator, SyncSender, SyncTarget } from '../migration/sync-migration.ts';
import type { CommandArgument } from '../migration/target-connection.ts';
import { createDumpPayload } from '../rdb/index.ts';
import { lookupRead } from './keyspace-access.ts';

const READ_ERROR = 'IOERR error or timeout reading to target instance';
/** The slot migration's connection errors (Codis's texts) as MIGRATE words them. */
const MIGRATE_ERRORS: Record<string, string> = {
  'IOERR error or timeout writing to target': 'IOERR error or timeout writing to target instance',
  "ERR Can't connect to target node: Name or service not known":
    'IOERR error or timeout connecting to the client',
};

/** C's atoi, as Redis reads the port. */
function atoi(text: string): number {
  const match = /^\s*([+-]?\d+)/.exec(text);
  return match === null ? 0 : Number.parseInt(match[1] as string, 10) | 0;
}

function longArgument(client: Client, text: string): number | undefined {
  const value = parseInt64(text);
  if (value === undefined) {
    client.replyError(NOT_INTEGER);
    return undefined;
  }
  return Number(value);
}

interface MigrateOptions {
  copy: boolean;
  replace: boolean;
  username: string | undefined;
  password: string | undefined;
  database: number;
}

/** AUTH, SELECT and one RESTORE per key, pipelined; the keys whose RESTORE succeeded are stored. */
function restoreSender(options: MigrateOptions, drop: (target: SyncTarget) => void): SyncSender {
  return (target, database, keys, timeout, done) => {
    const connection = target.connection;
    const now = Date.now();
    /** What each reply answers: AUTH, SELECT, or the RESTORE of a key. */
    const expected: Array<{ key?: string; select?: boolean }> = [];
    if (options.password !== undefined) {
      connection.send(
        options.username === undefined
          ? ['AUTH', options.password]
          : ['AUTH', options.username, options.password],
      );
      expected.push({});
    }
    if (target.database !== options.database) {
      connection.send(['SELECT', String(options.database)]);
      expected.push({ select: true });
    }
    for (const key of keys) {
      const entry = database.findRaw(key);
      if (entry === undefined) continue;
      let ttl = 0;
      if (entry.expireAt !== 0) {
        ttl = entry.expireAt - now;
        if (ttl < 0) continue;
        if (ttl < 1) ttl = 1;
      }
      const args: CommandArgument[] = ['RESTORE', key, String(ttl), createDumpPayload(entry.value)];
      if (options.replace) args.push('REPLACE');
      connection.send(args);
      expected.push({ key });
    }
    target.lastUse = now;
    const stored: string[] = [];
    let error: string | undefined;
    let finished = false;
    const finish = (failure: string | undefined, broken: boolean): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (broken) {
        target.replies.length = 0;
        drop(target);
      }
      done(failure, options.copy ? [] : stored);
    };
    const timer = setTimeout(() => finish(READ_ERROR, true), timeout);
    for (const what of expected) {
      target.replies.push((value: RespValue | undefined) => {
        if (finished) return;
        if (value === undefined) {
          finish(READ_ERROR, true);
          return;
        }
        // The first error is the reply; the keys restored before or after it still move.
        if (value instanceof RespError) error ??= `ERR Target instance replied with error: ${value.message}`;
        else if (what.key !== undefined) stored.push(what.key);
        else if (what.select === true) target.database = options.database;
        if (target.replies.length === 0) finish(error, false);
      });
    }
  };
}

export function createMigrateCommand(sync: SyncMigrator): CommandDefinition[] {
  function migrate(client: Client, argv: string[]): void {
    const options: MigrateOptions = {
      copy: false,
      replace: false,
      username: undefined,
      password: undefined,
      database: 0,
    };
    let firstKey = 3;
    let keyCount = 1;
    for (let j = 6; j < argv.length; j++) {
      const more = argv.length - 1 - j;
      const option = argv[j] as string;
      if (isKeyword(option, 'copy')) options.copy = true;
      else if (isKeyword(option, 'replace')) options.replace = true;
      else if (isKeyword(option, 'auth')) {
        if (more < 1) {
          client.replyError(SYNTAX);
          return;
        }
        options.password = argv[++j] as string;
      } else if (isKeyword(option, 'auth2')) {
        if (more < 2) {
          client.replyError(SYNTAX);
          return;
        }
        options.username = argv[++j] as string;
        options.password = argv[++j] as string;
      } else if (isKeyword(option, 'keys')) {
        if ((argv[3] as string).length !== 0) {
          client.replyError(
            'ERR When using MIGRATE KEYS option, the key argument must be set to the empty string',
          );
          return;
        }
        firstKey = j + 1;
        keyCount = argv.length - j - 1;
        break;
      } else {
        client.replyError(SYNTAX);
        return;
      }
    }
    let timeout = longArgument(client, argv[5] as string);
    if (timeout === undefined) return;
    const database = longArgument(client, argv[4] as string);
    if (database === undefined) return;
    options.database = database;
    if (timeout <= 0) timeout = 1000;
    const keys: string[] = [];
    for (let i = 0; i < keyCount; i++) {
      const key = argv[firstKey + i] as string;
      if (lookupRead(client, key) !== undefined) keys.push(key);
    }
    if (keys.length === 0) {
      client.out.status('NOKEY');
      return;
    }
    sync.migrate(
      client,
      argv[1] as string,
      atoi(argv[2] as string),
      timeout,
      true,
      () => keys,
      (c, result) => {
        if ('error' in result) c.replyError(MIGRATE_ERRORS[result.error] ?? result.error);
        else c.out.ok();
      },
      restoreSender(options, (target) => sync.drop(target)),
    );
  }
  return [{ name: 'migrate', handler: migrate }];
}
