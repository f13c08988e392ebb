// LZF (liblzf 3.6, as vendored by Redis): the compression of RDB strings. The compressor follows
// lzf_c.c with Redis's settings (HLOG 16, VERY_FAST), so its output is what Redis produces; the
// decompressor follows lzf_d.c and checks every bound, so hostile input cannot overrun.

const HLOG = 16;
const HSIZE = 1 << HLOG;
const MAX_LIT = 1 << 5;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

// The hash table holds `base + position`; entries below the current call's base are stale and read
// as "no match", which is what a zeroed table gives, without clearing 256 KB on every call.
const table = new Int32Array(HSIZE);
let base = 1;

function slot(hval: number): number {
  return ((hval >>> (3 * 8 - HLOG)) - hval * 5) & (HSIZE - 1);
}

/**
 * Compresses `input` into at most `maxOutput` bytes. Returns the compressed bytes, or undefined when
 * they would not fit (the caller then stores the data uncompressed).
 */
export function lzfCompress(input: Uint8Array, maxOutput: number): Uint8Array | undefined {
  const inLength = input.length;
  if (inLength === 0 || maxOutput <= 0) return undefined;
  if (base > 0x7fffffff - inLength - 1) {
    table.fill(0);
    base = 1;
  }
  const callBase = base;
  base += inLength + 1;
  const out = new Uint8Array(maxOutput);
  const outEnd = maxOutput;
  let ip = 0;
  let op = 1; // start run
  let lit = 0;
  let hval = ((input[0] as number) << 8) | (input[1] ?? 0);
  while (ip < inLength - 2) {
    hval = ((hval << 8) | (input[ip + 2] as number)) >>> 0;
    const index = slot(hval);
    const stored = table[index] as number;
    table[index] = callBase + ip;
    const ref = stored - callBase;
    const off = ip - ref - 1;
    if (
      stored >= callBase &&
      off >= 0 &&
      off < MAX_OFF &&
      ref > 0 &&
      input[ref + 2] === input[ip + 2] &&
      input[ref] === input[ip] &&
      input[ref + 1] === input[ip + 1]
    ) {
      // Match found at ref.
      let len = 2;
      let maxlen = inLength - ip - len;
      if (maxlen > MAX_REF) maxlen = MAX_REF;
      if (op + 3 + 1 >= outEnd && op - (lit === 0 ? 1 : 0) + 3 + 1 >= outEnd) return undefined;
      out[op - lit - 1] = lit - 1; // stop run
      if (lit === 0) op--; // undo run if length is zero
      let matched = false;
      if (maxlen > 16) {
        // lzf_c.c unrolls 16 comparisons without the maxlen bound; mirrored for identical output.
        for (let k = 0; k < 16; k++) {
          len++;
          if (input[ref + len] !== input[ip + len]) {
            matched = true;
            break;
          }
        }
      }
      if (!matched) {
        do len++;
        while (len < maxlen && input[ref + len] === input[ip + len]);
      }
      len -= 2; // len is now #octets - 1
      ip++;
      if (len < 7) {
        out[op++] = (off >>> 8) + (len << 5);
      } else {
        out[op++] = (off >>> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++; // start run
      ip += len + 1;
      if (ip >= inLength - 2) break;
      ip -= 2;
      hval = ((input[ip] as number) << 8) | (input[ip + 1] as number);
      hval = ((hval << 8) | (input[ip + 2] as number)) >>> 0;
      table[slot(hval)] = callBase + ip;
      ip++;
      hval = ((hval << 8) | (input[ip + 2] as number)) >>> 0;
      table[slot(hval)] = callBase + ip;
      ip++;
    } else {
      // One more literal byte to copy.
      if (op >= outEnd) return undefined;
      lit++;
      out[op++] = input[ip++] as number;
      if (lit === MAX_LIT) {
        out[op - lit - 1] = lit - 1; // stop run
        lit = 0;
        op++; // start run
      }
    }
  }
  if (op + 3 > outEnd) return undefined; // at most 3 bytes can be missing here
  while (ip < inLength) {
    lit++;
    out[op++] = input[ip++] as number;
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  out[op - lit - 1] = lit - 1; // end run
  if (lit === 0) op--;
  return out.subarray(0, op);
}

/**
 * Decompresses `input` into exactly `outputLength` bytes. Returns undefined when the data is corrupt
 * or does not decompress to exactly that length.
 */
export function lzfDecompress(input: Uint8Array, outputLength: number): Uint8Array | undefined {
  const out = new Uint8Array(outputLength);
  const inEnd = input.length;
  let ip = 0;
  let op = 0;
  while (ip < inEnd) {
    let ctrl = input[ip++] as number;
    if (ctrl < 1 << 5) {
      // Literal run of ctrl + 1 bytes.
      ctrl++;
      if (op + ctrl > outputLength || ip + ctrl > inEnd) return undefined;
      // Runs are at most 32 bytes: a loop beats a subarray view and a native copy for each.
      for (let k = 0; k < ctrl; k++) out[op + k] = input[ip + k] as number;
      op += ctrl;
      ip += ctrl;
    } else {
      // Back reference.
      let len = ctrl >>> 5;
      let ref = op - ((ctrl & 0x1f) << 8) - 1;
      if (ip >= inEnd) return undefined;
      if (len === 7) {
        len += input[ip++] as number;
        if (ip >= inEnd) return undefined;
      }
      ref -= input[ip++] as number;
      if (op + len + 2 > outputLength || ref < 0) return undefined;
      len += 2;
      if (ref + len <= op && len > 32) {
        out.copyWithin(op, ref, ref + len);
        op += len;
      } else {
        // Overlapping copy: the reference repeats bytes it is producing.
        for (let k = 0; k < len; k++) out[op++] = out[ref++] as number;
      }
    }
  }
  return op === outputLength ? out : undefined;
}
