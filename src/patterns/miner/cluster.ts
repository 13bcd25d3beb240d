// A cluster: one template (a word pattern per position), the separators to rebuild it, and which
// positions were generalised by the miner (those match by pattern; the others match exactly).

import { PLACEHOLDER } from "./config.ts";
import { captureInto, generalize, hasPlaceholder, matches } from "./pattern.ts";
import type { Words } from "./tokenize.ts";
import { joinWords } from "./tokenize.ts";

export interface Cluster {
  id: number;
  tokens: string[];
  seps: string[];
  /** `free[i]`: position i was generalised and accepts any word its pattern matches. */
  free: boolean[];
  count: number;
  /** Words of the first line that joined, to show sample parameters. */
  sampleWords: string[];
  /** Ids of clusters merged into this one; they resolve to this cluster. */
  merged: number[];
  /** Logical time of the last line, for least-recently-used eviction. */
  lastSeen: number;
  /** Memoised template string; cleared when the tokens change. */
  template?: string | undefined;
  /** Neighbours in the miner's least-recently-used list. */
  older?: Cluster | undefined;
  newer?: Cluster | undefined;
  /** Memoised positions holding a placeholder, each split at its holes; cleared with `template`. */
  holes?: Hole[] | undefined;
}

export interface Hole {
  at: number;
  /** The word split at its holes; undefined when the word is just `<*>`. */
  pieces: string[] | undefined;
}

/** The cluster's positions holding a placeholder; the array is never changed (a widened cluster gets a new one). */
export function holesOf(cluster: Cluster): readonly Hole[] {
  if (cluster.holes !== undefined) return cluster.holes;
  const holes: Hole[] = [];
  cluster.tokens.forEach((t, at) => {
    if (hasPlaceholder(t)) holes.push({ at, pieces: t === PLACEHOLDER ? undefined : t.split(PLACEHOLDER) });
  });
  cluster.holes = holes;
  return holes;
}

export function newCluster(id: number, masked: string[], words: string[], seps: string[], tick: number): Cluster {
  return {
    id,
    tokens: masked.slice(),
    seps: seps.slice(),
    free: masked.map(() => false),
    count: 0,
    sampleWords: words.slice(),
    merged: [],
    lastSeen: tick,
    template: undefined,
    holes: undefined,
    older: undefined,
    newer: undefined,
  };
}

export function templateString(cluster: Cluster): string {
  cluster.template ??= joinWords(cluster.tokens, cluster.seps);
  return cluster.template;
}

/** Whether the cluster accepts `word` (masked) at position i. */
export function acceptsAt(cluster: Cluster, i: number, word: string): boolean {
  const t = cluster.tokens[i];
  if (t === word) return true;
  return t !== undefined && cluster.free[i] === true && matches(t, word);
}

export function accepts(cluster: Cluster, masked: readonly string[]): boolean {
  const tokens = cluster.tokens;
  if (tokens.length !== masked.length) return false;
  for (let i = 0; i < tokens.length; i++) {
    const w = masked[i] as string;
    if (tokens[i] !== w && !acceptsAt(cluster, i, w)) return false;
  }
  return true;
}

/** Whether every line `other` accepts is also accepted by `cluster` (by template). */
export function subsumes(cluster: Cluster, other: Cluster): boolean {
  if (cluster.tokens.length !== other.tokens.length) return false;
  for (let i = 0; i < cluster.tokens.length; i++) {
    if (!acceptsAt(cluster, i, other.tokens[i] as string)) return false;
  }
  return true;
}

/** Widens the cluster at `positions` so it also accepts the given masked words. */
export function widen(cluster: Cluster, positions: readonly number[], masked: readonly string[]): void {
  for (const i of positions) {
    const t = cluster.tokens[i];
    const w = masked[i];
    if (t === undefined || w === undefined) continue;
    cluster.tokens[i] = generalize(t, w);
    cluster.free[i] = true;
  }
  cluster.template = undefined;
  cluster.holes = undefined;
}

/** The parameters a line (its original words) gives to the cluster's template, in order. */
export function paramsOf(cluster: Cluster, words: Words): string[] {
  return paramsAt(holesOf(cluster), words);
}

/** The parameters a line (its original words) gives to a template with these holes, in order. */
export function paramsAt(holes: readonly Hole[], words: Words): string[] {
  const out: string[] = [];
  for (const { at, pieces } of holes) {
    if (pieces === undefined || !words.capture(at, pieces, out)) out.push(words.word(at));
  }
  return out;
}

/** `Words` over a list of words. */
export function wordList(list: readonly string[]): Words {
  return {
    word: (i) => list[i] ?? "",
    capture: (i, pieces, out) => captureInto(pieces, list[i] ?? "", out),
  };
}
