// An ACL selector: the commands, key patterns and channel patterns one set of permissions allows
// (Redis 7.0's aclSelector). A user has a root selector and may have more, `(...)` in its rules.
import { globMatch } from '../glob.ts';
import { ACL_COMMANDS, type AclCommand, categoryBit, lookupAclCommand } from './command-catalog.ts';

export const READ_PERMISSION = 1;
export const WRITE_PERMISSION = 2;
export const ALL_PERMISSION = READ_PERMISSION | WRITE_PERMISSION;

export interface KeyPattern {
  pattern: string;
  flags: number;
}

/** Why a rule was refused; AclRuleError.message is Redis's ACLSetUserStringError text. */
export type RuleFailure =
  | 'unknown'
  | 'syntax'
  | 'keys-after-all'
  | 'channels-after-all'
  | 'no-such-password'
  | 'bad-hash'
  | 'duplicate-user'
  | 'first-arg-of-subcommand';

const FAILURE_MESSAGES: Record<RuleFailure, string> = {
  unknown: 'Unknown command or category name in ACL',
  syntax: 'Syntax error',
  'keys-after-all':
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
  'channels-after-all':
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
  'no-such-password': 'The password you are trying to remove from the user does not exist',
  'bad-hash':
    'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters',
  'duplicate-user': 'Duplicate user found. A user can only be defined once in config files',
  'first-arg-of-subcommand': 'Allowing first-arg of a subcommand is not supported',
};

export class AclRuleError extends Error {
  readonly code: RuleFailure;
  constructor(code: RuleFailure) {
    super(FAILURE_MESSAGES[code]);
    this.code = code;
    this.name = 'AclRuleError';
  }
}

/** Redis's ACLStringHasSpaces: spaces (isspace) and NUL are refused in names and patterns. */
export function hasSpaces(text: string): boolean {
  return /[ \t\n\v\f\r\0]/.test(text);
}

export class Selector {
  allKeys = false;
  allChannels = false;
  /** Every command allowed, with nothing subtracted since (SELECTOR_FLAG_ALLCOMMANDS). */
  allCommands = false;
  /** Set by +@all and cleared only by -@all: commands added later are allowed (the reserved bit). */
  futureCommands = false;
  readonly root: boolean;
  /** One byte per catalog command: 1 = allowed. */
  allowed: Uint8Array;
  /** +command|first-arg: command id → allowed first arguments (lowercase compare). */
  firstArgs: Map<number, string[]> | undefined;
  keyPatterns: KeyPattern[] = [];
  channels: string[] = [];

  constructor(root: boolean, allChannels: boolean) {
    this.root = root;
    this.allChannels = allChannels;
    this.allowed = new Uint8Array(ACL_COMMANDS.length);
  }

  copy(): Selector {
    const other = new Selector(this.root, this.allChannels);
    other.allKeys = this.allKeys;
    other.allCommands = this.allCommands;
    other.futureCommands = this.futureCommands;
    other.allowed.set(this.allowed);
    if (this.firstArgs !== undefined)
      other.firstArgs = new Map([...this.firstArgs].map(([id, args]) => [id, args.slice()]));
    other.keyPatterns = this.keyPatterns.map((each) => ({ ...each }));
    other.channels = this.channels.slice();
    return other;
  }

  private setBit(id: number, allow: boolean): void {
    this.allowed[id] = allow ? 1 : 0;
    if (!allow) this.allCommands = false;
  }

  /** Allows or blocks a command, and with a container all its subcommands (ACLChangeSelectorPerm). */
  changePermission(command: AclCommand, allow: boolean): void {
    this.setBit(command.id, allow);
    this.firstArgs?.delete(command.id);
    for (const sub of command.subcommands.values()) this.setBit(sub.id, allow);
  }

  setCategory(bit: number, allow: boolean): void {
    for (const command of ACL_COMMANDS)
      if ((command.categories & bit) !== 0) this.changePermission(command, allow);
  }

  allowsBit(id: number): boolean {
    return this.allowed[id] === 1;
  }

  /** Applies one rule (ACLSetSelector); throws AclRuleError. */
  apply(op: string): void {
    const lower = op.toLowerCase();
    if (lower === 'allkeys' || op === '~*') {
      this.allKeys = true;
      this.keyPatterns = [];
    } else if (lower === 'resetkeys') {
      this.allKeys = false;
      this.keyPatterns = [];
    } else if (lower === 'allchannels' || op === '&*') {
      this.allChannels = true;
      this.channels = [];
    } else if (lower === 'resetchannels') {
      this.allChannels = false;
      this.channels = [];
    } else if (lower === 'allcommands' || lower === '+@all') {
      this.allowed.fill(1);
      this.allCommands = true;
      this.futureCommands = true;
      this.firstArgs = undefined;
    } else if (lower === 'nocommands' || lower === '-@all') {
      this.allowed.fill(0);
      this.allCommands = false;
      this.futureCommands = false;
      this.firstArgs = undefined;
    } else if (op[0] === '~' || op[0] === '%') {
      this.addKeyPattern(op);
    } else if (op[0] === '&') {
      if (this.allChannels) throw new AclRuleError('channels-after-all');
      const pattern = op.slice(1);
      if (hasSpaces(pattern)) throw new AclRuleError('syntax');
      if (!this.channels.includes(pattern)) this.channels.push(pattern);
      this.allChannels = false;
    } else if (op[0] === '+' && op[1] !== '@') {
      this.allowCommand(op.slice(1));
    } else if (op[0] === '-' && op[1] !== '@') {
      const command = lookupAclCommand(op.slice(1));
      if (command === undefined) throw new AclRuleError('unknown');
      this.changePermission(command, false);
    } else if ((op[0] === '+' || op[0] === '-') && op[1] === '@') {
      const bit = categoryBit(op.slice(2));
      if (bit === 0) throw new AclRuleError('unknown');
      this.setCategory(bit, op[0] === '+');
    } else {
      throw new AclRuleError('syntax');
    }
  }

  private addKeyPattern(op: string): void {
    if (this.allKeys) throw new AclRuleError('keys-after-all');
    let flags = 0;
    let offset = 1;
    if (op[0] === '%') {
      for (; offset < op.length; offset++) {
        const char = (op[offset] as string).toUpperCase();
        if (char === 'R' && (flags & READ_PERMISSION) === 0) flags |= READ_PERMISSION;
        else if (char === 'W' && (flags & WRITE_PERMISSION) === 0) flags |= WRITE_PERMISSION;
        else if (char === '~') {
          offset++;
          break;
        } else throw new AclRuleError('syntax');
      }
      if (flags === 0) throw new AclRuleError('syntax');
    } else flags = ALL_PERMISSION;
    const pattern = op.slice(offset);
    if (hasSpaces(pattern)) throw new AclRuleError('syntax');
    const existing = this.keyPatterns.find((each) => each.pattern === pattern);
    if (existing === undefined) this.keyPatterns.push({ pattern, flags });
    else existing.flags |= flags;
    this.allKeys = false;
  }

  private allowCommand(name: string): void {
    const bar = name.lastIndexOf('|');
    if (bar < 0) {
      const command = lookupAclCommand(name);
      if (command === undefined) throw new AclRuleError('unknown');
      this.changePermission(command, true);
      return;
    }
    const command = lookupAclCommand(name.slice(0, bar));
    const sub = name.slice(bar + 1);
    if (command === undefined) throw new AclRuleError('unknown');
    if (command.parent !== undefined) throw new AclRuleError('first-arg-of-subcommand');
    if (sub === '') throw new AclRuleError('syntax');
    if (command.subcommands.size > 0) {
      const subcommand = lookupAclCommand(name);
      if (subcommand === undefined) throw new AclRuleError('unknown');
      this.changePermission(subcommand, true);
      return;
    }
    // `-select +select|0`: a first argument allowed for a command otherwise blocked (deprecated).
    this.firstArgs ??= new Map();
    const args = this.firstArgs.get(command.id);
    if (args === undefined) this.firstArgs.set(command.id, [sub]);
    else if (!args.some((each) => each.toLowerCase() === sub.toLowerCase())) args.push(sub);
  }

  /** Whether this selector lets `argv` run `command` as far as the command bit goes. */
  allowsCommand(command: AclCommand, argv: readonly string[]): boolean {
    if (this.allCommands || command.noAuth || this.allowed[command.id] === 1) return true;
    const args = this.firstArgs?.get(command.id);
    if (args === undefined || argv.length < 2) return false;
    const given = argv[command.parent === undefined ? 1 : 2];
    if (given === undefined) return false;
    const lower = given.toLowerCase();
    return args.some((each) => each.toLowerCase() === lower);
  }

  /** ACLSelectorCheckKey: `flags` are READ/WRITE_PERMISSION bits the access needs. */
  allowsKey(key: string, flags: number): boolean {
    if (this.allKeys) return true;
    for (const each of this.keyPatterns) {
      if ((each.flags & flags) !== flags) continue;
      if (globMatch(each.pattern, key)) return true;
    }
    return false;
  }

  /** A channel (literal: a PSUBSCRIBE pattern, compared as text) against the channel patterns. */
  allowsChannel(channel: string, literal: boolean): boolean {
    if (this.allChannels) return true;
    for (const pattern of this.channels) {
      if (literal ? pattern === channel : globMatch(pattern, channel)) return true;
    }
    return false;
  }
}
