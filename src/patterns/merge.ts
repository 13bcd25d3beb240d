import {
  type ClusterSnapshot,
  createMiner,
  type MinerConfig,
  type MinerSnapshot,
  restoreMiner,
} from "./miner/index.ts";

/**
 * Merges what one miner learned (`delta`) into another miner's state (`base`),
 * as API instances sharing a cache do: each of the delta's templates is mined
 * by a miner restored from `base`, so it joins the cluster that already covers
 * it (or widens the nearest one, or starts its own), and that cluster's count
 * grows by the delta's count, once. The result is bounded as any miner is
 * (`maxClusters`, least recently used first; the delta's most frequent
 * templates are mined last so they are the most recent). A pure core: the
 * inputs are not changed.
 */
export function mergeSnapshots(
  base: MinerSnapshot | undefined,
  delta: MinerSnapshot,
  config?: Partial<MinerConfig>,
): MinerSnapshot {
  const target = base === undefined ? createMiner(config) : restoreMiner(base, config);
  const fed = restoreMiner(delta, config).clusters(); // most frequent first
  const extra: Array<[clusterId: number, count: number]> = [];
  for (let i = fed.length - 1; i >= 0; i--) {
    const cluster = fed[i]!;
    extra.push([target.train(cluster.template), cluster.count - 1]); // train counted one line
  }
  const snapshot = target.snapshot();
  // A cluster id may have been merged into another since: it resolves through `merged`.
  const byId = new Map<number, ClusterSnapshot>();
  for (const c of snapshot.clusters) {
    byId.set(c.id, c);
    for (const id of c.merged) byId.set(id, c);
  }
  for (const [id, count] of extra) {
    const cluster = byId.get(id);
    if (cluster !== undefined) cluster.count += count; // undefined: evicted by the bound meanwhile
  }
  return snapshot;
}

/** The lines a snapshot has counted. */
export const linesIn = (snapshot: MinerSnapshot): number => snapshot.clusters.reduce((n, c) => n + c.count, 0);
