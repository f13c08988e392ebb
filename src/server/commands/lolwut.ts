// LOLWUT [VERSION <n>] [<version's arguments>] (lolwut.c of Redis 7.0): computer art and the
// version. Redis picks the drawing by version: 5 draws Schotter, 6 the skyline, any other, and
// Redis 7.0's own default, only prints the version.
import { parseInt64 } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { NOT_INTEGER } from '../errors.ts';
import { type Random, systemRandom } from '../lolwut/canvas.ts';
import { drawSchotter, renderBraille } from '../lolwut/schotter.ts';
import { drawSkyline, renderGrays } from '../lolwut/skyline.ts';
import { REDIS_COMPATIBLE_VERSION } from '../version.ts';

/** The text LOLWUT replies, or an error reply (starting with "ERR"). */
export function lolwutText(
  argv: readonly string[],
  random: Random = systemRandom,
): { text: string } | { error: string } {
  let version = REDIS_COMPATIBLE_VERSION;
  let args = argv.slice(1);
  if (argv.length >= 3 && (argv[1] as string).toLowerCase() === 'version') {
    const requested = parseInt64(argv[2] as string);
    if (requested === undefined) return { error: NOT_INTEGER };
    // snprintf("%u.0.0", (unsigned int)ver)
    version = `${BigInt.asUintN(32, BigInt(requested))}.0.0`;
    args = argv.slice(3);
  }
  // Redis's test on the version string: "5.x" (not 5.9) or 4.9 draw version 5, "6.x" or 5.9 version 6.
  const major = version[0];
  const dot = version[1] === '.';
  const minorNine = version[2] === '9';
  if ((major === '5' && dot && !minorNine) || (major === '4' && dot && minorNine))
    return schotter(args, random);
  if ((major === '6' && dot && !minorNine) || (major === '5' && dot && minorNine))
    return skyline(args, random);
  return { text: `Redis ver. ${REDIS_COMPATIBLE_VERSION}\n` };
}

/** Parses the optional integer arguments in order; undefined when one is not an integer. */
function integers(args: readonly string[], defaults: readonly number[]): number[] | undefined {
  const values = defaults.slice();
  for (let i = 0; i < defaults.length && i < args.length; i++) {
    const value = parseInt64(args[i] as string);
    if (value === undefined) return undefined;
    values[i] = typeof value === 'bigint' ? Number(value) : value;
  }
  return values;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}

/** LOLWUT VERSION 5 [columns=66] [squares per row=8] [squares per column=12] */
function schotter(args: readonly string[], random: Random): { text: string } | { error: string } {
  const values = integers(args, [66, 8, 12]);
  if (values === undefined) return { error: NOT_INTEGER };
  // Bounded so LOLWUT stays fast and cheap, as in Redis.
  const [columns, perRow, perColumn] = [
    clamp(values[0] as number, 1, 1000),
    clamp(values[1] as number, 1, 200),
    clamp(values[2] as number, 1, 200),
  ];
  const canvas = drawSchotter(columns, perRow, perColumn, random);
  return {
    text: `${renderBraille(canvas)}\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. ${REDIS_COMPATIBLE_VERSION}\n`,
  };
}

/** LOLWUT VERSION 6 [columns=80] [rows=20] */
function skyline(args: readonly string[], random: Random): { text: string } | { error: string } {
  const values = integers(args, [80, 20]);
  if (values === undefined) return { error: NOT_INTEGER };
  const canvas = drawSkyline(
    clamp(values[0] as number, 1, 1000),
    clamp(values[1] as number, 1, 1000),
    random,
  );
  return {
    text:
      `${renderGrays(canvas)}\nDedicated to the 8 bit game developers of past and present.\n` +
      `Original 8 bit image from Plaguemon by hikikomori. Redis ver. ${REDIS_COMPATIBLE_VERSION}\n`,
  };
}

function lolwut(client: Client, argv: string[]): void {
  const result = lolwutText(argv);
  if ('error' in result) client.replyError(result.error);
  else client.out.verbatim(result.text);
}

export const lolwutCommands: CommandDefinition[] = [{ name: 'lolwut', handler: lolwut }];
