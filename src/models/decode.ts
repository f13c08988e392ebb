// Validation of records read from a coordinator. Codis's Go decoder silently turns a missing or
// mistyped field into a zero value, which has hidden corrupt topology in practice; we refuse bad data
// instead and say which record, which coordinator path and which field is wrong.

/** A record read from a coordinator (or an API body) is not what its schema says. */
export class ModelDecodeError extends Error {
  readonly code = 'ERR_MODEL_DECODE';
  /** The record kind, e.g. `group`. */
  readonly record: string;
  /** The coordinator path the bytes came from, when known. */
  readonly path: string | undefined;
  /** The offending field as a JSON path (`servers[1].action.state`); undefined for the whole record. */
  readonly field: string | undefined;
  readonly reason: string;

  constructor(record: string, path: string | undefined, field: string | undefined, reason: string) {
    const at = path === undefined ? '' : ` at ${path}`;
    const what = field === undefined ? '' : `: field '${field}'`;
    super(`invalid ${record} record${at}${what}: ${reason}`);
    this.name = 'ModelDecodeError';
    this.record = record;
    this.path = path;
    this.field = field;
    this.reason = reason;
  }
}

/** Where a value being decoded sits: the record kind, its coordinator path, and the field path. */
export interface DecodeContext {
  readonly record: string;
  readonly path: string | undefined;
}

type JsonRecord = Record<string, unknown>;

function fail(ctx: DecodeContext, field: string | undefined, reason: string): never {
  throw new ModelDecodeError(ctx.record, ctx.path, field === '' ? undefined : field, reason);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string')
    return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

function join(where: string, key: string): string {
  return where === '' ? key : `${where}.${key}`;
}

/** Parses record bytes (UTF-8 JSON) into a value, naming the path when the text is not JSON. */
export function parseRecordJson(input: string | Uint8Array, ctx: DecodeContext): unknown {
  const text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: false }).decode(input);
  if (text.trim() === '') fail(ctx, undefined, 'empty data, expected a JSON object');
  try {
    return JSON.parse(text);
  } catch (error) {
    fail(ctx, undefined, `corrupt JSON (${(error as Error).message})`);
  }
}

export function expectObject(value: unknown, ctx: DecodeContext, where: string): JsonRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(ctx, where, `expected an object, got ${describe(value)}`);
  }
  return value as JsonRecord;
}

interface IntOptions {
  /** Go writes the field with `omitempty`: absent means 0. */
  readonly optional?: boolean;
  readonly min?: number;
  readonly max?: number;
}

export function readInt(
  obj: JsonRecord,
  key: string,
  ctx: DecodeContext,
  where: string,
  opts: IntOptions = {},
): number {
  const field = join(where, key);
  const value = obj[key];
  if (value === undefined) {
    if (opts.optional === true) return 0;
    fail(ctx, field, 'missing');
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    fail(ctx, field, `expected an integer, got ${describe(value)}`);
  }
  const min = opts.min ?? Number.MIN_SAFE_INTEGER;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  if (value < min || value > max) {
    const range = opts.max === undefined ? `>= ${min}` : `in ${min}..${max}`;
    fail(ctx, field, `${value} is out of range, expected ${range}`);
  }
  return value;
}

interface StringOptions<T extends string> {
  readonly optional?: boolean;
  readonly oneOf?: readonly T[];
}

export function readString<T extends string = string>(
  obj: JsonRecord,
  key: string,
  ctx: DecodeContext,
  where: string,
  opts: StringOptions<T> = {},
): T {
  const field = join(where, key);
  const value = obj[key];
  if (value === undefined) {
    if (opts.optional === true) return '' as T;
    fail(ctx, field, 'missing');
  }
  if (typeof value !== 'string') fail(ctx, field, `expected a string, got ${describe(value)}`);
  if (opts.oneOf !== undefined && !opts.oneOf.includes(value as T)) {
    const known = opts.oneOf.map((s) => JSON.stringify(s)).join(', ');
    fail(ctx, field, `unknown value ${JSON.stringify(value)}, expected one of ${known}`);
  }
  return value as T;
}

export function readBool(obj: JsonRecord, key: string, ctx: DecodeContext, where: string): boolean {
  const field = join(where, key);
  const value = obj[key];
  if (value === undefined) fail(ctx, field, 'missing');
  if (typeof value !== 'boolean') fail(ctx, field, `expected a boolean, got ${describe(value)}`);
  return value;
}

export function readChildObject(obj: JsonRecord, key: string, ctx: DecodeContext, where: string): JsonRecord {
  const field = join(where, key);
  const value = obj[key];
  if (value === undefined) fail(ctx, field, 'missing');
  return expectObject(value, ctx, field);
}

/**
 * An array field. `null` is accepted as empty (a Go nil slice); `optional` fields may be absent
 * (`omitempty`). Each item is decoded by `item` with its own field path (`servers[2]`).
 */
export function readArray<T>(
  obj: JsonRecord,
  key: string,
  ctx: DecodeContext,
  where: string,
  opts: { readonly optional?: boolean },
  item: (value: unknown, field: string) => T,
): T[] {
  const field = join(where, key);
  const value = obj[key];
  if (value === undefined) {
    if (opts.optional === true) return [];
    fail(ctx, field, 'missing');
  }
  if (value === null) return [];
  if (!Array.isArray(value)) fail(ctx, field, `expected an array, got ${describe(value)}`);
  return value.map((element, index) => item(element, `${field}[${index}]`));
}

export function expectString(value: unknown, ctx: DecodeContext, field: string): string {
  if (typeof value !== 'string') fail(ctx, field, `expected a string, got ${describe(value)}`);
  return value;
}

/** Fails with a field-specific reason; for checks that span fields (an id that must match a path). */
export function invalidField(ctx: DecodeContext, field: string | undefined, reason: string): never {
  fail(ctx, field, reason);
}
