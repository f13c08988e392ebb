// Node's Buffer has had latin1Slice/latin1Write on its prototype since its first releases; they skip
// the encoding dispatch of toString/write, which matters on the RESP hot path.
export {};

declare global {
  interface Buffer {
    latin1Slice(start?: number, end?: number): string;
    latin1Write(text: string, offset?: number, length?: number): number;
  }
}
