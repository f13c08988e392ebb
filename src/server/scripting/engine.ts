// The Lua engine of EVAL and friends: one Lua state per server (as Redis), scripts compiled once
// and kept by SHA1, the `redis` library, and the run of a script. A script runs as a coroutine:
// past busy-reply-threshold a count hook yields it, the server answers other clients with BUSY
// between slices, and SCRIPT KILL can stop it. The engine is fengari (Lua 5.3 in JavaScript,
// synchronous like the command pipeline), given Lua 5.1's numbers by lua-numbers.ts (doubles
// everywhere, "%.14g" strings). What scripts can still see differ from Redis's Lua 5.1: `//`,
// bitwise operators and goto parse, and tables iterate in another order (the key order of
// cjson.encode and cmsgpack.pack maps). Redis's bit, cjson, cmsgpack and struct: libraries.ts.
import fengari, { type LuaState, type LuaString } from 'fengari';
import { formatG } from '../../resp/double.ts';
import type { Client } from '../client.ts';
import type { ServerCommand } from '../command-registry.ts';
import { OOM, READONLY } from '../errors.ts';
import type { CodisServer } from '../server.ts';
import { REDIS_COMPATIBLE_VERSION } from '../version.ts';
import { latin1, luaBytes, pushErrorTable, ReplyToLua, singleLine, writeLuaValue } from './conversions.ts';
import { openBit, openCjson, openCmsgpack, openLua51, openStruct } from './libraries.ts';
import { installLua51Numbers, installStringFormat } from './lua-numbers.ts';
import { type CachedScript, parseShebang, type ScriptFlags, sha1hex } from './script-cache.ts';

const { lua, lauxlib, lualib, to_luastring: text } = fengari;

/** Instructions between two looks at the clock. */
const HOOK_INSTRUCTIONS = 10_000;
/** Once a script is slow, it runs in slices this long; other clients are served in between. */
const SLICE_MS = 20;

export const BUSY_ERROR =
  'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.';
/** What other clients get while a function (FCALL) is busy. */
export const BUSY_FUNCTION_ERROR =
  'BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.';
const KILLED = 'ERR Script killed by user with SCRIPT KILL...';
/** A library's top level may run this long in FUNCTION LOAD (Redis's LOAD_TIMEOUT_MS). */
export const LOAD_TIMEOUT_MS = 500;
/** Function flags in Redis's order (FUNCTION LIST shows them so). */
export const FUNCTION_FLAGS = [
  'no-writes',
  'allow-oom',
  'allow-stale',
  'no-cluster',
  'allow-cross-slot-keys',
] as const;

/** A function a library registered with redis.register_function. */
export interface FunctionDefinition {
  readonly name: string;
  readonly description: string | undefined;
  readonly flags: ScriptFlags;
  /** The flags given, in FUNCTION_FLAGS order. */
  readonly flagNames: readonly string[];
  /** The callback, referenced in the functions' Lua state registry. */
  readonly ref: number;
}

/** One run of a script, from EVAL to its reply. */
interface RunningScript {
  readonly caller: Client;
  readonly flags: ScriptFlags;
  /** The script's SHA1 (EVAL) or the function's name (FCALL), as errors and logs name it. */
  readonly name: string;
  readonly isEval: boolean;
  /** The caller's command, for FUNCTION STATS. */
  readonly argv: readonly string[];
  /** The Lua state the script belongs to. */
  readonly state: LuaState;
  readonly thread: LuaState;
  readonly readOnly: boolean;
  readonly startedAt: number;
  /** The caller waits on its reply while the script runs in slices. */
  readonly canYield: boolean;
  /** redis.setresp: the protocol of the replies redis.call converts. */
  resp: 2 | 3;
  wrote: boolean;
  timedOut: boolean;
  suspended: boolean;
  killed: boolean;
  sliceStart: number;
}

/** What the replication feature tells: whether this server replicates, and from whom. */
interface ReplicaState {
  readonly link?: { readonly state: string; isMasterClient(client: Client): boolean };
}

const MASTERDOWN = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";

/** What the replication feature exposes for closing a script's MULTI in the stream. */
interface CommandObserver {
  afterCommand(client: Client, command: ServerCommand, argv: string[]): void;
}

const PRELUDE = `
unpack = table.unpack
loadstring = load
math.pow = function (x, y) return x ^ y end
math.type = nil
math.tointeger = nil
math.ult = nil
print = nil
loadfile = nil
dofile = nil
local dbg = debug
__redis__err__handler = function (err)
  -- An error raised by a library function (fengari's JS functions, Redis's C functions, the Lua
  -- of this prelude, named '=[C]') is reported where the script called it.
  local level = 2
  local i = dbg.getinfo(level, 'nSl')
  while i and i.what ~= 'main' and (i.what ~= 'Lua' or i.source == '=[C]') do
    level = level + 1
    i = dbg.getinfo(level, 'nSl')
  end
  if type(err) ~= 'table' then
    err = {err = 'ERR ' .. tostring(err)}
  end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end
local handler = __redis__err__handler
__redis__runner = function (f, ...)
  return xpcall(f, handler, ...)
end
-- Lua 5.1's library as Redis has it: the 5.1 functions 5.3 dropped, without 5.3's additions.
string.gfind = string.gmatch
string.pack, string.packsize, string.unpack = nil, nil, nil
table.foreach = function (t, f)
  for k, v in pairs(t) do local r = f(k, v) if r ~= nil then return r end end
end
table.foreachi = function (t, f)
  for i = 1, #t do local r = f(i, t[i]) if r ~= nil then return r end end
end
table.move, table.pack, table.unpack = nil, nil, nil
local exp, log, abs, floor, atan = math.exp, math.log, math.abs, math.floor, math.atan
math.atan2 = function (y, x) return atan(y, x) end
math.cosh = function (x) return (exp(x) + exp(-x)) / 2 end
math.sinh = function (x) return (exp(x) - exp(-x)) / 2 end
math.tanh = function (x)
  if x > 20 then return 1 elseif x < -20 then return -1 end
  local a, b = exp(x), exp(-x)
  return (a - b) / (a + b)
end
math.log10 = function (x) return log(x, 10) end
math.ldexp = function (m, e) return m * 2.0 ^ e end
math.frexp = function (x)
  if x == 0 or x ~= x or x == 1/0 or x == -1/0 then return x, 0 end
  local e = floor(log(abs(x), 2)) + 1
  local m = x / 2.0 ^ e
  if abs(m) >= 1 then m, e = m / 2, e + 1 elseif abs(m) < 0.5 then m, e = m * 2, e - 1 end
  return m, e
end
math.mod = math.fmod
math.maxinteger, math.mininteger = nil, nil
coroutine.isyieldable = nil
gcinfo = function () return floor(collectgarbage('count')) end
rawlen = nil
debug = nil
`;

export class ScriptEngine {
  readonly server: CodisServer;
  readonly scripts = new Map<string, CachedScript>();
  /** The script running now, for its whole run (also while suspended between slices). */
  current: RunningScript | undefined;
  private L!: LuaState;
  /** The state of FUNCTION libraries: apart from EVAL's, so SCRIPT FLUSH keeps functions. */
  private readonly F: LuaState;
  /** The functions the library being loaded has registered so far (FUNCTION LOAD). */
  private loading: Map<string, FunctionDefinition> | undefined;
  private readonly client: Client;
  private readonly replyToLua = new ReplyToLua();
  private readonly hook = (T: LuaState): void => this.onHook(T);
  private readonly continueBound = (): void => this.continueRun();

  constructor(server: CodisServer) {
    this.server = server;
    this.client = server.createInternalClient('script');
    this.reset();
    this.F = this.newState(true);
  }

  /** True while a slow script is between two slices: other clients get BUSY. */
  get busy(): boolean {
    return this.current?.suspended === true;
  }

  /** The BUSY error other clients get now. */
  get busyError(): string {
    return this.current?.isEval === false ? BUSY_FUNCTION_ERROR : BUSY_ERROR;
  }

  /** A new Lua state for EVAL without any script (SCRIPT FLUSH). */
  reset(): void {
    this.scripts.clear();
    this.L = this.newState(false);
  }

  /** A Lua state with Redis's libraries; the functions' one also has the library-loading API. */
  private newState(functions: boolean): LuaState {
    installLua51Numbers();
    const L = lauxlib.luaL_newstate();
    const libraries: Array<[string, (L: LuaState) => number]> = [
      ['_G', lualib.luaopen_base],
      ['table', lualib.luaopen_table],
      ['string', lualib.luaopen_string],
      ['math', lualib.luaopen_math],
      ['debug', lualib.luaopen_debug],
      ['coroutine', lualib.luaopen_coroutine],
    ];
    for (const [name, open] of libraries) {
      lauxlib.luaL_requiref(L, text(name), open, true);
      lua.lua_pop(L, 1);
    }
    installStringFormat(L);
    openBit(L);
    openCjson(L);
    openCmsgpack(L);
    openStruct(L);
    this.registerRedisLibrary(L);
    openLua51(L);
    const prelude = text(PRELUDE);
    if (
      lauxlib.luaL_loadbuffer(L, prelude, prelude.length, text('=[C]')) !== lua.LUA_OK ||
      lua.lua_pcall(L, 0, 0, 0) !== lua.LUA_OK
    )
      throw new Error(`scripting prelude failed: ${latin1(lua.lua_tolstring(L, -1) ?? new Uint8Array())}`);
    lua.lua_getglobal(L, text('__redis__runner'));
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, text('__redis__runner'));
    lua.lua_pushnil(L);
    lua.lua_setglobal(L, text('__redis__runner'));
    if (functions) this.registerLoadingApi(L);
    this.protectGlobals(L, functions);
    return L;
  }

  /**
   * Scripts see the globals through a read-only proxy: reading a missing global or writing any is
   * an error, as Redis 7.0's protected globals.
   */
  private protectGlobals(L: LuaState, functions: boolean): void {
    protectLibraries(L);
    lua.lua_newtable(L); // the proxy
    lua.lua_newtable(L); // its metatable
    lua.lua_pushjsfunction(L, (T) => {
      // While a library loads, its top level sees only the loading API (Redis swaps the globals).
      if (functions && this.loading !== undefined)
        lua.lua_getfield(T, lua.LUA_REGISTRYINDEX, text('__redis__load_api'));
      else lua.lua_rawgeti(T, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
      lua.lua_pushvalue(T, 2);
      if (lua.lua_rawget(T, -2) !== lua.LUA_TNIL) return 1;
      return missingGlobal(T);
    });
    lua.lua_setfield(L, -2, text('__index'));
    lua.lua_pushjsfunction(L, readonlyTable);
    lua.lua_setfield(L, -2, text('__newindex'));
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
    lua.lua_pushcclosure(L, pairsOfLibrary, 1);
    lua.lua_setfield(L, -2, text('__pairs'));
    lua.lua_pushboolean(L, false);
    lua.lua_setfield(L, -2, text('__metatable'));
    lua.lua_setmetatable(L, -2);
    lua.lua_pushvalue(L, -1);
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, text('__redis__env'));
    // _G seen by scripts is the proxy too: `_G.x` is as strict as `x`.
    lua.lua_setglobal(L, text('_G'));
  }

  /**
   * What a library's top level sees (Redis's LIBRARY_API): only `redis` with register_function,
   * log and the version, every other name an error. register_function kept by a library and
   * called later refuses outside FUNCTION LOAD.
   */
  private registerLoadingApi(L: LuaState): void {
    lua.lua_getglobal(L, text('redis'));
    lua.lua_newtable(L); // the loading globals
    lua.lua_newtable(L); // their redis table
    lua.lua_pushjsfunction(L, (T) => this.registerFunction(T));
    lua.lua_setfield(L, -2, text('register_function'));
    const copy = ['log', 'LOG_DEBUG', 'LOG_VERBOSE', 'LOG_NOTICE', 'LOG_WARNING'];
    for (const name of [...copy, 'REDIS_VERSION', 'REDIS_VERSION_NUM']) {
      lua.lua_getfield(L, -3, text(name));
      lua.lua_setfield(L, -2, text(name));
    }
    protectTable(L);
    lua.lua_setfield(L, -2, text('redis'));
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, text('__redis__load_api'));
    lua.lua_pop(L, 1);
  }

  /**
   * Runs a library's body (FUNCTION LOAD, RESTORE, an RDB file): the functions it registered, or
   * the error message (without `ERR `). Its top level may run `timeoutMs` at most (0: no limit).
   */
  compileLibrary(body: string, timeoutMs: number): Map<string, FunctionDefinition> | string {
    const F = this.F;
    const code = luaBytes(body);
    if (lauxlib.luaL_loadbuffer(F, code, code.length, text('@user_function')) !== lua.LUA_OK) {
      const message = latin1(lua.lua_tolstring(F, -1) ?? new Uint8Array());
      lua.lua_pop(F, 1);
      return `Error compiling function: ${singleLine(message.replace(/ near <eof>$/, " near '<eof>'"))}`;
    }
    lua.lua_getfield(F, lua.LUA_REGISTRYINDEX, text('__redis__env'));
    lua.lua_setupvalue(F, -2, 1);
    const registered = new Map<string, FunctionDefinition>();
    this.loading = registered;
    const started = Date.now();
    const timeoutHook = (T: LuaState): void => {
      if (timeoutMs <= 0 || Date.now() - started <= timeoutMs) return;
      lua.lua_sethook(T, timeoutHook, lua.LUA_MASKCOUNT, 1);
      pushErrorTable(T, 'FUNCTION LOAD timeout');
      lua.lua_error(T);
    };
    lua.lua_sethook(F, timeoutHook, lua.LUA_MASKCOUNT, HOOK_INSTRUCTIONS);
    const status = lua.lua_pcall(F, 0, 0, 0);
    lua.lua_sethook(F, null, 0, 0);
    this.loading = undefined;
    if (status === lua.LUA_OK) return registered;
    let message = 'ERR unknown error';
    if (lua.lua_type(F, -1) === lua.LUA_TSTRING)
      message = `ERR ${latin1(lua.lua_tolstring(F, -1) as LuaString)}`;
    else if (lua.lua_type(F, -1) === lua.LUA_TTABLE) {
      lua.lua_getfield(F, -1, text('err'));
      if (lua.lua_type(F, -1) === lua.LUA_TSTRING) message = latin1(lua.lua_tolstring(F, -1) as LuaString);
      lua.lua_pop(F, 1);
    }
    lua.lua_pop(F, 1);
    this.releaseFunctions(registered.values());
    return `Error registering functions: ${singleLine(message)}`;
  }

  /** Drops the callbacks of functions no library holds any more. */
  releaseFunctions(functions: Iterable<FunctionDefinition>): void {
    for (const definition of functions) lauxlib.luaL_unref(this.F, lua.LUA_REGISTRYINDEX, definition.ref);
  }

  /** redis.register_function(name, callback) or redis.register_function{function_name=..., ...}. */
  private registerFunction(T: LuaState): number {
    const registered = this.loading;
    if (registered === undefined)
      return raise(T, 'redis.register_function can only be called on FUNCTION LOAD command');
    const argc = lua.lua_gettop(T);
    if (argc < 1 || argc > 2) return raise(T, 'wrong number of arguments to redis.register_function');
    let name: string | undefined;
    let description: string | undefined;
    let ref = -1;
    let flagNames: string[] = [];
    const fail = (message: string): number => {
      if (ref >= 0) lauxlib.luaL_unref(T, lua.LUA_REGISTRYINDEX, ref);
      return raise(T, message);
    };
    if (argc === 1) {
      if (!lua.lua_istable(T, 1))
        return fail(
          'calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).',
        );
      lua.lua_pushnil(T);
      while (lua.lua_next(T, 1) !== 0) {
        if (!lua.lua_isstring(T, -2))
          return fail('named argument key given to redis.register_function is not a string');
        // A copy: converting a number key in place would confuse lua_next.
        lua.lua_pushvalue(T, -2);
        const key = latin1(lua.lua_tolstring(T, -1) as LuaString).toLowerCase();
        lua.lua_pop(T, 1);
        if (key === 'function_name') {
          if (!lua.lua_isstring(T, -1))
            return fail('function_name argument given to redis.register_function must be a string');
          name = latin1(lua.lua_tolstring(T, -1) as LuaString);
        } else if (key === 'description') {
          if (!lua.lua_isstring(T, -1))
            return fail('description argument given to redis.register_function must be a string');
          description = latin1(lua.lua_tolstring(T, -1) as LuaString);
        } else if (key === 'callback') {
          if (!lua.lua_isfunction(T, -1))
            return fail('callback argument given to redis.register_function must be a function');
          if (ref >= 0) lauxlib.luaL_unref(T, lua.LUA_REGISTRYINDEX, ref);
          ref = lauxlib.luaL_ref(T, lua.LUA_REGISTRYINDEX);
          continue;
        } else if (key === 'flags') {
          if (!lua.lua_istable(T, -1))
            return fail(
              'flags argument to redis.register_function must be a table representing function flags',
            );
          const flags = readFlags(T);
          if (flags === undefined) return fail('unknown flag given');
          flagNames = flags;
        } else return fail('unknown argument given to redis.register_function');
        lua.lua_pop(T, 1);
      }
      if (name === undefined) return fail('redis.register_function must get a function name argument');
      if (ref < 0) return fail('redis.register_function must get a callback argument');
    } else {
      if (!lua.lua_isstring(T, 1)) return fail('first argument to redis.register_function must be a string');
      name = latin1(lua.lua_tolstring(T, 1) as LuaString);
      if (!lua.lua_isfunction(T, 2))
        return fail('second argument to redis.register_function must be a function');
      lua.lua_pushvalue(T, 2);
      ref = lauxlib.luaL_ref(T, lua.LUA_REGISTRYINDEX);
    }
    if (!isValidName(name))
      return fail(
        'Library names can only contain letters, numbers, or underscores(_) and must be at least one character long',
      );
    if (registered.has(name)) return fail('Function already exists in the library');
    const has = (flag: string): boolean => flagNames.includes(flag);
    registered.set(name, {
      name,
      description,
      flags: {
        shebang: true,
        noWrites: has('no-writes'),
        allowOom: has('allow-oom'),
        allowStale: has('allow-stale'),
      },
      flagNames,
      ref,
    });
    return 0;
  }

  private registerRedisLibrary(L: LuaState): void {
    lua.lua_newtable(L);
    const set = (name: string, fn: (T: LuaState) => number): void => {
      lua.lua_pushjsfunction(L, fn);
      lua.lua_setfield(L, -2, text(name));
    };
    set('call', (T) => this.redisCall(T, true));
    set('pcall', (T) => this.redisCall(T, false));
    set('sha1hex', (T) => {
      if (lua.lua_gettop(T) !== 1) return raise(T, 'wrong number of arguments');
      const bytes = lua.lua_tolstring(T, 1) ?? new Uint8Array();
      lua.lua_pushstring(T, luaBytes(sha1hex(latin1(bytes))));
      return 1;
    });
    const replyHelper = (T: LuaState, field: 'err' | 'ok'): number => {
      if (lua.lua_gettop(T) !== 1 || lua.lua_type(T, -1) !== lua.LUA_TSTRING) {
        pushErrorTable(T, 'wrong number or type of arguments');
        return 1;
      }
      const message = latin1(lua.lua_tolstring(T, 1) as LuaString);
      if (field === 'err') pushErrorTable(T, message.startsWith('-') ? message : `-${message}`);
      else {
        lua.lua_createtable(T, 0, 1);
        lua.lua_pushvalue(T, 1);
        lua.lua_setfield(T, -2, text('ok'));
      }
      return 1;
    };
    set('error_reply', (T) => replyHelper(T, 'err'));
    set('status_reply', (T) => replyHelper(T, 'ok'));
    set('log', (T) => {
      const argc = lua.lua_gettop(T);
      if (argc < 2) return raise(T, 'redis.log() requires two arguments or more.');
      if (lua.lua_type(T, 1) !== lua.LUA_TNUMBER) return raise(T, 'First argument must be a number');
      const level = lua.lua_tonumber(T, 1);
      if (!(level >= 0 && level <= 3)) return raise(T, 'Invalid debug level.');
      const parts: string[] = [];
      for (let i = 2; i <= argc; i++) {
        const bytes = lua.lua_tolstring(T, i);
        if (bytes !== null) parts.push(latin1(bytes));
      }
      const levels = ['debug', 'verbose', 'notice', 'warning'] as const;
      this.server.log(levels[Math.trunc(level)] ?? 'notice', parts.join(' '));
      return 0;
    });
    set('setresp', (T) => {
      if (lua.lua_gettop(T) !== 1) return raise(T, 'redis.setresp() requires one argument.');
      const resp = lua.lua_tonumber(T, 1);
      if (resp !== 2 && resp !== 3) return raise(T, 'RESP version must be 2 or 3.');
      if (this.current !== undefined) this.current.resp = resp;
      return 0;
    });
    set('set_repl', (T) => {
      if (lua.lua_gettop(T) !== 1) return raise(T, 'redis.set_repl() requires one argument.');
      const flags = lua.lua_tonumber(T, 1);
      if (!(flags >= 0 && flags <= 3))
        return raise(T, 'Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.');
      return 0;
    });
    // The only user is `default`, allowed every command: the check is whether the command exists.
    set('acl_check_cmd', (T) => {
      const argc = lua.lua_gettop(T);
      if (argc === 0) return raise(T, 'Please specify at least one argument for this redis lib call');
      const argv: string[] = [];
      for (let i = 1; i <= argc; i++) {
        const type = lua.lua_type(T, i);
        if (type !== lua.LUA_TSTRING && type !== lua.LUA_TNUMBER)
          return raise(T, 'Lua redis lib command arguments must be strings or integers');
        lua.lua_pushvalue(T, i);
        argv.push(latin1(lua.lua_tolstring(T, -1) as LuaString));
        lua.lua_pop(T, 1);
      }
      let command = this.server.registry.lookup(argv[0] as string);
      if (command !== undefined && command.subcommands.size > 0 && argv.length > 1)
        command = command.subcommands.get((argv[1] as string).toLowerCase());
      if (command === undefined) return raise(T, 'Invalid command passed to redis.acl_check_cmd()');
      lua.lua_pushboolean(T, true);
      return 1;
    });
    set('replicate_commands', (T) => {
      lua.lua_pushboolean(T, true);
      return 1;
    });
    set('breakpoint', (T) => {
      lua.lua_pushboolean(T, false);
      return 1;
    });
    set('debug', () => 0);
    const constants: Array<[string, number]> = [
      ['LOG_DEBUG', 0],
      ['LOG_VERBOSE', 1],
      ['LOG_NOTICE', 2],
      ['LOG_WARNING', 3],
      ['REPL_NONE', 0],
      ['REPL_AOF', 1],
      ['REPL_SLAVE', 2],
      ['REPL_REPLICA', 2],
      ['REPL_ALL', 3],
    ];
    for (const [name, value] of constants) {
      lua.lua_pushinteger(L, value);
      lua.lua_setfield(L, -2, text(name));
    }
    lua.lua_pushstring(L, text(REDIS_COMPATIBLE_VERSION));
    lua.lua_setfield(L, -2, text('REDIS_VERSION'));
    const [major, minor, patch] = REDIS_COMPATIBLE_VERSION.split('.').map(Number);
    lua.lua_pushinteger(L, ((major ?? 0) << 16) | ((minor ?? 0) << 8) | (patch ?? 0));
    lua.lua_setfield(L, -2, text('REDIS_VERSION_NUM'));
    lua.lua_setglobal(L, text('redis'));
  }

  /** Compiles and caches a body; returns the script or an error reply text. */
  load(body: string): CachedScript | string {
    const sha = sha1hex(body);
    const cached = this.scripts.get(sha);
    if (cached !== undefined) return cached;
    const shebang = parseShebang(body);
    if (typeof shebang === 'string') return `ERR ${shebang}`;
    const L = this.L;
    const code = luaBytes(shebang.code);
    if (lauxlib.luaL_loadbuffer(L, code, code.length, text('@user_script')) !== lua.LUA_OK) {
      const message = latin1(lua.lua_tolstring(L, -1) ?? new Uint8Array());
      lua.lua_pop(L, 1);
      // Lua 5.1 quotes the end of the chunk; 5.3 does not.
      const compat = message.replace(/ near <eof>$/, " near '<eof>'");
      return `ERR Error compiling script (new function): ${singleLine(compat)}`;
    }
    // The chunk's _ENV is the protected proxy of the globals.
    lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, text('__redis__env'));
    lua.lua_setupvalue(L, -2, 1);
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, text(`f_${sha}`));
    const script: CachedScript = { sha, body, flags: shebang.flags, code: shebang.code };
    this.scripts.set(sha, script);
    return script;
  }

  /** Runs a cached script for a client; the reply is written now, or when a slow script ends. */
  run(
    caller: Client,
    script: CachedScript,
    keys: readonly string[],
    args: readonly string[],
    readOnlyCommand: boolean,
    argv: readonly string[] = [],
  ): void {
    if (!this.admit(caller, script.flags, readOnlyCommand)) return;
    const L = this.L;
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
    pushStringArray(L, keys);
    lua.lua_setfield(L, -2, text('KEYS'));
    pushStringArray(L, args);
    lua.lua_setfield(L, -2, text('ARGV'));
    lua.lua_pop(L, 1);
    const thread = this.newThread(L);
    lua.lua_getfield(thread, lua.LUA_REGISTRYINDEX, text(`f_${script.sha}`));
    this.start(caller, script.flags, script.sha, true, argv, L, thread, readOnlyCommand, 1);
  }

  /** FCALL and FCALL_RO: the callback gets KEYS and ARGV as its two arguments. */
  callFunction(
    caller: Client,
    definition: FunctionDefinition,
    keys: readonly string[],
    args: readonly string[],
    readOnlyCommand: boolean,
    argv: readonly string[],
  ): void {
    if (!this.admit(caller, definition.flags, readOnlyCommand)) return;
    const thread = this.newThread(this.F);
    lua.lua_rawgeti(thread, lua.LUA_REGISTRYINDEX, definition.ref);
    pushStringArray(thread, keys);
    pushStringArray(thread, args);
    this.start(caller, definition.flags, definition.name, false, argv, this.F, thread, readOnlyCommand, 3);
  }

  /** scriptPrepareForRun's checks of the flags a script declared; false after an error reply. */
  private admit(caller: Client, flags: ScriptFlags, readOnlyCommand: boolean): boolean {
    const server = this.server;
    if (flags.shebang && !flags.noWrites) {
      // A script that may write counts as a write command (scriptFlagsToCmdFlags).
      if (this.readOnlyReplicaFor(caller)) {
        caller.replyError(READONLY);
        return false;
      }
    }
    // Only a script flagged allow-stale runs on a replica serving no stale data (scriptFlagsToCmdFlags).
    if (flags.shebang && !flags.allowStale && this.staleReplicaFor(caller)) {
      caller.replyError(MASTERDOWN);
      return false;
    }
    if (flags.shebang && !flags.noWrites) {
      if (readOnlyCommand) {
        caller.replyError('ERR Can not execute a script with write flag using *_ro command.');
        return false;
      }
      if (!flags.allowOom && server.maxMemory > 0 && !server.freeMemoryIfNeeded()) {
        caller.replyError(OOM);
        return false;
      }
    }
    return true;
  }

  /** The master's link and the AOF replay run what they are given: no limits for them. */
  mustObey(client: Client): boolean {
    const link = (this.server.features.get('replication') as ReplicaState | undefined)?.link;
    return client.socket === undefined || link?.isMasterClient(client) === true;
  }

  /** A replica whose link is down while replica-serve-stale-data is no, and not its master. */
  private staleReplicaFor(caller: Client): boolean {
    const link = (this.server.features.get('replication') as ReplicaState | undefined)?.link;
    if (link === undefined || link.state === 'connected' || link.isMasterClient(caller)) return false;
    return this.server.config.get('replica-serve-stale-data') === 'no';
  }

  /** Whether writes from this client are refused: a read-only replica, and not its master. */
  private readOnlyReplicaFor(caller: Client): boolean {
    const link = (this.server.features.get('replication') as ReplicaState | undefined)?.link;
    if (link === undefined || link.isMasterClient(caller)) return false;
    return this.server.config.get('replica-read-only') === 'yes';
  }

  /** A coroutine of `L` anchored in its registry while it runs, with the runner on its stack. */
  private newThread(L: LuaState): LuaState {
    const thread = lua.lua_newthread(L);
    // Anchored in the registry while it runs, so the collector keeps it across slices.
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, text('__redis__running'));
    lua.lua_getfield(thread, lua.LUA_REGISTRYINDEX, text('__redis__runner'));
    return thread;
  }

  private start(
    caller: Client,
    flags: ScriptFlags,
    name: string,
    isEval: boolean,
    argv: readonly string[],
    state: LuaState,
    thread: LuaState,
    readOnlyCommand: boolean,
    nargs: number,
  ): void {
    const server = this.server;
    const now = Date.now();
    const run: RunningScript = {
      caller,
      flags,
      name,
      isEval,
      argv,
      state,
      thread,
      readOnly: readOnlyCommand || (flags.shebang && flags.noWrites),
      startedAt: now,
      // Only a script a client sent on its own can wait: not inside MULTI/EXEC, AOF loading...
      canYield: caller.socket !== undefined && !caller.features.has('multi') && !server.deferReadyKeys,
      resp: 2,
      wrote: false,
      timedOut: false,
      suspended: false,
      killed: false,
      sliceStart: now,
    };
    this.current = run;
    const client = this.client;
    client.database = caller.database;
    // Inside a script the client counts as in MULTI: replication wraps its writes in MULTI/EXEC.
    client.features.set('multi', true);
    lua.lua_sethook(thread, this.hook, lua.LUA_MASKCOUNT, HOOK_INSTRUCTIONS);
    const status = lua.lua_resume(thread, state, nargs);
    if (status === lua.LUA_YIELD) {
      run.suspended = true;
      caller.paused = true;
      setImmediate(this.continueBound);
      return;
    }
    this.finish(run, status);
  }

  private continueRun(): void {
    const run = this.current;
    if (run === undefined) return;
    run.sliceStart = Date.now();
    this.server.cachedNow = this.server.clockNow();
    const status = lua.lua_resume(run.thread, run.state, 0);
    if (status === lua.LUA_YIELD) {
      setImmediate(this.continueBound);
      return;
    }
    this.finish(run, status);
  }

  private onHook(T: LuaState): void {
    const run = this.current;
    if (run === undefined) return;
    if (run.killed) {
      // Every instruction raises from now on, so a pcall in the script cannot swallow the kill.
      lua.lua_sethook(T, this.hook, lua.LUA_MASKCOUNT, 1);
      pushErrorTable(T, `-${KILLED}`);
      lua.lua_error(T);
    }
    const now = Date.now();
    if (!run.timedOut) {
      const threshold = this.server.config.getNumber('busy-reply-threshold');
      if (threshold <= 0 || now - run.startedAt < threshold) return;
      run.timedOut = true;
      this.server.log(
        'warning',
        `Slow script detected: still in execution after ${now - run.startedAt} milliseconds. You can try killing the script using the ${run.isEval ? 'SCRIPT KILL' : 'FUNCTION KILL'} command. Script name is: ${run.name}.`,
      );
      if (run.canYield) lua.lua_yield(T, 0);
      return;
    }
    if (run.canYield && now - run.sliceStart >= SLICE_MS) lua.lua_yield(T, 0);
  }

  private finish(run: RunningScript, status: number): void {
    const T = run.thread;
    const caller = run.caller;
    const out = caller.out;
    const onError = (message: string): void => caller.replyError(message);
    if (status === lua.LUA_OK) {
      if (lua.lua_toboolean(T, 1)) {
        if (lua.lua_gettop(T) >= 2) writeLuaValue(T, 2, out, run.resp, onError);
        else out.nullBulk();
      } else caller.replyError(errorReplyOf(T, run.name, run.isEval));
    } else {
      const message = latin1(lua.lua_tolstring(T, -1) ?? text('execution failure'));
      caller.replyError(
        `ERR Error running script ${run.isEval ? `f_${run.name}` : run.name}, ${singleLine(message).slice(0, 100)}`,
      );
    }
    lua.lua_settop(T, 0);
    lua.lua_pushnil(run.state);
    lua.lua_setfield(run.state, lua.LUA_REGISTRYINDEX, text('__redis__running'));
    this.current = undefined;
    const client = this.client;
    client.features.delete('multi');
    if (run.wrote) {
      const exec = this.server.registry.lookup('exec');
      // Closes the MULTI the script's first write opened in the propagation stream.
      const propagation = this.server.features.get('propagation') as CommandObserver | undefined;
      if (exec !== undefined) propagation?.afterCommand(client, exec, ['EXEC']);
    }
    if (run.timedOut) this.server.log('warning', 'Slow script finished.');
    if (run.suspended) {
      caller.paused = false;
      if (caller.closed) return;
      caller.processInput();
    }
  }

  /** SCRIPT KILL (`isEval`) and FUNCTION KILL: each stops only its own kind of script. */
  kill(isEval: boolean): string | undefined {
    const run = this.current;
    if (run === undefined || !run.timedOut) return 'NOTBUSY No scripts in execution right now.';
    if (run.wrote)
      return 'UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.';
    if (isEval && !run.isEval) return BUSY_FUNCTION_ERROR;
    if (!isEval && run.isEval) return BUSY_ERROR;
    run.killed = true;
    return undefined;
  }

  /** The script running now, for FUNCTION STATS. */
  running(): { isEval: boolean; name: string; argv: readonly string[]; durationMs: number } | undefined {
    const run = this.current;
    if (run === undefined) return undefined;
    return {
      isEval: run.isEval,
      name: run.name,
      argv: run.argv,
      durationMs: Date.now() - run.startedAt,
    };
  }

  /** redis.call and redis.pcall. */
  private redisCall(T: LuaState, raiseErrors: boolean): number {
    const run = this.current;
    const argc = lua.lua_gettop(T);
    // Bad arguments are an error table: raised by redis.call, returned by redis.pcall.
    if (argc === 0)
      return callError(T, 'Please specify at least one argument for this redis lib call', raiseErrors);
    const argv: string[] = [];
    for (let i = 1; i <= argc; i++) {
      const type = lua.lua_type(T, i);
      if (type === lua.LUA_TSTRING) argv.push(latin1(lua.lua_tolstring(T, i) as LuaString));
      else if (type === lua.LUA_TNUMBER)
        argv.push(
          lua.lua_isinteger(T, i)
            ? String(lua.lua_tointeger(T, i))
            : formatNumberArgument(lua.lua_tonumber(T, i)),
        );
      else return callError(T, 'Lua redis lib command arguments must be strings or integers', raiseErrors);
    }
    if (run === undefined) return raise(T, 'redis.call() can only be called inside a script invocation');
    const error = this.refusal(run, argv);
    if (error !== undefined) {
      pushErrorTable(T, error);
      if (raiseErrors) return lua.lua_error(T);
      return 1;
    }
    const server = this.server;
    const command = server.registry.lookup(argv[0] as string) as ServerCommand;
    const resolved =
      command.subcommands.size > 0 && argv.length > 1
        ? (command.subcommands.get((argv[1] as string).toLowerCase()) as ServerCommand)
        : command;
    if (resolved.isWrite) run.wrote = true;
    const client = this.client;
    client.out.protocol = run.resp;
    client.out.length = 0;
    server.call(client, resolved, argv);
    const reply = client.out.take();
    this.replyToLua.push(T, reply);
    const first = reply[0];
    if (raiseErrors && (first === 45 || first === 33)) return lua.lua_error(T);
    return 1;
  }

  /** Why a script may not run this command (scriptCall's checks), or undefined. */
  private refusal(run: RunningScript, argv: string[]): string | undefined {
    const server = this.server;
    let command = server.registry.lookup(argv[0] as string);
    if (command === undefined) return 'Unknown Redis command called from script';
    if (command.subcommands.size > 0 && argv.length > 1) {
      command = command.subcommands.get((argv[1] as string).toLowerCase());
      if (command === undefined) return 'Unknown Redis command called from script';
    }
    const arity = command.spec.arity;
    if ((arity > 0 && argv.length !== arity) || argv.length < -arity)
      return 'Wrong number of args calling Redis command from script';
    const root = command.parent ?? command;
    if (command.spec.flags.has('noscript') || root.spec.flags.has('noscript'))
      return 'This Redis command is not allowed from script';
    // The caller's user decides what its script may run.
    if (!run.caller.user.unrestricted) {
      const denial = server.acl.scriptRefusal(run.caller, command, argv);
      if (denial !== undefined) return denial;
    }
    if (command.isWrite) {
      if (run.readOnly) return 'Write commands are not allowed from read-only scripts.';
      // Once the script wrote, failing it would leave half its writes (scriptVerifyWriteCommandAllow).
      if (!run.wrote && this.readOnlyReplicaFor(run.caller)) return `-${READONLY}`;
      const flags = run.flags;
      if (
        command.denyOom &&
        !run.wrote &&
        !flags.allowOom &&
        server.maxMemory > 0 &&
        !server.freeMemoryIfNeeded()
      )
        return `-${OOM}`;
    }
    return undefined;
  }
}

/** Names of libraries and functions: letters, digits and underscores, at least one. */
export function isValidName(name: string): boolean {
  return /^[A-Za-z0-9_]+$/.test(name);
}

/** The flags table at the top of the stack (a sequence of names), in FUNCTION_FLAGS order. */
function readFlags(T: LuaState): string[] | undefined {
  const given = new Set<string>();
  for (let i = 1; ; i++) {
    const type = lua.lua_rawgeti(T, -1, i);
    if (type === lua.LUA_TNIL) {
      lua.lua_pop(T, 1);
      break;
    }
    const flag = lua.lua_isstring(T, -1)
      ? latin1(lua.lua_tolstring(T, -1) as LuaString).toLowerCase()
      : undefined;
    lua.lua_pop(T, 1);
    if (flag === undefined || !(FUNCTION_FLAGS as readonly string[]).includes(flag)) return undefined;
    given.add(flag);
  }
  return FUNCTION_FLAGS.filter((flag) => given.has(flag));
}

function missingGlobal(T: LuaState): number {
  const name = lua.lua_type(T, 2) === lua.LUA_TSTRING || lua.lua_type(T, 2) === lua.LUA_TNUMBER;
  return lauxlib.luaL_error(
    T,
    text("Script attempted to access nonexistent global variable '%s'"),
    name ? (lua.lua_tolstring(T, 2) as LuaString) : text('?'),
  );
}

function readonlyTable(T: LuaState): number {
  return lauxlib.luaL_error(T, text('Attempt to modify a readonly table'));
}

/**
 * Redis 7.0 makes the libraries (string, math, redis, cjson...) read-only, so no script can change
 * what later scripts see: each global table becomes an empty proxy that reads through to it,
 * refuses writes and iterates it with pairs.
 */
function protectLibraries(L: LuaState): void {
  lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
  const globals = lua.lua_gettop(L);
  const names: LuaString[] = [];
  lua.lua_pushnil(L);
  while (lua.lua_next(L, globals) !== 0) {
    if (lua.lua_type(L, -2) === lua.LUA_TSTRING && lua.lua_type(L, -1) === lua.LUA_TTABLE) {
      const name = lua.lua_tolstring(L, -2) as LuaString;
      if (latin1(name) !== '_G') names.push(name);
    }
    lua.lua_pop(L, 1);
  }
  for (const name of names) {
    lua.lua_newtable(L); // the proxy
    lua.lua_newtable(L); // its metatable
    lua.lua_getfield(L, globals, name);
    lua.lua_setfield(L, -2, text('__index'));
    lua.lua_pushjsfunction(L, readonlyTable);
    lua.lua_setfield(L, -2, text('__newindex'));
    lua.lua_getfield(L, globals, name);
    lua.lua_pushcclosure(L, pairsOfLibrary, 1);
    lua.lua_setfield(L, -2, text('__pairs'));
    lua.lua_pushboolean(L, false);
    lua.lua_setfield(L, -2, text('__metatable'));
    lua.lua_setmetatable(L, -2);
    lua.lua_setfield(L, globals, name);
  }
  lua.lua_pop(L, 1);
}

/** pairs() of a protected library: next over the library itself. */
function pairsOfLibrary(T: LuaState): number {
  lua.lua_getglobal(T, text('next'));
  lua.lua_pushvalue(T, lua.lua_upvalueindex(1));
  lua.lua_pushnil(T);
  return 3;
}

/** Makes the table at the top of the stack read-only, a missing field an error (Redis 7.0). */
function protectTable(L: LuaState): void {
  lua.lua_newtable(L);
  lua.lua_pushjsfunction(L, missingGlobal);
  lua.lua_setfield(L, -2, text('__index'));
  lua.lua_pushjsfunction(L, readonlyTable);
  lua.lua_setfield(L, -2, text('__newindex'));
  lua.lua_pushboolean(L, false);
  lua.lua_setfield(L, -2, text('__metatable'));
  lua.lua_setmetatable(L, -2);
}

/** Raises `ERR message` as an error table (luaPushError + luaError). */
function raise(T: LuaState, message: string): number {
  pushErrorTable(T, message);
  return lua.lua_error(T);
}

/** An error of redis.call/pcall itself: raised by call, the error table returned by pcall. */
function callError(T: LuaState, message: string, raiseErrors: boolean): number {
  if (raiseErrors) return raise(T, message);
  lua.lua_settop(T, 0);
  pushErrorTable(T, message);
  return 1;
}

function pushStringArray(L: LuaState, values: readonly string[]): void {
  lua.lua_createtable(L, values.length, 0);
  for (let i = 0; i < values.length; i++) {
    lua.lua_pushstring(L, luaBytes(values[i] as string));
    lua.lua_rawseti(L, -2, i + 1);
  }
}

/** A number argument of redis.call, as Redis 7.0 prints it ("%.17g"). */
function formatNumberArgument(value: number): string {
  return formatG(value, 17);
}

/** The error reply of a script that raised: its message, then where it was raised. */
function errorReplyOf(T: LuaState, name: string, isEval: boolean): string {
  if (lua.lua_type(T, 2) !== lua.LUA_TTABLE) {
    const message = lua.lua_tolstring(T, 2);
    return `ERR Error running script ${isEval ? `f_${name}` : name}, ${singleLine(message === null ? 'execution failure' : latin1(message)).slice(0, 100)}`;
  }
  const read = (name: string): string | undefined => {
    lua.lua_getfield(T, 2, text(name));
    const value = lua.lua_type(T, -1) === lua.LUA_TNIL ? undefined : lua.lua_tolstring(T, -1);
    lua.lua_pop(T, 1);
    return value === undefined || value === null ? undefined : latin1(value);
  };
  const message = singleLine(read('err') ?? '');
  const source = read('source');
  const line = read('line');
  if (source !== undefined && line !== undefined) return `${message} script: ${name}, on ${source}:${line}.`;
  return message;
}
