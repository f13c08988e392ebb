// The append-only file, in Redis 7's multi-part layout: a directory (appenddirname) holding a base
// file (an RDB image, as with aof-use-rdb-preamble), incremental files of RESP commands, and a
// manifest listing them in order:
//
//   file appendonly.aof.1.base.rdb seq 1 type b
//   file appendonly.aof.1.incr.aof seq 1 type i
//
// A rewrite opens a new incremental file at once (later writes go there, so nothing needs to be
// buffered), writes a new base from a snapshot incrementally, then installs a manifest of the new
// base and the new incremental file and deletes the old files.
import {
  closeSync,
  existsSync,
  fsync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

export interface ManifestFile {
  name: string;
  seq: number;
  type: 'b' | 'i' | 'h';
}

/** A problem with the AOF that prevents starting: the message names the file. */
export class AofError extends Error {
  readonly code = 'AOF';
  constructor(message: string) {
    super(message);
    this.name = 'AofError';
  }
}

export function parseManifest(text: string, path: string): ManifestFile[] {
  const files: ManifestFile[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const parts = trimmed.split(/\s+/);
    const fields = new Map<string, string>();
    for (let i = 0; i + 1 < parts.length; i += 2) fields.set(parts[i] as string, parts[i + 1] as string);
    const name = fields.get('file');
    const seq = Number(fields.get('seq'));
    const type = fields.get('type');
    if (name === undefined || !Number.isInteger(seq) || (type !== 'b' && type !== 'i' && type !== 'h'))
      throw new AofError(`Invalid AOF manifest file format: ${path}: '${trimmed}'`);
    files.push({ name, seq, type });
  }
  return files;
}

export function formatManifest(files: readonly ManifestFile[]): string {
  return files.map((file) => `file ${file.name} seq ${file.seq} type ${file.type}\n`).join('');
}

export interface ParsedCommands {
  commands: string[][];
  /** Bytes of complete commands (where a truncated tail starts). */
  complete: number;
  /** Set when the data after `complete` is not a truncated command but garbage. */
  invalid: boolean;
}

/** Parses RESP multibulk commands; stops at the first incomplete or invalid one. */
export function parseCommands(buffer: Buffer): ParsedCommands {
  const commands: string[][] = [];
  let position = 0;
  const length = buffer.length;
  const readLine = (at: number): [string, number] | undefined => {
    const end = buffer.indexOf(13, at);
    if (end < 0 || end + 1 >= length) return undefined;
    if (buffer[end + 1] !== 10) return ['\0invalid', end];
    return [buffer.latin1Slice(at, end), end + 2];
  };
  for (;;) {
    if (position >= length) return { commands, complete: position, invalid: false };
    if (buffer[position] !== 42) return { commands, complete: position, invalid: true };
    const header = readLine(position + 1);
    if (header === undefined) return { commands, complete: position, invalid: false };
    const count = Number(header[0]);
    if (!Number.isInteger(count) || count < 1) return { commands, complete: position, invalid: true };
    let at = header[1];
    const argv: string[] = [];
    let truncated = false;
    for (let i = 0; i < count; i++) {
      if (at >= length) {
        truncated = true;
        break;
      }
      if (buffer[at] !== 36) return { commands, complete: position, invalid: true };
      const line = readLine(at + 1);
      if (line === undefined) {
        truncated = true;
        break;
      }
      const size = Number(line[0]);
      if (!Number.isInteger(size) || size < 0) return { commands, complete: position, invalid: true };
      at = line[1];
      if (at + size + 2 > length) {
        truncated = true;
        break;
      }
      if (buffer[at + size] !== 13 || buffer[at + size + 1] !== 10)
        return { commands, complete: position, invalid: true };
      argv.push(buffer.latin1Slice(at, at + size));
      at += size + 2;
    }
    if (truncated) return { commands, complete: position, invalid: false };
    commands.push(argv);
    position = at;
  }
}

/** The files of an AOF directory and the open incremental file commands are appended to. */
export class AofFiles {
  readonly directory: string;
  readonly prefix: string;
  files: ManifestFile[] = [];
  fd: number | undefined;
  /** Bytes appended to the current incremental file. */
  incrementalBytes = 0;

  constructor(directory: string, prefix: string) {
    this.directory = directory;
    this.prefix = prefix;
  }

  get manifestPath(): string {
    return join(this.directory, `${this.prefix}.manifest`);
  }

  path(name: string): string {
    return join(this.directory, name);
  }

  exists(): boolean {
    return existsSync(this.manifestPath);
  }

  readManifest(): ManifestFile[] {
    this.files = parseManifest(readFileSync(this.manifestPath, 'latin1'), this.manifestPath);
    return this.files;
  }

  writeManifest(files: ManifestFile[]): void {
    mkdirSync(this.directory, { recursive: true });
    const temporary = join(this.directory, `temp-${this.prefix}.manifest`);
    writeFileSync(temporary, formatManifest(files));
    const fd = openSync(temporary, 'r+');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(temporary, this.manifestPath);
    this.files = files;
  }

  nextSeq(type: 'b' | 'i'): number {
    let seq = 0;
    for (const file of this.files) if (file.type === type && file.seq > seq) seq = file.seq;
    return seq + 1;
  }

  /** Opens a new incremental file for appending (closing the previous one); returns its entry. */
  openIncremental(): ManifestFile {
    mkdirSync(this.directory, { recursive: true });
    const seq = this.nextSeq('i');
    const file: ManifestFile = { name: `${this.prefix}.${seq}.incr.aof`, seq, type: 'i' };
    const fd = openSync(this.path(file.name), 'a', 0o644);
    this.closeIncremental();
    this.fd = fd;
    this.incrementalBytes = 0;
    return file;
  }

  /** Reopens the last incremental file of the manifest for appending. */
  reopenLast(): void {
    const last = this.files.filter((file) => file.type === 'i').at(-1);
    if (last === undefined) throw new AofError(`no incremental file in ${this.manifestPath}`);
    this.closeIncremental();
    this.fd = openSync(this.path(last.name), 'a', 0o644);
  }

  append(bytes: Buffer): void {
    const fd = this.fd;
    if (fd === undefined) return;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    this.incrementalBytes += bytes.length;
  }

  fsyncNow(): void {
    if (this.fd !== undefined) fsyncSync(this.fd);
  }

  /** fsync off the event loop (everysec). */
  fsyncInBackground(done: () => void): void {
    if (this.fd === undefined) {
      done();
      return;
    }
    fsync(this.fd, () => done());
  }

  closeIncremental(): void {
    if (this.fd === undefined) return;
    try {
      fsyncSync(this.fd);
      closeSync(this.fd);
    } catch {}
    this.fd = undefined;
  }

  /** Deletes files no longer in the manifest. */
  removeFiles(files: readonly ManifestFile[]): void {
    for (const file of files) {
      try {
        unlinkSync(this.path(file.name));
      } catch {}
    }
  }
}
