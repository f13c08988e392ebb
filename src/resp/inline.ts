// Splits an inline request line into arguments the way Redis's sdssplitargs does: spaces separate,
// "double quotes" understand \n \r \t \b \a \\ \" and \xHH, 'single quotes' understand \', and a
// closing quote must be followed by a space or the end of the line.

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' };

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\n' || ch === '\r' || ch === '\t' || ch === '\v' || ch === '\f';
}

function isHexDigit(ch: string | undefined): boolean {
  return ch !== undefined && /^[0-9a-fA-F]$/.test(ch);
}

/** The arguments of an inline line, or undefined when its quotes are unbalanced. */
export function splitInlineArguments(line: string): string[] | undefined {
  const args: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    while (i < n && isSpace(line[i] as string)) i++;
    if (i >= n) return args;
    let current = '';
    let inDouble = false;
    let inSingle = false;
    for (;;) {
      const ch = line[i];
      if (inDouble) {
        if (ch === undefined) return undefined;
        if (ch === '\\' && line[i + 1] === 'x' && isHexDigit(line[i + 2]) && isHexDigit(line[i + 3])) {
          current += String.fromCharCode(Number.parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (ch === '\\' && i + 1 < n) {
          i++;
          const escaped = line[i] as string;
          current += ESCAPES[escaped] ?? escaped;
        } else if (ch === '"') {
          const after = line[i + 1];
          if (after !== undefined && !isSpace(after)) return undefined;
          inDouble = false;
          i++;
          break;
        } else {
          current += ch;
        }
      } else if (inSingle) {
        if (ch === undefined) return undefined;
        if (ch === '\\' && line[i + 1] === "'") {
          i++;
          current += "'";
        } else if (ch === "'") {
          const after = line[i + 1];
          if (after !== undefined && !isSpace(after)) return undefined;
          inSingle = false;
          i++;
          break;
        } else {
          current += ch;
        }
      } else {
        if (ch === undefined || isSpace(ch)) break;
        if (ch === '"') inDouble = true;
        else if (ch === "'") inSingle = true;
        else current += ch;
      }
      i++;
    }
    args.push(current);
  }
}
