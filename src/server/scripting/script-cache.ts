// The scripts EVAL and SCRIPT LOAD have seen, by SHA1 of their body, and the `#!lua` shebang of
// Redis 7.0 scripts (flags=no-writes, allow-oom...).
import { createHash } from 'node:crypto';

export function sha1hex(text: string): string {
  return createHash('sha1').update(text, 'latin1').digest('hex');
}

export interface ScriptFlags {
  /** Declared with a shebang: runs with the flags it names instead of EVAL's compatibility mode. */
  readonly shebang: boolean;
  readonly noWrites: boolean;
  readonly allowOom: boolean;
  readonly allowStale: boolean;
}

export interface CachedScript {
  readonly sha: string;
  readonly body: string;
  readonly flags: ScriptFlags;
  /** The body without its shebang line (its newline kept, so line numbers stay right). */
  readonly code: string;
}

const KNOWN_FLAGS = new Set(['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys']);

/** Parses the shebang of a body; returns an error message (without the `ERR `) when it is invalid. */
export function parseShebang(body: string): { flags: ScriptFlags; code: string } | string {
  if (!body.startsWith('#!'))
    return { flags: { shebang: false, noWrites: false, allowOom: false, allowStale: false }, code: body };
  const end = body.indexOf('\n');
  const line = end < 0 ? body : body.slice(0, end);
  const parts = line.split(' ').filter((part) => part !== '');
  if (parts[0] !== '#!lua') return `Unexpected engine in script shebang: ${parts[0] ?? ''}`;
  const flags = { shebang: true, noWrites: false, allowOom: false, allowStale: false };
  for (const part of parts.slice(1)) {
    if (!part.startsWith('flags=')) return `Unknown lua shebang option: ${part}`;
    for (const flag of part.slice(6).split(',')) {
      if (flag === '') continue;
      if (!KNOWN_FLAGS.has(flag)) return `Unexpected flag in script shebang: ${flag}`;
      if (flag === 'no-writes') flags.noWrites = true;
      else if (flag === 'allow-oom') flags.allowOom = true;
      else if (flag === 'allow-stale') flags.allowStale = true;
    }
  }
  return { flags, code: end < 0 ? '' : body.slice(end) };
}
