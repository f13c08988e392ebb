import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COMMAND_TABLE } from '../../commands/index.ts';
import { ACL_COMMANDS, categoryBit, lookupAclCommand } from './command-catalog.ts';
import { describeCommandRules, describeUser } from './describe.ts';
import { checkPermission, DENIED_CHANNEL, DENIED_COMMAND, DENIED_KEY } from './permissions.ts';
import type { AclRuleError } from './selector.ts';
import { hashPassword, mergeSelectorArguments, User } from './user.ts';

function user(...rules: string[]): User {
  const made = new User('u', false);
  for (const rule of rules) made.apply(rule, false);
  return made;
}

function verdict(of: User, ...argv: string[]): { result: number; position: number } {
  const name = (argv[0] as string).toLowerCase();
  const spec = COMMAND_TABLE.get(name);
  const sub = spec?.subcommands.get((argv[1] ?? '').toLowerCase());
  const command = lookupAclCommand(sub === undefined ? name : sub.name);
  assert.ok(spec !== undefined && command !== undefined);
  return checkPermission(of, command, sub ?? spec, argv, { result: 0, position: 0 });
}

test('the catalog covers every command and subcommand of the table, with categories', () => {
  let count = 0;
  for (const spec of COMMAND_TABLE.values()) count += 1 + spec.subcommands.size;
  assert.equal(ACL_COMMANDS.length, count);
  assert.equal(lookupAclCommand('CONFIG|Get')?.fullName, 'config|get');
  assert.equal(lookupAclCommand('select|0'), undefined);
  assert.equal(lookupAclCommand('config|get|x'), undefined);
  const get = lookupAclCommand('get');
  assert.ok(get !== undefined && (get.categories & categoryBit('read')) !== 0);
  assert.ok((get.categories & categoryBit('write')) === 0);
  // Codis's slot commands are administrative, never granted by @write.
  const slotsdel = lookupAclCommand('slotsdel');
  assert.ok(slotsdel?.codis === true && (slotsdel.categories & categoryBit('dangerous')) !== 0);
  assert.ok((slotsdel.categories & categoryBit('write')) === 0);
});

test('unrestricted is the one flag the request path reads', () => {
  assert.equal(user('+@all', '~*', '&*').unrestricted, true);
  assert.equal(user('+@all', '~*').unrestricted, false);
  assert.equal(user('+@all', '~*', '&*', '-get', '+get').unrestricted, false);
  assert.equal(user('+@all', '~*', '&*', '(+get)').unrestricted, false);
  assert.equal(user('allcommands', 'allkeys', 'allchannels').unrestricted, true);
});

test('rules fail with Redis reasons and leave earlier ones applied', () => {
  const made = new User('u', false);
  assert.throws(
    () => made.apply('+nosuch', false),
    (error: AclRuleError) => error.code === 'unknown',
  );
  assert.throws(
    () => made.apply('~a b', false),
    (error: AclRuleError) => error.code === 'syntax',
  );
  made.apply('allkeys', false);
  assert.throws(
    () => made.apply('~x', false),
    (error: AclRuleError) => error.code === 'keys-after-all',
  );
  assert.throws(
    () => made.apply('<never', false),
    (error: AclRuleError) => error.code === 'no-such-password',
  );
  assert.throws(
    () => made.apply('#ABC', false),
    (error: AclRuleError) => error.code === 'bad-hash',
  );
  assert.throws(
    () => made.apply('+config|get|x', false),
    (error: AclRuleError) => error.code === 'first-arg-of-subcommand',
  );
  assert.equal(made.root.allKeys, true);
});

test('passwords are SHA-256 hashes; nopass accepts anything; off accepts nothing', () => {
  assert.equal(hashPassword('p'), '148de9c5a7a44d19e56cd9ae1a554bf67847afb0c58f6e12fa29ac7ddfca9940');
  const made = user('on', '>p', '>q');
  assert.equal(made.accepts('p'), true);
  assert.equal(made.accepts('q'), true);
  assert.equal(made.accepts('r'), false);
  made.apply('nopass', false);
  assert.equal(made.accepts('anything'), true);
  made.apply('off', false);
  assert.equal(made.accepts('anything'), false);
});

test('descriptions rebuild rules from the bitmap as Redis does', () => {
  assert.equal(describeUser(user('on', 'nopass', '+@all', '~*', '&*')), 'on nopass ~* &* +@all');
  assert.equal(describeCommandRules(user('+@read', '-@write').root), '-@all +@read');
  assert.equal(describeCommandRules(user('+@all', '-@dangerous').root), '+@all -@dangerous');
  assert.equal(
    describeCommandRules(user('-select', '+select|0', '+select|1').root),
    '-@all +select|0 +select|1',
  );
  assert.equal(describeCommandRules(user('+config|get').root), '-@all +config|get');
  assert.equal(
    describeUser(user('%R~r*', '%W~w*', '~a', '&c', '(+get ~x)')),
    'off %R~r* %W~w* ~a resetchannels &c -@all (~x resetchannels -@all +get)',
  );
});

test('selector arguments spread over words are merged', () => {
  assert.deepEqual(mergeSelectorArguments(['on', '(+get', '~a)', '(+set)']), ['on', '(+get ~a)', '(+set)']);
  assert.deepEqual(mergeSelectorArguments(['on', '(+get']), { unclosed: 1 });
});

test('checks: the command, keys by read/write flags, channels, and the most specific denial', () => {
  const reader = user('+@all', '%R~r*', '~a*', '&ch*');
  assert.equal(verdict(reader, 'GET', 'r1').result, 0);
  assert.deepEqual(verdict(reader, 'SET', 'r1', 'v'), { result: DENIED_KEY, position: 1 });
  assert.deepEqual(verdict(reader, 'MSET', 'a1', 'v', 'b', 'v'), { result: DENIED_KEY, position: 3 });
  assert.deepEqual(verdict(reader, 'PUBLISH', 'x', 'm'), { result: DENIED_CHANNEL, position: 1 });
  assert.equal(verdict(reader, 'PSUBSCRIBE', 'ch*').result, 0);
  assert.deepEqual(verdict(reader, 'PSUBSCRIBE', 'ch1'), { result: DENIED_CHANNEL, position: 1 });
  const limited = user('-@all', '+get', '+select|0', '~*');
  assert.equal(verdict(limited, 'SELECT', '0').result, 0);
  assert.equal(verdict(limited, 'SELECT', '1').result, DENIED_COMMAND);
  assert.equal(verdict(limited, 'AUTH', 'x').result, 0);
  // With selectors, a key denial beats a command denial.
  const selectors = user('-@all', '+get', '~a*', '(+set ~b*)');
  assert.equal(verdict(selectors, 'SET', 'b1', 'v').result, 0);
  assert.deepEqual(verdict(selectors, 'GET', 'c'), { result: DENIED_KEY, position: 1 });
  assert.equal(verdict(selectors, 'DEL', 'a1').result, DENIED_COMMAND);
});
