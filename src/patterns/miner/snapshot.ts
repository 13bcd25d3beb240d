// Snapshots: the miner's state as a plain JSON-serialisable object, and the small store interface
// an adapter (Redis, memory) implements to keep it between runs.

import type { Cluster } from "./cluster.ts";
import type { MinerState } from "./miner.ts";

export const SNAPSHOT_VERSION = 1;

/** The persisted part of a cluster (memoised template and hole positions are rebuilt on restore). */
export type ClusterSnapshot = Pick<
  Cluster,
  "id" | "tokens" | "seps" | "free" | "count" | "sampleWords" | "merged" | "lastSeen"
>;

/** A deep copy of a cluster's persisted fields, used in both directions. */
function copyPersisted(c: ClusterSnapshot): ClusterSnapshot {
  return {
    id: c.id,
    tokens: [...c.tokens],
    seps: [...c.seps],
    free: [...c.free],
    count: c.count,
    sampleWords: [...c.sampleWords],
    merged: [...c.merged],
    lastSeen: c.lastSeen,
  };
}

export interface MinerSnapshot {
  version: typeof SNAPSHOT_VERSION;
  nextId: number;
  tick: number;
  /** Least recently used first. */
  clusters: ClusterSnapshot[];
}

/** Where snapshots are kept between runs; `load` resolves undefined when nothing was saved. */
export interface SnapshotStore {
  load(key: string): Promise<MinerSnapshot | undefined>;
  save(key: string, snapshot: MinerSnapshot): Promise<void>;
}

export function toSnapshot(state: MinerState): MinerSnapshot {
  return {
    version: SNAPSHOT_VERSION,
    nextId: state.nextId,
    tick: state.tick,
    clusters: state.clusters.map(copyPersisted),
  };
}

export function fromSnapshot(snapshot: MinerSnapshot): MinerState {
  if (snapshot.version !== SNAPSHOT_VERSION) {
    throw new Error(`unsupported miner snapshot version ${String(snapshot.version)}`);
  }
  const clusters: Cluster[] = snapshot.clusters.map((c) => {
    if (c.free.length !== c.tokens.length || c.seps.length !== Math.max(0, c.tokens.length - 1)) {
      throw new Error(`malformed miner snapshot: cluster ${c.id}`);
    }
    return {
      ...copyPersisted(c),
      template: undefined,
      holes: undefined,
      older: undefined,
      newer: undefined,
    };
  });
  return { nextId: snapshot.nextId, tick: snapshot.tick, clusters };
}
