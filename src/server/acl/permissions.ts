// Whether a user may run a request (Redis 7.0's ACLCheckAllUserCommandPerm): a selector must allow
// the command, every key it touches with the access the key spec declares, and every channel.
import type { CommandSpec } from '../../commands/index.ts';
import { commandHasKeys, findKeys, type KeyReference } from '../key-specs.ts';
import type { AclCommand } from './command-catalog.ts';
import { READ_PERMISSION, type Selector, WRITE_PERMISSION } from './selector.ts';
import type { User } from './user.ts';

/** Redis's ACL_* results, ordered as Redis compares them to pick which denial to report. */
export const ACL_OK = 0;
export const DENIED_COMMAND = 1;
export const DENIED_KEY = 2;
export const DENIED_AUTH = 3;
export const DENIED_CHANNEL = 4;

export interface PermissionVerdict {
  result: number;
  /** The argument (key or channel) that was refused. */
  position: number;
}

/** The commands whose arguments name channels (ACLDoesCommandHaveChannels). */
const CHANNEL_COMMANDS: ReadonlyMap<string, { literal: boolean; all: boolean }> = new Map([
  ['publish', { literal: false, all: false }],
  ['spublish', { literal: false, all: false }],
  ['subscribe', { literal: false, all: true }],
  ['ssubscribe', { literal: false, all: true }],
  ['psubscribe', { literal: true, all: true }],
]);

function keyPermission(reference: KeyReference): number {
  let flags = 0;
  for (const flag of reference.flags) {
    if (flag === 'access') flags |= READ_PERMISSION;
    else if (flag === 'insert' || flag === 'delete' || flag === 'update') flags |= WRITE_PERMISSION;
  }
  return flags;
}

function checkSelector(
  selector: Selector,
  command: AclCommand,
  spec: CommandSpec,
  argv: readonly string[],
  keys: () => KeyReference[],
  verdict: PermissionVerdict,
): number {
  if (!selector.allowsCommand(command, argv)) return DENIED_COMMAND;
  if (!selector.allKeys && commandHasKeys(spec)) {
    for (const reference of keys()) {
      if (!selector.allowsKey(argv[reference.position] as string, keyPermission(reference))) {
        verdict.position = reference.position;
        return DENIED_KEY;
      }
    }
  }
  const channels = selector.allChannels ? undefined : CHANNEL_COMMANDS.get(command.fullName);
  if (channels !== undefined) {
    const last = channels.all ? argv.length - 1 : Math.min(1, argv.length - 1);
    for (let i = 1; i <= last; i++) {
      if (!selector.allowsChannel(argv[i] as string, channels.literal)) {
        verdict.position = i;
        return DENIED_CHANNEL;
      }
    }
  }
  return ACL_OK;
}

/**
 * Fills `verdict` for `user` running `argv`. When no selector allows the request, the reported
 * denial is the most specific one (channel > key > command), then the one furthest in argv.
 */
export function checkPermission(
  user: User,
  command: AclCommand,
  spec: CommandSpec,
  argv: readonly string[],
  verdict: PermissionVerdict,
): PermissionVerdict {
  let cached: KeyReference[] | undefined;
  const keys = (): KeyReference[] => {
    cached ??= findKeys(spec, argv);
    return cached;
  };
  let relevant = DENIED_COMMAND;
  let lastPosition = 0;
  for (const selector of user.selectors) {
    verdict.position = 0;
    const result = checkSelector(selector, command, spec, argv, keys, verdict);
    if (result === ACL_OK) {
      verdict.result = ACL_OK;
      verdict.position = 0;
      return verdict;
    }
    if (result > relevant || (result === relevant && verdict.position > lastPosition)) {
      relevant = result;
      lastPosition = verdict.position;
    }
  }
  verdict.result = relevant;
  verdict.position = lastPosition;
  return verdict;
}

/** Whether `user` may use `key` with the READ/WRITE_PERMISSION bits in `flags` (any selector). */
export function userAllowsKey(user: User, key: string, flags: number): boolean {
  for (const selector of user.selectors) if (selector.allowsKey(key, flags)) return true;
  return false;
}
