// One command sent to several backends at once, for the commands the proxy answers from the whole
// product (DBSIZE, RANDOMKEY, SCRIPT LOAD/EXISTS/FLUSH): the replies come back together, in the
// order of the connections, copied (a backend's reply is a view of its input buffer).
import type { BackendConnection, SharedBackend } from './backend.ts';
import { Request, type RequestOwner } from './request.ts';
import { encodeRequest } from './request-decoder.ts';
import type { Router } from './router.ts';

/** Who answers a client request the proxy composed itself (the session). */
export interface ReplyTarget {
  answer(request: Request, reply: Buffer, failed: boolean): void;
}

/** A backend's reply, or the text of why the connection could not answer. */
export type Outcome = Buffer | string;

/** The distinct masters that serve a slot, a migration's source included (it still holds keys). */
export function mastersOf(router: Router): SharedBackend[] {
  const masters = new Set<SharedBackend>();
  for (const slot of router.slots) {
    if (slot.backend !== null) masters.add(slot.backend);
    if (slot.migrateFrom !== null) masters.add(slot.migrateFrom);
  }
  return [...masters];
}

/**
 * The connection of each master for `db` (the first one when none is connected yet); a RESP3 one
 * with `resp3`, for a reply relayed to a RESP3 session as it is.
 */
export function connectionsOf(
  masters: readonly SharedBackend[],
  db: number,
  seed: number,
  resp3 = false,
): BackendConnection[] {
  const connections: BackendConnection[] = [];
  for (const master of masters) {
    const connection = resp3 ? master.pick3(db, seed, true) : master.pick(db, seed, true);
    if (connection !== undefined) connections.push(connection);
  }
  return connections;
}

class Fanout implements RequestOwner {
  readonly broken = false;
  private readonly outcomes: Outcome[];
  private pending: number;
  private readonly done: (outcomes: Outcome[]) => void;

  constructor(count: number, done: (outcomes: Outcome[]) => void) {
    this.outcomes = new Array<Outcome>(count);
    this.pending = count;
    this.done = done;
  }

  onBackendReply(request: Request, raw: Buffer): void {
    this.settle(request.slotId, Buffer.from(raw));
  }

  onBackendFailure(request: Request, message: string): void {
    this.settle(request.slotId, message);
  }

  private settle(index: number, outcome: Outcome): void {
    this.outcomes[index] = outcome;
    if (--this.pending === 0) this.done(this.outcomes);
  }
}

/**
 * Sends `argv` on every connection; `done` gets the outcomes in connection order, possibly before
 * this returns (a connection that is down fails at once).
 */
export function broadcast(
  connections: readonly BackendConnection[],
  argv: string[],
  done: (outcomes: Outcome[]) => void,
): void {
  if (connections.length === 0) {
    done([]);
    return;
  }
  const fanout = new Fanout(connections.length, done);
  const raw = encodeRequest(argv);
  for (let i = 0; i < connections.length; i++) {
    const request = new Request();
    request.owner = fanout;
    request.argv = argv;
    request.raw = raw;
    // The slot id is free for the proxy's own requests: it carries the outcome's index.
    request.slotId = i;
    (connections[i] as BackendConnection).send(request);
  }
}

/** The first outcome that is not a normal reply, as the client's error bytes; undefined when none. */
export function firstFailure(outcomes: readonly Outcome[]): Buffer | undefined {
  for (const outcome of outcomes) {
    if (typeof outcome === 'string') return Buffer.from(`-ERR handle response, ${outcome}\r\n`, 'latin1');
    if (outcome[0] === 45) return outcome;
  }
  return undefined;
}

/**
 * Answers `request` with the first failure among `outcomes` (failed: a connection could not
 * answer); true when it did, so the caller composes a reply only from normal ones.
 */
export function answerFailure(target: ReplyTarget, request: Request, outcomes: readonly Outcome[]): boolean {
  const failure = firstFailure(outcomes);
  if (failure === undefined) return false;
  target.answer(
    request,
    failure,
    outcomes.some((outcome) => typeof outcome === 'string'),
  );
  return true;
}
