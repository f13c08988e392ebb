// How codis-admin talks to its user: results as JSON (Go's 4-space MarshalIndent) or text on
// stdout; log lines, in Codis's `YYYY/MM/DD HH:MM:SS file: [LEVEL] message` shape, on stderr; a
// failure is one `[PANIC]` line, then `[error]: <cause>` and the remote stack when there is one.

import { encodeGoJson, type JsonValue } from '../models/index.ts';
import { RemoteError } from './api-client.ts';

/** A failure codis-admin reports and exits 1 on (Go's log.Panicf / log.PanicErrorf). */
export class AdminFailure extends Error {
  readonly code = 'ERR_ADMIN';
  readonly reason: unknown;
  constructor(message: string, reason?: unknown) {
    super(message);
    this.name = 'AdminFailure';
    this.reason = reason;
  }
}

export interface Output {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly verbose: boolean;
}

const pad = (n: number): string => String(n).padStart(2, '0');

function timestamp(date = new Date()): string {
  return (
    `${date.getFullYear()}/${pad(date.getMonth() + 1)}/${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

export class Console {
  readonly #out: Output;

  constructor(out: Output) {
    this.#out = out;
  }

  /** A result on stdout, one line. */
  print(text: string): void {
    this.#out.stdout.write(`${text}\n`);
  }

  printJson(value: unknown): void {
    this.print(encodeGoJson(value as JsonValue));
  }

  log(level: string, message: string): void {
    this.#out.stderr.write(`${timestamp()} codis-admin: [${level}] ${message}\n`);
  }

  /** Only with `-v`. */
  debug(message: string): void {
    if (this.#out.verbose) this.log('DEBUG', message);
  }

  info(message: string): void {
    this.log('INFO', message);
  }

  /** Reports a failure as Codis does; the caller exits 1. */
  panic(error: unknown): void {
    const message = error instanceof AdminFailure ? error.message : errorMessage(error);
    this.log('PANIC', message);
    const reason = error instanceof AdminFailure ? error.reason : undefined;
    if (reason === undefined) return;
    let text = `[error]: ${errorMessage(reason)}\n`;
    if (reason instanceof RemoteError) {
      for (const frame of reason.frames) {
        text += `    ${String(frame.line).padEnd(4)}${frame.file}:${frame.line}\n            ${frame.name}\n`;
      }
    }
    this.#out.stderr.write(text);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
