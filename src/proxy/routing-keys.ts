// Which argument a request is routed by (spec/proxy.md §4.2), and the cross-slot check this port
// adds: Codis routes by one key and silently runs multi-key commands on the wrong data when their
// keys live on different backends; here a request whose keys span slots is refused with Redis
// Cluster's CROSSSLOT error. Key positions come from the shared command table (redis-server 7's
// COMMAND output), plus the commands whose keys COMMAND cannot describe by a range: `numkeys`
// commands, GEORADIUS's STORE options, and XREAD/XREADGROUP's keys after their STREAMS option.
import { commandSpec } from '../commands/index.ts';
import { hashTagBoundsOfLatin1, slotOf } from '../slots/index.ts';

/** Returned instead of a hash key when the keys hash to different slots (not a latin1 string). */
export const CROSS_SLOT = '\u0100crossslot';

const KIND_FIRST_ARGUMENT = 0;
const KIND_RANGE = 1;
/** numkeys at `numkeys`, keys after it; `destination` (index 1) too when set. */
const KIND_NUMKEYS = 2;
const KIND_SUBCOMMAND = 3;
/** GEORADIUS, GEORADIUSBYMEMBER: the key, and the one after their last STORE/STOREDIST option. */
const KIND_STORE_OPTION = 4;
/** XREAD, XREADGROUP: the first half of the arguments after their STREAMS option (streamRead). */
const KIND_STREAMS = 5;

const STORE_OPTION_COMMANDS = new Set(['georadius', 'georadiusbymember']);
const STREAMS_COMMANDS = new Set(['xread', 'xreadgroup']);

interface KeySpec {
  kind: number;
  first: number;
  last: number;
  step: number;
  numkeys: number;
  destination: boolean;
  /** Codis routes these by the element at index 3, not 1 (§4.2). */
  codisIndex3: boolean;
}

const NUMKEYS: Record<string, [numkeysIndex: number, destination: boolean]> = {
  eval: [2, false],
  evalsha: [2, false],
  eval_ro: [2, false],
  evalsha_ro: [2, false],
  fcall: [2, false],
  fcall_ro: [2, false],
  zunionstore: [2, true],
  zinterstore: [2, true],
  zdiffstore: [2, true],
  zunion: [1, false],
  zinter: [1, false],
  zdiff: [1, false],
  zintercard: [1, false],
  sintercard: [1, false],
  lmpop: [1, false],
  zmpop: [1, false],
  blmpop: [2, false],
  bzmpop: [2, false],
};

const CODIS_INDEX_3 = new Set(['eval', 'evalsha', 'zunionstore', 'zinterstore']);

const specs = new Map<string, KeySpec>();

function keySpecOf(name: string): KeySpec {
  let spec = specs.get(name);
  if (spec !== undefined) return spec;
  const lower = name.toLowerCase();
  spec = {
    kind: KIND_FIRST_ARGUMENT,
    first: 1,
    last: 1,
    step: 1,
    numkeys: 0,
    destination: false,
    codisIndex3: false,
  };
  const numkeys = NUMKEYS[lower];
  const command = commandSpec(lower);
  if (STORE_OPTION_COMMANDS.has(lower)) spec.kind = KIND_STORE_OPTION;
  else if (STREAMS_COMMANDS.has(lower)) spec.kind = KIND_STREAMS;
  else if (numkeys !== undefined) {
    spec.kind = KIND_NUMKEYS;
    spec.numkeys = numkeys[0];
    spec.destination = numkeys[1];
    spec.codisIndex3 = CODIS_INDEX_3.has(lower);
  } else if (command !== undefined && command.firstKey > 0) {
    if (!(command.firstKey === 1 && command.lastKey === 1)) {
      spec.kind = KIND_RANGE;
      spec.first = command.firstKey;
      spec.last = command.lastKey;
      spec.step = command.step > 0 ? command.step : 1;
    }
  } else if (command !== undefined && command.subcommands.size > 0) {
    spec.kind = KIND_SUBCOMMAND;
  }
  if (specs.size < 10000) specs.set(name, spec);
  return spec;
}

function keysInSameSlot(
  argv: readonly string[],
  from: number,
  to: number,
  step: number,
  extra: number,
): string {
  const firstKey = argv[from] as string;
  const slot = slotOf(firstKey);
  if (extra > 0 && slotOf(argv[extra] as string) !== slot) return CROSS_SLOT;
  for (let i = from + step; i <= to; i += step) {
    if (slotOf(argv[i] as string) !== slot) return CROSS_SLOT;
  }
  return firstKey;
}

/** georadiusGetKeys: the index of the destination after the last STORE/STOREDIST, or -1. */
function storedKeyIndex(argv: readonly string[]): number {
  let stored = -1;
  for (let i = 5; i + 1 < argv.length; i++) {
    const option = (argv[i] as string).toLowerCase();
    if (option === 'store' || option === 'storedist') {
      stored = i + 1;
      i++;
    }
  }
  return stored;
}

/** Where the keys and the BLOCK timeout of an XREAD or XREADGROUP are (streamRead). */
export interface StreamRead {
  /** Index of the first key; 0 when the request is malformed (no key can be told). */
  firstKey: number;
  /** How many keys (as many IDs follow them). */
  keys: number;
  /** Index of BLOCK's milliseconds; 0 without BLOCK. */
  timeout: number;
}

function isWord(arg: string, word: string): boolean {
  return arg.length === word.length && arg.toUpperCase() === word;
}

/**
 * Reads XREAD's and XREADGROUP's options as redis-server does (BLOCK ms, COUNT n, GROUP g c,
 * NOACK, each name in any case) up to STREAMS, which takes the rest: the keys, then one ID per
 * key. So a key or group named "streams" is not mistaken for the option. Where redis-server would
 * answer a syntax or unbalanced-list error, firstKey is 0: such a request has no keys, and the
 * backend it goes to answers the error.
 */
export function streamRead(argv: readonly string[]): StreamRead {
  const n = argv.length;
  let timeout = 0;
  for (let i = 1; i < n; i++) {
    const option = argv[i] as string;
    const more = n - i - 1;
    if (more > 0 && isWord(option, 'BLOCK')) timeout = ++i;
    else if (more > 0 && isWord(option, 'COUNT')) i++;
    else if (more > 0 && isWord(option, 'STREAMS')) {
      if (more % 2 !== 0) break;
      return { firstKey: i + 1, keys: more / 2, timeout };
    } else if (more >= 2 && isWord(option, 'GROUP')) i += 2;
    else if (!isWord(option, 'NOACK')) break;
  }
  return { firstKey: 0, keys: 0, timeout };
}

/** hashKeyOf for an XREAD or XREADGROUP whose options `read` describes. */
export function streamReadKey(argv: readonly string[], read: StreamRead): string {
  if (read.firstKey === 0) return '';
  return keysInSameSlot(argv, read.firstKey, read.firstKey + read.keys - 1, 1, 0);
}

/** The command is routed by its first argument alone (most commands: the proxy's fast path). */
export function routedByFirstArgument(name: string): boolean {
  return keySpecOf(name).kind === KIND_FIRST_ARGUMENT;
}

/**
 * The hash key of a request (the key whose slot routes it), '' when it has none, or CROSS_SLOT.
 * `name` is the normalised command name.
 */
export function hashKeyOf(name: string, argv: readonly string[]): string {
  const n = argv.length;
  const spec = keySpecOf(name);
  switch (spec.kind) {
    case KIND_FIRST_ARGUMENT:
      return n > 1 ? (argv[1] as string) : '';
    case KIND_RANGE: {
      if (n <= spec.first) return n > 1 ? (argv[1] as string) : '';
      let last = spec.last < 0 ? n + spec.last : spec.last;
      if (last >= n) last = n - 1;
      if (last < spec.first) return argv[spec.first] as string;
      return keysInSameSlot(argv, spec.first, last, spec.step, 0);
    }
    case KIND_NUMKEYS: {
      const count = Number(argv[spec.numkeys]);
      const first = spec.numkeys + 1;
      if (!Number.isInteger(count) || count <= 0 || first >= n) {
        // Codis's rule: the element at index 3 (or 1), '' when absent; the backend checks arity.
        const index = spec.codisIndex3 ? 3 : 1;
        return n > index ? (argv[index] as string) : '';
      }
      const last = Math.min(n - 1, first + count - 1);
      const key = keysInSameSlot(argv, first, last, 1, spec.destination && n > 1 ? 1 : 0);
      if (key === CROSS_SLOT || spec.codisIndex3) return key;
      return spec.destination ? (argv[1] as string) : key;
    }
    case KIND_STREAMS:
      return streamReadKey(argv, streamRead(argv));
    case KIND_STORE_OPTION: {
      if (n < 2) return '';
      const stored = storedKeyIndex(argv);
      if (stored > 0 && slotOf(argv[stored] as string) !== slotOf(argv[1] as string)) return CROSS_SLOT;
      return argv[1] as string;
    }
    default: {
      // Container commands (OBJECT ENCODING key, MEMORY USAGE key, XINFO STREAM key): the
      // subcommand's key position.
      const sub =
        n > 1
          ? commandSpec(name.toLowerCase())?.subcommands.get((argv[1] as string).toLowerCase())
          : undefined;
      if (sub !== undefined && sub.firstKey > 0 && n > sub.firstKey) return argv[sub.firstKey] as string;
      return n > 1 ? (argv[1] as string) : '';
    }
  }
}

/**
 * Like hashKeyOf, but '' for commands that have no key at all (PING, ECHO, TIME, CONFIG GET…),
 * which Codis routes by their first argument: inside a transaction they go with any slot.
 */
export function keyedHashKey(name: string, argv: readonly string[]): string {
  const spec = keySpecOf(name);
  if (spec.kind === KIND_FIRST_ARGUMENT || spec.kind === KIND_SUBCOMMAND) {
    let command = commandSpec(name.toLowerCase());
    if (spec.kind === KIND_SUBCOMMAND)
      command = argv.length > 1 ? command?.subcommands.get((argv[1] as string).toLowerCase()) : undefined;
    if (command === undefined || command.firstKey <= 0) return '';
  } else if (spec.kind === KIND_NUMKEYS) {
    // EVAL script 0 arg…: no key, whatever Codis would route it by.
    const count = Number(argv[spec.numkeys]);
    if (Number.isInteger(count) && count === 0 && !spec.destination) return '';
  }
  return hashKeyOf(name, argv);
}

/** The part of a key SLOTSMGRTTAGONE moves together: its hash tag, or the whole key. */
function tagOf(key: string): string {
  const [start, end] = hashTagBoundsOfLatin1(key);
  return key.slice(start, end);
}

/** The argument indexes of the keys of a multi-key request (range or numkeys commands). */
function multiKeyIndexes(name: string, argv: readonly string[]): number[] {
  const n = argv.length;
  const spec = keySpecOf(name);
  const indexes: number[] = [];
  if (spec.kind === KIND_RANGE && n > spec.first) {
    let last = spec.last < 0 ? n + spec.last : spec.last;
    if (last >= n) last = n - 1;
    for (let i = spec.first; i <= last; i += spec.step) indexes.push(i);
  } else if (spec.kind === KIND_STORE_OPTION && n > 1) {
    indexes.push(1);
    const stored = storedKeyIndex(argv);
    if (stored > 0) indexes.push(stored);
  } else if (spec.kind === KIND_STREAMS) {
    const read = streamRead(argv);
    for (let i = read.firstKey; i < read.firstKey + read.keys; i++) indexes.push(i);
  } else if (spec.kind === KIND_NUMKEYS) {
    const count = Number(argv[spec.numkeys]);
    const first = spec.numkeys + 1;
    if (Number.isInteger(count) && count > 0) {
      for (let i = first; i < Math.min(n, first + count); i++) indexes.push(i);
      if (spec.destination && n > 1) indexes.push(1);
    }
  }
  return indexes;
}

/**
 * Every distinct key of a request routed by `hashKey` (transactions and blocking commands make sure
 * each one is on the target of a migrating slot before they run).
 */
export function requestKeys(name: string, argv: readonly string[], hashKey: string): string[] {
  const keys = [hashKey];
  for (const index of multiKeyIndexes(name, argv)) {
    const key = argv[index] as string;
    if (!keys.includes(key)) keys.push(key);
  }
  return keys;
}

/**
 * For a request routed by `hashKey` while its slot migrates: one key per other tag among its keys
 * (those a migration step on `hashKey` alone would not move). Empty for single-key requests.
 */
export function otherTagKeys(name: string, argv: readonly string[], hashKey: string): string[] {
  let indexes = multiKeyIndexes(name, argv);
  if (indexes.length < 2) indexes = [];
  const seen = new Set([tagOf(hashKey)]);
  const keys: string[] = [];
  for (const index of indexes) {
    const key = argv[index] as string;
    const tag = tagOf(key);
    if (!seen.has(tag)) {
      seen.add(tag);
      keys.push(key);
    }
  }
  return keys;
}
