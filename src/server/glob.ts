// Redis's glob-style pattern matching (stringmatchlen): * ? [abc] [^a-z] [!a] and \ escapes,
// byte-wise over latin1 strings, optionally case-insensitive.

export function globMatch(pattern: string, text: string, noCase = false): boolean {
  return matchFrom(pattern, 0, text, 0, noCase, 0);
}

function fold(code: number, noCase: boolean): number {
  return noCase && code >= 65 && code <= 90 ? code + 32 : code;
}

function matchFrom(
  pattern: string,
  p: number,
  text: string,
  s: number,
  noCase: boolean,
  depth: number,
): boolean {
  // Deep recursion on hostile patterns is cut off, as Redis does since 7.0.
  if (depth > 1000) return false;
  while (p < pattern.length) {
    const ch = pattern[p] as string;
    switch (ch) {
      case '*': {
        while (pattern[p + 1] === '*') p++;
        if (p + 1 === pattern.length) return true;
        for (let i = s; i <= text.length; i++) {
          if (matchFrom(pattern, p + 1, text, i, noCase, depth + 1)) return true;
        }
        return false;
      }
      case '?':
        if (s >= text.length) return false;
        s++;
        break;
      case '[': {
        if (s >= text.length) return false;
        p++;
        const not = pattern[p] === '^' || pattern[p] === '!';
        if (not) p++;
        let matched = false;
        const c = fold(text.charCodeAt(s), noCase);
        for (;;) {
          if (p >= pattern.length) {
            p--;
            break;
          }
          const pc = pattern[p] as string;
          if (pc === '\\' && p + 1 < pattern.length) {
            p++;
            if (fold(pattern.charCodeAt(p), noCase) === c) matched = true;
          } else if (pc === ']') {
            break;
          } else if (pattern[p + 1] === '-' && p + 2 < pattern.length) {
            let start = fold(pattern.charCodeAt(p), noCase);
            let end = fold(pattern.charCodeAt(p + 2), noCase);
            if (start > end) [start, end] = [end, start];
            p += 2;
            if (c >= start && c <= end) matched = true;
          } else if (fold(pattern.charCodeAt(p), noCase) === c) {
            matched = true;
          }
          p++;
        }
        if (not) matched = !matched;
        if (!matched) return false;
        s++;
        break;
      }
      default:
        // A backslash escapes the next character, which then matches itself.
        if (ch === '\\' && p + 1 < pattern.length) p++;
        if (s >= text.length) return false;
        if (fold(pattern.charCodeAt(p), noCase) !== fold(text.charCodeAt(s), noCase)) return false;
        s++;
        break;
    }
    p++;
  }
  return s === text.length;
}
