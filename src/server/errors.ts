// Every error reply text the server sends from more than one place. A reply error starts with its
// code (ERR, WRONGTYPE, NOAUTH...), as Redis sends it, without the leading '-'.

export const WRONG_TYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
export const NOT_INTEGER = 'ERR value is not an integer or out of range';
export const NOT_FLOAT = 'ERR value is not a valid float';
export const SYNTAX = 'ERR syntax error';
export const NO_SUCH_KEY = 'ERR no such key';
export const OUT_OF_RANGE = 'ERR index out of range';
export const OVERFLOW = 'ERR increment or decrement would overflow';
export const NOAUTH = 'NOAUTH Authentication required.';
export const INVALID_EXPIRE = (command: string): string => `ERR invalid expire time in '${command}' command`;
export const DB_INDEX_OUT_OF_RANGE = 'ERR DB index is out of range';
export const OOM = "OOM command not allowed when used memory > 'maxmemory'.";
export const READONLY = "READONLY You can't write against a read only replica.";
export const TIMEOUT_NOT_FLOAT = 'ERR timeout is not a float or out of range';
export const TIMEOUT_NEGATIVE = 'ERR timeout is negative';

export function wrongArity(commandName: string): string {
  return `ERR wrong number of arguments for '${commandName}' command`;
}

export function unknownCommand(argv: readonly string[]): string {
  let text = `ERR unknown command '${truncateForError(argv[0] ?? '')}', with args beginning with: `;
  for (let i = 1; i < argv.length && text.length < 128; i++)
    text += `'${truncateForError(argv[i] as string)}' `;
  return text;
}

export function unknownSubcommand(subcommand: string, command: string): string {
  return `ERR unknown subcommand '${truncateForError(subcommand)}'. Try ${command.toUpperCase()} HELP.`;
}

/** Redis's addReplySubcommandSyntaxError: a known subcommand with arguments it cannot take. */
export function subcommandSyntax(argv: readonly string[]): string {
  return `ERR unknown subcommand or wrong number of arguments for '${truncateForError(argv[1] ?? '')}'. Try ${(argv[0] ?? '').toUpperCase()} HELP.`;
}

/** Redis truncates user input echoed in errors to 128 bytes and keeps error lines single-line. */
function truncateForError(text: string): string {
  const cut = text.length > 128 ? text.slice(0, 128) : text;
  return cut.replace(/[\r\n]/g, ' ');
}

/** An internal failure with a stable code, for logs and for callers that branch on the kind. */
export class ServerError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = 'ServerError';
  }
}
