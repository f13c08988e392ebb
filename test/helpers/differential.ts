// Runs a seeded sequence of random commands (random-commands.ts) against redis-server and one of
// our programs side by side, and fails on the first reply that differs, with the commands that led
// to it. Each seed is a fixed sequence, so a failure is reproducible.
import assert from 'node:assert/strict';
import {
  comparableReply,
  DIFFERENTIAL_KEYS,
  hasUnorderedReply,
  RandomCommands,
  randomUnderEncoding,
} from './random-commands.ts';
import type { RawConnection } from './raw-connection.ts';

export interface DifferentialTarget {
  /** Debian's redis-server. */
  reference: RawConnection;
  /** Ours: a codis-server, or a codis-proxy in front of codis-servers. */
  subject: RawConnection;
  /** Empties both sides' data. */
  flush(): Promise<void>;
  /** Commands not to send at all (what the subject deliberately does otherwise, e.g. transactions). */
  skip?(command: readonly string[]): boolean;
  /**
   * The reply the subject alone must give (the command is not sent to redis-server: a cross-slot
   * refusal, say), or undefined to compare with redis-server.
   */
  ownReply?(command: readonly string[]): RegExp | undefined;
  /** A reply as compared (both sides), after comparableReply. */
  normalize?(raw: string): string;
}

/** State is reset this often, so that each stretch starts from nothing. */
const FLUSH_EVERY = 500;

const SORT_NOT_DOUBLE = "-ERR One or more scores can't be converted into double\r\n";

/**
 * Redis 7.0's SORT checks `errno == ERANGE` after strtod without clearing errno first, so an errno
 * left by an earlier call can make it refuse numbers it reads perfectly: such a reply is accepted
 * when every element we sorted is a number.
 */
function staleErrnoSort(command: readonly string[], expected: string, actual: string): boolean {
  const name = (command[0] as string).toUpperCase();
  if ((name !== 'SORT' && name !== 'SORT_RO') || expected !== SORT_NOT_DOUBLE || !actual.startsWith('*'))
    return false;
  // The elements are the sorted values themselves only without BY and GET.
  if (command.some((word) => /^(by|get)$/i.test(word))) return false;
  const lines = actual.split('\r\n');
  for (let i = 2; i < lines.length; i += 2) {
    const element = lines[i] as string;
    if (element !== '' && !Number.isFinite(Number(element)) && !/^[+-]?inf(inity)?$/i.test(element))
      return false;
  }
  return true;
}

export async function runDifferential(
  target: DifferentialTarget,
  seed: number,
  count: number,
  focus?: 'streams',
): Promise<void> {
  const { reference, subject } = target;
  const normalize = target.normalize ?? ((raw: string) => raw);
  const both = async (command: readonly string[]): Promise<[string, string]> => {
    reference.send(...command);
    subject.send(...command);
    return [(await reference.reply()).raw, (await subject.reply()).raw];
  };
  const commands = new RandomCommands(seed, focus);
  const history: string[][] = [];
  let inTransaction = false;
  const fail = (round: number, command: readonly string[], expected: string, actual: string): never => {
    const keys = command.filter((word) => DIFFERENTIAL_KEYS.includes(word));
    const related = history.filter((earlier) => earlier.some((word) => keys.includes(word))).slice(-30);
    assert.fail(
      `seed ${seed}, command ${round}: ${JSON.stringify(command)}\n` +
        `expected: ${JSON.stringify(expected)}\nours:     ${JSON.stringify(actual)}\n` +
        `earlier commands on its keys:\n${related.map((each) => `  ${JSON.stringify(each)}`).join('\n')}`,
    );
  };
  for (let round = 0; round < count; round++) {
    if (round % FLUSH_EVERY === 0) {
      // A transaction left open would queue the flush: DISCARD first (an error when there is none).
      if (inTransaction) await both(['DISCARD']);
      await target.flush();
      history.length = 0;
      inTransaction = false;
    }
    let command = commands.next();
    if (target.skip?.(command) === true) continue;
    // Inside a transaction EXEC's reply would hold them: hash-ordered elements and string encodings
    // are not compared there, and the encoding of a key cannot be checked before the command runs.
    if (
      inTransaction &&
      (hasUnorderedReply(command) ||
        randomUnderEncoding(command) !== undefined ||
        (command[0] as string).toUpperCase() === 'OBJECT')
    )
      command = ['ECHO', command.join(' ')];
    const random = randomUnderEncoding(command);
    if (random !== undefined) {
      reference.send('OBJECT', 'ENCODING', random[0]);
      if ((await reference.reply()).raw === `$${random[1].length}\r\n${random[1]}\r\n`)
        command = ['DEL', random[0]];
    }
    const own = target.ownReply?.(command);
    if (own !== undefined) {
      subject.send(...command);
      const actual = (await subject.reply()).raw;
      if (!own.test(actual)) fail(round, command, own.source, actual);
      continue;
    }
    history.push(command);
    const [expected, actual] = await both(command);
    const name = (command[0] as string).toUpperCase();
    if (name === 'MULTI' && expected === '+OK\r\n') inTransaction = true;
    // EXEC and DISCARD end a transaction whatever their reply, unless there was none (-ERR).
    else if ((name === 'EXEC' || name === 'DISCARD') && !expected.startsWith('-ERR')) inTransaction = false;
    if (staleErrnoSort(command, expected, actual)) continue;
    if (normalize(comparableReply(command, expected)) !== normalize(comparableReply(command, actual)))
      fail(round, command, expected, actual);
  }
}
