// Lua 5.1 numbers on a Lua 5.3 VM. Redis embeds Lua 5.1, where every number is a double; fengari
// is Lua 5.3 with 32-bit integers, so `2147483647 + 1` wrapped, `tostring(10/2)` printed "5.0" and
// string.format('%d', 3000000000) failed. Rather than fork fengari, this module adjusts it at the
// few places every number goes through (its modules call each other through their export objects
// there, so replacing an export reaches the VM):
// - TValue.setivalue/chgivalue store floats: numerals, tonumber, string coercions, `#`, for-loop
//   indices and table keys handed out by next() are doubles, so arithmetic is double arithmetic.
//   Integers pushed by library functions (string.len...) stay integers but have the same value.
// - luaO_tostring and the `%f` of luaO_pushvfstring (tostring, `..`, string.format('%s')) print
//   numbers as Lua 5.1's "%.14g".
// - lua_tointeger (luaL_checkinteger) truncates a fraction as Lua 5.1's C cast did, instead of
//   refusing it.
// fengari's tables key numbers by their JavaScript value, so t[1] and t[1.0] stay the same entry.
// The same hook on luaO_pushvfstring words type errors as Lua 5.1 does, since scripts' error
// replies carry them.
import fengari, { type LuaState } from 'fengari';
import lobject from 'fengari/src/lobject.js';
import lstring from 'fengari/src/lstring.js';
import lvm from 'fengari/src/lvm.js';
import { formatG } from '../../resp/double.ts';

const { lua, to_luastring: text } = fengari;

const LUA_TNUMFLT = 3;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** A Lua 5.1 number as tostring shows it. */
export function luaNumberString(value: number): string {
  return formatG(value, 14);
}

interface TValueLike {
  type: number;
  value: unknown;
  ttisinteger(): boolean;
  setsvalue(value: unknown): void;
  setfltvalue(value: number): void;
}

/** What C's strtod reads beyond Lua 5.3's numerals: inf, infinity and nan, signed, spaces around. */
const STRTOD_SPECIAL = /^[\t\n\v\f\r ]*([+-]?)(inf|infinity|nan(?:\([0-9a-z_]*\))?)[\t\n\v\f\r ]*$/i;

let installed = false;

/** Applies the adjustments once per process (the engine calls it before creating a Lua state). */
export function installLua51Numbers(): void {
  if (installed) return;
  installed = true;
  const prototype = lobject.TValue.prototype as TValueLike & Record<string, unknown>;
  prototype.setivalue = function setivalue(this: TValueLike, x: number): void {
    this.type = LUA_TNUMFLT;
    this.value = x;
  };
  prototype.chgivalue = prototype.setivalue;

  // Lua 5.1 reads numbers with strtod (tonumber, string coercions), which takes inf and nan; Lua
  // 5.3 refuses them.
  const str2num = lobject.luaO_str2num;
  lobject.luaO_str2num = (s: Uint8Array, obj: unknown): number => {
    const size = str2num(s, obj);
    if (size !== 0 || s.length > 64) return size;
    const match = STRTOD_SPECIAL.exec(String.fromCharCode(...s));
    if (match === null) return 0;
    const magnitude = (match[2] as string).toLowerCase().startsWith('nan')
      ? Number.NaN
      : Number.POSITIVE_INFINITY;
    (obj as TValueLike).setfltvalue(match[1] === '-' ? -magnitude : magnitude);
    return s.length + 1;
  };

  const encoder = new TextEncoder();
  lobject.luaO_tostring = (L: unknown, obj: TValueLike): void => {
    const value = obj.value as number;
    const text = obj.ttisinteger() ? String(value) : luaNumberString(value);
    obj.setsvalue(lstring.luaS_bless(L, encoder.encode(text)));
  };

  // Numbers in messages (`%d` `%I` `%f`: line numbers, luaL_tolstring's floats) are printed here:
  // the original would store them with the float-making setivalue and print "1.0".
  const pushvfstring = lobject.luaO_pushvfstring;
  lobject.luaO_pushvfstring = (L: unknown, fmt: Uint8Array, argp: unknown[]): unknown => {
    if (fmt.length === TYPE_ERROR.length && Buffer.from(fmt).latin1Slice() === TYPE_ERROR) {
      // Lua 5.1 words type errors "attempt to index global 'x' (a nil value)"; 5.3 puts the
      // variable last: "attempt to index a nil value (global 'x')".
      const [op, type, variable] = argp.map((part) => Buffer.from(part as Uint8Array).latin1Slice());
      const named = /^ \((\w+) '(.*)'\)$/s.exec(variable ?? '');
      const message =
        named === null
          ? `attempt to ${op} a ${type} value`
          : `attempt to ${op} ${named[1]} '${named[2]}' (a ${type} value)`;
      return pushvfstring(L, PERCENT_S, [Buffer.from(message, 'latin1')]);
    }
    let rewritten: Uint8Array | undefined;
    let args = argp;
    for (let i = 0, a = 0; i < fmt.length - 1; i++) {
      if (fmt[i] !== 37) continue;
      const option = fmt[i + 1];
      i++;
      if (option === 37) continue;
      if (option === 100 || option === 73 || option === 102) {
        if (rewritten === undefined) {
          rewritten = fmt.slice();
          args = argp.slice();
        }
        rewritten[i] = 115; // s
        const value = argp[a] as number;
        args[a] = encoder.encode(option === 102 ? luaNumberString(value) : String(value));
      }
      a++;
    }
    return pushvfstring(L, rewritten ?? fmt, args);
  };
  lobject.luaO_pushfstring = (L: unknown, fmt: Uint8Array, ...argp: unknown[]): unknown =>
    lobject.luaO_pushvfstring(L, fmt, argp);

  const tointeger = lvm.tointeger;
  lvm.tointeger = (obj: TValueLike): number | false => {
    if (obj.type === LUA_TNUMFLT) {
      const truncated = Math.trunc(obj.value as number);
      return truncated >= INT32_MIN && truncated <= INT32_MAX ? truncated : false;
    }
    return tointeger(obj);
  };
}

const TYPE_ERROR = 'attempt to %s a %s value%s';
const PERCENT_S = new Uint8Array([37, 115]);

const INTEGER_CONVERSIONS = 'diouxXc';

/**
 * Replaces string.format in state L so integer conversions (%d %i %o %u %x %X %c) take any number
 * as Lua 5.1 did: the value is cast to a C long long (fraction dropped, 64 bits), where fengari
 * accepted only integral values within 32 bits. Each such item is formatted here and handed to
 * the original string.format as a `%s` argument; every other item is left to it.
 */
export function installStringFormat(L: LuaState): void {
  lua.lua_getglobal(L, text('string'));
  lua.lua_getfield(L, -1, text('format'));
  lua.lua_pushcclosure(
    L,
    (T) => {
      const top = lua.lua_gettop(T);
      const format = lua.lua_type(T, 1) === lua.LUA_TSTRING ? lua.lua_tolstring(T, 1) : null;
      if (format?.includes(37)) {
        const rewritten: number[] = [];
        let argument = 1;
        let changed = false;
        for (let i = 0; i < format.length; i++) {
          const byte = format[i] as number;
          rewritten.push(byte);
          if (byte !== 37) continue;
          if (format[i + 1] === 37) {
            rewritten.push(37);
            i++;
            continue;
          }
          argument++;
          let end = i + 1;
          while (end < format.length && !isConversion(format[end] as number)) end++;
          if (end >= format.length) break;
          const conversion = String.fromCharCode(format[end] as number);
          if (INTEGER_CONVERSIONS.includes(conversion) && argument <= top && lua.lua_isnumber(T, argument)) {
            const spec = Buffer.from(format.subarray(i + 1, end)).latin1Slice();
            const formatted = formatInteger(spec, conversion, lua.lua_tonumber(T, argument));
            if (formatted !== undefined) {
              lua.lua_pushstring(T, Buffer.from(formatted, 'latin1'));
              lua.lua_replace(T, argument);
              rewritten.push(115); // s
              i = end;
              changed = true;
              continue;
            }
          }
          for (let j = i + 1; j <= end; j++) rewritten.push(format[j] as number);
          i = end;
        }
        if (changed) {
          lua.lua_pushstring(T, new Uint8Array(rewritten));
          lua.lua_replace(T, 1);
        }
      }
      lua.lua_pushvalue(T, lua.lua_upvalueindex(1));
      lua.lua_insert(T, 1);
      lua.lua_call(T, top, 1);
      return 1;
    },
    1,
  );
  lua.lua_setfield(L, -2, text('format'));
  lua.lua_pop(L, 1);
}

function isConversion(byte: number): boolean {
  return (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122);
}

const LLONG_MIN = -(2n ** 63n);

/** One integer item of printf: `spec` holds its flags, width and precision. */
function formatInteger(spec: string, conversion: string, value: number): string | undefined {
  const match = /^([-+ #0]*)(\d*)(?:\.(\d*))?$/.exec(spec);
  if (match === null) return undefined;
  const flags = match[1] as string;
  const width = match[2] === '' ? 0 : Number(match[2]);
  const precision = match[3] === undefined ? undefined : Number(match[3] || '0');
  // The x86 conversion of an out-of-range double to long long gives LLONG_MIN.
  const integer =
    Number.isNaN(value) || value >= 2 ** 63 || value < -(2 ** 63) ? LLONG_MIN : BigInt(Math.trunc(value));
  let body: string;
  let prefix = '';
  if (conversion === 'c') body = String.fromCharCode(Number(BigInt.asUintN(8, integer)));
  else if (conversion === 'd' || conversion === 'i') {
    body = (integer < 0n ? -integer : integer).toString();
    prefix = integer < 0n ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
  } else {
    const unsigned = BigInt.asUintN(64, integer);
    const radix = conversion === 'o' ? 8 : conversion === 'u' ? 10 : 16;
    body = unsigned.toString(radix);
    if (conversion === 'X') body = body.toUpperCase();
    if (flags.includes('#') && unsigned !== 0n) {
      if (conversion === 'x') prefix = '0x';
      else if (conversion === 'X') prefix = '0X';
      else if (conversion === 'o' && !body.startsWith('0')) body = `0${body}`;
    }
  }
  if (conversion !== 'c' && precision !== undefined) {
    if (precision === 0 && integer === 0n) body = '';
    body = body.padStart(precision, '0');
  }
  const length = prefix.length + body.length;
  if (length >= width) return prefix + body;
  if (flags.includes('-')) return (prefix + body).padEnd(width, ' ');
  if (flags.includes('0') && precision === undefined && conversion !== 'c')
    return prefix + body.padStart(width - prefix.length, '0');
  return (prefix + body).padStart(width, ' ');
}
