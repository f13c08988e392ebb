// Redis's conversions between command replies and Lua values, both ways (Redis 7.0's
// script_lua.c): a command's RESP reply becomes a Lua value for redis.call, and a script's return
// value becomes the reply of EVAL.
import fengari, { type LuaState, type LuaString } from 'fengari';
import type { ReplyWriter } from '../../resp/index.ts';

const { lua } = fengari;

/** A latin1 (byte-per-char) string as a Lua string. */
export function luaBytes(text: string): LuaString {
  return Buffer.from(text, 'latin1');
}

/** A Lua string (bytes) as a latin1 string. */
export function latin1(bytes: LuaString): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).latin1Slice();
}

const FIELD = {
  err: luaBytes('err'),
  ok: luaBytes('ok'),
  double: luaBytes('double'),
  big_number: luaBytes('big_number'),
  map: luaBytes('map'),
  set: luaBytes('set'),
  verbatim_string: luaBytes('verbatim_string'),
  format: luaBytes('format'),
  string: luaBytes('string'),
} as const;

/** Every number a script sees is a double, as in Lua 5.1: arithmetic on it never wraps at 32 bits. */
export function pushNumber(L: LuaState, value: number): void {
  lua.lua_pushnumber(L, value);
}

/**
 * Pushes the reply in `bytes` (one complete RESP2 or RESP3 reply) as a Lua value, as redis.call
 * sees it. Error replies become {err=...} tables: the caller decides whether to raise them.
 */
export class ReplyToLua {
  private bytes: Buffer = Buffer.alloc(0);
  private position = 0;

  push(L: LuaState, bytes: Buffer): void {
    this.bytes = bytes;
    this.position = 0;
    if (bytes.length === 0) {
      lua.lua_pushboolean(L, false);
      return;
    }
    this.value(L);
  }

  private line(): string {
    const end = this.bytes.indexOf('\r\n', this.position);
    const text = this.bytes.latin1Slice(this.position + 1, end);
    this.position = end + 2;
    return text;
  }

  private block(length: number): Buffer {
    const out = this.bytes.subarray(this.position, this.position + length);
    this.position += length + 2;
    return out;
  }

  private value(L: LuaState): void {
    const type = this.bytes[this.position];
    switch (type) {
      case 43: // + status: {ok=...}
        lua.lua_createtable(L, 0, 1);
        lua.lua_pushstring(L, luaBytes(this.line()));
        lua.lua_setfield(L, -2, FIELD.ok);
        return;
      case 45: // - error: {err=...}
        pushErrorTable(L, `-${this.line()}`);
        return;
      case 33: {
        // ! blob error
        const length = Number(this.line());
        pushErrorTable(L, `-${this.block(length).latin1Slice()}`);
        return;
      }
      case 58: // : integer
        pushNumber(L, Number(this.line()));
        return;
      case 36: {
        // $ bulk; $-1 is false in RESP2
        const length = Number(this.line());
        if (length < 0) lua.lua_pushboolean(L, false);
        else lua.lua_pushstring(L, this.block(length));
        return;
      }
      case 42: {
        // * array; *-1 is false in RESP2
        const count = Number(this.line());
        if (count < 0) {
          lua.lua_pushboolean(L, false);
          return;
        }
        lua.lua_createtable(L, count, 0);
        for (let i = 1; i <= count; i++) {
          this.value(L);
          lua.lua_rawseti(L, -2, i);
        }
        return;
      }
      case 95: // _ RESP3 null: nil
        this.line();
        lua.lua_pushnil(L);
        return;
      case 35: // # boolean
        lua.lua_pushboolean(L, this.line() === 't');
        return;
      case 44: {
        // , double: {double=n}
        const text = this.line();
        lua.lua_createtable(L, 0, 1);
        lua.lua_pushnumber(L, text === 'inf' ? Infinity : text === '-inf' ? -Infinity : Number(text));
        lua.lua_setfield(L, -2, FIELD.double);
        return;
      }
      case 40: // ( big number: {big_number='...'}
        lua.lua_createtable(L, 0, 1);
        lua.lua_pushstring(L, luaBytes(this.line()));
        lua.lua_setfield(L, -2, FIELD.big_number);
        return;
      case 61: {
        // = verbatim: {verbatim_string={format=..., string=...}}
        const text = this.block(Number(this.line()));
        lua.lua_createtable(L, 0, 1);
        lua.lua_createtable(L, 0, 2);
        lua.lua_pushstring(L, text.subarray(0, 3));
        lua.lua_setfield(L, -2, FIELD.format);
        lua.lua_pushstring(L, text.subarray(4));
        lua.lua_setfield(L, -2, FIELD.string);
        lua.lua_setfield(L, -2, FIELD.verbatim_string);
        return;
      }
      case 37: {
        // % map: {map={k=v,...}}
        const count = Number(this.line());
        lua.lua_createtable(L, 0, 1);
        lua.lua_createtable(L, 0, count);
        for (let i = 0; i < count; i++) {
          this.value(L);
          this.value(L);
          lua.lua_rawset(L, -3);
        }
        lua.lua_setfield(L, -2, FIELD.map);
        return;
      }
      case 126: {
        // ~ set: {set={member=true,...}}
        const count = Number(this.line());
        lua.lua_createtable(L, 0, 1);
        lua.lua_createtable(L, 0, count);
        for (let i = 0; i < count; i++) {
          this.value(L);
          lua.lua_pushboolean(L, true);
          lua.lua_rawset(L, -3);
        }
        lua.lua_setfield(L, -2, FIELD.set);
        return;
      }
      case 62: {
        // > push: as an array
        const count = Number(this.line());
        lua.lua_createtable(L, count, 0);
        for (let i = 1; i <= count; i++) {
          this.value(L);
          lua.lua_rawseti(L, -2, i);
        }
        return;
      }
      case 124: {
        // | attribute: skipped, the value follows
        const count = Number(this.line());
        for (let i = 0; i < count * 2; i++) {
          this.value(L);
          lua.lua_pop(L, 1);
        }
        this.value(L);
        return;
      }
      default:
        lua.lua_pushboolean(L, false);
    }
  }
}

/**
 * An {err=...} table from an error message, as luaPushErrorBuff: `-CODE message` keeps its code
 * (without the '-'), a bare message gets ERR, and the text keeps no trailing newline.
 */
export function pushErrorTable(L: LuaState, message: string): void {
  let text: string;
  if (message.startsWith('-')) {
    const space = message.indexOf(' ');
    text = space < 0 ? `ERR ${message.slice(1)}` : `${message.slice(1, space)} ${message.slice(space + 1)}`;
  } else text = `ERR ${message}`;
  text = text.replace(/[\r\n]+$/, '');
  lua.lua_createtable(L, 0, 1);
  lua.lua_pushstring(L, luaBytes(text));
  lua.lua_setfield(L, -2, FIELD.err);
}

/** Error messages travel on one line. */
export function singleLine(message: string): string {
  return message.replace(/[\r\n]/g, ' ');
}

/**
 * Redis turns Lua numbers into C long longs: the fraction is dropped, and a value out of range
 * (or NaN, infinities) becomes LLONG_MIN, as the x86 conversion does.
 */
export function luaNumberToInteger(value: number): bigint | number {
  if (Number.isNaN(value) || value >= 2 ** 63 || value < -(2 ** 63)) return -9223372036854775808n;
  const truncated = Math.trunc(value);
  return Number.isSafeInteger(truncated) ? truncated : BigInt(truncated);
}

/** The field `name` of the table at `index` when it has the given type, left on the stack. */
function field(L: LuaState, index: number, name: LuaString, type: number): boolean {
  lua.lua_getfield(L, index, name);
  if (lua.lua_type(L, -1) === type) return true;
  lua.lua_pop(L, 1);
  return false;
}

/**
 * Writes the Lua value at `index` as a reply (luaReplyToRedisReply). `scriptResp` is the protocol
 * the script chose with redis.setresp (booleans differ); the writer has the caller's protocol.
 * An error table is written by `onError` (the caller counts it in the error statistics).
 */
export function writeLuaValue(
  L: LuaState,
  index: number,
  out: ReplyWriter,
  scriptResp: 2 | 3,
  onError: (message: string) => void,
  depth = 0,
): void {
  const at = lua.lua_absindex(L, index);
  switch (lua.lua_type(L, at)) {
    case lua.LUA_TSTRING:
      out.bulk(latin1(lua.lua_tolstring(L, at) as LuaString));
      return;
    case lua.LUA_TBOOLEAN:
      if (scriptResp === 2) {
        if (lua.lua_toboolean(L, at)) out.integer(1);
        else out.nullBulk();
      } else out.boolean(lua.lua_toboolean(L, at));
      return;
    case lua.LUA_TNUMBER:
      out.integer(
        lua.lua_isinteger(L, at) ? lua.lua_tointeger(L, at) : luaNumberToInteger(lua.lua_tonumber(L, at)),
      );
      return;
    case lua.LUA_TTABLE:
      break;
    default:
      out.nullBulk();
      return;
  }
  if (field(L, at, FIELD.err, lua.LUA_TSTRING)) {
    const message = singleLine(latin1(lua.lua_tolstring(L, -1) as LuaString));
    lua.lua_pop(L, 1);
    onError(message);
    return;
  }
  if (field(L, at, FIELD.ok, lua.LUA_TSTRING)) {
    out.status(singleLine(latin1(lua.lua_tolstring(L, -1) as LuaString)));
    lua.lua_pop(L, 1);
    return;
  }
  if (field(L, at, FIELD.double, lua.LUA_TNUMBER)) {
    out.double(lua.lua_tonumber(L, -1));
    lua.lua_pop(L, 1);
    return;
  }
  if (field(L, at, FIELD.big_number, lua.LUA_TSTRING)) {
    const text = singleLine(latin1(lua.lua_tolstring(L, -1) as LuaString));
    lua.lua_pop(L, 1);
    if (out.protocol === 3) out.raw(`(${text}\r\n`);
    else out.bulk(text);
    return;
  }
  if (field(L, at, FIELD.map, lua.LUA_TTABLE)) {
    const map = lua.lua_gettop(L);
    lua.lua_pushnil(L);
    let count = 0;
    while (lua.lua_next(L, map) !== 0) {
      count++;
      lua.lua_pop(L, 1);
    }
    out.mapHeader(count);
    lua.lua_pushnil(L);
    while (lua.lua_next(L, map) !== 0) {
      writeLuaValue(L, -2, out, scriptResp, onError, depth + 1);
      writeLuaValue(L, -1, out, scriptResp, onError, depth + 1);
      lua.lua_pop(L, 1);
    }
    lua.lua_pop(L, 1);
    return;
  }
  if (field(L, at, FIELD.set, lua.LUA_TTABLE)) {
    const set = lua.lua_gettop(L);
    let count = 0;
    lua.lua_pushnil(L);
    while (lua.lua_next(L, set) !== 0) {
      count++;
      lua.lua_pop(L, 1);
    }
    out.setHeader(count);
    lua.lua_pushnil(L);
    while (lua.lua_next(L, set) !== 0) {
      writeLuaValue(L, -2, out, scriptResp, onError, depth + 1);
      lua.lua_pop(L, 1);
    }
    lua.lua_pop(L, 1);
    return;
  }
  if (field(L, at, FIELD.verbatim_string, lua.LUA_TTABLE)) {
    const verbatim = lua.lua_gettop(L);
    lua.lua_getfield(L, verbatim, FIELD.format);
    lua.lua_getfield(L, verbatim, FIELD.string);
    const format =
      lua.lua_type(L, -2) === lua.LUA_TSTRING ? latin1(lua.lua_tolstring(L, -2) as LuaString) : 'txt';
    const text = lua.lua_type(L, -1) === lua.LUA_TSTRING ? latin1(lua.lua_tolstring(L, -1) as LuaString) : '';
    lua.lua_pop(L, 3);
    out.verbatim(text, format);
    return;
  }
  // An array: elements 1, 2, ... up to the first nil.
  let count = 0;
  while (lua.lua_rawgeti(L, at, count + 1) !== lua.LUA_TNIL) {
    lua.lua_pop(L, 1);
    count++;
  }
  lua.lua_pop(L, 1);
  out.arrayHeader(count);
  for (let i = 1; i <= count; i++) {
    lua.lua_rawgeti(L, at, i);
    writeLuaValue(L, -1, out, scriptResp, onError, depth + 1);
    lua.lua_pop(L, 1);
  }
}
