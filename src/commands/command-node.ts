/**
 * A RESP reply captured from redis-server 7 (COMMAND INFO, COMMAND DOCS) as a typed tree, so it can
 * be re-encoded in RESP2 or RESP3 exactly as Redis would.
 */
export type CommandNode =
  | { t: 'status'; v: string }
  | { t: 'bulk'; v: string }
  | { t: 'int'; v: number }
  | { t: 'null' }
  | { t: 'array' | 'set'; v: CommandNode[] }
  | { t: 'map'; v: Array<[CommandNode, CommandNode]> };
