// The clusters of one word count, indexed by (position, exact word) so a line is compared only
// with clusters that share at least one exactly-matched word with it (or have none at all).

import type { Cluster } from "./cluster.ts";

export class Group {
  /** Oldest first; the order in which candidates are tried. */
  readonly members: Cluster[] = [];
  readonly #index = new Map<string, Set<Cluster>>();
  /** Clusters whose every position is generalised: they can match any line. */
  readonly #open = new Set<Cluster>();
  /** Whether the index is kept; it is built only once the group outgrows a plain scan. */
  #indexed = false;

  add(cluster: Cluster): void {
    this.members.push(cluster);
    if (this.#indexed) this.#indexCluster(cluster);
  }

  remove(cluster: Cluster): void {
    const at = this.members.indexOf(cluster);
    if (at >= 0) this.members.splice(at, 1);
    if (this.#indexed) this.#unindexCluster(cluster);
  }

  /** Call around a change of the cluster's tokens. */
  reindex(cluster: Cluster, change: () => void): void {
    if (this.#indexed) this.#unindexCluster(cluster);
    change();
    if (this.#indexed) this.#indexCluster(cluster);
  }

  /** Clusters sharing an exactly-matched word with the line, oldest first. */
  candidates(masked: readonly string[]): Cluster[] {
    if (this.members.length <= SCAN_LIMIT) return this.members.filter((c) => sharesExactWord(c, masked));
    if (!this.#indexed) {
      this.#indexed = true;
      for (const c of this.members) this.#indexCluster(c);
    }
    const found = new Set<Cluster>(this.#open);
    for (let i = 0; i < masked.length; i++) {
      const hits = this.#index.get(key(i, masked[i] as string));
      if (hits !== undefined) for (const c of hits) found.add(c);
    }
    return [...found].sort((a, b) => a.id - b.id);
  }

  #indexCluster(cluster: Cluster): void {
    let exact = 0;
    for (let i = 0; i < cluster.tokens.length; i++) {
      if (cluster.free[i] === true) continue;
      exact++;
      const k = key(i, cluster.tokens[i] as string);
      const set = this.#index.get(k) ?? new Set<Cluster>();
      set.add(cluster);
      this.#index.set(k, set);
    }
    if (exact === 0) this.#open.add(cluster);
  }

  #unindexCluster(cluster: Cluster): void {
    this.#open.delete(cluster);
    for (let i = 0; i < cluster.tokens.length; i++) {
      if (cluster.free[i] === true) continue;
      const k = key(i, cluster.tokens[i] as string);
      const set = this.#index.get(k);
      if (set === undefined) continue;
      set.delete(cluster);
      if (set.size === 0) this.#index.delete(k);
    }
  }
}

/** Up to this many members, a scan is cheaper than the index (and gives the same answer). */
const SCAN_LIMIT = 48;

function sharesExactWord(cluster: Cluster, masked: readonly string[]): boolean {
  let open = true;
  for (let i = 0; i < cluster.tokens.length; i++) {
    if (cluster.free[i] === true) continue;
    if (cluster.tokens[i] === masked[i]) return true;
    open = false;
  }
  return open;
}

function key(position: number, word: string): string {
  return `${position}\u0000${word}`;
}
