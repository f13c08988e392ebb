// The sorted set: a member -> score Map for O(1) lookups plus Redis's skiplist with span widths,
// ordered by (score, member bytes), for O(log n) rank and range queries. Members are latin1
// strings, so JS string comparison is byte order. OBJECT ENCODING reports listpack while the set is
// small (zset-max-listpack-entries/value) and skiplist after, converting one way only, as Redis
// does; the structure underneath is the same.
import type { CollectionValue } from '../keyspace/value.ts';
import { encodingLimits } from './encoding-limits.ts';
import { ShardedMap } from './sharded-map.ts';

const MAX_LEVEL = 32;
const LEVEL_PROBABILITY = 0.25;

export class ZSetNode {
  member: string;
  score: number;
  backward: ZSetNode | null = null;
  readonly forward: Array<ZSetNode | null>;
  readonly span: number[];

  constructor(level: number, score: number, member: string) {
    this.member = member;
    this.score = score;
    this.forward = new Array<ZSetNode | null>(level).fill(null);
    this.span = new Array<number>(level).fill(0);
  }

  /** The next node in ascending order. */
  get next(): ZSetNode | null {
    return this.forward[0] ?? null;
  }
}

/** A score interval: `(` bounds are exclusive. */
export interface ScoreRange {
  min: number;
  max: number;
  minExclusive: boolean;
  maxExclusive: boolean;
}

/** A lex bound: `special` -1 is `-` (below everything), 1 is `+` (above everything). */
export interface LexBound {
  value: string;
  special: -1 | 0 | 1;
}

export interface LexRange {
  min: LexBound;
  max: LexBound;
  minExclusive: boolean;
  maxExclusive: boolean;
}

/** Redis's sdscmplex: compares a member (or bound) with a bound. */
function compareLex(a: LexBound, b: LexBound): number {
  if (a.special === b.special && a.special !== 0) return 0;
  if (a.special === -1 || b.special === 1) return -1;
  if (a.special === 1 || b.special === -1) return 1;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

function compareMemberLex(member: string, bound: LexBound): number {
  if (bound.special === -1) return 1;
  if (bound.special === 1) return -1;
  return member < bound.value ? -1 : member > bound.value ? 1 : 0;
}

export function scoreGteMin(score: number, range: ScoreRange): boolean {
  return range.minExclusive ? score > range.min : score >= range.min;
}

export function scoreLteMax(score: number, range: ScoreRange): boolean {
  return range.maxExclusive ? score < range.max : score <= range.max;
}

export function lexGteMin(member: string, range: LexRange): boolean {
  const cmp = compareMemberLex(member, range.min);
  return range.minExclusive ? cmp > 0 : cmp >= 0;
}

export function lexLteMax(member: string, range: LexRange): boolean {
  const cmp = compareMemberLex(member, range.max);
  return range.maxExclusive ? cmp < 0 : cmp <= 0;
}

/** Whether (score, member) sorts before the node. */
function before(node: ZSetNode, score: number, member: string): boolean {
  return node.score < score || (node.score === score && node.member < member);
}

// Scratch arrays for insert/delete: commands run one at a time, so one set is enough.
const update = new Array<ZSetNode>(MAX_LEVEL);
const rankAt = new Array<number>(MAX_LEVEL).fill(0);

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < LEVEL_PROBABILITY) level++;
  return level;
}

export class ZSetValue implements CollectionValue {
  readonly type = 'zset';
  /** member -> score (sharded past 16,384 members, so it never rehashes them all at once) */
  readonly dict = new ShardedMap<number>();
  private readonly header = new ZSetNode(MAX_LEVEL, 0, '');
  private tail: ZSetNode | null = null;
  private level = 1;
  private listpack = true;
  private bytes = 0;

  /** A set from (member, score) pairs; a later duplicate member replaces the earlier score. */
  static fromPairs(pairs: Iterable<[string, number]>): ZSetValue {
    const zset = new ZSetValue();
    for (const [member, score] of pairs) zset.set(member, score);
    return zset;
  }

  get size(): number {
    return this.dict.size;
  }

  encoding(): string {
    return this.listpack ? 'listpack' : 'skiplist';
  }

  /** Forces the big encoding (Redis creates a skiplist directly when the first member is long). */
  convertToSkiplist(): void {
    this.listpack = false;
  }

  /**
   * zsetConvertToListpackIfNeeded for a computed result (ZUNIONSTORE, ZRANGESTORE, GEO STORE...),
   * built as a skiplist: small enough, it becomes a listpack, whose integral scores read back as
   * integers (-0 as 0).
   */
  convertToListpackIfSmall(): void {
    if (this.listpack || this.dict.size > encodingLimits.zsetMaxListpackEntries) return;
    for (const member of this.dict.keys()) if (member.length > encodingLimits.zsetMaxListpackValue) return;
    this.listpack = true;
    for (let node = this.first(); node !== null; node = node.next) {
      if (Object.is(node.score, -0)) {
        node.score = 0;
        this.dict.set(node.member, 0);
      }
    }
  }

  memoryUsage(): number {
    return this.listpack ? 16 + this.bytes + this.dict.size * 11 : 64 + this.bytes + this.dict.size * 80;
  }

  clone(): ZSetValue {
    const copy = new ZSetValue();
    // The encoding first: a skiplist's -0 scores stay -0 in its copy.
    copy.listpack = this.listpack;
    for (let node = this.header.forward[0] ?? null; node !== null; node = node.forward[0] ?? null)
      copy.set(node.member, node.score);
    return copy;
  }

  score(member: string): number | undefined {
    return this.dict.get(member);
  }

  /** The first node (lowest), or null. */
  first(): ZSetNode | null {
    return this.header.forward[0] ?? null;
  }

  /** The last node (highest), or null. */
  last(): ZSetNode | null {
    return this.tail;
  }

  /** Members and scores in ascending (score, member) order. */
  *entries(): IterableIterator<[string, number]> {
    for (let node = this.first(); node !== null; node = node.forward[0] ?? null) {
      yield [node.member, node.score];
    }
  }

  /** Sets a member's score. Returns true when the member is new. */
  set(member: string, score: number): boolean {
    const current = this.dict.get(member);
    if (current === undefined) {
      if (
        this.listpack &&
        (this.dict.size + 1 > encodingLimits.zsetMaxListpackEntries ||
          member.length > encodingLimits.zsetMaxListpackValue)
      )
        this.listpack = false;
      // A listpack stores an integral score as an integer (Redis 7's double2ll), so -0 reads back
      // as 0; a skiplist keeps the double.
      if (this.listpack && score === 0) score = 0;
      this.dict.set(member, score);
      this.insert(score, member);
      this.bytes += member.length;
      return true;
    }
    if (current !== score) {
      if (this.listpack && score === 0) score = 0;
      this.dict.set(member, score);
      this.updateScore(current, member, score);
    }
    return false;
  }

  /** Removes a member. Returns whether it was there. */
  remove(member: string): boolean {
    const score = this.dict.get(member);
    if (score === undefined) return false;
    this.dict.delete(member);
    this.bytes -= member.length;
    this.deleteFromList(score, member);
    return true;
  }

  /** 0-based rank in ascending order, or undefined when absent. */
  rank(member: string): number | undefined {
    const score = this.dict.get(member);
    if (score === undefined) return undefined;
    return this.rankOf(score, member) - 1;
  }

  /** The node at a 0-based ascending rank, or null when out of range. */
  nodeAt(rank: number): ZSetNode | null {
    if (rank < 0 || rank >= this.dict.size) return null;
    let traversed = 0;
    let x = this.header;
    const target = rank + 1;
    for (let i = this.level - 1; i >= 0; i--) {
      for (
        let next = x.forward[i];
        next && traversed + (x.span[i] as number) <= target;
        next = x.forward[i]
      ) {
        traversed += x.span[i] as number;
        x = next;
      }
      if (traversed === target) return x;
    }
    return null;
  }

  /** 0-based ascending rank of a node in the set. */
  nodeRank(node: ZSetNode): number {
    return this.rankOf(node.score, node.member) - 1;
  }

  firstInScoreRange(range: ScoreRange): ZSetNode | null {
    if (!this.intersectsScoreRange(range)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let next = x.forward[i]; next && !scoreGteMin(next.score, range); next = x.forward[i]) x = next;
    }
    const found = x.forward[0] ?? null;
    return found !== null && scoreLteMax(found.score, range) ? found : null;
  }

  lastInScoreRange(range: ScoreRange): ZSetNode | null {
    if (!this.intersectsScoreRange(range)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let next = x.forward[i]; next && scoreLteMax(next.score, range); next = x.forward[i]) x = next;
    }
    return x !== this.header && scoreGteMin(x.score, range) ? x : null;
  }

  // The lex lookups scan a listpack linearly, as Redis does (zzlFirstInLexRange): members whose
  // scores differ are not in lex order, and the scan and the skiplist's descent then disagree.
  firstInLexRange(range: LexRange): ZSetNode | null {
    if (!this.intersectsLexRange(range)) return null;
    if (this.listpack) {
      for (let node = this.first(); node !== null; node = node.next) {
        if (lexGteMin(node.member, range)) return lexLteMax(node.member, range) ? node : null;
      }
      return null;
    }
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let next = x.forward[i]; next && !lexGteMin(next.member, range); next = x.forward[i]) x = next;
    }
    const found = x.forward[0] ?? null;
    return found !== null && lexLteMax(found.member, range) ? found : null;
  }

  lastInLexRange(range: LexRange): ZSetNode | null {
    if (!this.intersectsLexRange(range)) return null;
    if (this.listpack) {
      for (let node = this.tail; node !== null; node = node.backward) {
        if (lexLteMax(node.member, range)) return lexGteMin(node.member, range) ? node : null;
      }
      return null;
    }
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let next = x.forward[i]; next && lexLteMax(next.member, range); next = x.forward[i]) x = next;
    }
    return x !== this.header && lexGteMin(x.member, range) ? x : null;
  }

  /** Number of members with a score in the range. */
  countInScoreRange(range: ScoreRange): number {
    const first = this.firstInScoreRange(range);
    if (first === null) return 0;
    const last = this.lastInScoreRange(range) as ZSetNode;
    return this.nodeRank(last) - this.nodeRank(first) + 1;
  }

  /** Number of members in the lex range (ZLEXCOUNT: a listpack counts until the first one past max). */
  countInLexRange(range: LexRange): number {
    const first = this.firstInLexRange(range);
    if (first === null) return 0;
    if (this.listpack) {
      let count = 0;
      for (
        let node: ZSetNode | null = first;
        node !== null && lexLteMax(node.member, range);
        node = node.next
      )
        count++;
      return count;
    }
    const last = this.lastInLexRange(range) as ZSetNode;
    return this.nodeRank(last) - this.nodeRank(first) + 1;
  }

  private intersectsScoreRange(range: ScoreRange): boolean {
    if (range.min > range.max || (range.min === range.max && (range.minExclusive || range.maxExclusive)))
      return false;
    const tail = this.tail;
    if (tail === null || !scoreGteMin(tail.score, range)) return false;
    const first = this.header.forward[0];
    return first != null && scoreLteMax(first.score, range);
  }

  private intersectsLexRange(range: LexRange): boolean {
    const cmp = compareLex(range.min, range.max);
    if (cmp > 0 || (cmp === 0 && (range.minExclusive || range.maxExclusive))) return false;
    const tail = this.tail;
    if (tail === null || !lexGteMin(tail.member, range)) return false;
    const first = this.header.forward[0];
    return first != null && lexLteMax(first.member, range);
  }

  /** 1-based rank of an element known to be present. */
  private rankOf(score: number, member: string): number {
    let rank = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (
        let next = x.forward[i];
        next && (next.score < score || (next.score === score && next.member <= member));
        next = x.forward[i]
      ) {
        rank += x.span[i] as number;
        x = next;
      }
      if (x !== this.header && x.member === member) return rank;
    }
    return rank;
  }

  private insert(score: number, member: string): void {
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      rankAt[i] = i === this.level - 1 ? 0 : (rankAt[i + 1] as number);
      for (let next = x.forward[i]; next && before(next, score, member); next = x.forward[i]) {
        rankAt[i] = (rankAt[i] as number) + (x.span[i] as number);
        x = next;
      }
      update[i] = x;
    }
    const level = randomLevel();
    const length = this.dict.size - 1;
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rankAt[i] = 0;
        update[i] = this.header;
        this.header.span[i] = length;
      }
      this.level = level;
    }
    const node = new ZSetNode(level, score, member);
    const rank0 = rankAt[0] as number;
    for (let i = 0; i < level; i++) {
      const previous = update[i] as ZSetNode;
      node.forward[i] = previous.forward[i] ?? null;
      previous.forward[i] = node;
      node.span[i] = (previous.span[i] as number) - (rank0 - (rankAt[i] as number));
      previous.span[i] = rank0 - (rankAt[i] as number) + 1;
    }
    for (let i = level; i < this.level; i++) {
      const previous = update[i] as ZSetNode;
      previous.span[i] = (previous.span[i] as number) + 1;
    }
    node.backward = update[0] === this.header ? null : (update[0] as ZSetNode);
    const next = node.forward[0];
    if (next) next.backward = node;
    else this.tail = node;
  }

  /** Finds the update path to (score, member); returns the node when present. */
  private findUpdatePath(score: number, member: string): ZSetNode | null {
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let next = x.forward[i]; next && before(next, score, member); next = x.forward[i]) x = next;
      update[i] = x;
    }
    const found = x.forward[0] ?? null;
    return found !== null && found.score === score && found.member === member ? found : null;
  }

  private deleteFromList(score: number, member: string): void {
    const node = this.findUpdatePath(score, member);
    if (node !== null) this.unlink(node);
  }

  /** Unlinks a node using the path in `update`. */
  private unlink(node: ZSetNode): void {
    for (let i = 0; i < this.level; i++) {
      const previous = update[i] as ZSetNode;
      if (previous.forward[i] === node) {
        previous.span[i] = (previous.span[i] as number) + (node.span[i] as number) - 1;
        previous.forward[i] = node.forward[i] ?? null;
      } else {
        previous.span[i] = (previous.span[i] as number) - 1;
      }
    }
    const next = node.forward[0];
    if (next) next.backward = node.backward;
    else this.tail = node.backward;
    while (this.level > 1 && this.header.forward[this.level - 1] == null) this.level--;
  }

  private updateScore(current: number, member: string, score: number): void {
    const node = this.findUpdatePath(current, member);
    if (node === null) return;
    // Still in place after the change: update the score without relinking, as Redis does.
    const previous = node.backward;
    const next = node.forward[0];
    if (
      (previous === null ||
        previous.score < score ||
        (previous.score === score && previous.member < member)) &&
      (next == null || next.score > score || (next.score === score && next.member > member))
    ) {
      node.score = score;
      return;
    }
    this.unlink(node);
    this.insert(score, member);
  }
}
