// ACL: users, their rules and the permission checks (Redis 7.0's acl.c).
export { AccessControl, AclLoadError, type AclLogEntry, type LogContext } from './access-control.ts';
export {
  ACL_COMMANDS,
  type AclCommand,
  CATEGORIES,
  categoryBit,
  lookupAclCommand,
} from './command-catalog.ts';
export {
  describeChannels,
  describeCommandRules,
  describeKeys,
  describeSelector,
  describeUser,
} from './describe.ts';
export { AclRuleError, Selector } from './selector.ts';
export { hashPassword, mergeSelectorArguments, User } from './user.ts';
