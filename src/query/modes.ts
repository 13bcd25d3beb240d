import {
  checkRegex,
  contains,
  type LogQuery,
  logQuery,
  type Matcher,
  matches,
  re,
  type Selector,
  type Stage,
} from "../logql/index.ts";
import { isProblemLevel, type ParsedLine } from "./lines.ts";
import { FAST_LEGS, LEGS, type Leg } from "./pushdown.ts";

/**
 * Each mode is a set of LogQL queries pushed down to Loki (together a superset, cheap to run; see
 * pushdown.ts) and a local check that confirms what the mode means on the parsed line.
 */
export const MODES = ["troubleshoot", "performance", "errors", "audit", "conversation", "raw"] as const;
export type Mode = (typeof MODES)[number];

// The local text checks. pushdown.ts spells the same words as literals Loki runs fast; the unit tests
// (query-pushdown.test.ts) fail when a line these keep is no longer pushed down.
const ERROR_WORDS = 'err|eror|fatal|crit|panic|exception|fail|traceback|stack ?trace|emerg|alert|"level":\\s*[56][0-9]';
const TROUBLE_WORDS = `${ERROR_WORDS}|"level":\\s*4[0-9]|warn|timeout|timed out|deadline|refused|unavailable|unreachable|exhausted|denied|expired|reset by peer|too many|rejected|cannot|could not|unable|(status|code)["=: ]+5[0-9][0-9]|(^|[ /(])5[0-9][0-9]([ ,;)]|$)`;
const AUDIT_WORDS =
  "\\b(login|logout|logged in|log in|sign ?in|sign ?out|authenticat\\w*|authoriz\\w*|unauthori[sz]ed|forbidden|permission|access denied|denied|password|mfa|2fa|api[ _-]?key|token (created|revoked|issued)|role|grant|granted|revoke|revoked|privilege|admin|sudo|config(uration)? (change|changed|update|updated|reload)|setting changed|policy|audit)\\b";

export const TEXT = {
  error: new RegExp(`(${ERROR_WORDS.replace("err|", "error|")})`, "i"),
  exception: /(exception|panic|traceback|stack ?trace|\bfailed\b|\bfailure\b|\bfatal\b)/i,
  trouble: new RegExp(`(${TROUBLE_WORDS.replace("err|", "error|")})`, "i"),
  audit: new RegExp(`(${AUDIT_WORDS})`, "i"),
};

export interface Filters {
  contains?: string[] | undefined;
  regex?: string | undefined;
  traceId?: string | undefined;
  conversationId?: string | undefined;
  workspaceId?: string | undefined;
  levels?: string[] | undefined;
}

/** Line filters shared by every mode: text, regex, ids (all pushed down to Loki). */
export function filterStages(f: Filters): Stage[] {
  const stages: Stage[] = [];
  for (const text of f.contains ?? []) stages.push(contains(text));
  if (f.regex) stages.push(matches(checkRegex(f.regex, { field: "regex" })));
  for (const id of [f.traceId, f.conversationId, f.workspaceId]) if (id) stages.push(contains(id));
  return stages;
}

/** The legs a mode reads (see pushdown.ts); undefined for modes that read everything. */
/** How a mode's lines are read: `fast` (Loki's level detection where it has one) or `precise` (text filters). */
export type Pushdown = "fast" | "precise";

export function modeLegs(mode: Mode | undefined, pushdown: Pushdown = "fast"): Leg[] | undefined {
  switch (mode) {
    case "errors":
    case "troubleshoot":
      return pushdown === "fast" ? FAST_LEGS[mode] : LEGS[mode];
    case "audit":
    case "performance":
      return LEGS[mode];
    default:
      return undefined;
  }
}

/** Whether a mode has a fast read that may need the precise one after it. */
export const hasFastPushdown = (mode: Mode | undefined): boolean => mode === "errors" || mode === "troubleshoot";

/**
 * The Loki queries of a mode: one per leg, each with the shared filters first. Their union is a
 * superset of what the mode keeps (keepLine confirms); the legs are disjoint, so nothing is read twice.
 */
export function buildLogQueries(
  serviceMatchers: Matcher[],
  fallbackLabel: string,
  mode: Mode | undefined,
  f: Filters,
  pushdown: Pushdown = "fast",
): LogQuery[] {
  const sel: Selector = { matchers: serviceMatchers.length ? serviceMatchers : [re(fallbackLabel, ".+")] };
  const shared = filterStages(f);
  return (modeLegs(mode, pushdown) ?? [[]]).map((leg) => logQuery(sel, ...shared, ...leg));
}

/**
 * The LogQL an answer shows: the query itself, or for a mode read in several legs its selector and
 * shared filters, the legs named in a LogQL comment (their full text would cost ~2,500 tokens).
 */
export function shownLogql(mode: Mode | undefined, queries: string[], base: string): string {
  const [only] = queries;
  if (queries.length === 1 && only !== undefined) return only;
  return `${base} # mode=${mode}: ${queries.length} disjoint legs (problem level label; other level label + level field; no level label + problem word, level field or status), see src/query/pushdown.ts`;
}

/** Does a parsed line belong to the mode? (Loki's filter is a superset; this confirms.) */
export function keepLine(mode: Mode | undefined, p: ParsedLine, line: string, levels?: string[]): boolean {
  if (levels?.length && !levels.includes(p.level)) return false;
  switch (mode) {
    case "errors":
      return p.level === "error" || p.level === "fatal" || (p.level === "unknown" && TEXT.exception.test(line));
    case "troubleshoot":
      return isProblemLevel(p.level) || (p.level === "unknown" && TEXT.trouble.test(line));
    case "audit":
      return TEXT.audit.test(p.message) || TEXT.audit.test(line);
    default:
      return true;
  }
}
