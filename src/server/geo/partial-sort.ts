// Redis's pqsort (pqsort.c): Bentley and McIlroy's quicksort that only sorts the partitions
// overlapping [left, right]. GEORADIUS and GEOSEARCH use it when COUNT keeps fewer results than
// were found; ported step by step, so that points at equal distances come out in Redis's order.

export type Compare<T> = (a: T, b: T) => number;

function swap<T>(items: T[], i: number, j: number): void {
  const held = items[i] as T;
  items[i] = items[j] as T;
  items[j] = held;
}

/** Swaps the `count` elements from i with the `count` elements from j (vecswap). */
function swapRuns<T>(items: T[], i: number, j: number, count: number): void {
  for (let k = 0; k < count; k++) swap(items, i + k, j + k);
}

function median3<T>(items: T[], a: number, b: number, c: number, compare: Compare<T>): number {
  const A = items[a] as T;
  const B = items[b] as T;
  const C = items[c] as T;
  return compare(A, B) < 0
    ? compare(B, C) < 0
      ? b
      : compare(A, C) < 0
        ? c
        : a
    : compare(B, C) > 0
      ? b
      : compare(A, C) < 0
        ? a
        : c;
}

/** Sorts items[base, base + n) far enough that positions [left, right] hold their final elements. */
function partialSort<T>(
  items: T[],
  base: number,
  n: number,
  compare: Compare<T>,
  left: number,
  right: number,
): void {
  let a = base;
  let count = n;
  for (;;) {
    if (count < 7) {
      for (let m = a + 1; m < a + count; m++)
        for (let l = m; l > a && compare(items[l - 1] as T, items[l] as T) > 0; l--) swap(items, l, l - 1);
      return;
    }
    let pm = a + Math.floor(count / 2);
    if (count > 7) {
      let pl = a;
      let pn = a + count - 1;
      if (count > 40) {
        const d = Math.floor(count / 8);
        pl = median3(items, pl, pl + d, pl + 2 * d, compare);
        pm = median3(items, pm - d, pm, pm + d, compare);
        pn = median3(items, pn - 2 * d, pn - d, pn, compare);
      }
      pm = median3(items, pl, pm, pn, compare);
    }
    swap(items, a, pm);
    let pa = a + 1;
    let pb = pa;
    let pc = a + count - 1;
    let pd = pc;
    for (;;) {
      while (pb <= pc) {
        const result = compare(items[pb] as T, items[a] as T);
        if (result > 0) break;
        if (result === 0) {
          swap(items, pa, pb);
          pa++;
        }
        pb++;
      }
      while (pb <= pc) {
        const result = compare(items[pc] as T, items[a] as T);
        if (result < 0) break;
        if (result === 0) {
          swap(items, pc, pd);
          pd--;
        }
        pc--;
      }
      if (pb > pc) break;
      swap(items, pb, pc);
      pb++;
      pc--;
    }
    const pn = a + count;
    let r = Math.min(pa - a, pb - pa);
    swapRuns(items, a, pb - r, r);
    r = Math.min(pd - pc, pn - pd - 1);
    swapRuns(items, pb, pn - r, r);
    r = pb - pa;
    if (r > 1) {
      const first = a;
      const last = a + r - 1;
      if (!((left < first && right < first) || (left > last && right > last)))
        partialSort(items, first, r, compare, left, right);
    }
    r = pd - pc;
    if (r <= 1) return;
    // The last partition is iterated rather than recursed into, as in the C code.
    a = pn - r;
    count = r;
    if ((left < a && right < a) || (left > a + r - 1 && right > a + r - 1)) return;
  }
}

/** pqsort(items, n, compare, left, right): items[left..right] in their sorted places. */
export function pqsort<T>(items: T[], compare: Compare<T>, left: number, right: number): void {
  partialSort(items, 0, items.length, compare, left, right);
}
