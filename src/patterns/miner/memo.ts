// Masked line → cluster id: the exact-line fast path. Keyed by the line's hash (a small integer,
// cheap to look up) and checked word by word, so a collision never changes a decision.

interface Entry {
  masked: readonly string[];
  id: number;
  next: Entry | undefined;
}

export class LineMemo {
  readonly #table = new Map<number, Entry>();
  readonly #limit: number;
  #size = 0;

  /** Holds up to `limit` lines (at least one); it is emptied when full. */
  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  /** The id memoised for the line `scan` holds (its hash and masked words). */
  get(scan: { hash: number; sameAs(masked: readonly string[]): boolean }): number | undefined {
    for (let e = this.#table.get(scan.hash); e !== undefined; e = e.next) {
      if (scan.sameAs(e.masked)) return e.id;
    }
    return undefined;
  }

  set(masked: readonly string[], hash: number, id: number): void {
    const head = this.#table.get(hash);
    for (let e = head; e !== undefined; e = e.next) {
      if (!sameWords(e.masked, masked)) continue;
      e.id = id;
      return;
    }
    if (this.#size >= this.#limit) {
      this.clear();
      this.#table.set(hash, { masked, id, next: undefined });
    } else {
      this.#table.set(hash, { masked, id, next: head });
    }
    this.#size++;
  }

  clear(): void {
    this.#table.clear();
    this.#size = 0;
  }
}

function sameWords(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
