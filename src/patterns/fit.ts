import { type Dropped, fitToBudget, stampTokens } from "../query/budget.ts";
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

export function fitPatternsAnswer<T extends Trimmable>(answer: T, maxTokens: number): T {
  const d = answer.dropped;
  const entries = answer.library.patterns;
  const learned = answer.learned ?? [];
  const templates = () => learned.flatMap((s) => s.templates);
  const hasLearned = learned.length > 0;

  let compacted = 0;
  const compactLibrary = () => {
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i]!;
      if (e.description !== undefined || e.remediation !== undefined) {
        delete e.description;
        delete e.remediation;
        setNote(d, "library", libraryNote(d));
        compacted++;
        return true;
      }
    }
    return false;
  };
  const libraryNote = (x: PatternsDropped) =>
    `${compacted} library entr${compacted === 1 ? "y" : "ies"} shortened to id/title${x.library ? `, ${x.library} left out` : ""}; read them with /patterns?category=…`;
  const dropLibrary = () => {
    if (entries.length === 0) return false;
    entries.pop();
    d.library++;
    setNote(d, "library", libraryNote(d));
    return true;
  };
  const dropParams = () => {
    const t = [...templates()].reverse().find((x) => x.params !== undefined);
    if (!t) return false;
    delete t.params;
    d.params++;
    setNote(d, "params", `parameter samples of the ${d.params} rarest template(s)`);
    return true;
  };
  const dropExample = (keep: number) => () => {
    const t = [...templates()].reverse().find((x) => x.examples.length > keep);
    if (!t) return false;
    t.examples.pop();
    d.examples++;
    return true;
  };
  const dropLoki = () => {
    const section = [...(answer.loki ?? [])].sort((a, b) => b.patterns.length - a.patterns.length)[0];
    if (!section || section.patterns.length === 0) return false;
    section.patterns.pop();
    d.loki_patterns++;
    setNote(d, "loki", `Loki's ${d.loki_patterns} smallest pattern(s)`);
    return true;
  };
  const dropTemplate = (keepPerService: number) => () => {
    let pick: { templates: Array<{ count: number }> } | undefined;
    for (const s of learned) {
      const last = s.templates.at(-1);
      if (!last || s.templates.length <= keepPerService) continue;
      if (!pick || last.count < pick.templates.at(-1)!.count) pick = s;
    }
    if (!pick) return false;
    const t = pick.templates.pop()!;
    d.groups++;
    d.lines += t.count;
    setNote(d, "templates", `the ${d.groups} rarest template(s), ${d.lines} line(s) in all`);
    return true;
  };
  const dropHint = () => (answer.hints.length > 1 ? Boolean(answer.hints.pop()) : false);

  const steps = hasLearned
    ? [
        compactLibrary,
        dropParams,
        dropExample(1),
        dropLoki,
        dropLibrary,
        dropTemplate(1),
        dropExample(0),
        dropTemplate(0),
        dropHint,
      ]
    : [compactLibrary, dropLibrary, dropHint];

  answer.tokens = 999_999; // the widest value `tokens` takes, so stamping it later cannot overflow
  const scanTruncated = answer.stats?.truncated ?? false;
  const result = fitToBudget(answer, maxTokens, steps);
  const mark = () => {
    if (answer.stats) answer.stats.truncated = scanTruncated || d.groups + d.examples > 0;
  };
  mark();
  let tokens = stampTokens(answer);
  while (tokens > maxTokens) {
    if (!steps.some((step) => step())) {
      const need = Math.max(tokens, result.tokens);
      throw new PatternsError(
        "refused",
        "budget-too-small",
        "max_tokens too small",
        `even trimmed to its skeleton this answer needs ${need} tokens, more than max_tokens=${maxTokens}`,
        `Raise max_tokens to at least ${Math.ceil(need * 1.1)}, or ask for less (one service, a category filter).`,
      );
    }
    mark();
    tokens = stampTokens(answer);
  }
  return answer;
}

/** One note per kind of removal, updated in place. */
function setNote(dropped: Dropped, kind: string, text: string) {
  const prefix = `${kind}: `;
  const i = dropped.notes.findIndex((n) => n.startsWith(prefix));
  if (i >= 0) dropped.notes[i] = prefix + text;
  else dropped.notes.push(prefix + text);
}
