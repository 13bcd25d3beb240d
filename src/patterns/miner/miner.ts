// The online template miner. Lines are grouped by word count; within a group a line joins the
// cluster whose template accepts it. Otherwise it is compared with the nearest cluster: positions
// that differ only by values (a placeholder on one side, `key=` values) are widened at once; a
// single differing word becomes a parameter once its position has shown enough distinct, rare
// values across the clusters that agree on everything else. Anything else starts a new cluster.
// Clusters are only ever merged, never split, so a line's cluster id stays valid: merged ids
// resolve to the surviving cluster and its final template.

import type { Cluster } from "./cluster.ts";
import { accepts, acceptsAt, newCluster, paramsOf, subsumes, templateString, widen, wordList } from "./cluster.ts";
import type { MinerConfig } from "./config.ts";
import { extractMessage, mayBeStructured } from "./extract.ts";
import { Group } from "./group.ts";
import { ClusterList } from "./lru.ts";
import { Masker } from "./mask.ts";
import { ExactLineMemo, LineMemo } from "./memo.ts";
import { hasPlaceholder, isEnumLike, looksLikeValueChange } from "./pattern.ts";
import { Mined, type MineResult, ParamReader } from "./result.ts";
import { Scanner } from "./tokenize.ts";

export interface ClusterInfo {
  id: number;
  template: string;
  count: number;
  sampleParams: string[];
}

/** The mutable state a snapshot captures. */
export interface MinerState {
  nextId: number;
  tick: number;
  /** Least recently used first. */
  clusters: Cluster[];
}

export class Miner {
  readonly config: MinerConfig;
  readonly #scanner: Scanner;
  /** All live clusters, least recently used first (a Map keeps insertion order). */
  readonly #clusters = new ClusterList();
  /** Live clusters by word count, oldest first. */
  readonly #groups = new Map<number, Group>();
  /** Merged or evicted-into ids → surviving id. */
  readonly #alias = new Map<number, number>();
  /** Masked line → cluster id; cleared whenever a template changes, so it never changes a decision. */
  readonly #lineCache: LineMemo;
  /** Raw line → cluster and parameters, valid within one generation. */
  readonly #exact: ExactLineMemo;
  /** Bumped whenever a template changes or a cluster goes (when #lineCache is cleared). */
  #gen = 0;
  readonly #reader: ParamReader;
  /** The message and fields of the line `#mine` last mined. */
  #message = "";
  #fields: Record<string, unknown> | undefined = undefined;
  #nextId = 1;
  #tick = 0;

  constructor(config: MinerConfig, state?: MinerState) {
    this.config = config;
    const masker = new Masker(config.masks, config.cacheSize);
    this.#scanner = new Scanner(masker, config.collapseRepeats, config.maxLineLength);
    this.#lineCache = new LineMemo(config.cacheSize);
    this.#exact = new ExactLineMemo(config.cacheSize);
    this.#reader = new ParamReader(masker, config);
    if (state !== undefined) this.#load(state);
  }

  add(line: string): MineResult {
    const cluster = this.#mine(line);
    const result = new Mined(cluster, this.#message, this.#reader);
    if (this.#fields !== undefined) result.fields = this.#fields;
    return result;
  }

  /** Mines one line like `add`, but hands back only the id of the cluster it joined. */
  train(line: string): number {
    return this.#mine(line).id;
  }

  /** Mines one line into its cluster; leaves its message and fields in #message and #fields. */
  #mine(line: string): Cluster {
    this.#message = line;
    this.#fields = undefined;
    const id = this.#exact.find(line, this.#gen);
    const cached = id < 0 ? undefined : this.#clusters.get(id);
    if (cached !== undefined) return this.#joined(cached);
    if (mayBeStructured(line)) {
      const { message, fields } = extractMessage(line, this.config.messageKeys);
      this.#message = message;
      this.#fields = fields;
    }
    const cluster = this.#assign(this.#scanner.scan(this.#message));
    // a long line is rare, and memoising it would keep all of it
    if (this.#fields === undefined && line.length <= this.config.maxLineLength) {
      this.#exact.set(line, this.#gen, cluster.id);
    }
    return this.#joined(cluster);
  }

  /** Counts a line into `cluster` and evicts beyond the limit. */
  #joined(cluster: Cluster): Cluster {
    cluster.count++;
    cluster.lastSeen = ++this.#tick;
    this.#clusters.touch(cluster);
    if (this.#clusters.size > this.config.maxClusters) this.#evictOldest();
    return cluster;
  }

  templateOf(clusterId: number): string | undefined {
    const cluster = this.#resolve(clusterId);
    return cluster === undefined ? undefined : templateString(cluster);
  }

  clusters(): ClusterInfo[] {
    return this.#clusters
      .values()
      .sort((a, b) => b.count - a.count || a.id - b.id)
      .map((c) => ({
        id: c.id,
        template: templateString(c),
        count: c.count,
        sampleParams: paramsOf(c, wordList(c.sampleWords)),
      }));
  }

  state(): MinerState {
    return { nextId: this.#nextId, tick: this.#tick, clusters: this.#clusters.values() };
  }

  #resolve(id: number): Cluster | undefined {
    return this.#clusters.get(this.#alias.get(id) ?? id);
  }

  #assign(scan: Scanner): Cluster {
    // a line of a kept shape has the masked words of the line kept, so joins the same cluster
    // within a generation, as #lineCache would tell
    const shape = scan.shape;
    if (shape !== undefined && shape.gen === this.#gen) {
      const known = this.#clusters.get(shape.id);
      if (known !== undefined) return known;
    }
    const cluster = this.#assignMasked(scan);
    if (shape !== undefined) {
      shape.gen = this.#gen;
      shape.id = cluster.id;
    }
    return cluster;
  }

  #assignMasked(scan: Scanner): Cluster {
    const cachedId = this.#lineCache.get(scan);
    if (cachedId !== undefined) {
      const cached = this.#resolve(cachedId);
      if (cached !== undefined) return cached;
    }
    const tokens = scan.tokens();
    const masked = tokens.masked;
    const group = this.#group(masked.length);
    const candidates = group.candidates(masked);
    let cluster = candidates.find((c) => accepts(c, masked)) ?? this.#mergeNearest(group, candidates, masked);
    if (cluster === undefined) {
      const sample = clipped(tokens.words, this.config.maxLineLength);
      cluster = newCluster(this.#nextId++, masked, sample, tokens.seps, this.#tick);
      group.add(cluster);
      this.#clusters.add(cluster);
    }
    this.#lineCache.set(scan, masked, cluster.id);
    return cluster;
  }

  /** Widens the nearest cluster to accept the line when the evidence says so; undefined otherwise. */
  #mergeNearest(group: Group, candidates: Cluster[], masked: string[]): Cluster | undefined {
    let best: Cluster | undefined;
    let bestDiff: number[] = [];
    for (const c of candidates) {
      const diff: number[] = [];
      for (let i = 0; i < masked.length; i++) {
        if (!acceptsAt(c, i, masked[i] as string)) {
          diff.push(i);
          if (best !== undefined && diff.length > bestDiff.length) break;
        }
      }
      if (
        best === undefined ||
        diff.length < bestDiff.length ||
        (diff.length === bestDiff.length && c.count > best.count)
      ) {
        best = c;
        bestDiff = diff;
      }
    }
    if (best === undefined) return undefined;
    const shared = sharedWords(best, bestDiff);
    if (shared < 1) return undefined;
    const strong: number[] = [];
    const weak: number[] = [];
    for (const i of bestDiff) {
      (looksLikeValueChange(best.tokens[i] as string, masked[i] as string) ? strong : weak).push(i);
    }
    if (weak.length > 1) return undefined;
    const [position] = weak;
    if (position !== undefined) {
      if (shared < this.config.minSharedWords) return undefined;
      if (!this.#variesLikeParameter(group, masked, position, strong)) return undefined;
    }
    group.reindex(best, () => widen(best, bestDiff, masked));
    this.#absorbInto(best, group);
    return best;
  }

  /**
   * Whether position `at` behaves like a parameter among the clusters that agree with the line
   * everywhere else: enough distinct values, and enough of them seen only once.
   */
  #variesLikeParameter(group: Group, masked: string[], at: number, ignore: number[]): boolean {
    const value = masked[at] as string;
    if (isEnumLike(value)) return false;
    const counts = new Map<string, number>([[value, 1]]);
    const skip = new Uint8Array(masked.length);
    for (const i of ignore) skip[i] = 1;
    skip[at] = 1;
    for (const c of group.members) {
      const other = c.tokens[at] as string;
      if (c.free[at] === true || hasPlaceholder(other)) continue;
      let agrees = true;
      for (let i = 0; i < masked.length && agrees; i++) {
        if (skip[i] === 0) agrees = acceptsAt(c, i, masked[i] as string);
      }
      if (agrees) counts.set(other, (counts.get(other) ?? 0) + c.count);
    }
    let rare = 0;
    for (const n of counts.values()) if (n <= 1) rare++;
    return counts.size >= this.config.minDistinctValues && rare >= this.config.minRareValues;
  }

  /** Merges into `target` every other cluster of the group its template now covers. */
  #absorbInto(target: Cluster, group: Group): void {
    this.#lineCache.clear();
    this.#gen++;
    for (const other of [...group.members]) {
      if (other === target || !subsumes(target, other)) continue;
      group.remove(other);
      this.#clusters.delete(other);
      target.count += other.count;
      target.lastSeen = Math.max(target.lastSeen, other.lastSeen);
      for (const id of [other.id, ...other.merged]) {
        this.#alias.set(id, target.id);
        target.merged.push(id);
      }
    }
  }

  #evictOldest(): void {
    const oldest = this.#clusters.oldest();
    if (oldest === undefined) return;
    this.#clusters.delete(oldest);
    this.#groups.get(oldest.tokens.length)?.remove(oldest);
    for (const id of oldest.merged) this.#alias.delete(id);
    this.#lineCache.clear();
    this.#gen++;
  }

  #load(state: MinerState): void {
    this.#nextId = state.nextId;
    this.#tick = state.tick;
    for (const c of [...state.clusters].sort((a, b) => a.lastSeen - b.lastSeen || a.id - b.id)) {
      this.#clusters.add(c);
      for (const id of c.merged) this.#alias.set(id, c.id);
    }
    for (const c of [...state.clusters].sort((a, b) => a.id - b.id)) {
      this.#group(c.tokens.length).add(c);
    }
  }

  #group(length: number): Group {
    let group = this.#groups.get(length);
    if (group === undefined) {
      group = new Group();
      this.#groups.set(length, group);
    }
    return group;
  }
}

/** Positions outside `diff` where the cluster has a constant word. */
function sharedWords(cluster: Cluster, diff: readonly number[]): number {
  const skip = new Set(diff);
  let n = 0;
  for (let i = 0; i < cluster.tokens.length; i++) {
    if (!skip.has(i) && !hasPlaceholder(cluster.tokens[i] as string)) n++;
  }
  return n;
}

/** The words with any longer than `max` (the rest of a long line, see tokenize.ts) cut to `max`. */
function clipped(words: string[], max: number): string[] {
  return words.some((w) => w.length > max) ? words.map((w) => (w.length > max ? w.slice(0, max) : w)) : words;
}
