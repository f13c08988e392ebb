// The Lua libraries Redis adds for scripts, on fengari: `bit` (LuaBitOp 1.0: 32-bit operations
// on numbers), `cjson` (lua-cjson 2.1: JSON encode/decode with its error messages and
// cjson.null), `cmsgpack` (lua-cmsgpack 0.4: MessagePack) and `struct` (struct 0.2: binary
// pack/unpack). Numbers follow lua-numbers.ts (doubles, "%.14g").
import fengari, { type LuaState, type LuaString } from 'fengari';
import { formatG } from '../../resp/double.ts';
import { latin1, luaBytes } from './conversions.ts';

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

function setFunction(L: LuaState, table: string, name: string, fn: (T: LuaState) => number): void {
  lua.lua_getglobal(L, text(table));
  lua.lua_pushjsfunction(L, fn);
  lua.lua_setfield(L, -2, text(name));
  lua.lua_pop(L, 1);
}

const GC_OPTIONS = ['stop', 'restart', 'collect', 'count', 'step', 'setpause', 'setstepmul'];

/**
 * Lua 5.1's table.getn, table.maxn and table.setn, which 5.3 dropped, and a collectgarbage that
 * answers (fengari has no Lua collector: the JavaScript heap holds Lua's objects, so `count` is
 * its size in KB and the collector runs on its own).
 */
export function openLua51(L: LuaState): void {
  lua.lua_pushjsfunction(L, (T) => {
    const option = lua.lua_isnoneornil(T, 1) ? 'collect' : latin1(lauxlib.luaL_checklstring(T, 1));
    if (!GC_OPTIONS.includes(option))
      return lauxlib.luaL_argerror(T, 1, luaBytes(`invalid option '${option}'`));
    if (option === 'count') lua.lua_pushnumber(T, process.memoryUsage().heapUsed / 1024);
    else if (option === 'step') lua.lua_pushboolean(T, false);
    else if (option === 'setpause' || option === 'setstepmul') lua.lua_pushnumber(T, 200);
    else lua.lua_pushnumber(T, 0);
    return 1;
  });
  lua.lua_setglobal(L, text('collectgarbage'));
  // fengari's versions push 32-bit integers, and arithmetic on two of them wraps past 2^31
  // (math.floor(a) * math.floor(b)); Lua 5.1's give doubles.
  setFunction(L, 'math', 'floor', (T) => {
    lua.lua_pushnumber(T, Math.floor(lauxlib.luaL_checknumber(T, 1)));
    return 1;
  });
  setFunction(L, 'math', 'ceil', (T) => {
    lua.lua_pushnumber(T, Math.ceil(lauxlib.luaL_checknumber(T, 1)));
    return 1;
  });
  setFunction(L, 'string', 'len', (T) => {
    lua.lua_pushnumber(T, lauxlib.luaL_checklstring(T, 1).length);
    return 1;
  });
  lua.lua_getglobal(L, text('table'));
  const functions: Record<string, (T: LuaState) => number> = {
    getn: (T) => {
      lauxlib.luaL_checktype(T, 1, lua.LUA_TTABLE);
      lua.lua_pushnumber(T, lua.lua_rawlen(T, 1));
      return 1;
    },
    maxn: (T) => {
      lauxlib.luaL_checktype(T, 1, lua.LUA_TTABLE);
      let max = 0;
      lua.lua_pushnil(T);
      while (lua.lua_next(T, 1) !== 0) {
        lua.lua_pop(T, 1);
        if (lua.lua_type(T, -1) === lua.LUA_TNUMBER) max = Math.max(max, lua.lua_tonumber(T, -1));
      }
      lua.lua_pushnumber(T, max);
      return 1;
    },
    setn: (T) => lauxlib.luaL_error(T, text("'setn' is obsolete")),
  };
  for (const [name, fn] of Object.entries(functions)) {
    lua.lua_pushjsfunction(L, fn);
    lua.lua_setfield(L, -2, text(name));
  }
  lua.lua_pop(L, 1);
}

/** cjson.null: a light userdata every decode of `null` returns. */
const JSON_NULL = { cjsonNull: true };

/** A cjson module's settings (lua-cjson's json_config_t), changed by its encode_* and decode_* functions. */
interface CjsonConfig {
  sparseConvert: boolean;
  sparseRatio: number;
  sparseSafe: number;
  encodeMaxDepth: number;
  decodeMaxDepth: number;
  precision: number;
  keepBuffer: boolean;
  /** 0: refuse NaN and Inf, 1: write them (nan, inf), 2: write null. */
  encodeInvalid: number;
  decodeInvalid: boolean;
}

function defaultCjsonConfig(): CjsonConfig {
  return {
    sparseConvert: false,
    sparseRatio: 2,
    sparseSafe: 10,
    encodeMaxDepth: 1000,
    decodeMaxDepth: 1000,
    precision: 14,
    keepBuffer: true,
    encodeInvalid: 0,
    decodeInvalid: true,
  };
}

/** The settings of the cjson call running now (calls are synchronous and call no Lua). */
let cjson: CjsonConfig = defaultCjsonConfig();

function checkArgumentCount(T: LuaState, count: number): void {
  if (lua.lua_gettop(T) > count) lauxlib.luaL_argerror(T, count + 1, text('found too many arguments'));
}

/** json_integer_option: sets from argument `index` unless nil, returns the setting. */
function integerOption(T: LuaState, index: number, current: number, min: number, max: number): number {
  if (lua.lua_isnoneornil(T, index)) return current;
  const value = lauxlib.luaL_checkinteger(T, index);
  if (value < min || value > max)
    lauxlib.luaL_argerror(T, 1, luaBytes(`expected integer between ${min} and ${max}`));
  return value;
}

/** json_enum_option: a boolean, or one of `options` by name; returns its index. */
function enumOption(T: LuaState, index: number, current: number, options: readonly string[]): number {
  if (lua.lua_isnoneornil(T, index)) return current;
  if (lua.lua_type(T, index) === lua.LUA_TBOOLEAN) return lua.lua_toboolean(T, index) ? 1 : 0;
  const name = latin1(lauxlib.luaL_checklstring(T, index));
  const found = options.indexOf(name);
  if (found < 0) lauxlib.luaL_argerror(T, index, luaBytes(`invalid option '${name}'`));
  return found;
}

function pushEnum(T: LuaState, value: number, options: readonly string[]): void {
  if (value === 0 || value === 1) lua.lua_pushboolean(T, value === 1);
  else lua.lua_pushstring(T, luaBytes(options[value] as string));
}

const ON_OFF = ['off', 'on'];
const ON_OFF_NULL = ['off', 'on', 'null'];

/** The functions of a cjson module with its own settings (cjson, and each cjson.new()). */
function cjsonFunctions(config: CjsonConfig): Record<string, (T: LuaState) => number> {
  return {
    encode: (T) => {
      if (lua.lua_gettop(T) !== 1) return lauxlib.luaL_argerror(T, 1, text('expected 1 argument'));
      cjson = config;
      const parts: string[] = [];
      encodeValue(T, 1, parts, 0);
      lua.lua_pushstring(T, luaBytes(parts.join('')));
      return 1;
    },
    decode: (T) => {
      if (lua.lua_gettop(T) !== 1) return lauxlib.luaL_argerror(T, 1, text('expected 1 argument'));
      const bytes = lua.lua_tolstring(T, 1);
      if (bytes === null) return lauxlib.luaL_argerror(T, 1, text('expected string'));
      cjson = config;
      new JsonDecoder(T, latin1(bytes)).decodeDocument();
      return 1;
    },
    encode_sparse_array: (T) => {
      checkArgumentCount(T, 3);
      config.sparseConvert = enumOption(T, 1, config.sparseConvert ? 1 : 0, ON_OFF) === 1;
      config.sparseRatio = integerOption(T, 2, config.sparseRatio, 0, 2147483647);
      config.sparseSafe = integerOption(T, 3, config.sparseSafe, 0, 2147483647);
      lua.lua_pushboolean(T, config.sparseConvert);
      lua.lua_pushnumber(T, config.sparseRatio);
      lua.lua_pushnumber(T, config.sparseSafe);
      return 3;
    },
    encode_max_depth: (T) => {
      checkArgumentCount(T, 1);
      config.encodeMaxDepth = integerOption(T, 1, config.encodeMaxDepth, 1, 2147483647);
      lua.lua_pushnumber(T, config.encodeMaxDepth);
      return 1;
    },
    decode_max_depth: (T) => {
      checkArgumentCount(T, 1);
      config.decodeMaxDepth = integerOption(T, 1, config.decodeMaxDepth, 1, 2147483647);
      lua.lua_pushnumber(T, config.decodeMaxDepth);
      return 1;
    },
    encode_number_precision: (T) => {
      checkArgumentCount(T, 1);
      config.precision = integerOption(T, 1, config.precision, 1, 14);
      lua.lua_pushnumber(T, config.precision);
      return 1;
    },
    encode_keep_buffer: (T) => {
      checkArgumentCount(T, 1);
      config.keepBuffer = enumOption(T, 1, config.keepBuffer ? 1 : 0, ON_OFF) === 1;
      lua.lua_pushboolean(T, config.keepBuffer);
      return 1;
    },
    encode_invalid_numbers: (T) => {
      checkArgumentCount(T, 1);
      config.encodeInvalid = enumOption(T, 1, config.encodeInvalid, ON_OFF_NULL);
      pushEnum(T, config.encodeInvalid, ON_OFF_NULL);
      return 1;
    },
    decode_invalid_numbers: (T) => {
      checkArgumentCount(T, 1);
      config.decodeInvalid = enumOption(T, 1, config.decodeInvalid ? 1 : 0, ON_OFF) === 1;
      lua.lua_pushboolean(T, config.decodeInvalid);
      return 1;
    },
    new: (T) => {
      pushCjsonModule(T, defaultCjsonConfig());
      return 1;
    },
  };
}

function pushCjsonModule(L: LuaState, config: CjsonConfig): void {
  lua.lua_newtable(L);
  for (const [field, fn] of Object.entries(cjsonFunctions(config))) {
    lua.lua_pushjsfunction(L, fn);
    lua.lua_setfield(L, -2, text(field));
  }
  lua.lua_pushlightuserdata(L, JSON_NULL);
  lua.lua_setfield(L, -2, text('null'));
  lua.lua_pushstring(L, text('2.1.0'));
  lua.lua_setfield(L, -2, text('_VERSION'));
  lua.lua_pushstring(L, text('cjson'));
  lua.lua_setfield(L, -2, text('_NAME'));
}

export function openCjson(L: LuaState): void {
  pushCjsonModule(L, defaultCjsonConfig());
  lua.lua_setglobal(L, text('cjson'));
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
  if (!Number.isFinite(value)) {
    if (cjson.encodeInvalid === 0) encodeError(T, index, 'must not be NaN or Inf');
    if (cjson.encodeInvalid === 2) {
      parts.push('null');
      return;
    }
    if (Number.isNaN(value)) {
      parts.push('nan');
      return;
    }
  }
  parts.push(formatG(value, cjson.precision));
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
  // encode_sparse_array: an array mostly of holes is refused, or written as an object.
  if (cjson.sparseRatio > 0 && max > items * cjson.sparseRatio && max > cjson.sparseSafe)
    return cjson.sparseConvert ? -1 : -2;
  return max;
}

function encodeTable(T: LuaState, at: number, parts: string[], depth: number): void {
  if (depth > cjson.encodeMaxDepth)
    lauxlib.luaL_error(T, luaBytes(`Cannot serialise, excessive nesting (${depth})`));
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

/** C's strtod at `at`: decimal, hexadecimal (with p exponents), inf/infinity, nan; undefined when nothing parses. */
export function strtod(text: string, at: number): { value: number; end: number } | undefined {
  const rest = text.slice(at, at + 400);
  const special = /^([+-]?)(inf(?:inity)?|nan(?:\([0-9A-Za-z_]*\))?)/i.exec(rest);
  if (special !== null) {
    const negative = special[1] === '-';
    const value = (special[2] as string).toLowerCase().startsWith('inf')
      ? Number.POSITIVE_INFINITY
      : Number.NaN;
    return { value: negative ? -value : value, end: at + special[0].length };
  }
  const hex = /^([+-]?)0[xX]((?:[0-9a-fA-F]+(?:\.[0-9a-fA-F]*)?|\.[0-9a-fA-F]+))(?:[pP]([+-]?\d+))?/.exec(
    rest,
  );
  if (hex !== null) {
    const [whole, fraction = ''] = (hex[2] as string).split('.');
    let value = 0;
    for (const digit of `${whole}${fraction}`) value = value * 16 + Number.parseInt(digit, 16);
    value *= 2 ** (Number(hex[3] ?? '0') - 4 * fraction.length);
    return { value: hex[1] === '-' ? -value : value, end: at + hex[0].length };
  }
  const decimal = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(rest);
  if (decimal === null) return undefined;
  return { value: Number(decimal[0]), end: at + decimal[0].length };
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
    if (
      /[-0-9]/.test(c) ||
      (cjson.decodeInvalid && /^(?:\+|inf|nan)/i.test(this.text.slice(this.position, this.position + 3)))
    )
      return strtod(this.text, this.position) === undefined ? 'invalid number' : 'T_NUMBER';
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
      if (++this.depth > cjson.decodeMaxDepth)
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
      this.number(expected, start);
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
    // decode_invalid_numbers (on by default): +1, hex, inf and nan are numbers too.
    if (cjson.decodeInvalid && /^(?:\+|inf|nan)/i.test(text.slice(start, start + 3))) {
      this.number(expected, start);
      return;
    }
    this.fail(expected, this.describeToken(), start);
  }

  /** A number token read as C's strtod reads it (lua-cjson's json_next_number_token). */
  private number(expected: string, start: number): void {
    if (!cjson.decodeInvalid && /^-?(?:0[0-9xX]|inf|nan)/i.test(this.text.slice(start, start + 4)))
      this.fail(expected, 'invalid number', start);
    const parsed = strtod(this.text, start);
    if (parsed === undefined) this.fail(expected, 'invalid number', start);
    this.position = parsed.end;
    lua.lua_pushnumber(this.T, parsed.value);
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

/** Tables nested deeper than this pack as nil (lua-cmsgpack's LUACMSGPACK_MAX_NESTING). */
const MSGPACK_MAX_NESTING = 16;

/** A growing byte buffer for cmsgpack.pack. */
class PackBuffer {
  bytes = Buffer.allocUnsafe(256);
  length = 0;

  ensure(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.length + extra));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }

  byte(value: number): void {
    this.ensure(1);
    this.bytes[this.length++] = value;
  }
}

/** lua-cmsgpack 0.4 (Redis's): MessagePack pack/unpack of Lua values. */
export function openCmsgpack(L: LuaState): void {
  registerTable(L, 'cmsgpack', {
    pack: (T) => {
      const count = lua.lua_gettop(T);
      if (count === 0) return lauxlib.luaL_argerror(T, 0, text('MessagePack pack needs input.'));
      const buffer = new PackBuffer();
      for (let i = 1; i <= count; i++) packValue(T, i, buffer, 0);
      lua.lua_pushstring(T, buffer.bytes.subarray(0, buffer.length));
      return 1;
    },
    unpack: (T) => unpackFull(T, 0, 0),
    unpack_one: (T) => {
      const offset = lua.lua_isnoneornil(T, 2) ? 0 : lauxlib.luaL_checkinteger(T, 2);
      lua.lua_settop(T, 1);
      return unpackFull(T, 1, offset);
    },
    unpack_limit: (T) => {
      const limit = lauxlib.luaL_checkinteger(T, 2);
      const offset = lua.lua_isnoneornil(T, 3) ? 0 : lauxlib.luaL_checkinteger(T, 3);
      lua.lua_settop(T, 1);
      return unpackFull(T, limit, offset);
    },
  });
  lua.lua_getglobal(L, text('cmsgpack'));
  for (const [field, value] of [
    ['_NAME', 'cmsgpack'],
    ['_VERSION', 'lua-cmsgpack 0.4.0'],
    ['_COPYRIGHT', 'Copyright (C) 2012, Salvatore Sanfilippo'],
    ['_DESCRIPTION', 'MessagePack C implementation for Lua'],
  ] as const) {
    lua.lua_pushstring(L, text(value));
    lua.lua_setfield(L, -2, text(field));
  }
  lua.lua_pop(L, 1);
}

function packValue(T: LuaState, index: number, buffer: PackBuffer, level: number): void {
  const at = lua.lua_absindex(T, index);
  let type = lua.lua_type(T, at);
  if (type === lua.LUA_TTABLE && level === MSGPACK_MAX_NESTING) type = lua.LUA_TNIL;
  switch (type) {
    case lua.LUA_TSTRING:
      packString(lua.lua_tolstring(T, at) as LuaString, buffer);
      return;
    case lua.LUA_TBOOLEAN:
      buffer.byte(lua.lua_toboolean(T, at) ? 0xc3 : 0xc2);
      return;
    case lua.LUA_TNUMBER:
      packNumber(lua.lua_tonumber(T, at), buffer);
      return;
    case lua.LUA_TTABLE:
      packTable(T, at, buffer, level);
      return;
    default:
      buffer.byte(0xc0);
  }
}

function packString(bytes: LuaString, buffer: PackBuffer): void {
  const length = bytes.length;
  buffer.ensure(length + 5);
  const out = buffer.bytes;
  if (length < 32) out[buffer.length++] = 0xa0 | length;
  else if (length <= 0xff) {
    out[buffer.length++] = 0xd9;
    out[buffer.length++] = length;
  } else if (length <= 0xffff) {
    out[buffer.length++] = 0xda;
    out.writeUInt16BE(length, buffer.length);
    buffer.length += 2;
  } else {
    out[buffer.length++] = 0xdb;
    out.writeUInt32BE(length, buffer.length);
    buffer.length += 4;
  }
  out.set(bytes, buffer.length);
  buffer.length += length;
}

/** An integral number as the smallest MessagePack integer; any other as float32 when exact, else float64. */
function packNumber(value: number, buffer: PackBuffer): void {
  buffer.ensure(9);
  const out = buffer.bytes;
  if (Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63) {
    if (value >= 0) {
      if (value <= 127) out[buffer.length++] = value;
      else if (value <= 0xff) {
        out[buffer.length++] = 0xcc;
        out[buffer.length++] = value;
      } else if (value <= 0xffff) {
        out[buffer.length++] = 0xcd;
        out.writeUInt16BE(value, buffer.length);
        buffer.length += 2;
      } else if (value <= 0xffffffff) {
        out[buffer.length++] = 0xce;
        out.writeUInt32BE(value, buffer.length);
        buffer.length += 4;
      } else {
        out[buffer.length++] = 0xcf;
        out.writeBigUInt64BE(BigInt(value), buffer.length);
        buffer.length += 8;
      }
    } else if (value >= -32) out[buffer.length++] = value & 0xff;
    else if (value >= -128) {
      out[buffer.length++] = 0xd0;
      out.writeInt8(value, buffer.length++);
    } else if (value >= -32768) {
      out[buffer.length++] = 0xd1;
      out.writeInt16BE(value, buffer.length);
      buffer.length += 2;
    } else if (value >= -2147483648) {
      out[buffer.length++] = 0xd2;
      out.writeInt32BE(value, buffer.length);
      buffer.length += 4;
    } else {
      out[buffer.length++] = 0xd3;
      out.writeBigInt64BE(BigInt(value), buffer.length);
      buffer.length += 8;
    }
    return;
  }
  if (Math.fround(value) === value) {
    out[buffer.length++] = 0xca;
    out.writeFloatBE(value, buffer.length);
    buffer.length += 4;
  } else {
    out[buffer.length++] = 0xcb;
    out.writeDoubleBE(value, buffer.length);
    buffer.length += 8;
  }
}

function packHeader(buffer: PackBuffer, count: number, fix: number, code16: number): void {
  buffer.ensure(5);
  const out = buffer.bytes;
  if (count <= 15) out[buffer.length++] = fix | count;
  else if (count <= 0xffff) {
    out[buffer.length++] = code16;
    out.writeUInt16BE(count, buffer.length);
    buffer.length += 2;
  } else {
    out[buffer.length++] = code16 + 1;
    out.writeUInt32BE(count, buffer.length);
    buffer.length += 4;
  }
}

function packTable(T: LuaState, at: number, buffer: PackBuffer, level: number): void {
  lauxlib.luaL_checkstack(T, 4, text('in function mp_check'));
  // An array when its keys are exactly 1..n (the empty table included).
  let count = 0;
  let max = 0;
  let array = true;
  lua.lua_pushnil(T);
  while (lua.lua_next(T, at) !== 0) {
    lua.lua_pop(T, 1);
    count++;
    const key = lua.lua_type(T, -1) === lua.LUA_TNUMBER ? lua.lua_tonumber(T, -1) : 0;
    if (array && (key <= 0 || !Number.isInteger(key) || key > 2147483647)) array = false;
    else if (key > max) max = key;
  }
  if (array && max === count) {
    packHeader(buffer, count, 0x90, 0xdc);
    for (let i = 1; i <= count; i++) {
      lua.lua_rawgeti(T, at, i);
      packValue(T, -1, buffer, level + 1);
      lua.lua_pop(T, 1);
    }
    return;
  }
  packHeader(buffer, count, 0x80, 0xde);
  lua.lua_pushnil(T);
  while (lua.lua_next(T, at) !== 0) {
    packValue(T, -2, buffer, level + 1);
    packValue(T, -1, buffer, level + 1);
    lua.lua_pop(T, 1);
  }
}

class UnpackError extends Error {}

/** mp_unpack_full: up to `limit` values from `offset` (0 and 0: all, without the next offset). */
function unpackFull(T: LuaState, limit: number, offset: number): number {
  const input = lauxlib.luaL_checklstring(T, 1);
  const length = input.length;
  const all = limit === 0 && offset === 0;
  if (offset < 0 || limit < 0)
    return lauxlib.luaL_error(
      T,
      luaBytes(`Invalid request to unpack with offset of ${offset} and limit of ${length}.`),
    );
  if (offset > length)
    return lauxlib.luaL_error(T, luaBytes(`Start offset ${offset} greater than input length ${length}.`));
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const cursor = { position: offset };
  let count = 0;
  const max = all ? Number.POSITIVE_INFINITY : limit;
  try {
    for (; cursor.position < length && count < max; count++) {
      lauxlib.luaL_checkstack(T, 1, text('too many values to unpack'));
      unpackValue(T, bytes, cursor);
    }
  } catch (error) {
    if (!(error instanceof UnpackError)) throw error;
    return lauxlib.luaL_error(T, luaBytes(error.message));
  }
  if (!all) {
    lua.lua_pushnumber(T, cursor.position >= length ? -1 : cursor.position);
    lua.lua_insert(T, 2);
    count++;
  }
  return count;
}

function need(bytes: Buffer, cursor: { position: number }, count: number): number {
  if (cursor.position + count > bytes.length) throw new UnpackError('Missing bytes in input.');
  const at = cursor.position;
  cursor.position += count;
  return at;
}

function unpackValue(T: LuaState, bytes: Buffer, cursor: { position: number }): void {
  lauxlib.luaL_checkstack(T, 3, text('in function mp_decode_to_lua_type'));
  const code = bytes[need(bytes, cursor, 1)] as number;
  switch (code) {
    case 0xcc:
      lua.lua_pushnumber(T, bytes.readUInt8(need(bytes, cursor, 1)));
      return;
    case 0xd0:
      lua.lua_pushnumber(T, bytes.readInt8(need(bytes, cursor, 1)));
      return;
    case 0xcd:
      lua.lua_pushnumber(T, bytes.readUInt16BE(need(bytes, cursor, 2)));
      return;
    case 0xd1:
      lua.lua_pushnumber(T, bytes.readInt16BE(need(bytes, cursor, 2)));
      return;
    case 0xce:
      lua.lua_pushnumber(T, bytes.readUInt32BE(need(bytes, cursor, 4)));
      return;
    case 0xd2:
      lua.lua_pushnumber(T, bytes.readInt32BE(need(bytes, cursor, 4)));
      return;
    case 0xcf:
      lua.lua_pushnumber(T, Number(bytes.readBigUInt64BE(need(bytes, cursor, 8))));
      return;
    case 0xd3:
      lua.lua_pushnumber(T, Number(bytes.readBigInt64BE(need(bytes, cursor, 8))));
      return;
    case 0xc0:
      lua.lua_pushnil(T);
      return;
    case 0xc2:
    case 0xc3:
      lua.lua_pushboolean(T, code === 0xc3);
      return;
    case 0xca:
      lua.lua_pushnumber(T, bytes.readFloatBE(need(bytes, cursor, 4)));
      return;
    case 0xcb:
      lua.lua_pushnumber(T, bytes.readDoubleBE(need(bytes, cursor, 8)));
      return;
    case 0xc4:
    case 0xd9:
      unpackString(T, bytes, cursor, bytes.readUInt8(need(bytes, cursor, 1)));
      return;
    case 0xc5:
    case 0xda:
      unpackString(T, bytes, cursor, bytes.readUInt16BE(need(bytes, cursor, 2)));
      return;
    case 0xc6:
    case 0xdb:
      unpackString(T, bytes, cursor, bytes.readUInt32BE(need(bytes, cursor, 4)));
      return;
    case 0xdc:
      unpackArray(T, bytes, cursor, bytes.readUInt16BE(need(bytes, cursor, 2)));
      return;
    case 0xdd:
      unpackArray(T, bytes, cursor, bytes.readUInt32BE(need(bytes, cursor, 4)));
      return;
    case 0xde:
      unpackMap(T, bytes, cursor, bytes.readUInt16BE(need(bytes, cursor, 2)));
      return;
    case 0xdf:
      unpackMap(T, bytes, cursor, bytes.readUInt32BE(need(bytes, cursor, 4)));
      return;
  }
  if ((code & 0x80) === 0) lua.lua_pushnumber(T, code);
  else if ((code & 0xe0) === 0xe0) lua.lua_pushnumber(T, code - 256);
  else if ((code & 0xe0) === 0xa0) unpackString(T, bytes, cursor, code & 0x1f);
  else if ((code & 0xf0) === 0x90) unpackArray(T, bytes, cursor, code & 0x0f);
  else if ((code & 0xf0) === 0x80) unpackMap(T, bytes, cursor, code & 0x0f);
  else throw new UnpackError('Bad data format in input.');
}

function unpackString(T: LuaState, bytes: Buffer, cursor: { position: number }, length: number): void {
  const at = need(bytes, cursor, length);
  lua.lua_pushstring(T, bytes.subarray(at, at + length));
}

function unpackArray(T: LuaState, bytes: Buffer, cursor: { position: number }, count: number): void {
  lua.lua_newtable(T);
  for (let i = 1; i <= count; i++) {
    unpackValue(T, bytes, cursor);
    lua.lua_rawseti(T, -2, i);
  }
}

function unpackMap(T: LuaState, bytes: Buffer, cursor: { position: number }, count: number): void {
  lua.lua_newtable(T);
  for (let i = 0; i < count; i++) {
    unpackValue(T, bytes, cursor);
    unpackValue(T, bytes, cursor);
    if (lua.lua_type(T, -2) === lua.LUA_TNIL) {
      lua.lua_pop(T, 2);
      continue;
    }
    lua.lua_settable(T, -3);
  }
}

/** Options of lua_struct (Roberto Ierusalimschy's struct 0.2, as Redis has it). */
interface StructHeader {
  little: boolean;
  align: number;
}

const STRUCT_MAX_INT_SIZE = 32;
const STRUCT_MAX_ALIGN = 8;

/** A format walker: the option at `at` and its size (optsize), advancing past its digits. */
class StructFormat {
  readonly text: string;
  at = 0;
  private readonly T: LuaState;

  constructor(T: LuaState, text: string) {
    this.T = T;
    this.text = text;
  }

  private number(fallback: number): number {
    if (!/[0-9]/.test(this.text[this.at] ?? '')) return fallback;
    let value = 0;
    while (/[0-9]/.test(this.text[this.at] ?? '')) {
      value = value * 10 + (this.text.charCodeAt(this.at++) - 48);
      if (value > 2147483647) lauxlib.luaL_error(this.T, text('integral size overflow'));
    }
    return value;
  }

  size(option: string): number {
    switch (option) {
      case 'B':
      case 'b':
      case 'x':
        return 1;
      case 'H':
      case 'h':
        return 2;
      case 'L':
      case 'l':
      case 'T':
      case 'd':
        return 8;
      case 'f':
        return 4;
      case 'c':
        return this.number(1);
      case 'i':
      case 'I': {
        const size = this.number(4);
        if (size > STRUCT_MAX_INT_SIZE)
          lauxlib.luaL_error(
            this.T,
            luaBytes(`integral size ${size} is larger than limit of ${STRUCT_MAX_INT_SIZE}`),
          );
        return size;
      }
      default:
        return 0;
    }
  }

  /** Endianness, alignment and spaces; anything else is an invalid option. */
  control(option: string, header: StructHeader): void {
    switch (option) {
      case ' ':
        return;
      case '>':
        header.little = false;
        return;
      case '<':
        header.little = true;
        return;
      case '!': {
        const align = this.number(STRUCT_MAX_ALIGN);
        if ((align & (align - 1)) !== 0)
          lauxlib.luaL_error(this.T, luaBytes(`alignment ${align} is not a power of 2`));
        header.align = align;
        return;
      }
      default:
        lauxlib.luaL_argerror(this.T, 1, luaBytes(`invalid format option '${option}'`));
    }
  }
}

function structAlign(length: number, header: StructHeader, option: string, size: number): number {
  if (size === 0 || option === 'c') return 0;
  const align = Math.min(size, header.align);
  return (align - (length & (align - 1))) & (align - 1);
}

const INTEGER_OPTIONS = 'bBhHlLTiI';

export function openStruct(L: LuaState): void {
  registerTable(L, 'struct', {
    pack: (T) => {
      const format = new StructFormat(T, latin1(lauxlib.luaL_checklstring(T, 1)));
      const header: StructHeader = { little: true, align: 1 };
      const out = new PackBuffer();
      let argument = 2;
      while (format.at < format.text.length) {
        const option = format.text[format.at++] as string;
        let size = format.size(option);
        const padding = structAlign(out.length, header, option, size);
        for (let i = 0; i < padding; i++) out.byte(0);
        if (INTEGER_OPTIONS.includes(option)) {
          const value = lauxlib.luaL_checknumber(T, argument++);
          const bits =
            Number.isFinite(value) && Math.abs(value) < 2 ** 64
              ? BigInt.asUintN(64, BigInt(Math.trunc(value)))
              : 0n;
          out.ensure(size);
          for (let i = 0; i < size; i++) {
            const shift = BigInt(8 * (header.little ? i : size - 1 - i));
            out.bytes[out.length + i] = shift < 64n ? Number((bits >> shift) & 0xffn) : 0;
          }
          out.length += size;
        } else if (option === 'x') out.byte(0);
        else if (option === 'f' || option === 'd') {
          const value = lauxlib.luaL_checknumber(T, argument++);
          out.ensure(size);
          if (option === 'f') {
            if (header.little) out.bytes.writeFloatLE(value, out.length);
            else out.bytes.writeFloatBE(value, out.length);
          } else if (header.little) out.bytes.writeDoubleLE(value, out.length);
          else out.bytes.writeDoubleBE(value, out.length);
          out.length += size;
        } else if (option === 'c' || option === 's') {
          const bytes = lauxlib.luaL_checklstring(T, argument++);
          if (size === 0) size = bytes.length;
          if (bytes.length < size) lauxlib.luaL_argerror(T, argument, text('string too short'));
          out.ensure(size + 1);
          out.bytes.set(bytes.subarray(0, size), out.length);
          out.length += size;
          if (option === 's') out.byte(0);
        } else format.control(option, header);
      }
      lua.lua_pushstring(T, out.bytes.subarray(0, out.length));
      return 1;
    },
    unpack: (T) => {
      const format = new StructFormat(T, latin1(lauxlib.luaL_checklstring(T, 1)));
      const input = lauxlib.luaL_checklstring(T, 2);
      const data = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
      const length = data.length;
      const start = lua.lua_isnoneornil(T, 3) ? 1 : lauxlib.luaL_checkinteger(T, 3);
      if (start <= 0) lauxlib.luaL_argerror(T, 3, text('offset must be 1 or greater'));
      let position = start - 1;
      const header: StructHeader = { little: true, align: 1 };
      let results = 0;
      while (format.at < format.text.length) {
        const option = format.text[format.at++] as string;
        let size = format.size(option);
        position += structAlign(position, header, option, size);
        if (size > length || position > length - size)
          lauxlib.luaL_argerror(T, 2, text('data string too short'));
        lauxlib.luaL_checkstack(T, 2, text('too many results'));
        if (INTEGER_OPTIONS.includes(option)) {
          let bits = 0n;
          for (let i = 0; i < size; i++) {
            const byte = data[position + (header.little ? size - 1 - i : i)] as number;
            bits = BigInt.asUintN(64, (bits << 8n) | BigInt(byte));
          }
          const signed = option === option.toLowerCase();
          const width = Math.min(size * 8, 64);
          lua.lua_pushnumber(T, Number(signed && width > 0 ? BigInt.asIntN(width, bits) : bits));
          results++;
        } else if (option === 'f' || option === 'd') {
          const value =
            option === 'f'
              ? header.little
                ? data.readFloatLE(position)
                : data.readFloatBE(position)
              : header.little
                ? data.readDoubleLE(position)
                : data.readDoubleBE(position);
          lua.lua_pushnumber(T, value);
          results++;
        } else if (option === 'c') {
          if (size === 0) {
            if (results === 0 || !lua.lua_isnumber(T, -1))
              lauxlib.luaL_error(T, text("format 'c0' needs a previous size"));
            size = lua.lua_tonumber(T, -1);
            lua.lua_pop(T, 1);
            results--;
            if (size > length || position > length - size)
              lauxlib.luaL_argerror(T, 2, text('data string too short'));
          }
          lua.lua_pushstring(T, data.subarray(position, position + size));
          results++;
        } else if (option === 's') {
          const end = data.indexOf(0, position);
          if (end < 0) lauxlib.luaL_error(T, text('unfinished string in data'));
          size = end - position + 1;
          lua.lua_pushstring(T, data.subarray(position, end));
          results++;
        } else if (option !== 'x') format.control(option, header);
        position += size;
      }
      lua.lua_pushnumber(T, position + 1);
      return results + 1;
    },
    size: (T) => {
      const format = new StructFormat(T, latin1(lauxlib.luaL_checklstring(T, 1)));
      const header: StructHeader = { little: true, align: 1 };
      let position = 0;
      while (format.at < format.text.length) {
        const option = format.text[format.at++] as string;
        const size = format.size(option);
        position += structAlign(position, header, option, size);
        if (option === 's') lauxlib.luaL_argerror(T, 1, text("option 's' has no fixed size"));
        else if (option === 'c' && size === 0)
          lauxlib.luaL_argerror(T, 1, text("option 'c0' has no fixed size"));
        if (!/[A-Za-z0-9]/.test(option)) format.control(option, header);
        position += size;
      }
      lua.lua_pushnumber(T, position);
      return 1;
    },
  });
}
