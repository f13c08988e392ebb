export type { CommandNode } from './command-node.ts';
export { COMMAND_TABLE, type CommandSpec, commandSpec } from './table.ts';
