import { clipExample } from "../query/lines.ts";
import type { Ranked } from "./rank.ts";
import type { Finding, FindingSeverity } from "./schemas.ts";
import type { Spike } from "./spikes.ts";
import type { LibraryHit, TemplateStat } from "./templates.ts";

/**
 * Findings as the answer shows them: each ranked item with its severity, summary, evidence (LogQL, up to
 * three clipped examples, the figures) and what to do next.
 */

/** Longest example line a finding shows. */
export const FINDING_EXAMPLE_CHARS = 300;

export interface FindingContext {
  /** LogQL selecting a service's lines, with a literal part of the template when one is given. */
  logqlFor: (service: string, template?: string) => string;
  /** LogQL of a spike's series. */
  spikeLogql: (spike: Spike) => string;
}

const LEVEL_SEVERITY: Record<string, FindingSeverity> = { fatal: "critical", error: "high", warn: "medium" };
const BUMP: Record<FindingSeverity, FindingSeverity> = {
  critical: "critical",
  high: "critical",
  medium: "high",
  low: "medium",
};
const clip = (lines: string[]) => lines.slice(0, 3).map((l) => clipExample(l, FINDING_EXAMPLE_CHARS));
const round = (p: number) => Number(p.toPrecision(3));

export function toFinding(r: Ranked, ctx: FindingContext): Finding {
  switch (r.item.type) {
    case "template":
      return templateFinding(r, r.item.stat, ctx);
    case "library":
      return libraryFinding(r.item.hit, r.tier === "steady", ctx);
    case "spike":
      return spikeFinding(r.item.spike, ctx);
    case "finding":
      return r.item.finding;
  }
}

function templateFinding(r: Ranked, s: TemplateStat, ctx: FindingContext): Finding {
  const base = LEVEL_SEVERITY[s.level] ?? "low";
  const evidence: Finding["evidence"] = {
    logql: ctx.logqlFor(s.service, s.template),
    examples: clip(s.examples),
    count: s.window,
    baseline_count: s.baseline,
    ratio: s.ratio,
    ...(s.pValue !== undefined ? { p_value: round(s.pValue) } : {}),
    first_seen: isoFromMs(s.firstSeen),
  };
  const head = { kind: s.kind, service: s.service, template: clipExample(s.template, FINDING_EXAMPLE_CHARS), evidence };
  const since = `mode=troubleshoot&service=${s.service}&start=${isoFromMs(s.firstSeen)}`;
  switch (r.tier) {
    case "cause":
      return {
        ...head,
        severity: BUMP[base],
        summary: `Likely cause: ${s.kind} ${s.level} template at ${s.service} (${s.window} lines, first at ${isoFromMs(s.firstSeen)}); ${r.upstream.join(", ")} fail${r.upstream.length === 1 ? "s" : ""} calling it.`,
        recommendation: `Start at ${s.service}: its failure explains the errors of ${r.upstream.join(", ")}. Read its lines (/query?${since}).`,
      };
    case "symptom":
      return {
        ...head,
        severity: base,
        summary: `${cap(s.kind)} ${s.level} template at ${s.service} (${s.window} lines) naming ${r.blames.join(", ")}, which ${r.blames.length === 1 ? "has" : "have"} new problems of ${r.blames.length === 1 ? "its" : "their"} own.`,
        recommendation: `Likely a symptom of ${r.blames.join(", ")}: look there first.`,
      };
    case "steady":
      return {
        ...head,
        severity: "low",
        summary: `Steady ${s.level} template at ${s.service}: ${s.window} lines, ${s.baseline} in the baseline (ratio ${s.ratio}).`,
        recommendation:
          "Present at the same rate before: not what changed. Ignore it unless it is what you are asked about.",
      };
    case "rising":
      return {
        ...head,
        severity: base,
        summary: `Rising ${s.level} template at ${s.service}: ${s.window} lines against ${s.baseline} in the baseline (${s.ratio}× the rate).`,
        recommendation: `Find what changed at ${s.service} around ${isoFromMs(s.firstSeen)} (/query?${since}).`,
      };
    default:
      return {
        ...head,
        severity: base,
        summary: `New ${s.level} template at ${s.service}: ${s.window} lines, none in the baseline; first at ${isoFromMs(s.firstSeen)}.`,
        recommendation: `Read the lines around its first occurrence (/query?${since}); check deploys or config changes at ${s.service}.`,
      };
  }
}

function libraryFinding(h: LibraryHit, steady: boolean, ctx: FindingContext): Finding {
  const services = h.services.join(", ");
  const rate = steady ? ", at its baseline rate" : "";
  return {
    kind: "library",
    service: h.services[0] ?? "unknown",
    severity: steady ? "low" : h.severity,
    summary: `Known failure "${h.title}" (${h.id}): ${h.window} lines at ${services}, first at ${isoFromMs(h.firstSeen)} (${h.baseline} in the baseline${rate}).`,
    evidence: {
      logql: ctx.logqlFor(h.services[0] ?? "unknown"),
      examples: clip(h.examples),
      count: h.window,
      baseline_count: h.baseline,
      ...(h.pValue !== undefined ? { p_value: round(h.pValue) } : {}),
      first_seen: isoFromMs(h.firstSeen),
    },
    recommendation: h.remediation,
  };
}

function spikeFinding(s: Spike, ctx: FindingContext): Finding {
  const what = s.what === "errors" ? "Error lines" : "Log volume";
  return {
    kind: "spike",
    service: s.service,
    severity: s.what === "errors" ? "high" : "medium",
    summary: `${what} at ${s.service} spiked to ${s.peak} per bucket (baseline median ${s.baselineMedian}, robust z ${s.z}), from ${isoFromMs(s.firstBucket)}.`,
    evidence: { logql: ctx.spikeLogql(s), examples: [], values: s.values, first_seen: isoFromMs(s.firstBucket) },
    recommendation: `See the new and rising templates of ${s.service} from ${isoFromMs(s.firstBucket)} (/query?mode=${s.what === "errors" ? "errors" : "troubleshoot"}&service=${s.service}&start=${isoFromMs(s.firstBucket)}).`,
  };
}

const isoFromMs = (ms: number): string => new Date(ms).toISOString();
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
