// The part of fengari's C-like API that codis-server's scripting uses. fengari ships no types;
// Lua strings are byte arrays (Uint8Array), which keeps keys and values binary-safe.
declare module 'fengari' {
  export type LuaString = Uint8Array;
  export interface LuaState {
    readonly __luaState: unique symbol;
  }
  export type JsFunction = (L: LuaState) => number;
  export type Hook = (L: LuaState, ar: unknown) => void;

  export const lua: {
    readonly LUA_OK: number;
    readonly LUA_YIELD: number;
    readonly LUA_ERRRUN: number;
    readonly LUA_MASKCOUNT: number;
    readonly LUA_MASKLINE: number;
    readonly LUA_REGISTRYINDEX: number;
    readonly LUA_RIDX_GLOBALS: number;
    readonly LUA_TNIL: number;
    readonly LUA_TBOOLEAN: number;
    readonly LUA_TNUMBER: number;
    readonly LUA_TSTRING: number;
    readonly LUA_TTABLE: number;
    readonly LUA_TLIGHTUSERDATA: number;
    lua_typename(L: LuaState, type: number): LuaString;
    lua_isnone(L: LuaState, index: number): boolean;
    lua_isnoneornil(L: LuaState, index: number): boolean;
    lua_settable(L: LuaState, index: number): void;
    lua_rawlen(L: LuaState, index: number): number;
    lua_pushlightuserdata(L: LuaState, value: unknown): void;
    lua_touserdata(L: LuaState, index: number): unknown;
    lua_absindex(L: LuaState, index: number): number;
    lua_createtable(L: LuaState, narr: number, nrec: number): void;
    lua_error(L: LuaState): never;
    lua_getfield(L: LuaState, index: number, key: LuaString): number;
    lua_getglobal(L: LuaState, name: LuaString): number;
    lua_gettop(L: LuaState): number;
    lua_isinteger(L: LuaState, index: number): boolean;
    lua_newtable(L: LuaState): void;
    lua_newthread(L: LuaState): LuaState;
    lua_next(L: LuaState, index: number): number;
    lua_pop(L: LuaState, n: number): void;
    lua_pushboolean(L: LuaState, value: boolean): void;
    lua_pushinteger(L: LuaState, value: number): void;
    lua_pushjsfunction(L: LuaState, fn: JsFunction): void;
    lua_pushnil(L: LuaState): void;
    lua_pushnumber(L: LuaState, value: number): void;
    lua_pushstring(L: LuaState, value: LuaString): void;
    lua_pushvalue(L: LuaState, index: number): void;
    lua_rawget(L: LuaState, index: number): number;
    lua_rawgeti(L: LuaState, index: number, n: number): number;
    lua_rawset(L: LuaState, index: number): void;
    lua_rawseti(L: LuaState, index: number, n: number): void;
    lua_resume(L: LuaState, from: LuaState | null, nargs: number): number;
    lua_setfield(L: LuaState, index: number, key: LuaString): void;
    lua_setglobal(L: LuaState, name: LuaString): void;
    lua_sethook(L: LuaState, hook: Hook | null, mask: number, count: number): void;
    lua_setmetatable(L: LuaState, index: number): void;
    lua_settop(L: LuaState, index: number): void;
    lua_setupvalue(L: LuaState, funcindex: number, n: number): LuaString | null;
    lua_toboolean(L: LuaState, index: number): boolean;
    lua_tointeger(L: LuaState, index: number): number;
    lua_tolstring(L: LuaState, index: number): LuaString | null;
    lua_tonumber(L: LuaState, index: number): number;
    lua_type(L: LuaState, index: number): number;
    lua_yield(L: LuaState, nresults: number): number;
    lua_pushcclosure(L: LuaState, fn: JsFunction, n: number): void;
    lua_upvalueindex(n: number): number;
    lua_insert(L: LuaState, index: number): void;
    lua_replace(L: LuaState, index: number): void;
    lua_call(L: LuaState, nargs: number, nresults: number): void;
    lua_isnumber(L: LuaState, index: number): boolean;
    lua_isstring(L: LuaState, index: number): boolean;
    lua_istable(L: LuaState, index: number): boolean;
    lua_isfunction(L: LuaState, index: number): boolean;
    lua_pcall(L: LuaState, nargs: number, nresults: number, errfunc: number): number;
    lua_tonumberx(L: LuaState, index: number): number | false;
  };
  export const lauxlib: {
    luaL_newstate(): LuaState;
    luaL_loadbuffer(L: LuaState, buffer: LuaString, size: number | null, name: LuaString): number;
    luaL_dostring(L: LuaState, code: LuaString): number;
    luaL_error(L: LuaState, format: LuaString, ...args: LuaString[]): never;
    luaL_requiref(L: LuaState, name: LuaString, open: JsFunction, global: boolean): void;
    luaL_ref(L: LuaState, t: number): number;
    luaL_argerror(L: LuaState, arg: number, extramsg: LuaString): never;
    luaL_checkinteger(L: LuaState, arg: number): number;
    luaL_checknumber(L: LuaState, arg: number): number;
    luaL_checktype(L: LuaState, arg: number, type: number): void;
    luaL_checklstring(L: LuaState, arg: number): LuaString;
    luaL_checkstack(L: LuaState, space: number, message: LuaString | null): void;
    luaL_unref(L: LuaState, t: number, ref: number): void;
  };
  export const lualib: {
    luaopen_base: JsFunction;
    luaopen_table: JsFunction;
    luaopen_string: JsFunction;
    luaopen_math: JsFunction;
    luaopen_debug: JsFunction;
    luaopen_coroutine: JsFunction;
  };
  export function to_luastring(text: string): LuaString;
  export function to_jsstring(bytes: LuaString): string;
  const fengari: {
    lua: typeof lua;
    lauxlib: typeof lauxlib;
    lualib: typeof lualib;
    to_luastring: typeof to_luastring;
    to_jsstring: typeof to_jsstring;
  };
  export default fengari;
}

// fengari's internal modules, reached by lua-numbers.ts to give scripts Lua 5.1's numbers.
declare module 'fengari/src/lobject.js' {
  const lobject: {
    TValue: { prototype: object };
    luaO_tostring(L: unknown, obj: unknown): void;
    luaO_str2num(s: Uint8Array, obj: unknown): number;
    luaO_pushvfstring(L: unknown, fmt: Uint8Array, argp: unknown[]): unknown;
    luaO_pushfstring(L: unknown, fmt: Uint8Array, ...argp: unknown[]): unknown;
  };
  export default lobject;
}
declare module 'fengari/src/lstring.js' {
  const lstring: { luaS_bless: (L: unknown, bytes: Uint8Array) => unknown };
  export default lstring;
}
declare module 'fengari/src/lvm.js' {
  const lvm: { tointeger(obj: unknown): number | false };
  export default lvm;
}
