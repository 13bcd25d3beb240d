import { budgetTooSmall, costOf, type Dropped, fitAndStamp, type Step } from "../query/budget.ts";
import { PatternsError } from "./errors.ts";

/**
 * Fits a /patterns answer into max_tokens: the least valuable parts go first
 * (full library entries become one-liners, parameter samples, extra examples,
 * Loki's smaller patterns, library entries, the rarest templates), and
 * `dropped` says what went.
 */

export interface PatternsDropped extends Dropped {
  /** Library patterns left out of the listing. */
  library: number;
  /** Rows of Loki's patterns left out. */
  loki_patterns: number;
  /** Templates whose parameter samples were left out. */
  params: number;
}

export const nonePatternsDropped = (): PatternsDropped => ({
  groups: 0,
  lines: 0,
  examples: 0,
  library: 0,
  loki_patterns: 0,
  params: 0,
  notes: [],
});

/** The parts of an answer the budget may trim. */
export interface Trimmable {
  library: { patterns: Array<{ description?: string; remediation?: string }> };
  learned?: Array<{ service: string; templates: Array<{ count: number; examples: string[]; params?: unknown[] }> }>;
  loki?: Array<{ patterns: unknown[] }>;
  hints: string[];
  dropped: PatternsDropped;
  tokens?: number;
  stats?: { truncated: boolean };
}

type Template = { count: number; examples: string[]; params?: unknown[] };

export function fitPatternsAnswer<T extends Trimmable>(answer: T, maxTokens: number): T {
  const d = answer.dropped;
  const steps = (answer.learned ?? []).length > 0 ? learnedSteps(answer) : librarySteps(answer);
  const scanTruncated = answer.stats?.truncated ?? false;
  const settle = () => {
    if (answer.stats) answer.stats.truncated = scanTruncated || d.groups + d.examples > 0;
  };
  const result = fitAndStamp(answer, maxTokens, steps, settle);
  if (!result.fits) {
    throw new PatternsError(
      "refused",
      "budget-too-small",
      "max_tokens too small",
      ...budgetTooSmall(result.need, maxTokens, "ask for less (one service, a category filter)"),
    );
  }
  return answer;
}

/** Library-only answers: shorten entries, then drop them, then extra hints. */
function librarySteps(answer: Trimmable): Step[] {
  const library = libraryTrim(answer);
  return [library.compact, library.drop, hintDropper(answer)];
}

/** With learned templates: the cheapest losses first, the rarest templates last. */
function learnedSteps(answer: Trimmable): Step[] {
  const d = answer.dropped;
  const learned = answer.learned ?? [];
  const removed = new WeakSet<Template>();
  const library = libraryTrim(answer);

  const dropParams = rarestFirst(learned, removed, (t) => {
    if (t.params === undefined) return false;
    const cost = costOf(t.params) + 2;
    delete t.params;
    d.params++;
    setNote(d, "params", `parameter samples of the ${d.params} rarest template(s)`);
    return cost;
  });
  const dropExample = (keep: number) =>
    rarestFirst(learned, removed, (t) => {
      if (t.examples.length <= keep) return false;
      d.examples++;
      return costOf(t.examples.pop());
    });
  const dropLoki = () => {
    let section: { patterns: unknown[] } | undefined;
    for (const s of answer.loki ?? []) if (!section || s.patterns.length > section.patterns.length) section = s;
    if (!section || section.patterns.length === 0) return false;
    d.loki_patterns++;
    setNote(d, "loki", `Loki's ${d.loki_patterns} smallest pattern(s)`);
    return costOf(section.patterns.pop());
  };
  const dropTemplate = (keepPerService: number) => () => {
    let pick: { templates: Template[] } | undefined;
    for (const s of learned) {
      const last = s.templates.at(-1);
      if (!last || s.templates.length <= keepPerService) continue;
      if (!pick || last.count < pick.templates.at(-1)!.count) pick = s;
    }
    if (!pick) return false;
    const t = pick.templates.pop()!;
    removed.add(t);
    d.groups++;
    d.lines += t.count;
    setNote(d, "templates", `the ${d.groups} rarest template(s), ${d.lines} line(s) in all`);
    return costOf(t);
  };
  return [
    library.compact,
    dropParams,
    dropExample(1),
    dropLoki,
    library.drop,
    dropTemplate(1),
    dropExample(0),
    dropTemplate(0),
    hintDropper(answer),
  ];
}

/**
 * A step that applies `trim` to the templates from the last (rarest) to the
 * first, in the order the services list them, moving on when `trim` returns
 * false; it remembers where it stopped, so n templates cost O(n) in all.
 */
function rarestFirst(
  learned: Array<{ templates: Template[] }>,
  removed: WeakSet<Template>,
  trim: (t: Template) => number | false,
): Step {
  let order: Template[] | undefined;
  let i = 0;
  return () => {
    if (!order) {
      order = learned.flatMap((s) => s.templates).reverse();
      i = 0;
    }
    for (; i < order.length; i++) {
      const t = order[i]!;
      if (removed.has(t)) continue;
      const cost = trim(t);
      if (cost !== false) return cost;
    }
    return false;
  };
}

/** Library entries shortened to id/title from the last one, then left out from the last one. */
function libraryTrim(answer: Trimmable): { compact: Step; drop: Step } {
  const d = answer.dropped;
  const entries = answer.library.patterns;
  let compacted = 0;
  let next = entries.length - 1;
  const note = () =>
    setNote(
      d,
      "library",
      `${compacted} library entr${compacted === 1 ? "y" : "ies"} shortened to id/title${d.library ? `, ${d.library} left out` : ""}; read them with /patterns?category=…`,
    );
  const compact = () => {
    for (next = Math.min(next, entries.length - 1); next >= 0; next--) {
      const e = entries[next]!;
      if (e.description === undefined && e.remediation === undefined) continue;
      const cost = costOf({ description: e.description, remediation: e.remediation });
      delete e.description;
      delete e.remediation;
      compacted++;
      note();
      return cost;
    }
    return false;
  };
  const drop = () => {
    if (entries.length === 0) return false;
    const e = entries.pop();
    d.library++;
    note();
    return costOf(e);
  };
  return { compact, drop };
}

const hintDropper = (answer: Trimmable) => () => (answer.hints.length > 1 ? costOf(answer.hints.pop()) : false);

/** One note per kind of removal, updated in place. */
function setNote(dropped: Dropped, kind: string, text: string) {
  const prefix = `${kind}: `;
  const i = dropped.notes.findIndex((n) => n.startsWith(prefix));
  if (i >= 0) dropped.notes[i] = prefix + text;
  else dropped.notes.push(prefix + text);
}
