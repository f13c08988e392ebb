// JSON text exactly as Codis 3.2 writes it: Go's json.MarshalIndent(v, "", "    ") with the default
// HTML escaping. Records are compared byte for byte with the files Codis leaves in a coordinator, and
// Codis's own tools read ours, so the small differences from JSON.stringify matter.

/** A JSON value; object properties that are `undefined` are left out (Go's `omitempty`). */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue | undefined;
}

const INDENT = '    ';
const HEX = '0123456789abcdef';

/**
 * Encodes a value the way Go's json.MarshalIndent does with a 4-space indent: keys in insertion order,
 * `{}` and `[]` for empty containers, no trailing newline, and strings escaped as Go escapes them
 * (`<`, `>`, `&`, U+2028 and U+2029 as `\u00XX`/`\u20XX`, control characters other than \n \r \t as
 * `\u00XX`, lone surrogates replaced by U+FFFD as Go does with invalid UTF-8).
 */
export function encodeGoJson(value: JsonValue, indent: string = INDENT): string {
  return encodeValue(value, indent, '');
}

/** The compact form (Go's json.Marshal), used where Codis logs or sends a record on one line. */
export function encodeGoJsonCompact(value: JsonValue): string {
  return encodeValue(value, '', '');
}

// One string grown by appends rather than arrays of parts joined at each level: the dashboard encodes
// its whole stats (1024 slots, every server's INFO) for each poll of /topom, and this is half the
// time of the map-and-join version.
function encodeValue(value: JsonValue, indent: string, prefix: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new RangeError(`cannot encode ${value} as JSON`);
      return String(value);
    case 'string':
      return quoteGoString(value);
  }
  const inner = prefix + indent;
  const itemStart = indent === '' ? '' : `\n${inner}`;
  const close = indent === '' ? '' : `\n${prefix}`;
  const colon = indent === '' ? ':' : ': ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += itemStart + encodeValue(value[i] as JsonValue, indent, inner);
    }
    return `${out + close}]`;
  }
  let out = '{';
  let empty = true;
  for (const key of Object.keys(value)) {
    const item = value[key];
    if (item === undefined) continue;
    if (!empty) out += ',';
    empty = false;
    out += itemStart + quoteGoString(key) + colon + encodeValue(item, indent, inner);
  }
  return empty ? '{}' : `${out + close}}`;
}

/** A string literal as Go's encoder writes it (with HTML escaping on, its default). */
export function quoteGoString(text: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let escaped: string | undefined;
    if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26) {
      if (c === 0x22) escaped = '\\"';
      else if (c === 0x5c) escaped = '\\\\';
      else if (c === 0x0a) escaped = '\\n';
      else if (c === 0x0d) escaped = '\\r';
      else if (c === 0x09) escaped = '\\t';
      else escaped = `\\u00${HEX[c >> 4]}${HEX[c & 15]}`;
    } else if (c === 0x2028 || c === 0x2029) {
      escaped = c === 0x2028 ? '\\u2028' : '\\u2029';
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      escaped = '\\ufffd';
    }
    if (escaped !== undefined) {
      out += text.slice(start, i) + escaped;
      start = i + 1;
    }
  }
  return `${out + text.slice(start)}"`;
}
