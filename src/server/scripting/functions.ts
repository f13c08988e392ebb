// Redis 7 functions: libraries of Lua functions loaded with FUNCTION LOAD (`#!lua name=<lib>`),
// called with FCALL, kept in RDB files and DUMP payloads as their code (functions.c). The Lua side
// (running a library's body, the callbacks) is the engine's; this is the bookkeeping: libraries by
// name, functions by name, and the all-or-nothing rules of loading, replacing and restoring.
import { crc64Halves } from '../rdb/crc64.ts';
import { RdbFormatError } from '../rdb/errors.ts';
import { verifyDumpPayload } from '../rdb/payload.ts';
import { RdbReader } from '../rdb/reader.ts';
import { RdbWriter } from '../rdb/writer.ts';
import { type FunctionDefinition, isValidName, LOAD_TIMEOUT_MS, type ScriptEngine } from './engine.ts';

/** The RDB opcode of a library (RDB_OPCODE_FUNCTION2): its code follows as a string. */
export const RDB_OPCODE_FUNCTION2 = 245;
/** Functions from before Redis 7.0 GA; refused as Redis refuses them. */
export const RDB_OPCODE_FUNCTION_PRE_GA = 246;
/** The version in FUNCTION DUMP footers: Redis 7.0's RDB version, so Redis 7 restores ours. */
const DUMP_RDB_VERSION = 10;

export interface Library {
  readonly name: string;
  /** The whole code, shebang included (what FUNCTION LIST WITHCODE, DUMP and RDB files hold). */
  readonly code: string;
  readonly functions: ReadonlyMap<string, FunctionDefinition>;
}

/** A set of libraries and the functions they define (Redis's functionsLibCtx). */
export class LibrarySet {
  readonly libraries = new Map<string, Library>();
  readonly functions = new Map<string, { library: Library; definition: FunctionDefinition }>();

  link(library: Library): void {
    this.libraries.set(library.name, library);
    for (const definition of library.functions.values())
      this.functions.set(definition.name, { library, definition });
  }

  unlink(library: Library): void {
    this.libraries.delete(library.name);
    for (const name of library.functions.keys()) this.functions.delete(name);
  }

  get functionCount(): number {
    return this.functions.size;
  }
}

interface Metadata {
  readonly engine: string;
  readonly name: string;
  /** The body after the shebang line, from its newline (line numbers stay right). */
  readonly body: string;
}

/** functionExtractLibMetaData: the engine and name of `#!<engine> name=<name>`. */
function parseMetadata(code: string): Metadata | string {
  if (!code.startsWith('#!')) return 'Missing library metadata';
  const end = code.indexOf('\n');
  if (end < 0) return 'Invalid library metadata';
  const parts = code
    .slice(0, end)
    .split(/[ \t\r\v\f]+/)
    .filter((part) => part !== '');
  if (parts.length === 0) return 'Invalid library metadata';
  const engine = (parts[0] as string).slice(2);
  let name: string | undefined;
  for (const part of parts.slice(1)) {
    if (part.slice(0, 5).toLowerCase() === 'name=') {
      if (name !== undefined) return 'Invalid metadata value, name argument was given multiple times';
      name = part.slice(5);
      continue;
    }
    return `Invalid metadata value given: ${part}`;
  }
  if (name === undefined) return 'Library name was not given';
  return { engine, name, body: code.slice(end) };
}

export class FunctionsManager {
  readonly engine: ScriptEngine;
  current = new LibrarySet();

  constructor(engine: ScriptEngine) {
    this.engine = engine;
  }

  /**
   * functionsCreateWithLibraryCtx: loads a library into `into` (the current set by default);
   * returns its name, or the error message (without `ERR `). Nothing changes on an error. Its
   * top level may run `timeoutMs` (0: no limit, for the master's stream, RDB images, RESTORE).
   */
  create(
    code: string,
    replace: boolean,
    into: LibrarySet = this.current,
    timeoutMs = LOAD_TIMEOUT_MS,
  ): string | { error: string } {
    const metadata = parseMetadata(code);
    if (typeof metadata === 'string') return { error: metadata };
    if (!isValidName(metadata.name))
      return {
        error:
          'Library names can only contain letters, numbers, or underscores(_) and must be at least one character long',
      };
    if (metadata.engine.toLowerCase() !== 'lua') return { error: `Engine '${metadata.engine}' not found` };
    const old = into.libraries.get(metadata.name);
    if (old !== undefined && !replace) return { error: `Library '${metadata.name}' already exists` };
    const functions = this.engine.compileLibrary(metadata.body, timeoutMs);
    if (typeof functions === 'string') return { error: functions };
    if (functions.size === 0) return { error: 'No functions registered' };
    for (const name of functions.keys()) {
      const existing = into.functions.get(name);
      if (existing !== undefined && existing.library !== old) {
        this.engine.releaseFunctions(functions.values());
        return { error: `Function ${name} already exists` };
      }
    }
    if (old !== undefined) {
      into.unlink(old);
      this.engine.releaseFunctions(old.functions.values());
    }
    into.link({ name: metadata.name, code, functions });
    return metadata.name;
  }

  /** FUNCTION DELETE: whether the library existed. */
  delete(name: string): boolean {
    const library = this.current.libraries.get(name);
    if (library === undefined) return false;
    this.current.unlink(library);
    this.engine.releaseFunctions(library.functions.values());
    return true;
  }

  /** FUNCTION FLUSH, and before a replica loads its master's data. */
  flush(): void {
    this.release(this.current);
    this.current = new LibrarySet();
  }

  private release(set: LibrarySet): void {
    for (const library of set.libraries.values()) this.engine.releaseFunctions(library.functions.values());
  }

  /** The code of every library, as RDB files and DUMP payloads keep them. */
  codes(): string[] {
    return [...this.current.libraries.values()].map((library) => library.code);
  }

  /** FUNCTION DUMP: each library as RDB_OPCODE_FUNCTION2 + its code, the RDB version and a CRC-64. */
  dump(compress: boolean): Buffer {
    const writer = new RdbWriter(compress);
    for (const library of this.current.libraries.values()) {
      writer.byte(RDB_OPCODE_FUNCTION2);
      writer.writeString(library.code);
    }
    return sealPayload(writer, DUMP_RDB_VERSION);
  }

  /**
   * Loads libraries into a new set (FUNCTION RESTORE, an RDB file): the set, or the first error,
   * with nothing kept.
   */
  build(codes: readonly string[]): LibrarySet | string {
    const set = new LibrarySet();
    for (const code of codes) {
      const created = this.create(code, false, set, 0);
      if (typeof created !== 'string') {
        this.release(set);
        return created.error;
      }
    }
    return set;
  }

  /**
   * FUNCTION RESTORE's policies: FLUSH replaces every library, APPEND fails on a library that
   * exists, REPLACE replaces the libraries of the same name (libraryJoin). Returns an error message.
   */
  restore(codes: readonly string[], policy: 'flush' | 'append' | 'replace'): string | undefined {
    const set = this.build(codes);
    if (typeof set === 'string') return set;
    if (policy === 'flush') {
      this.release(this.current);
      this.current = set;
      return undefined;
    }
    const current = this.current;
    const replaced: Library[] = [];
    for (const library of set.libraries.values()) {
      const old = current.libraries.get(library.name);
      if (old === undefined) continue;
      if (policy === 'append') {
        this.release(set);
        return `Library ${library.name} already exists`;
      }
      replaced.push(old);
    }
    for (const old of replaced) current.unlink(old);
    for (const name of set.functions.keys()) {
      if (current.functions.has(name)) {
        for (const old of replaced) current.link(old);
        this.release(set);
        return `Function ${name} already exists`;
      }
    }
    for (const old of replaced) this.engine.releaseFunctions(old.functions.values());
    for (const library of set.libraries.values()) current.link(library);
    return undefined;
  }

  /**
   * Replaces every library with those of an RDB image (loading at start, a full sync); a library
   * that does not load is reported and the rest still load.
   */
  loadFromRdb(codes: readonly string[], log: (message: string) => void): void {
    this.flush();
    for (const code of codes) {
      const created = this.create(code, true, this.current, 0);
      if (typeof created !== 'string') log(`Failed loading library, ${created.error}`);
    }
  }
}

/** The library codes of a FUNCTION DUMP payload, or FUNCTION RESTORE's error message. */
export function parseFunctionPayload(payload: Buffer): string[] | string {
  if (!verifyDumpPayload(payload)) return 'DUMP payload version or checksum are wrong';
  const reader = new RdbReader(payload, 0, payload.length - 10);
  const codes: string[] = [];
  while (reader.remaining > 0) {
    const type = reader.readByte();
    if (type === RDB_OPCODE_FUNCTION_PRE_GA) return 'Pre-GA function format not supported';
    if (type !== RDB_OPCODE_FUNCTION2) return 'given type is not a function';
    try {
      codes.push(reader.readString());
    } catch (error) {
      if (error instanceof RdbFormatError) return 'Failed loading library payload';
      throw error;
    }
  }
  return codes;
}

/** Appends a DUMP footer: the RDB version (2 bytes LE) and the CRC-64 of everything before it. */
function sealPayload(writer: RdbWriter, version: number): Buffer {
  writer.ensure(10);
  writer.buffer.writeUInt16LE(version, writer.length);
  writer.length += 2;
  const crc = crc64Halves(writer.buffer, 0, 0, 0, writer.length);
  writer.buffer.writeUInt32LE(crc[0] as number, writer.length);
  writer.buffer.writeUInt32LE(crc[1] as number, writer.length + 4);
  writer.length += 8;
  return Buffer.from(writer.view());
}
