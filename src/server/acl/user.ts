// An ACL user (Redis 7.0's `user`): flags, password hashes and selectors, and ACLSetUser's rules.
import { createHash } from 'node:crypto';
import { splitInlineArguments } from '../../resp/index.ts';
import { AclRuleError, Selector } from './selector.ts';

/** SHA-256 of a password, lowercase hex: how Redis stores and shows passwords. */
export function hashPassword(password: string): string {
  return createHash('sha256').update(Buffer.from(password, 'latin1')).digest('hex');
}

function isPasswordHash(text: string): boolean {
  return /^[0-9a-f]{64}$/.test(text);
}

export class User {
  readonly name: string;
  enabled = false;
  /** `off` is a flag of its own in Redis: a new user shows it, `on` clears it. */
  disabled = true;
  noPass = false;
  skipSanitizePayload = false;
  sanitizePayload = false;
  /** SHA-256 hex hashes, in the order they were added. */
  passwords: string[] = [];
  /** The root selector first, then the `(...)` ones. */
  selectors: Selector[];
  /**
   * Allowed everything: one selector with every command, key and channel. The request path tests
   * only this flag, so a server whose users are all like `default` pays nothing for ACLs.
   */
  unrestricted = false;

  constructor(name: string, allChannelsByDefault: boolean) {
    this.name = name;
    this.selectors = [new Selector(true, allChannelsByDefault)];
  }

  get root(): Selector {
    return this.selectors[0] as Selector;
  }

  /** Recomputes `unrestricted` after a change. */
  refresh(): void {
    const root = this.root;
    this.unrestricted = this.selectors.length === 1 && root.allCommands && root.allKeys && root.allChannels;
  }

  /** An unlinked copy (ACL SETUSER stages its rules on one, all or nothing). */
  copy(): User {
    const other = new User(this.name, false);
    other.copyFrom(this);
    return other;
  }

  /** ACLCopyUser: takes every rule of `source`, keeping the name. */
  copyFrom(source: User): void {
    this.enabled = source.enabled;
    this.disabled = source.disabled;
    this.noPass = source.noPass;
    this.skipSanitizePayload = source.skipSanitizePayload;
    this.sanitizePayload = source.sanitizePayload;
    this.passwords = source.passwords.slice();
    this.selectors = source.selectors.map((each) => each.copy());
    this.refresh();
  }

  /** Applies one rule (ACLSetUser); throws AclRuleError, leaving earlier rules applied. */
  apply(op: string, allChannelsByDefault: boolean): void {
    try {
      this.applyRule(op, allChannelsByDefault);
    } finally {
      this.refresh();
    }
  }

  private applyRule(op: string, allChannelsByDefault: boolean): void {
    if (op.length === 0) return;
    const lower = op.toLowerCase();
    if (lower === 'on') {
      this.enabled = true;
      this.disabled = false;
    } else if (lower === 'off') {
      this.enabled = false;
      this.disabled = true;
    } else if (lower === 'skip-sanitize-payload') {
      this.skipSanitizePayload = true;
      this.sanitizePayload = false;
    } else if (lower === 'sanitize-payload') {
      this.skipSanitizePayload = false;
      this.sanitizePayload = true;
    } else if (lower === 'nopass') {
      this.noPass = true;
      this.passwords = [];
    } else if (lower === 'resetpass') {
      this.noPass = false;
      this.passwords = [];
    } else if (op[0] === '>' || op[0] === '#') {
      const hash = op[0] === '>' ? hashPassword(op.slice(1)) : op.slice(1);
      if (op[0] === '#' && !isPasswordHash(hash)) throw new AclRuleError('bad-hash');
      if (!this.passwords.includes(hash)) this.passwords.push(hash);
      this.noPass = false;
    } else if (op[0] === '<' || op[0] === '!') {
      const hash = op[0] === '<' ? hashPassword(op.slice(1)) : op.slice(1);
      if (op[0] === '!' && !isPasswordHash(hash)) throw new AclRuleError('bad-hash');
      const index = this.passwords.indexOf(hash);
      if (index < 0) throw new AclRuleError('no-such-password');
      this.passwords.splice(index, 1);
    } else if (op[0] === '(' && op[op.length - 1] === ')') {
      const selector = new Selector(false, allChannelsByDefault);
      for (const each of splitInlineArguments(op.slice(1, -1)) ?? []) selector.apply(each);
      this.selectors.push(selector);
    } else if (lower === 'clearselectors') {
      this.selectors.length = 1;
    } else if (lower === 'reset') {
      this.applyRule('resetpass', allChannelsByDefault);
      this.applyRule('resetkeys', allChannelsByDefault);
      this.applyRule('resetchannels', allChannelsByDefault);
      if (allChannelsByDefault) this.applyRule('allchannels', allChannelsByDefault);
      this.applyRule('off', allChannelsByDefault);
      this.applyRule('sanitize-payload', allChannelsByDefault);
      this.applyRule('clearselectors', allChannelsByDefault);
      this.applyRule('-@all', allChannelsByDefault);
    } else {
      this.root.apply(op);
    }
  }

  /** Whether `password` authenticates this user (ACLCheckUserCredentials, once the user exists). */
  accepts(password: string): boolean {
    if (this.disabled) return false;
    if (this.noPass) return true;
    const hash = hashPassword(password);
    return this.passwords.includes(hash);
  }

  /** Flags in ACL GETUSER / ACL LIST order. */
  flagNames(): string[] {
    const flags: string[] = [];
    if (this.enabled) flags.push('on');
    if (this.disabled) flags.push('off');
    if (this.noPass) flags.push('nopass');
    if (this.skipSanitizePayload) flags.push('skip-sanitize-payload');
    if (this.sanitizePayload) flags.push('sanitize-payload');
    return flags;
  }
}

/**
 * ACLMergeSelectorArguments: a selector may be spread over several arguments (`(~key* +get)` typed
 * without quotes); they are joined with spaces. Returns the index of an unclosed `(` on failure.
 */
export function mergeSelectorArguments(args: readonly string[]): string[] | { unclosed: number } {
  const merged: string[] = [];
  let open = -1;
  let selector = '';
  for (let i = 0; i < args.length; i++) {
    const op = args[i] as string;
    if (op[0] === '(' && op[op.length - 1] !== ')') {
      selector = op;
      open = i;
      continue;
    }
    if (open >= 0) {
      selector += ` ${op}`;
      if (op[op.length - 1] === ')') {
        open = -1;
        merged.push(selector);
      }
      continue;
    }
    merged.push(op);
  }
  if (open >= 0) return { unclosed: open };
  return merged;
}
