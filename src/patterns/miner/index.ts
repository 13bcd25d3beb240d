// Public API of the online log template miner (a pure core: no I/O, no runtime dependencies).

import type { MinerConfig } from "./config.ts";
import { resolveConfig } from "./config.ts";
import type { ClusterInfo } from "./miner.ts";
import { Miner } from "./miner.ts";
import type { MineResult } from "./result.ts";
import type { MinerSnapshot } from "./snapshot.ts";
import { fromSnapshot, toSnapshot } from "./snapshot.ts";

export type { MaskRule, MinerConfig } from "./config.ts";
export { DEFAULT_MINER_CONFIG, MASKS, PLACEHOLDER } from "./config.ts";
export type { Extracted } from "./extract.ts";
export { extractMessage } from "./extract.ts";
export type { ClusterInfo } from "./miner.ts";
export type { MineResult } from "./result.ts";
export type { ParseScore } from "./score.ts";
export { scoreTemplates } from "./score.ts";
export type { ClusterSnapshot, MinerSnapshot, SnapshotStore } from "./snapshot.ts";
export { splitPunctuation } from "./tokenize.ts";

export interface TemplateMiner {
  /** Mines one line: the cluster it joined, that cluster's current template, the line's parameters. */
  add(line: string): MineResult;
  /** Mines one line exactly as `add` does, handing back only the id of the cluster it joined. */
  train(line: string): number;
  /** The current template of a cluster; ids of merged clusters resolve to the survivor. */
  templateOf(clusterId: number): string | undefined;
  /** Live clusters, most frequent first. */
  clusters(): ClusterInfo[];
  /** The state as a plain JSON-serialisable object. */
  snapshot(): MinerSnapshot;
}

function wrap(miner: Miner): TemplateMiner {
  return {
    add: (line) => miner.add(line),
    train: (line) => miner.train(line),
    templateOf: (id) => miner.templateOf(id),
    clusters: () => miner.clusters(),
    snapshot: () => toSnapshot(miner.state()),
  };
}

export function createMiner(config?: Partial<MinerConfig>): TemplateMiner {
  return wrap(new Miner(resolveConfig(config)));
}

/** A miner that continues exactly where the snapshot's miner stopped (given the same config). */
export function restoreMiner(snapshot: MinerSnapshot, config?: Partial<MinerConfig>): TemplateMiner {
  return wrap(new Miner(resolveConfig(config), fromSnapshot(snapshot)));
}
