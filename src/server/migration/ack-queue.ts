import type { CommandArgument } from './target-connection.ts';

/**
 * What each message in flight to the target must be answered with, oldest first: the ACK text
 * (undefined for "0" or "1") and the message's first two arguments, for error messages.
 *
 * A ring over one flat array (three slots per message) that never shrinks. The source pushes two
 * entries per small key and empties the queue every time the target catches up; plain arrays
 * emptied with `length = 0` dropped their storage and grew it again from nothing each time,
 * a fifth of what the source allocated while moving small keys.
 */
export class AckQueue {
  private slots: Array<string | CommandArgument | undefined> = new Array(3 * 64);
  private first = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(expect: string | undefined, command: CommandArgument, subcommand: CommandArgument): void {
    let capacity = this.slots.length / 3;
    if (this.count === capacity) {
      this.grow();
      capacity = this.slots.length / 3;
    }
    const at = 3 * ((this.first + this.count) % capacity);
    this.slots[at] = expect;
    this.slots[at + 1] = command;
    this.slots[at + 2] = subcommand;
    this.count++;
  }

  /** The oldest message's expected ACK text (undefined: "0" or "1"); only when size > 0. */
  expect(): string | undefined {
    return this.slots[3 * this.first] as string | undefined;
  }

  command(): CommandArgument {
    return this.slots[3 * this.first + 1] as CommandArgument;
  }

  subcommand(): CommandArgument {
    return this.slots[3 * this.first + 2] as CommandArgument;
  }

  /** Drops the oldest message (it was acknowledged). */
  shift(): void {
    if (this.count === 0) return;
    const at = 3 * this.first;
    this.slots[at] = undefined;
    this.slots[at + 1] = undefined;
    this.slots[at + 2] = undefined;
    this.first = (this.first + 1) % (this.slots.length / 3);
    this.count--;
    if (this.count === 0) this.first = 0;
  }

  clear(): void {
    this.slots.fill(undefined);
    this.first = 0;
    this.count = 0;
  }

  private grow(): void {
    const capacity = this.slots.length / 3;
    const grown: Array<string | CommandArgument | undefined> = new Array(6 * capacity);
    for (let i = 0; i < this.count; i++) {
      const from = 3 * ((this.first + i) % capacity);
      grown[3 * i] = this.slots[from];
      grown[3 * i + 1] = this.slots[from + 1];
      grown[3 * i + 2] = this.slots[from + 2];
    }
    this.slots = grown;
    this.first = 0;
  }
}
