// Scripting through the proxy, which Codis 3.2 refuses beyond EVAL/EVALSHA by their first key.
//
// EVAL, EVALSHA and their _RO forms are routed like other commands (routing-keys.ts): all their
// keys must hash to one slot (CROSSSLOT otherwise), a migrating slot's keys are moved first, and
// with no keys the request goes by Codis's rule (the first argument after numkeys).
//
// SCRIPT LOAD, EXISTS and FLUSH go to every group's master (a migration's source included):
// LOAD answers the sha when every master loaded it, EXISTS says 1 only for a script every master
// has, FLUSH empties them all. The bodies loaded through this proxy are remembered (bounded), so an
// EVALSHA that gets NOSCRIPT from a master that lacks the script (a group added later, a server
// restarted or failed over) loads it there and runs again, on the same connection, before the
// client sees anything.
//
// FUNCTION LOAD, DELETE, FLUSH and RESTORE go to every master the same way (FCALL is routed like
// EVAL), FUNCTION KILL like SCRIPT KILL; LIST, DUMP, STATS and HELP are answered by one master. A
// LOAD that fails on some master only (a library already there) is reported, the others keep it:
// LOAD REPLACE makes them agree again. Libraries are not replayed to a group added later.
//
// SCRIPT KILL cannot use the shared backend connections: the one that carries the running script
// waits behind it. It goes out on a short-lived connection of its own to every master; the reply
// is OK when some master killed a script, else the masters' error (NOTBUSY when none runs one).
import { connect } from 'node:net';
import { splitAddress } from './backend.ts';
import {
  answerFailure,
  broadcast,
  connectionsOf,
  mastersOf,
  type Outcome,
  type ReplyTarget,
} from './broadcast.ts';
import { arrayElements, bulkText } from './merge.ts';
import type { ProxyCore } from './proxy-core.ts';
import { ReplyFramer, type ReplySink } from './reply-framer.ts';
import { errorReply, OK_REPLY, Request, type RequestOwner } from './request.ts';
import { encodeRequest } from './request-decoder.ts';
import type { Slot } from './router.ts';

const NO_BACKEND = errorReply('ERR handle request, no backend serves any slot');
const DEBUG_REFUSED = errorReply('ERR SCRIPT DEBUG is not allowed through the proxy');
const DISAGREE = errorReply('ERR handle response, the masters answered SCRIPT LOAD with different digests');
const FUNCTION_DISAGREE = errorReply('ERR handle response, the masters answered FUNCTION differently');
/** Remembered script bodies: at most this many, and this many bytes. */
const MAX_SCRIPTS = 10_000;
const MAX_SCRIPT_BYTES = 64 * 1024 * 1024;
const KILL_TIMEOUT = 5000;

/** sha → body of the scripts loaded through one proxy, oldest dropped first. */
class ScriptBodies {
  private readonly bodies = new Map<string, string>();
  private bytes = 0;

  add(sha: string, body: string): void {
    if (this.bodies.has(sha) || body.length > MAX_SCRIPT_BYTES) return;
    this.bodies.set(sha, body);
    this.bytes += body.length;
    for (const [oldest, text] of this.bodies) {
      if (this.bodies.size <= MAX_SCRIPTS && this.bytes <= MAX_SCRIPT_BYTES) break;
      this.bodies.delete(oldest);
      this.bytes -= text.length;
    }
  }

  get(sha: string): string | undefined {
    return this.bodies.get(sha.toLowerCase());
  }

  clear(): void {
    this.bodies.clear();
    this.bytes = 0;
  }
}

// Per proxy, without widening the ProxyCore contract every session and test fake implements.
const registry = new WeakMap<ProxyCore, ScriptBodies>();

function bodiesOf(core: ProxyCore): ScriptBodies {
  let bodies = registry.get(core);
  if (bodies === undefined) {
    bodies = new ScriptBodies();
    registry.set(core, bodies);
  }
  return bodies;
}

/** SCRIPT replies of the loads sent ahead of a retried EVALSHA: the EVALSHA's own reply tells. */
const IGNORED: RequestOwner = { broken: false, onBackendReply() {}, onBackendFailure() {} };

/**
 * After `-NOSCRIPT` for an EVALSHA whose body this proxy knows: loads the body on the master of
 * the request's slot and sends the request again behind it. False when the reply stands.
 */
export function retryWithBody(request: Request, raw: Buffer, core: ProxyCore, seed: number): boolean {
  if (request.scriptRetried || !core.config.proxy_scripting_enabled) return false;
  if (raw.latin1Slice(1, 9) !== 'NOSCRIPT') return false;
  const body = bodiesOf(core).get(request.argv[1] ?? '');
  if (body === undefined) return false;
  const slot = core.router.slots[request.slotId] as Slot | undefined;
  // Called before the first attempt's in-flight count is released: the slot cannot have switched.
  // The retried EVALSHA's reply goes to the client as it is: on a connection of its protocol.
  const backend = slot?.backend;
  const connection = request.resp3
    ? backend?.pick3(request.db, seed, true)
    : backend?.pick(request.db, seed, true);
  if (slot === undefined || connection === undefined) return false;
  request.scriptRetried = true;
  const load = new Request();
  load.owner = IGNORED;
  load.argv = ['SCRIPT', 'LOAD', body];
  connection.send(load);
  slot.inflight++;
  request.tracker = slot;
  connection.send(request);
  return true;
}

/**
 * After `-NOSCRIPT` from the source of a semi-async migration (SLOTSMGRT-EXEC-WRAPPER ran the
 * EVALSHA there): loads the body on the connection the next wrapper step will take. False when
 * the reply stands.
 */
export function loadOnSource(request: Request, payload: Buffer, core: ProxyCore, seed: number): boolean {
  if (request.scriptRetried || !core.config.proxy_scripting_enabled) return false;
  if (payload.latin1Slice(1, 9) !== 'NOSCRIPT') return false;
  const body = bodiesOf(core).get(request.argv[1] ?? '');
  const source = core.router.slots[request.slotId]?.migrateFrom;
  // The connection the session's next wrapper step takes (the session's protocol).
  const connection = request.resp3
    ? source?.pick3(request.db, seed, true)
    : source?.pick(request.db, seed, true);
  if (body === undefined || connection === undefined) return false;
  request.scriptRetried = true;
  const load = new Request();
  load.owner = IGNORED;
  load.argv = ['SCRIPT', 'LOAD', body];
  connection.send(load);
  return true;
}

/** SCRIPT <subcommand> (the session checked that scripting is enabled). */
export function scriptCommand(target: ReplyTarget, request: Request, core: ProxyCore, seed: number): void {
  const argv = request.argv;
  if (argv.length < 2) {
    target.answer(request, errorReply("ERR wrong number of arguments for 'script' command"), false);
    return;
  }
  const sub = (argv[1] as string).toUpperCase();
  if (sub === 'DEBUG') {
    target.answer(request, DEBUG_REFUSED, false);
    return;
  }
  // HELP and unknown subcommands: one master's answer is every master's.
  const everywhere = sub === 'LOAD' || sub === 'EXISTS' || sub === 'FLUSH';
  toMasters(target, request, core, seed, sub, everywhere, (first, outcomes) => {
    if (sub === 'LOAD') {
      const sha = bulkText(first);
      for (const outcome of outcomes) {
        if (!(outcome as Buffer).equals(first)) {
          target.answer(request, DISAGREE, false);
          return;
        }
      }
      if (sha !== undefined && argv.length === 3) bodiesOf(core).add(sha, argv[2] as string);
    } else if (sub === 'EXISTS') {
      target.answer(request, existsReply(outcomes), false);
      return;
    } else if (sub === 'FLUSH') {
      // A flushed script must give NOSCRIPT again, not come back through the fallback.
      bodiesOf(core).clear();
    }
    target.answer(request, first, false);
  });
}

/**
 * Sends SCRIPT or FUNCTION `sub` to every master (`everywhere`) or to one, KILL on short-lived
 * connections of their own (the shared ones wait behind the busy script); `onReplies` gets the
 * normal replies, the first apart, once no master failed.
 */
function toMasters(
  target: ReplyTarget,
  request: Request,
  core: ProxyCore,
  seed: number,
  sub: string,
  everywhere: boolean,
  onReplies: (first: Buffer, outcomes: readonly Outcome[]) => void,
): void {
  const masters = mastersOf(core.router);
  if (masters.length === 0) {
    target.answer(request, NO_BACKEND, false);
    return;
  }
  if (sub === 'KILL') {
    killEverywhere(
      masters.map((master) => master.addr),
      core.config.product_auth,
      request.argv,
      (outcomes) => target.answer(request, killReply(outcomes), false),
    );
    return;
  }
  const connections = connectionsOf(
    everywhere ? masters : masters.slice(0, 1),
    request.db,
    seed,
    request.resp3,
  );
  broadcast(connections, request.argv, (outcomes) => {
    if (answerFailure(target, request, outcomes)) return;
    onReplies(outcomes[0] as Buffer, outcomes);
  });
}

/** FUNCTION <subcommand> (the session checked that scripting is enabled). */
export function functionCommand(target: ReplyTarget, request: Request, core: ProxyCore, seed: number): void {
  const argv = request.argv;
  if (argv.length < 2) {
    target.answer(request, errorReply("ERR wrong number of arguments for 'function' command"), false);
    return;
  }
  const sub = (argv[1] as string).toUpperCase();
  const everywhere = sub === 'LOAD' || sub === 'DELETE' || sub === 'FLUSH' || sub === 'RESTORE';
  toMasters(target, request, core, seed, sub, everywhere, (first, outcomes) => {
    for (const outcome of outcomes) {
      if (!(outcome as Buffer).equals(first)) {
        target.answer(request, FUNCTION_DISAGREE, false);
        return;
      }
    }
    target.answer(request, first, false);
  });
}

/** 1 for a script every master has. */
function existsReply(outcomes: readonly Outcome[]): Buffer {
  let present: boolean[] | undefined;
  for (const outcome of outcomes) {
    const items = arrayElements(outcome as Buffer);
    if (items === undefined) return outcome as Buffer;
    if (present === undefined) present = items.map((item) => item.equals(ONE));
    else
      for (let i = 0; i < present.length; i++)
        present[i] = present[i] === true && items[i]?.equals(ONE) === true;
  }
  const flags = present ?? [];
  return Buffer.from(
    `*${flags.length}\r\n${flags.map((flag) => (flag ? ':1\r\n' : ':0\r\n')).join('')}`,
    'latin1',
  );
}

const ONE = Buffer.from(':1\r\n');

function killReply(outcomes: readonly Outcome[]): Buffer {
  let error: Buffer | undefined;
  for (const outcome of outcomes) {
    if (typeof outcome !== 'string' && outcome[0] === 43) return OK_REPLY;
    const reply = typeof outcome === 'string' ? errorReply(`ERR handle response, ${outcome}`) : outcome;
    // NOTBUSY from most masters says least: UNKILLABLE (a script that wrote), BUSY (the other kind
    // of script runs) or an unreachable master is the answer.
    if (error === undefined || (isNotBusy(error) && !isNotBusy(reply))) error = reply;
  }
  return error ?? OK_REPLY;
}

function isNotBusy(reply: Buffer): boolean {
  return reply.latin1Slice(1, 8) === 'NOTBUSY';
}

class KillCall implements ReplySink {
  private readonly framer = new ReplyFramer(this);
  private skip: number;
  private settled = false;
  private readonly done: (outcome: Outcome) => void;
  private readonly socket: ReturnType<typeof connect>;

  constructor(addr: string, auth: string, argv: string[], done: (outcome: Outcome) => void) {
    this.done = done;
    this.skip = auth === '' ? 0 : 1;
    const { host, port } = splitAddress(addr);
    const socket = connect({ host, port, noDelay: true });
    this.socket = socket;
    socket.setTimeout(KILL_TIMEOUT);
    const requests = auth === '' ? [argv] : [['AUTH', auth], argv];
    socket.on('connect', () => socket.write(Buffer.concat(requests.map(encodeRequest))));
    socket.on('data', (chunk: Buffer) => {
      if (!this.framer.feed(chunk)) this.settle(`backend conn failure, ${this.framer.error}`);
    });
    socket.on('timeout', () => this.settle('backend conn failure, read timeout'));
    socket.on('error', (error: Error) => this.settle(`backend conn failure, ${error.message}`));
    socket.on('close', () => this.settle('backend conn failure, EOF'));
  }

  onReply(raw: Buffer): void {
    if (this.skip > 0) {
      this.skip--;
      if (raw[0] === 45) this.settle(Buffer.from(raw));
      return;
    }
    this.settle(Buffer.from(raw));
  }

  private settle(outcome: Outcome): void {
    if (this.settled) return;
    this.settled = true;
    this.socket.destroy();
    this.done(outcome);
  }
}

function killEverywhere(
  addrs: readonly string[],
  auth: string,
  argv: string[],
  done: (outcomes: Outcome[]) => void,
): void {
  const outcomes = new Array<Outcome>(addrs.length);
  let pending = addrs.length;
  addrs.forEach((addr, index) => {
    new KillCall(addr, auth, argv, (outcome) => {
      outcomes[index] = outcome;
      if (--pending === 0) done(outcomes);
    });
  });
}
