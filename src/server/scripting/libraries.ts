// The Lua libraries Redis adds for scripts, on fengari: `bit` (LuaBitOp 1.0: 32-bit operations
// on numbers) and `cjson` (lua-cjson 2.1: JSON encode/decode with its error messages and
// cjson.null). Numbers follow lua-numbers.ts (doubles, "%.14g").
import fengari, { type LuaState, type LuaString } from 'fengari';
import { latin1, luaBytes } from './conversions.ts';
import { luaNumberString } from './lua-numbers.ts';

const { lua, lauxlib, to_luastring: text } = fengari;

/** LuaBitOp's conversion: the low 32 bits of n + 2^52 + 2^51 (rounds half to even, wraps). */
const bitsView = new Float64Array(1);
const bitsWords = new Int32Array(bitsView.buffer);
const LOW_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;

function toBit(value: number): number {
  bitsView[0] = value + 6755399441055744;
  return bitsWords[LOW_WORD] as number;
}

/** barg: the argument as 32 bits; an argument that is not a number is an error only when it gives 0. */
function bitArgument(L: LuaState, index: number): number {
  const bits = toBit(lua.lua_tonumber(L, index));
  if (bits === 0 && !lua.lua_isnumber(L, index)) {
    const got = lua.lua_typename(L, lua.lua_type(L, index));
    return lauxlib.luaL_argerror(L, index, luaBytes(`number expected, got ${latin1(got)}`));
  }
  return bits;
}

function pushBits(L: LuaState, bits: number): number {
  lua.lua_pushnumber(L, bits | 0);
  return 1;
}

export function openBit(L: LuaState): void {
  const functions: Record<string, (T: LuaState) => number> = {
    tobit: (T) => pushBits(T, bitArgument(T, 1)),
    bnot: (T) => pushBits(T, ~bitArgument(T, 1)),
    band: (T) => fold(T, (a, b) => a & b),
    bor: (T) => fold(T, (a, b) => a | b),
    bxor: (T) => fold(T, (a, b) => a ^ b),
    lshift: (T) => {
      const b = bitArgument(T, 1);
      return pushBits(T, b << (bitArgument(T, 2) & 31));
    },
    rshift: (T) => {
      const b = bitArgument(T, 1);
      return pushBits(T, b >>> (bitArgument(T, 2) & 31));
    },
    arshift: (T) => {
      const b = bitArgument(T, 1);
      return pushBits(T, b >> (bitArgument(T, 2) & 31));
    },
    rol: (T) => {
      const b = bitArgument(T, 1);
      const n = bitArgument(T, 2) & 31;
      return pushBits(T, (b << n) | (b >>> (32 - n)));
    },
    ror: (T) => {
      const b = bitArgument(T, 1);
      const n = bitArgument(T, 2) & 31;
      return pushBits(T, (b >>> n) | (b << (32 - n)));
    },
    bswap: (T) => {
      const b = bitArgument(T, 1);
      return pushBits(T, ((b >>> 24) | ((b >> 8) & 0xff00) | ((b & 0xff00) << 8) | (b << 24)) >>> 0);
    },
    tohex: (T) => {
      let b = bitArgument(T, 1) >>> 0;
      let n = lua.lua_isnone(T, 2) ? 8 : bitArgument(T, 2);
      let digits = '0123456789abcdef';
      if (n < 0) {
        n = -n;
        digits = '0123456789ABCDEF';
      }
      if (n > 8) n = 8;
      const out = new Array<string>(n);
      for (let i = n - 1; i >= 0; i--) {
        out[i] = digits[b & 15] as string;
        b >>>= 4;
      }
      lua.lua_pushstring(T, luaBytes(out.join('')));
      return 1;
    },
  };
  registerTable(L, 'bit', functions);
}

function fold(T: LuaState, op: (a: number, b: number) => number): number {
  let bits = bitArgument(T, 1);
  const top = lua.lua_gettop(T);
  for (let i = 2; i <= top; i++) bits = op(bits, bitArgument(T, i));
  return pushBits(T, bits);
}

function registerTable(L: LuaState, name: string, functions: Record<string, (T: LuaState) => number>): void {
  lua.lua_newtable(L);
  for (const [field, fn] of Object.entries(functions)) {
    lua.lua_pushjsfunction(L, fn);
    lua.lua_setfield(L, -2, text(field));
  }
  lua.lua_setglobal(L, text(name));
}

/** cjson.null: a light userdata every decode of `null` returns. */
const JSON_NULL = { cjsonNull: true };
const MAX_DEPTH = 1000;

export function openCjson(L: LuaState): void {
  registerTable(L, 'cjson', {
    encode: (T) => {
      if (lua.lua_gettop(T) !== 1) return lauxlib.luaL_argerror(T, 1, text('expected 1 argument'));
      const parts: string[] = [];
      encodeValue(T, 1, parts, 0);
      lua.lua_pushstring(T, luaBytes(parts.join('')));
      return 1;
    },
    decode: (T) => {
      if (lua.lua_gettop(T) !== 1) return lauxlib.luaL_argerror(T, 1, text('expected 1 argument'));
      const bytes = lua.lua_tolstring(T, 1);
      if (bytes === null) return lauxlib.luaL_argerror(T, 1, text('expected string'));
      new JsonDecoder(T, latin1(bytes)).decodeDocument();
      return 1;
    },
  });
  lua.lua_getglobal(L, text('cjson'));
  lua.lua_pushlightuserdata(L, JSON_NULL);
  lua.lua_setfield(L, -2, text('null'));
  lua.lua_pushstring(L, text('2.1.0'));
  lua.lua_setfield(L, -2, text('_VERSION'));
  lua.lua_pushstring(L, text('cjson'));
  lua.lua_setfield(L, -2, text('_NAME'));
  lua.lua_pop(L, 1);
}

function encodeError(T: LuaState, index: number, reason: string): never {
  const type = latin1(lua.lua_typename(T, lua.lua_type(T, index)));
  return lauxlib.luaL_error(T, luaBytes(`Cannot serialise ${type}: ${reason}`));
}

const ESCAPES: string[] = [];
for (let code = 0; code < 256; code++) {
  if (code < 0x20 || code === 0x7f) ESCAPES[code] = `\\u${code.toString(16).padStart(4, '0')}`;
}
ESCAPES[8] = '\\b';
ESCAPES[9] = '\\t';
ESCAPES[10] = '\\n';
ESCAPES[12] = '\\f';
ESCAPES[13] = '\\r';
ESCAPES[34] = '\\"';
ESCAPES[47] = '\\/';
ESCAPES[92] = '\\\\';

function encodeString(value: string, parts: string[]): void {
  let out = '"';
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const replacement = ESCAPES[value.charCodeAt(i)];
    if (replacement === undefined) continue;
    out += value.slice(start, i) + replacement;
    start = i + 1;
  }
  parts.push(`${out}${value.slice(start)}"`);
}

function encodeNumber(T: LuaState, index: number, parts: string[]): void {
  const value = lua.lua_tonumber(T, index);
  if (!Number.isFinite(value)) encodeError(T, index, 'must not be NaN or Inf');
  parts.push(luaNumberString(value));
}

function encodeValue(T: LuaState, index: number, parts: string[], depth: number): void {
  const at = lua.lua_absindex(T, index);
  switch (lua.lua_type(T, at)) {
    case lua.LUA_TSTRING:
      encodeString(latin1(lua.lua_tolstring(T, at) as LuaString), parts);
      return;
    case lua.LUA_TNUMBER:
      encodeNumber(T, at, parts);
      return;
    case lua.LUA_TBOOLEAN:
      parts.push(lua.lua_toboolean(T, at) ? 'true' : 'false');
      return;
    case lua.LUA_TNIL:
      parts.push('null');
      return;
    case lua.LUA_TLIGHTUSERDATA:
      if (lua.lua_touserdata(T, at) === JSON_NULL) {
        parts.push('null');
        return;
      }
      break;
    case lua.LUA_TTABLE:
      encodeTable(T, at, parts, depth + 1);
      return;
  }
  encodeError(T, at, 'type not supported');
}

/** The length of a table that is an array (positive integer keys only), -1 otherwise. */
function arrayLength(T: LuaState, at: number): number {
  let max = 0;
  let items = 0;
  lua.lua_pushnil(T);
  while (lua.lua_next(T, at) !== 0) {
    if (lua.lua_type(T, -2) === lua.LUA_TNUMBER) {
      const key = lua.lua_tonumber(T, -2);
      if (Number.isInteger(key) && key >= 1) {
        if (key > max) max = key;
        items++;
        lua.lua_pop(T, 1);
        continue;
      }
    }
    lua.lua_pop(T, 2);
    return -1;
  }
  // encode_sparse_array's defaults: refuse arrays mostly of holes (ratio 2, safe 10).
  if (max > items * 2 && max > 10) return -2;
  return max;
}

function encodeTable(T: LuaState, at: number, parts: string[], depth: number): void {
  if (depth > MAX_DEPTH) lauxlib.luaL_error(T, luaBytes(`Cannot serialise, excessive nesting (${depth})`));
  lauxlib.luaL_checkstack(T, 6, text('nesting'));
  const length = arrayLength(T, at);
  if (length === -2) encodeError(T, at, 'excessively sparse array');
  if (length > 0) {
    parts.push('[');
    for (let i = 1; i <= length; i++) {
      if (i > 1) parts.push(',');
      lua.lua_rawgeti(T, at, i);
      encodeValue(T, -1, parts, depth);
      lua.lua_pop(T, 1);
    }
    parts.push(']');
    return;
  }
  parts.push('{');
  let first = true;
  lua.lua_pushnil(T);
  while (lua.lua_next(T, at) !== 0) {
    if (!first) parts.push(',');
    first = false;
    const keyType = lua.lua_type(T, -2);
    if (keyType === lua.LUA_TSTRING) encodeString(latin1(lua.lua_tolstring(T, -2) as LuaString), parts);
    else if (keyType === lua.LUA_TNUMBER) {
      parts.push('"');
      encodeNumber(T, -2, parts);
      parts.push('"');
    } else encodeError(T, -2, 'table key must be a number or string');
    parts.push(':');
    encodeValue(T, -1, parts, depth);
    lua.lua_pop(T, 1);
  }
  parts.push('}');
}

/** lua-cjson's decoder: a JSON text to Lua values, with its error messages. */
class JsonDecoder {
  private readonly T: LuaState;
  private readonly text: string;
  private position = 0;
  private depth = 0;

  constructor(T: LuaState, text: string) {
    this.T = T;
    this.text = text;
  }

  decodeDocument(): void {
    this.value('value');
    this.skipSpace();
    if (this.position < this.text.length) this.fail('the end', this.describeToken(), this.position);
  }

  private fail(expected: string, found: string, at: number): never {
    return lauxlib.luaL_error(
      this.T,
      luaBytes(`Expected ${expected} but found ${found} at character ${at + 1}`),
    );
  }

  private skipSpace(): void {
    const text = this.text;
    while (this.position < text.length) {
      const c = text.charCodeAt(this.position);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
      this.position++;
    }
  }

  /** The name lua-cjson gives the token at the current position (in an error). */
  private describeToken(): string {
    const c = this.text[this.position];
    switch (c) {
      case undefined:
        return 'T_END';
      case '{':
        return 'T_OBJ_BEGIN';
      case '}':
        return 'T_OBJ_END';
      case '[':
        return 'T_ARR_BEGIN';
      case ']':
        return 'T_ARR_END';
      case ':':
        return 'T_COLON';
      case ',':
        return 'T_COMMA';
      case '"':
        return 'T_STRING';
    }
    if (/[-0-9]/.test(c)) return 'T_NUMBER';
    if (this.text.startsWith('true', this.position) || this.text.startsWith('false', this.position))
      return 'T_BOOLEAN';
    if (this.text.startsWith('null', this.position)) return 'T_NULL';
    return 'invalid token';
  }

  private value(expected: string): void {
    this.skipSpace();
    const T = this.T;
    const text = this.text;
    const start = this.position;
    const c = text[start];
    if (c === '{' || c === '[') {
      if (++this.depth > MAX_DEPTH)
        lauxlib.luaL_error(
          T,
          luaBytes(`Found too many nested data structures (${this.depth}) at character ${start + 1}`),
        );
      lauxlib.luaL_checkstack(T, 3, luaBytes('nesting'));
      this.position++;
      if (c === '{') this.object();
      else this.array();
      this.depth--;
      return;
    }
    if (c === '"') {
      lua.lua_pushstring(T, luaBytes(this.string()));
      return;
    }
    if (c !== undefined && /[-0-9]/.test(c)) {
      const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/.exec(text.slice(start, start + 400));
      if (match === null) this.fail(expected, 'invalid number', start);
      this.position += match[0].length;
      lua.lua_pushnumber(T, Number(match[0]));
      return;
    }
    if (text.startsWith('true', start)) {
      this.position += 4;
      lua.lua_pushboolean(T, true);
      return;
    }
    if (text.startsWith('false', start)) {
      this.position += 5;
      lua.lua_pushboolean(T, false);
      return;
    }
    if (text.startsWith('null', start)) {
      this.position += 4;
      lua.lua_pushlightuserdata(T, JSON_NULL);
      return;
    }
    this.fail(expected, this.describeToken(), start);
  }

  private object(): void {
    const T = this.T;
    lua.lua_newtable(T);
    this.skipSpace();
    if (this.text[this.position] === '}') {
      this.position++;
      return;
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.position] !== '"')
        this.fail('object key string', this.describeToken(), this.position);
      lua.lua_pushstring(T, luaBytes(this.string()));
      this.skipSpace();
      if (this.text[this.position] !== ':') this.fail('colon', this.describeToken(), this.position);
      this.position++;
      this.value('value');
      lua.lua_rawset(T, -3);
      this.skipSpace();
      const next = this.text[this.position];
      if (next === '}') {
        this.position++;
        return;
      }
      if (next !== ',') this.fail('comma or object end', this.describeToken(), this.position);
      this.position++;
    }
  }

  private array(): void {
    const T = this.T;
    lua.lua_newtable(T);
    this.skipSpace();
    if (this.text[this.position] === ']') {
      this.position++;
      return;
    }
    for (let i = 1; ; i++) {
      this.value('value');
      lua.lua_rawseti(T, -2, i);
      this.skipSpace();
      const next = this.text[this.position];
      if (next === ']') {
        this.position++;
        return;
      }
      if (next !== ',') this.fail('comma or array end', this.describeToken(), this.position);
      this.position++;
    }
  }

  /** A string token at the position (on its opening quote): its bytes, escapes decoded (UTF-8). */
  private string(): string {
    const text = this.text;
    const start = this.position;
    let out = '';
    let i = start + 1;
    for (;;) {
      const end = text.indexOf('"', i);
      const backslash = text.indexOf('\\', i);
      if (end < 0) this.fail('value', 'unexpected end of string', text.length);
      if (backslash < 0 || backslash > end) {
        out += text.slice(i, end);
        this.position = end + 1;
        return out;
      }
      out += text.slice(i, backslash);
      const code = text[backslash + 1];
      i = backslash + 2;
      switch (code) {
        case '"':
        case '\\':
        case '/':
          out += code;
          continue;
        case 'b':
          out += '\b';
          continue;
        case 'f':
          out += '\f';
          continue;
        case 'n':
          out += '\n';
          continue;
        case 'r':
          out += '\r';
          continue;
        case 't':
          out += '\t';
          continue;
        case 'u': {
          let unit = this.hex4(backslash + 2);
          let consumed = 4;
          if (unit >= 0xd800 && unit <= 0xdbff) {
            const low = text.startsWith('\\u', backslash + 6) ? this.hex4(backslash + 8) : -1;
            if (low < 0xdc00 || low > 0xdfff) this.fail('value', 'invalid unicode escape code', backslash);
            unit = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
            consumed = 10;
          } else if (unit < 0 || (unit >= 0xdc00 && unit <= 0xdfff))
            this.fail('value', 'invalid unicode escape code', backslash);
          out += Buffer.from(String.fromCodePoint(unit), 'utf8').latin1Slice();
          i = backslash + 2 + consumed;
          continue;
        }
        default:
          this.fail('value', 'invalid escape code', backslash);
      }
    }
  }

  private hex4(at: number): number {
    const digits = this.text.slice(at, at + 4);
    return /^[0-9a-fA-F]{4}$/.test(digits) ? Number.parseInt(digits, 16) : -1;
  }
}
