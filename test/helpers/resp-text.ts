// Expected replies written as RESP text (latin1 strings, one char per byte), as the conformance
// tests compare them, and the reverse for flat array replies.

export const WRONG_TYPE = '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n';
export const NOT_INTEGER = '-ERR value is not an integer or out of range\r\n';

/** A bulk string reply. */
export function bulk(value: string): string {
  return `$${value.length}\r\n${value}\r\n`;
}

/** An array reply of bulk strings. */
export function array(...values: string[]): string {
  return `*${values.length}\r\n${values.map(bulk).join('')}`;
}

/** The bulk strings of a flat array reply, in order. */
export function bulks(reply: string): string[] {
  const items: string[] = [];
  const pattern = /\$(\d+)\r\n/g;
  for (let match = pattern.exec(reply); match !== null; match = pattern.exec(reply)) {
    const length = Number(match[1]);
    items.push(reply.slice(pattern.lastIndex, pattern.lastIndex + length));
    pattern.lastIndex += length + 2;
  }
  return items;
}
