import { findMentions } from "../correlate/mentions.ts";
import type { PatternLibrary } from "../patterns/library/index.ts";
import type { Severity } from "../patterns/library/schema.ts";
import { MINED_TEXT_MINER } from "../patterns/message.ts";
import { createMiner } from "../patterns/miner/index.ts";
import type { Level } from "../query/lines.ts";
import { bonferroni, rateIncreaseP } from "./stats.ts";

/**
 * Templates of the window against the baseline (a pure core over lines already read and parsed). Both sides
 * are mined by ONE miner, baseline first, so a template is "new" only when its cluster has no baseline line:
 * a new value of a parameter joins the existing cluster and is not new. Counts per service and cluster on
 * each side; a cluster present on both sides is `rising` when the window's rate is significantly above the
 * baseline's (exact test of two Poisson rates, Bonferroni over the clusters tested), else `steady`.
 */

/** A problem line as the analysis reads it. */
export interface ProblemLine {
  /** ms since the epoch */
  ts: number;
  service: string;
  level: Level;
  line: string;
  /** What the miner reads (`minedText`). */
  mined: string;
  message: string;
  fields: Record<string, unknown>;
  labels: Record<string, string>;
}

export type TemplateKind = "new" | "rising" | "steady";

export interface TemplateStat {
  kind: TemplateKind;
  service: string;
  template: string;
  /** The most severe level among its window lines. */
  level: Level;
  window: number;
  baseline: number;
  /** Window rate / baseline rate (a baseline of 0 counts as one line). */
  ratio: number;
  /** Corrected one-sided p-value of the increase (clusters on both sides only). */
  pValue?: number | undefined;
  firstSeen: number;
  examples: string[];
  /** Other services the window's lines of this template name as their callee. */
  mentions: string[];
}

export interface Durations {
  windowMs: number;
  baselineMs: number;
}

/** Significance level of `rising`, after correction. */
export const RISING_ALPHA = 0.01;
const EXAMPLES = 3;
/** Clusters one analysis keeps (the miner's own bound on memory). */
const MAX_CLUSTERS = 5_000;

const LEVEL_ORDER: Level[] = ["fatal", "error", "warn", "info", "debug", "trace", "unknown"];
export const worseLevel = (a: Level, b: Level): Level => (LEVEL_ORDER.indexOf(a) <= LEVEL_ORDER.indexOf(b) ? a : b);

interface Cell {
  service: string;
  clusterIds: number[];
  window: ProblemLine[];
  baseline: number;
}

export function compareTemplates(
  window: readonly ProblemLine[],
  baseline: readonly ProblemLine[],
  durations: Durations,
  knownServices: string[],
): TemplateStat[] {
  const miner = createMiner({ ...MINED_TEXT_MINER, maxClusters: MAX_CLUSTERS });
  const baseIds = baseline.map((l) => miner.train(l.mined));
  const windowIds = window.map((l) => miner.train(l.mined));
  // Group by service and the clusters' final templates (ids of merged clusters resolve to the survivor's).
  const cells = new Map<string, Cell>();
  const cellOf = (line: ProblemLine, id: number): Cell => {
    const template = miner.templateOf(id) ?? line.mined;
    const key = `${line.service}\u0000${template}`;
    let cell = cells.get(key);
    if (!cell) {
      cell = { service: line.service, clusterIds: [id], window: [], baseline: 0 };
      cells.set(key, cell);
    }
    return cell;
  };
  baseline.forEach((l, i) => {
    cellOf(l, baseIds[i]!).baseline++;
  });
  window.forEach((l, i) => {
    cellOf(l, windowIds[i]!).window.push(l);
  });
  const present = [...cells.entries()].filter(([, c]) => c.window.length > 0);
  const tested = present.filter(([, c]) => c.baseline > 0).length;
  return present.map(([key, cell]) =>
    statOf(key.slice(key.indexOf("\u0000") + 1), cell, durations, tested, knownServices),
  );
}

function statOf(template: string, cell: Cell, d: Durations, tested: number, known: string[]): TemplateStat {
  const k = cell.window.length;
  const b = cell.baseline;
  const ratio = k / d.windowMs / (Math.max(b, 1) / d.baselineMs);
  let kind: TemplateKind = "new";
  let pValue: number | undefined;
  if (b > 0) {
    pValue = bonferroni(rateIncreaseP(k, d.windowMs, b, d.baselineMs), tested);
    kind = pValue < RISING_ALPHA ? "rising" : "steady";
  }
  const mentions = new Set<string>();
  let level: Level = "unknown";
  let firstSeen = Number.POSITIVE_INFINITY;
  for (const l of cell.window) {
    level = worseLevel(level, l.level);
    firstSeen = Math.min(firstSeen, l.ts);
    for (const m of findMentions(cell.service, l.message, l.fields, known)) mentions.add(m);
  }
  return {
    kind,
    service: cell.service,
    template,
    level,
    window: k,
    baseline: b,
    ratio: Math.round(ratio * 100) / 100,
    pValue,
    firstSeen,
    examples: distinctExamples(cell.window),
    mentions: [...mentions].sort(),
  };
}

/** Up to three example lines, distinct when the template has distinct lines. */
function distinctExamples(lines: readonly ProblemLine[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    if (!out.includes(l.line)) out.push(l.line);
    if (out.length >= EXAMPLES) break;
  }
  return out;
}

export interface LibraryHit {
  id: string;
  title: string;
  severity: Severity;
  remediation: string;
  window: number;
  baseline: number;
  services: string[];
  firstSeen: number;
  examples: string[];
  /** Corrected one-sided p-value of the increase over the baseline (hits seen in the baseline only). */
  pValue?: number | undefined;
}

/** The window's lines that match the failure pattern library, by pattern (most severe match per line). */
export function libraryHits(
  library: Pick<PatternLibrary, "best" | "get">,
  window: readonly ProblemLine[],
  baseline: readonly ProblemLine[],
  durations: Durations,
): LibraryHit[] {
  const hits = new Map<string, LibraryHit & { lines: ProblemLine[] }>();
  for (const l of window) {
    const m = library.best(l.line);
    if (!m) continue;
    let hit = hits.get(m.id);
    if (!hit) {
      const remediation = library.get(m.id)?.remediation ?? "";
      hit = {
        id: m.id,
        title: m.title,
        severity: m.severity,
        remediation,
        window: 0,
        baseline: 0,
        services: [],
        firstSeen: l.ts,
        examples: [],
        lines: [],
      };
      hits.set(m.id, hit);
    }
    hit.window++;
    hit.firstSeen = Math.min(hit.firstSeen, l.ts);
    if (!hit.services.includes(l.service)) hit.services.push(l.service);
    hit.lines.push(l);
  }
  for (const l of baseline) {
    const m = hits.size > 0 ? library.best(l.line) : undefined;
    const hit = m && hits.get(m.id);
    if (hit) hit.baseline++;
  }
  const tested = [...hits.values()].filter((h) => h.baseline > 0).length;
  return [...hits.values()].map(({ lines, ...hit }) => {
    const p =
      hit.baseline > 0 ? rateIncreaseP(hit.window, durations.windowMs, hit.baseline, durations.baselineMs) : undefined;
    return { ...hit, examples: distinctExamples(lines), pValue: p === undefined ? undefined : bonferroni(p, tested) };
  });
}
