// Live clusters by id, in least-recently-used order: a Map for the ids and a doubly linked list
// threaded through the clusters for the order, so marking a cluster used costs a few pointer
// moves instead of a Map delete and insert per line.

import type { Cluster } from "./cluster.ts";

export class ClusterList {
  readonly #byId = new Map<number, Cluster>();
  #oldest: Cluster | undefined;
  #newest: Cluster | undefined;

  get size(): number {
    return this.#byId.size;
  }

  get(id: number): Cluster | undefined {
    return this.#byId.get(id);
  }

  oldest(): Cluster | undefined {
    return this.#oldest;
  }

  /** Adds `cluster` as the most recently used. */
  add(cluster: Cluster): void {
    this.#byId.set(cluster.id, cluster);
    this.#append(cluster);
  }

  /** Marks `cluster` (live) as the most recently used. */
  touch(cluster: Cluster): void {
    if (this.#newest === cluster) return;
    this.#unlink(cluster);
    this.#append(cluster);
  }

  delete(cluster: Cluster): void {
    if (this.#byId.get(cluster.id) !== cluster) return;
    this.#byId.delete(cluster.id);
    this.#unlink(cluster);
  }

  /** Least recently used first. */
  values(): Cluster[] {
    const out: Cluster[] = [];
    for (let c = this.#oldest; c !== undefined; c = c.newer) out.push(c);
    return out;
  }

  #append(cluster: Cluster): void {
    cluster.older = this.#newest;
    cluster.newer = undefined;
    if (this.#newest === undefined) this.#oldest = cluster;
    else this.#newest.newer = cluster;
    this.#newest = cluster;
  }

  #unlink(cluster: Cluster): void {
    const { older, newer } = cluster;
    if (older === undefined) this.#oldest = newer;
    else older.newer = newer;
    if (newer === undefined) this.#newest = older;
    else newer.older = older;
    cluster.older = undefined;
    cluster.newer = undefined;
  }
}
