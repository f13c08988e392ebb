// Users described as rules (ACL LIST, ACL GETUSER, ACL SAVE), the way Redis 7.0 does it: Redis keeps
// only a bitmap of allowed commands, so it rebuilds rules from it by trying categories greedily and
// then fixing single commands, and the text must come out as Redis's for the same bitmap.
import { ACL_COMMANDS, type AclCommand, CATEGORIES } from './command-catalog.ts';
import { ALL_PERMISSION, type KeyPattern, READ_PERMISSION, Selector, WRITE_PERMISSION } from './selector.ts';
import type { User } from './user.ts';

function patternText(pattern: KeyPattern): string {
  if (pattern.flags === ALL_PERMISSION) return `~${pattern.pattern}`;
  if (pattern.flags === READ_PERMISSION) return `%R~${pattern.pattern}`;
  if (pattern.flags === WRITE_PERMISSION) return `%W~${pattern.pattern}`;
  throw new Error('invalid key pattern flags');
}

/** Counts the commands of a category allowed and denied by `allowed` (Codis's own left out). */
function countCategory(allowed: Uint8Array, bit: number): { on: number; off: number } {
  let on = 0;
  let off = 0;
  for (const command of ACL_COMMANDS) {
    if (command.codis || (command.categories & bit) === 0) continue;
    if (allowed[command.id] === 1) on++;
    else off++;
  }
  return { on, off };
}

/** ACLDescribeSelectorCommandRules: `+@all`/`-@all`, categories, then single commands. */
export function describeCommandRules(selector: Selector): string {
  const rules: string[] = [];
  const additive = !selector.futureCommands;
  const fake = new Selector(false, false);
  fake.apply(additive ? '-@all' : '+@all');
  rules.push(additive ? '-@all' : '+@all');
  // The bits not yet explained: a category is applied when it has more commands in common with
  // them than different, the one with the fewest differences first.
  const temp = new Selector(false, false);
  temp.allowed.set(selector.allowed);
  const applied = new Array<boolean>(CATEGORIES.length).fill(false);
  for (;;) {
    let best = -1;
    let minDiff = Number.MAX_SAFE_INTEGER;
    let maxSame = 0;
    for (let j = 0; j < CATEGORIES.length; j++) {
      if (applied[j]) continue;
      const { on, off } = countCategory(temp.allowed, 1 << j);
      const diff = additive ? off : on;
      const same = additive ? on : off;
      if (same > diff && (diff < minDiff || (diff === minDiff && same > maxSame))) {
        best = j;
        minDiff = diff;
        maxSame = same;
      }
    }
    if (best < 0) break;
    fake.setCategory(1 << best, additive);
    temp.setCategory(1 << best, !additive);
    rules.push(`${additive ? '+' : '-'}@${CATEGORIES[best]}`);
    applied[best] = true;
  }
  const single = (command: AclCommand): void => {
    const userBit = selector.allowsBit(command.id);
    if (userBit !== fake.allowsBit(command.id)) {
      rules.push(`${userBit ? '+' : '-'}${command.fullName}`);
      fake.changePermission(command, userBit);
    }
    for (const sub of command.subcommands.values()) single(sub);
    const firstArgs = selector.firstArgs?.get(command.id);
    if (!userBit && firstArgs !== undefined)
      for (const arg of firstArgs) rules.push(`+${command.fullName}|${arg}`);
  };
  for (const command of ACL_COMMANDS) if (command.parent === undefined) single(command);
  return rules.join(' ');
}

/** ACLDescribeSelector: keys, channels, then command rules. */
export function describeSelector(selector: Selector): string {
  let text = '';
  if (selector.allKeys) text += '~* ';
  else for (const pattern of selector.keyPatterns) text += `${patternText(pattern)} `;
  if (selector.allChannels) text += '&* ';
  else {
    text += 'resetchannels ';
    for (const channel of selector.channels) text += `&${channel} `;
  }
  return text + describeCommandRules(selector);
}

/** ACLDescribeUser: flags, password hashes and selectors, as ACL LIST shows after `user <name> `. */
export function describeUser(user: User): string {
  let text = '';
  for (const flag of user.flagNames()) text += `${flag} `;
  for (const hash of user.passwords) text += `#${hash} `;
  for (const selector of user.selectors) {
    const description = describeSelector(selector);
    text += selector.root ? description : ` (${description})`;
  }
  return text;
}

/** ACL GETUSER's `keys` field of a selector. */
export function describeKeys(selector: Selector): string {
  if (selector.allKeys) return '~*';
  return selector.keyPatterns.map(patternText).join(' ');
}

/** ACL GETUSER's `channels` field of a selector. */
export function describeChannels(selector: Selector): string {
  if (selector.allChannels) return '&*';
  return selector.channels.map((channel) => `&${channel}`).join(' ');
}
