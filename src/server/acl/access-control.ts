// The server's users and their enforcement (Redis 7.0's acl.c): the `default` user, AUTH, the
// per-request permission check, the ACL log, `user` directives and the ACL file.
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import type { Client } from '../client.ts';
import type { ServerCommand } from '../command-registry.ts';
import type { ClientPubSub } from '../pubsub/index.ts';
import type { CodisServer } from '../server.ts';
import { describeUser } from './describe.ts';
import {
  ACL_OK,
  checkPermission,
  DENIED_AUTH,
  DENIED_CHANNEL,
  DENIED_COMMAND,
  DENIED_KEY,
  type PermissionVerdict,
} from './permissions.ts';
import { AclRuleError, hasSpaces } from './selector.ts';
import { mergeSelectorArguments, User } from './user.ts';

export type LogContext = 'toplevel' | 'multi' | 'lua';

export interface AclLogEntry {
  count: number;
  reason: 'command' | 'key' | 'channel' | 'auth';
  context: LogContext;
  object: string;
  username: string;
  /** Date.now() of the last occurrence. */
  time: number;
  clientInfo: string;
}

/** Entries this close in time and otherwise equal are counted as one (ACL_LOG_GROUPING_MAX_TIME_DELTA). */
const LOG_GROUPING_MS = 60000;

const REASONS: Record<number, AclLogEntry['reason']> = {
  [DENIED_COMMAND]: 'command',
  [DENIED_KEY]: 'key',
  [DENIED_CHANNEL]: 'channel',
  [DENIED_AUTH]: 'auth',
};

const TOPLEVEL_DENIALS: Record<number, (command: string) => string> = {
  [DENIED_COMMAND]: (command) => `NOPERM this user has no permissions to run the '${command}' command`,
  [DENIED_KEY]: () => 'NOPERM this user has no permissions to access one of the keys used as arguments',
  [DENIED_CHANNEL]: () =>
    'NOPERM this user has no permissions to access one of the channels used as arguments',
};

const EXEC_REASONS: Record<number, string> = {
  [DENIED_COMMAND]: 'no permission to execute the command or subcommand',
  [DENIED_KEY]: 'no permission to touch the specified keys',
  [DENIED_CHANNEL]: 'no permission to access one of the channels used as arguments',
};

const SCRIPT_DENIALS: Record<number, string> = {
  [DENIED_COMMAND]: "The user executing the script can't run this command or subcommand",
  [DENIED_KEY]:
    "The user executing the script can't access at least one of the keys mentioned in the command arguments",
  [DENIED_CHANNEL]: "The user executing the script can't publish to the channel mentioned in the command",
};

/** An error of `user` rules at start or in ACL LOAD, with Redis's message. */
export class AclLoadError extends Error {
  readonly code = 'ACL_LOAD';
}

/** Formats a client as CLIENT LIST does, for the log's client-info (set by the CLIENT commands). */
export type ClientDescriber = (client: Client, currentCommand: string) => string;

export class AccessControl {
  readonly server: CodisServer;
  /** By name; listed in byte order of names, as Redis's radix tree. */
  users = new Map<string, User>();
  readonly defaultUser: User;
  /**
   * The user of internal clients (the master link, the AOF being loaded): not in the users, allowed
   * everything, shown as Redis shows a client without a user.
   */
  readonly superuser: User;
  /** The default user needs a password or is off: clients must AUTH before anything else. */
  authRequired = false;
  readonly log: AclLogEntry[] = [];
  describeClient: ClientDescriber = (client) => `id=${client.id}`;
  /** Reused by every check: the request path allocates nothing for a verdict. */
  private readonly verdict: PermissionVerdict = { result: ACL_OK, position: 0 };

  constructor(server: CodisServer) {
    this.server = server;
    this.defaultUser = this.createDefaultUser();
    this.users.set('default', this.defaultUser);
    this.superuser = new User('(superuser)', true);
    for (const rule of ['+@all', '~*', '&*', 'on', 'nopass']) this.superuser.apply(rule, true);
    this.updateDefaultPassword(server.config.get('requirepass'));
    server.config.onChange((name, value) => {
      if (name === 'requirepass') this.updateDefaultPassword(value);
    });
  }

  /** acl-pubsub-default: whether new users and selectors start with every channel. */
  get allChannelsByDefault(): boolean {
    return this.server.config.get('acl-pubsub-default') === 'allchannels';
  }

  private createDefaultUser(): User {
    const user = new User('default', this.allChannelsByDefault);
    for (const rule of ['+@all', '~*', '&*', 'on', 'nopass']) user.apply(rule, true);
    return user;
  }

  getUser(name: string): User | undefined {
    return this.users.get(name);
  }

  /** Users in Redis's order (byte order of names). */
  sortedUsers(): User[] {
    return [...this.users.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Recomputes what depends on the default user (authRequired) after it changed. */
  defaultUserChanged(): void {
    const user = this.defaultUser;
    this.authRequired = !user.noPass || user.disabled;
    for (const client of this.server.clients.values()) this.syncParser(client);
  }

  /** Unauthenticated connections have their request sizes capped, as in Redis. */
  syncParser(client: Client): void {
    client.parser.authenticated = client.authenticated || !this.authRequired;
  }

  /** requirepass is the default user's password (ACLUpdateDefaultUserPassword). */
  updateDefaultPassword(password: string): void {
    this.defaultUser.apply('resetpass', true);
    this.defaultUser.apply(password === '' ? 'nopass' : `>${password}`, true);
    this.defaultUserChanged();
  }

  /** A new connection starts as `default`, authenticated when that needs no password. */
  initialAuthenticated(): boolean {
    return this.defaultUser.noPass && !this.defaultUser.disabled;
  }

  /** RESET and new clients: back to `default` (clientSetDefaultAuth). */
  setDefaultAuth(client: Client): void {
    client.user = this.defaultUser;
    client.authenticated = this.initialAuthenticated();
    this.syncParser(client);
  }

  /**
   * AUTH and HELLO AUTH (ACLAuthenticateUser): true when the credentials are good, else false and
   * an `auth` entry in the log.
   */
  authenticate(client: Client, username: string, password: string, commandName: string): boolean {
    const user = this.users.get(username);
    if (user?.accepts(password)) {
      client.authenticated = true;
      client.user = user;
      this.syncParser(client);
      return true;
    }
    this.addLogEntry(client, DENIED_AUTH, this.contextOf(client), commandName, username, commandName);
    return false;
  }

  private contextOf(client: Client): LogContext {
    return client.features.has('multi') ? 'multi' : 'toplevel';
  }

  /** The check of a request, into the shared verdict. */
  private check(user: User, command: ServerCommand, argv: readonly string[]): PermissionVerdict {
    return checkPermission(user, command.acl, command.spec, argv, this.verdict);
  }

  /**
   * The request path's check, for a user that is not unrestricted: refuses the request with
   * NOPERM (and logs it) when the user may not run it. Returns true when refused.
   */
  refuse(client: Client, command: ServerCommand, argv: readonly string[]): boolean {
    // Inside MULTI a command MULTI refuses is refused for that first, as in Redis.
    const inMulti = client.features.has('multi');
    if (inMulti && command.spec.flags.has('no_multi')) return false;
    const verdict = this.check(client.user, command, argv);
    if (verdict.result === ACL_OK) return false;
    const object = this.objectOf(verdict, command, argv);
    this.addLogEntry(
      client,
      verdict.result,
      inMulti ? 'multi' : 'toplevel',
      object,
      client.user.name,
      command.fullName,
    );
    const message = (TOPLEVEL_DENIALS[verdict.result] as (name: string) => string)(command.fullName);
    command.stats.rejectedCalls++;
    this.server.rejectCommand(client, message, command);
    return true;
  }

  /** EXEC checks each queued command again: the rules may have changed since it was queued. */
  refuseInExec(client: Client, command: ServerCommand, argv: readonly string[]): boolean {
    const verdict = this.check(client.user, command, argv);
    if (verdict.result === ACL_OK) return false;
    this.addLogEntry(
      client,
      verdict.result,
      'multi',
      this.objectOf(verdict, command, argv),
      client.user.name,
      'exec',
    );
    client.replyError(
      `NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: ${EXEC_REASONS[verdict.result]}`,
    );
    return true;
  }

  /** A script's redis.call: the caller's user decides; the error text for the script, or undefined. */
  scriptRefusal(caller: Client, command: ServerCommand, argv: readonly string[]): string | undefined {
    const callerCommand = this.server.callingCommand?.fullName ?? caller.lastCommandName;
    const user = caller.user;
    const verdict = this.check(user, command, argv);
    if (verdict.result === ACL_OK) return undefined;
    this.addLogEntry(
      caller,
      verdict.result,
      'lua',
      this.objectOf(verdict, command, argv),
      user.name,
      callerCommand,
    );
    return SCRIPT_DENIALS[verdict.result];
  }

  /** ACL DRYRUN: undefined when allowed, else Redis's sentence. */
  dryRun(user: User, command: ServerCommand, argv: readonly string[]): string | undefined {
    const verdict = this.check(user, command, argv);
    if (verdict.result === DENIED_COMMAND)
      return `This user has no permissions to run the '${command.fullName}' command`;
    if (verdict.result === DENIED_KEY)
      return `This user has no permissions to access the '${argv[verdict.position]}' key`;
    if (verdict.result === DENIED_CHANNEL)
      return `This user has no permissions to access the '${argv[verdict.position]}' channel`;
    return undefined;
  }

  private objectOf(verdict: PermissionVerdict, command: ServerCommand, argv: readonly string[]): string {
    return verdict.result === DENIED_COMMAND ? command.fullName : (argv[verdict.position] as string);
  }

  /** addACLLogEntry: a new entry, or the count of a recent equal one bumped. */
  addLogEntry(
    client: Client,
    result: number,
    context: LogContext,
    object: string,
    username: string,
    currentCommand: string,
  ): void {
    const now = Date.now();
    const reason = REASONS[result] ?? 'command';
    const clientInfo = this.describeClient(client, currentCommand);
    const log = this.log;
    const scan = Math.min(10, log.length);
    for (let i = 0; i < scan; i++) {
      const entry = log[i] as AclLogEntry;
      if (
        entry.reason === reason &&
        entry.context === context &&
        Math.abs(entry.time - now) <= LOG_GROUPING_MS &&
        entry.object === object &&
        entry.username === username
      ) {
        entry.count++;
        entry.time = now;
        entry.clientInfo = clientInfo;
        log.splice(i, 1);
        log.unshift(entry);
        return;
      }
    }
    log.unshift({ count: 1, reason, context, object, username, time: now, clientInfo });
    const max = this.server.config.getNumber('acllog-max-len');
    if (log.length > max) log.length = max;
  }

  /**
   * ACL SETUSER: applies every rule to a copy and only then to the user (created if new), so a
   * bad rule changes nothing. Returns Redis's error text, or undefined.
   */
  setUser(name: string, rules: readonly string[]): string | undefined {
    if (hasSpaces(name)) return "ERR Usernames can't contain spaces or null characters";
    const merged = mergeSelectorArguments(rules);
    if (!Array.isArray(merged))
      return `ERR Unmatched parenthesis in acl selector starting at '${rules[merged.unclosed]}'.`;
    const existing = this.users.get(name);
    const staged = existing?.copy() ?? new User(name, this.allChannelsByDefault);
    for (const rule of merged) {
      try {
        staged.apply(rule, this.allChannelsByDefault);
      } catch (error) {
        if (!(error instanceof AclRuleError)) throw error;
        return `ERR Error in ACL SETUSER modifier '${rule}': ${error.message}`;
      }
    }
    if (existing !== undefined) {
      this.killPubSubClientsIfNeeded(staged, existing);
      existing.copyFrom(staged);
      if (existing === this.defaultUser) this.defaultUserChanged();
    } else this.users.set(name, staged);
    return undefined;
  }

  /** ACL DELUSER: the number deleted; clients of a deleted user are disconnected. */
  deleteUsers(names: readonly string[]): number {
    let deleted = 0;
    for (const name of names) {
      const user = this.users.get(name);
      if (user === undefined || user === this.defaultUser) continue;
      this.users.delete(name);
      this.disconnectClientsOf(user);
      deleted++;
    }
    return deleted;
  }

  /**
   * ACLFreeUserAndKillClients: the clients authenticated as `user` go back to `default`,
   * unauthenticated, and are closed (the one running this command after its reply).
   */
  private disconnectClientsOf(user: User): void {
    const server = this.server;
    for (const client of [...server.clients.values()]) {
      if (client.user !== user) continue;
      client.user = this.defaultUser;
      client.authenticated = false;
      if (client === server.callingClient) client.closeAfterReply = true;
      else client.close();
    }
  }

  /**
   * ACLKillPubsubClientsIfNeeded: when a user loses channels, its subscribed clients whose
   * channels or patterns the new rules no longer allow are disconnected.
   */
  private killPubSubClientsIfNeeded(updated: User, original: User): void {
    if (updated.selectors.some((selector) => selector.allChannels)) return;
    const upcoming: string[] = [];
    for (const selector of updated.selectors) upcoming.push(...selector.channels);
    const kept = original.selectors.every((selector) =>
      selector.channels.every((channel) => upcoming.includes(channel)),
    );
    if (kept) return;
    const allowed = new User('', false);
    allowed.root.channels = upcoming;
    const root = allowed.root;
    for (const client of [...this.server.clients.values()]) {
      if (client.user !== original) continue;
      const state = client.features.get('pubsub') as ClientPubSub | undefined;
      if (state === undefined) continue;
      let kill = false;
      for (const pattern of state.patterns) if (!root.allowsChannel(pattern, true)) kill = true;
      for (const channel of state.channels) if (!root.allowsChannel(channel, false)) kill = true;
      for (const channel of state.shardChannels) if (!root.allowsChannel(channel, false)) kill = true;
      if (!kill) continue;
      if (client === this.server.callingClient) client.closeAfterReply = true;
      else client.close();
    }
  }

  /**
   * Checks `user <name> rules...` from the config file or command line (ACLAppendUserForLoading):
   * throws AclLoadError with Redis's message.
   */
  static validateDirective(args: readonly string[]): void {
    const merged = mergeSelectorArguments(args.slice(1));
    if (!Array.isArray(merged))
      throw new AclLoadError(`Error in user declaration '${args[merged.unclosed + 1]}': Wrong format`);
    const fake = new User('', false);
    for (const rule of merged) {
      try {
        fake.apply(rule, false);
      } catch (error) {
        if (!(error instanceof AclRuleError)) throw error;
        // Unknown commands may come from modules loaded later: Redis defers those to loading.
        if (error.code === 'unknown') continue;
        throw new AclLoadError(`Error in user declaration '${rule}': ${error.message}`);
      }
    }
  }

  /** Creates the users of `user` directives (ACLLoadConfiguredUsers) and loads the ACL file. */
  loadAtStartup(directives: readonly string[][]): void {
    const aclfile = this.server.config.get('aclfile');
    if (aclfile !== '' && directives.length > 0)
      throw new AclLoadError(
        'Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.',
      );
    for (const directive of directives) {
      const [name = '', ...rules] = directive;
      if (hasSpaces(name)) throw new AclLoadError('Spaces not allowed in ACL usernames');
      let user = this.users.get(name);
      if (user === undefined) {
        user = new User(name, this.allChannelsByDefault);
        this.users.set(name, user);
      } else user.apply('reset', this.allChannelsByDefault);
      const merged = mergeSelectorArguments(rules);
      for (const rule of Array.isArray(merged) ? merged : rules) {
        try {
          user.apply(rule, this.allChannelsByDefault);
        } catch (error) {
          if (!(error instanceof AclRuleError)) throw error;
          throw new AclLoadError(
            `Error loading ACL rule '${rule}' for the user named '${name}': ${error.message}`,
          );
        }
      }
      if (user.disabled)
        this.server.log(
          'notice',
          `The user '${name}' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.`,
        );
    }
    if (this.users.get('default') !== undefined) this.defaultUserChanged();
    if (aclfile !== '') {
      const errors = this.loadFile(aclfile);
      if (errors !== undefined)
        throw new AclLoadError(`Aborting Redis startup because of ACL errors: ${errors}`);
    }
  }

  /**
   * ACLLoadFromFile: all or nothing. Returns the errors (one line) or undefined once loaded; the
   * clients of the replaced users are disconnected, the default user keeps its clients.
   */
  loadFile(path: string): string | undefined {
    let text: string;
    try {
      text = readFileSync(path, 'latin1');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason = code === 'ENOENT' ? 'No such file or directory' : (error as Error).message;
      return `Error loading ACLs, opening file '${path}': ${reason}`;
    }
    const users = new Map<string, User>();
    let errors = '';
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = (lines[i] as string).replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
      const number = i + 1;
      if (line === '') continue;
      const argv = line.split(' ').filter((word) => word !== '');
      if (argv.length === 0) continue;
      if (argv[0] !== 'user' || argv.length < 2) {
        errors += `${path}:${number} should start with user keyword followed by the username. `;
        continue;
      }
      const name = argv[1] as string;
      if (hasSpaces(name)) {
        errors += `'${path}:${number}: username '${name}' contains invalid characters. `;
        continue;
      }
      if (users.has(name)) {
        errors += `WARNING: Duplicate user '${name}' found on line ${number}. `;
        continue;
      }
      const user = new User(name, this.allChannelsByDefault);
      users.set(name, user);
      const merged = mergeSelectorArguments(argv.slice(2));
      if (!Array.isArray(merged)) {
        errors += `${path}:${number}: Unmatched parenthesis in selector definition.`;
        continue;
      }
      for (const rule of merged) {
        try {
          user.apply(rule.replace(/^[\t\r\n]+|[\t\r\n]+$/g, ''), this.allChannelsByDefault);
        } catch (error) {
          if (!(error instanceof AclRuleError)) throw error;
          errors += `${path}:${number}: Error in applying operation '${rule}': ${error.message}. `;
        }
      }
    }
    if (errors !== '')
      return `${errors}WARNING: ACL errors detected, no change to the previously active ACL rules was performed`;
    // The default user object is referenced by clients: it takes the new rules in place.
    const loadedDefault = users.get('default');
    if (loadedDefault !== undefined) this.defaultUser.copyFrom(loadedDefault);
    else this.defaultUser.copyFrom(this.createDefaultUser());
    users.set('default', this.defaultUser);
    const old = this.users;
    this.users = users;
    for (const user of old.values()) if (user !== this.defaultUser) this.disconnectClientsOf(user);
    this.defaultUserChanged();
    return undefined;
  }

  /** The users in ACL file format, one `user ...` line each. */
  fileText(): string {
    let text = '';
    for (const user of this.sortedUsers()) text += `user ${user.name} ${describeUser(user)}\n`;
    return text;
  }

  /** ACLSaveToFile: written to a temporary file, then renamed over the ACL file. */
  saveFile(path: string): boolean {
    const temporary = `${path}.tmp-${process.pid}-${Date.now()}`;
    let fd: number | undefined;
    try {
      fd = openSync(temporary, 'w', 0o644);
      writeSync(fd, Buffer.from(this.fileText(), 'latin1'));
      closeSync(fd);
      fd = undefined;
      renameSync(temporary, path);
      return true;
    } catch (error) {
      this.server.log('warning', `Writing ACL file for ACL SAVE: ${(error as Error).message}`);
      if (fd !== undefined) closeSync(fd);
      try {
        unlinkSync(temporary);
      } catch {
        // Nothing was written.
      }
      return false;
    }
  }
}
