// Seeded random ACL traffic for the ACL differential test: rules for three users (every SETUSER rule
// kind, selectors, malformed ones), DRYRUN/GETUSER/LIST/DELUSER/USERS/WHOAMI/CAT on an admin
// connection, and commands a user connection runs under those rules (AUTH as each user, keys,
// channels, scripts, MULTI/EXEC). Left out: what Redis answers in a per-process order (KEYS, the
// order of single-command rules, which comparableAclReply sorts) or with clocks and connection ids.

const USERS = ['u1', 'u2', 'u3'];
const CATEGORIES = [
  '@all',
  '@read',
  '@write',
  '@string',
  '@hash',
  '@dangerous',
  '@admin',
  '@keyspace',
  '@pubsub',
  '@slow',
  '@fast',
  '@nosuch',
  '@scripting',
  '@stream',
];
const COMMANDS = [
  'get',
  'set',
  'del',
  'client',
  'client|id',
  'client|kill',
  'config|get',
  'select|0',
  'select|1',
  'xadd',
  'eval',
  'subscribe',
  'publish',
  'nosuch',
  'acl|whoami',
  'get|x',
  'keys',
  'flushall',
  'debug',
  'hset',
  'exec',
  'multi',
];
const USER_COMMANDS: readonly (readonly string[])[] = [
  ['AUTH', 'u1', 'p'],
  ['AUTH', 'u2', 'pw'],
  ['AUTH', 'u3', ''],
  ['GET', 'k1'],
  ['SET', 'k1', 'v'],
  ['SET', 'x1', 'v'],
  ['MSET', 'k1', 'v', 'x1', 'v'],
  ['MGET', 'k1', 'x1'],
  ['PUBLISH', 'ch1', 'm'],
  ['PUBLISH', 'zz', 'm'],
  ['SELECT', '1'],
  ['SELECT', '0'],
  ['HSET', 'kh', 'f', 'v'],
  ['COPY', 'k1', 'k2'],
  ['EVAL', "return redis.call('get','k1')", '0'],
  ['EVAL', "return redis.call('set','x9','1')", '0'],
  ['DEBUG', 'SLEEP', '0'],
  ['ACL', 'WHOAMI'],
  ['MULTI'],
  ['EXEC'],
  ['SORT', 'kl', 'BY', 'w*'],
  ['RENAME', 'k1', 'x1'],
  ['GETDEL', 'x5'],
];

export class RandomAcl {
  private state: number;

  constructor(seed: number) {
    this.state = seed;
  }

  private below(n: number): number {
    this.state = (this.state * 1103515245 + 12345) & 0x7fffffff;
    return this.state % n;
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)] as T;
  }

  private rule(): string {
    switch (this.below(22)) {
      case 0:
        return 'on';
      case 1:
        return 'off';
      case 2:
        return `>${this.pick(['p', 'pw', ''])}`;
      case 3:
        return `<${this.pick(['p', 'pw', 'x'])}`;
      case 4:
        return 'nopass';
      case 5:
        return 'resetpass';
      case 6:
        return `~${this.pick(['k*', '*', 'a?', '[ab]*', ''])}`;
      case 7:
        return `%${this.pick(['R', 'W', 'RW', 'X', ''])}~${this.pick(['k*', '*'])}`;
      case 8:
        return 'allkeys';
      case 9:
        return 'resetkeys';
      case 10:
        return `&${this.pick(['ch*', '*', ''])}`;
      case 11:
        return 'allchannels';
      case 12:
        return 'resetchannels';
      case 13:
        return `+${this.pick(CATEGORIES)}`;
      case 14:
        return `-${this.pick(CATEGORIES)}`;
      case 15:
        return `+${this.pick(COMMANDS)}`;
      case 16:
        return `-${this.pick(COMMANDS)}`;
      case 17:
        return 'allcommands';
      case 18:
        return 'nocommands';
      case 19:
        return this.pick(['reset', 'clearselectors', 'sanitize-payload', 'skip-sanitize-payload']);
      case 20:
        return `(${this.rule()} ${this.rule()})`;
      default:
        return this.pick(['bogus', '#abc', '!abc', `#${'a'.repeat(64)}`, '(', ')', '~', '%', '+', '-']);
    }
  }

  /** The admin connection's next command. */
  admin(): string[] {
    switch (this.below(8)) {
      case 0:
      case 1:
      case 2: {
        const rules: string[] = [];
        for (let n = 1 + this.below(4); n > 0; n--) rules.push(this.rule());
        return ['ACL', 'SETUSER', this.pick(USERS), ...rules];
      }
      case 3:
        return [
          'ACL',
          'DRYRUN',
          this.pick(USERS),
          ...this.pick([
            ['get', 'k1'],
            ['set', 'k1', 'v'],
            ['set', 'x', 'v'],
            ['publish', 'ch1', 'm'],
            ['client', 'id'],
            ['select', '1'],
            ['nosuch'],
            ['eval', 'return 1', '0'],
          ]),
        ];
      case 4:
        return ['ACL', 'GETUSER', this.pick(USERS)];
      case 5:
        return ['ACL', 'LIST'];
      case 6:
        return ['ACL', 'DELUSER', this.pick(USERS)];
      default:
        return this.below(2) === 0
          ? ['ACL', this.pick(['USERS', 'WHOAMI', 'CAT'])]
          : ['ACL', 'CAT', this.pick(['string', 'nosuch'])];
    }
  }

  /** A user connection's next command, or undefined for none this round. */
  user(): readonly string[] | undefined {
    return this.below(3) === 0 ? this.pick(USER_COMMANDS) : undefined;
  }
}

/** The users the traffic creates, to delete between seeds. */
export const RANDOM_ACL_USERS: readonly string[] = USERS;

/**
 * A reply made comparable: LIST, GETUSER and CAT list commands in Redis's per-process hash order,
 * so their words are compared sorted.
 */
export function comparableAclReply(command: readonly string[], raw: string): string {
  const sub = command[0] === 'ACL' ? command[1]?.toUpperCase() : undefined;
  if (sub === 'LIST' || sub === 'GETUSER' || sub === 'CAT')
    return raw
      .split(/\r\n| /)
      .sort()
      .join(' ');
  return raw;
}
