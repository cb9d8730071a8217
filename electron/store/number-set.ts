// A set of non-negative integers that stays small when they are dense (the line numbers of an
// import's generated message ids: a million of them in a Set cost tens of MB, in bits 125 KB).
const BITS_MAX = 1 << 27; // numbers below are bits (16 MiB of bitmap at most); above, a Set

export class NumberSet {
  private bits = new Uint8Array(1024);
  private readonly big = new Set<number>();

  has(n: number): boolean {
    if (n >= BITS_MAX || !Number.isInteger(n) || n < 0) return this.big.has(n);
    const i = n >>> 3;
    return i < this.bits.length && (this.bits[i]! & (1 << (n & 7))) !== 0;
  }

  add(n: number): void {
    if (n >= BITS_MAX || !Number.isInteger(n) || n < 0) {
      this.big.add(n);
      return;
    }
    const i = n >>> 3;
    if (i >= this.bits.length) {
      const grown = new Uint8Array(Math.max(i + 1, this.bits.length * 2));
      grown.set(this.bits);
      this.bits = grown;
    }
    this.bits[i]! |= 1 << (n & 7);
  }
}
