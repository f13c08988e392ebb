// Finds the key arguments of a request from its command's key specs, as Redis 7.0's
// getKeysFromCommandWithSpecs does (COMMAND GETKEYS, GETKEYSANDFLAGS), with the few native
// "getkeys" procedures Redis falls back on when a spec is incomplete (SORT, MIGRATE).
import type { CommandNode } from '../commands/command-node.ts';
import type { CommandSpec } from '../commands/index.ts';

type BeginSearch = { kind: 'index'; pos: number } | { kind: 'keyword'; keyword: string; startfrom: number };
type FindKeys =
  | { kind: 'range'; lastkey: number; keystep: number; limit: number }
  | { kind: 'keynum'; keynumidx: number; firstkey: number; keystep: number };

export interface KeySpec {
  flags: string[];
  begin: BeginSearch | undefined;
  find: FindKeys | undefined;
}

export interface KeyReference {
  position: number;
  flags: readonly string[];
}

const cache = new WeakMap<CommandSpec, KeySpec[]>();

function mapGet(node: CommandNode | undefined, key: string): CommandNode | undefined {
  if (node?.t !== 'map') return undefined;
  for (const [name, value] of node.v)
    if ((name.t === 'bulk' || name.t === 'status') && name.v === key) return value;
  return undefined;
}

function intOf(node: CommandNode | undefined): number {
  return node?.t === 'int' ? node.v : 0;
}

function textOf(node: CommandNode | undefined): string {
  return node?.t === 'bulk' || node?.t === 'status' ? node.v : '';
}

function parseSpec(node: CommandNode): KeySpec {
  const flagsNode = mapGet(node, 'flags');
  const flags: string[] = [];
  if (flagsNode?.t === 'set' || flagsNode?.t === 'array')
    for (const flag of flagsNode.v) flags.push(textOf(flag));
  const beginNode = mapGet(node, 'begin_search');
  const beginSpec = mapGet(beginNode, 'spec');
  let begin: BeginSearch | undefined;
  const beginType = textOf(mapGet(beginNode, 'type'));
  if (beginType === 'index') begin = { kind: 'index', pos: intOf(mapGet(beginSpec, 'index')) };
  else if (beginType === 'keyword')
    begin = {
      kind: 'keyword',
      keyword: textOf(mapGet(beginSpec, 'keyword')),
      startfrom: intOf(mapGet(beginSpec, 'startfrom')),
    };
  const findNode = mapGet(node, 'find_keys');
  const findSpec = mapGet(findNode, 'spec');
  const findType = textOf(mapGet(findNode, 'type'));
  let find: FindKeys | undefined;
  if (findType === 'range')
    find = {
      kind: 'range',
      lastkey: intOf(mapGet(findSpec, 'lastkey')),
      keystep: intOf(mapGet(findSpec, 'keystep')),
      limit: intOf(mapGet(findSpec, 'limit')),
    };
  else if (findType === 'keynum')
    find = {
      kind: 'keynum',
      keynumidx: intOf(mapGet(findSpec, 'keynumidx')),
      firstkey: intOf(mapGet(findSpec, 'firstkey')),
      keystep: intOf(mapGet(findSpec, 'keystep')),
    };
  return { flags, begin, find };
}

/** The key specs of a command (Codis's commands get one legacy range spec from first/last/step). */
export function keySpecsOf(spec: CommandSpec): KeySpec[] {
  let specs = cache.get(spec);
  if (specs !== undefined) return specs;
  specs = [];
  const info = spec.info;
  if (info?.t === 'array') {
    const node = info.v[8];
    if (node?.t === 'set' || node?.t === 'array') for (const each of node.v) specs.push(parseSpec(each));
  } else if (spec.firstKey > 0) {
    specs.push({
      flags: spec.flags.has('write') ? ['RW', 'access'] : ['RO', 'access'],
      begin: { kind: 'index', pos: spec.firstKey },
      find: {
        kind: 'range',
        lastkey: spec.lastKey < 0 ? spec.lastKey : spec.lastKey - spec.firstKey,
        keystep: spec.step,
        limit: 0,
      },
    });
  }
  cache.set(spec, specs);
  return specs;
}

/** Whether a command takes key arguments at all (Redis's doesCommandHaveKeys). */
export function commandHasKeys(spec: CommandSpec): boolean {
  if (spec.flags.has('movablekeys') || NATIVE_GETKEYS.has(spec.name)) return true;
  return keySpecsOf(spec).some((each) => !each.flags.includes('not_key'));
}

/** Redis's string2ll for small counts; undefined when invalid. */
function parseCount(text: string | undefined): number | undefined {
  if (text === undefined || !/^(0|-?[1-9]\d{0,18})$/.test(text)) return undefined;
  return Number(text);
}

/** getKeysUsingKeySpecs: the keys, or undefined when a spec is invalid or incomplete here. */
function keysUsingSpecs(spec: CommandSpec, argv: readonly string[]): KeyReference[] | undefined {
  const argc = argv.length;
  const keys: KeyReference[] = [];
  for (const keySpec of keySpecsOf(spec)) {
    if (keySpec.flags.includes('not_key')) continue;
    const begin = keySpec.begin;
    const find = keySpec.find;
    if (begin === undefined || find === undefined) return undefined;
    let first = 0;
    if (begin.kind === 'index') first = begin.pos;
    else {
      const start = begin.startfrom > 0 ? begin.startfrom : argc + begin.startfrom;
      const end = begin.startfrom > 0 ? argc - 1 : 1;
      const keyword = begin.keyword.toLowerCase();
      for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if ((argv[i] as string).toLowerCase() === keyword) {
          first = i + 1;
          break;
        }
      }
      if (first === 0) continue;
    }
    let last: number;
    let step: number;
    if (find.kind === 'range') {
      step = find.keystep;
      if (find.lastkey >= 0) last = first + find.lastkey;
      else if (find.limit === 0) last = argc + find.lastkey;
      else last = first + (Math.floor((argc - first) / find.limit) + find.lastkey);
    } else {
      step = find.keystep;
      if (find.keynumidx >= argc) return undefined;
      const count = parseCount(argv[first + find.keynumidx]);
      if (count === undefined || count < 0) return undefined;
      first += find.firstkey;
      last = first + count - 1;
    }
    if (last >= argc || last < first || first >= argc) return undefined;
    for (let i = first; i <= last; i += Math.max(1, step)) {
      if (i >= argc) continue;
      keys.push({ position: i, flags: keySpec.flags });
    }
    if (keySpec.flags.includes('incomplete')) return undefined;
  }
  return keys;
}

const READ_FLAGS = ['RO', 'access'];
const STORE_FLAGS = ['OW', 'update'];

/** Redis's native getkeys procedures for the commands whose specs can be incomplete. */
const NATIVE_GETKEYS = new Map<string, (argv: readonly string[]) => KeyReference[]>([
  ['sort', sortKeys],
  ['sort_ro', (argv) => [{ position: 1, flags: READ_FLAGS }].filter(() => argv.length > 1)],
  ['migrate', migrateKeys],
  ['set', setKeys],
  ['bitfield', bitfieldKeys],
]);

function setKeys(argv: readonly string[]): KeyReference[] {
  for (let i = 3; i < argv.length; i++)
    if ((argv[i] as string).toLowerCase() === 'get')
      return [{ position: 1, flags: ['RW', 'access', 'update'] }];
  return [{ position: 1, flags: STORE_FLAGS }];
}

function bitfieldKeys(argv: readonly string[]): KeyReference[] {
  let readonly = true;
  for (let i = 2; i < argv.length; i++) {
    const remaining = argv.length - i - 1;
    const word = (argv[i] as string).toLowerCase();
    if (word === 'get' && remaining >= 2) i += 2;
    else if (word === 'overflow' && remaining >= 1) i += 1;
    else {
      readonly = false;
      break;
    }
  }
  return [{ position: 1, flags: readonly ? READ_FLAGS : ['RW', 'access', 'update'] }];
}

function sortKeys(argv: readonly string[]): KeyReference[] {
  const keys: KeyReference[] = [{ position: 1, flags: READ_FLAGS }];
  const skip: Record<string, number> = { limit: 2, get: 1, by: 1 };
  let store: number | undefined;
  for (let i = 2; i < argv.length; i++) {
    const word = (argv[i] as string).toLowerCase();
    const count = skip[word];
    if (count !== undefined) i += count;
    else if (word === 'store' && i + 1 < argv.length) {
      store = i + 1;
      i++;
    }
  }
  if (store !== undefined) keys.push({ position: store, flags: STORE_FLAGS });
  return keys;
}

function migrateKeys(argv: readonly string[]): KeyReference[] {
  const flags = ['RW', 'access', 'delete'];
  if (argv.length > 6 && argv[3] === '') {
    for (let i = 6; i < argv.length; i++) {
      if ((argv[i] as string).toLowerCase() === 'keys') {
        const keys: KeyReference[] = [];
        for (let j = i + 1; j < argv.length; j++) keys.push({ position: j, flags });
        return keys;
      }
    }
  }
  return argv.length > 3 ? [{ position: 3, flags }] : [];
}

/** The keys of a request (argv[0] is the command), as COMMAND GETKEYS finds them. */
export function findKeys(spec: CommandSpec, argv: readonly string[]): KeyReference[] {
  // Specs whose flags depend on the arguments defer to the command's own procedure.
  const variable = keySpecsOf(spec).some((each) => each.flags.includes('variable_flags'));
  const keys = variable ? undefined : keysUsingSpecs(spec, argv);
  if (keys !== undefined) return keys;
  const native = NATIVE_GETKEYS.get(spec.name);
  return native === undefined ? [] : native(argv);
}
