import { RE2JS } from "re2js";
import type { LabelFilter, Stage } from "../../../src/logql/index.ts";
import type { Leg } from "../../../src/query/pushdown.ts";

/**
 * Evaluates a mode's legs on one entry with Loki's semantics (Go RE2 via re2js): a label filter sees
 * stream labels and structured metadata (an absent label is ""; metadata named like a stream label is
 * renamed `<name>_extracted`), label regexes are anchored, line
 * filters with several values match when any value does.
 */
export interface Entry {
  line: string;
  labels?: Record<string, string>;
  metadata?: Record<string, string>;
}

const compiled = new Map<string, RE2JS>();
function re2(pattern: string): RE2JS {
  let r = compiled.get(pattern);
  if (!r) {
    r = RE2JS.compile(pattern);
    compiled.set(pattern, r);
  }
  return r;
}

export function labelFilterPasses(f: LabelFilter, labels: Record<string, string>): boolean {
  switch (f.type) {
    case "and":
      return f.filters.every((g) => labelFilterPasses(g, labels));
    case "or":
      return f.filters.some((g) => labelFilterPasses(g, labels));
    case "string": {
      const v = labels[f.label] ?? "";
      if (f.op === "=") return v === f.value;
      if (f.op === "!=") return v !== f.value;
      const hit = re2(`^(?:${f.value})$`).matcher(v).find();
      return f.op === "=~" ? hit : !hit;
    }
    default:
      throw new Error(`label filter ${f.type} is not simulated`);
  }
}

/** What a label filter sees: stream labels, and structured metadata renamed `<name>_extracted` when a stream label has its name. */
export function filterLabels(e: Entry): Record<string, string> {
  const out: Record<string, string> = { ...e.labels };
  for (const [k, v] of Object.entries(e.metadata ?? {})) out[k in out ? `${k}_extracted` : k] = v;
  return out;
}

function stagePasses(stage: Stage, e: Entry): boolean {
  if (stage.kind === "label_filter") return labelFilterPasses(stage.filter, filterLabels(e));
  if (stage.kind !== "line_filter") throw new Error(`stage ${stage.kind} is not simulated`);
  switch (stage.op) {
    case "|~":
      return stage.values.some((v) => re2(v).matcher(e.line).find());
    case "|=":
      return stage.values.some((v) => e.line.includes(v));
    default:
      throw new Error(`line filter ${stage.op} is not simulated`);
  }
}

export const legPasses = (leg: Leg, e: Entry): boolean => leg.every((s) => stagePasses(s, e));

/** The indexes of the legs that select the entry. */
export const legsSelecting = (legs: Leg[], e: Entry): number[] =>
  legs.flatMap((leg, i) => (legPasses(leg, e) ? [i] : []));
