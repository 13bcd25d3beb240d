/**
 * The last `capacity` lines of a hub, by offset, for clients that reconnect
 * and resume: what they missed is re-sent from here, or they are told how
 * many lines were beyond it. A ring: memory is bounded by the capacity.
 */
export class ReplayBuffer<T extends { offset: number }> {
  private readonly ring: Array<T | undefined>;
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.ring = new Array<T | undefined>(Math.max(1, capacity));
  }

  push(item: T): void {
    this.ring[this.next] = item;
    this.next = (this.next + 1) % this.ring.length;
    if (this.count < this.ring.length) this.count++;
  }

  /** Offset of the oldest line still held (undefined when empty). */
  get oldest(): number | undefined {
    return this.count === 0 ? undefined : this.at(0)?.offset;
  }

  get size(): number {
    return this.count;
  }

  /**
   * Lines after `offset`, oldest first, and how many lines after it are no
   * longer held (`missed`). Offsets are consecutive, so the gap is exact.
   */
  after(offset: number): { items: T[]; missed: number } {
    const items: T[] = [];
    let missed = 0;
    const oldest = this.oldest;
    if (oldest !== undefined && oldest > offset + 1) missed = oldest - offset - 1;
    // Offsets are consecutive: the first line after `offset` sits at a known index.
    const from = oldest === undefined ? 0 : Math.max(0, offset + 1 - oldest);
    for (let i = from; i < this.count; i++) {
      const item = this.at(i);
      if (item) items.push(item);
    }
    return { items, missed };
  }

  private at(i: number): T | undefined {
    const start = (this.next - this.count + this.ring.length) % this.ring.length;
    return this.ring[(start + i) % this.ring.length];
  }
}
