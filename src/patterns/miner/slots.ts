// A small open-addressing hash table of entries that carry their own integer hash (`key`): the
// memo tables use it instead of a Map, since they already have the hash and check content
// themselves. Callers probe `table` from `key & mask` until an empty slot. It holds up to `limit`
// entries and is emptied when full.

export class Slots<T extends { key: number }> {
  table: Array<T | undefined> = empty(MIN_SLOTS);
  mask = MIN_SLOTS - 1;
  size = 0;
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  insert(entry: T): void {
    if (this.size >= this.#limit) this.clear();
    else if ((this.size + 1) * 2 > this.table.length) this.#grow();
    const { table, mask } = this;
    let i = entry.key & mask;
    while (table[i] !== undefined) i = (i + 1) & mask;
    table[i] = entry;
    this.size++;
  }

  clear(): void {
    if (this.size === 0) return;
    this.table = empty(MIN_SLOTS);
    this.mask = MIN_SLOTS - 1;
    this.size = 0;
  }

  #grow(): void {
    const old = this.table;
    this.table = empty(old.length * 2);
    this.mask = old.length * 2 - 1;
    this.size = 0;
    for (const e of old) if (e !== undefined) this.insert(e);
  }
}

const MIN_SLOTS = 64;

function empty<T>(n: number): Array<T | undefined> {
  return new Array<T | undefined>(n).fill(undefined);
}
