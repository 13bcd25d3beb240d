import {
  checkRegex,
  contains,
  type LineFilterStage,
  type LogQuery,
  logQuery,
  type Matcher,
  matches,
  re,
  type Selector,
  type Stage,
} from "../logql/index.ts";
import { isProblemLevel, type ParsedLine } from "./lines.ts";

/**
 * Each mode is a LogQL filter pushed down to Loki (a superset, cheap to run)
 * and a local check that confirms what the mode means on the parsed line.
 */
export const MODES = ["troubleshoot", "performance", "errors", "audit", "conversation", "raw"] as const;
export type Mode = (typeof MODES)[number];

// Words, plus numeric JSON levels (pino/bunyan 50/60) and log15's "eror", so no line keepLine wants is filtered out by Loki.
const ERROR_WORDS = 'err|eror|fatal|crit|panic|exception|fail|traceback|stack ?trace|emerg|alert|"level":\\s*[56][0-9]';
const TROUBLE_WORDS = `${ERROR_WORDS}|"level":\\s*4[0-9]|warn|timeout|timed out|deadline|refused|unavailable|unreachable|exhausted|denied|expired|reset by peer|too many|rejected|cannot|could not|unable|(status|code)["=: ]+5[0-9][0-9]|(^|[ /(])5[0-9][0-9]([ ,;)]|$)`;
const AUDIT_WORDS =
  "\\b(login|logout|logged in|log in|sign ?in|sign ?out|authenticat\\w*|authoriz\\w*|unauthori[sz]ed|forbidden|permission|access denied|denied|password|mfa|2fa|api[ _-]?key|token (created|revoked|issued)|role|grant|granted|revoke|revoked|privilege|admin|sudo|config(uration)? (change|changed|update|updated|reload)|setting changed|policy|audit)\\b";
const PERF_WORDS = 'duration|latency|elapsed|took|response_time|time_ms|_ms=|"\\w*_ms"|slow';

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

/** The pushed-down filter of a mode (case-insensitive superset of what the mode keeps). */
export function modeStage(mode: Mode | undefined): LineFilterStage | undefined {
  switch (mode) {
    case "errors":
      return matches(`(?i)(${ERROR_WORDS})`);
    case "troubleshoot":
      return matches(`(?i)(${TROUBLE_WORDS})`);
    case "audit":
      return matches(`(?i)(${AUDIT_WORDS})`);
    case "performance":
      return matches(`(?i)(${PERF_WORDS})`);
    default:
      return undefined;
  }
}

export function buildLogQuery(serviceMatchers: Matcher[], fallbackLabel: string, mode: Mode | undefined, f: Filters) {
  const sel: Selector = { matchers: serviceMatchers.length ? serviceMatchers : [re(fallbackLabel, ".+")] };
  const stage = modeStage(mode);
  const stages = [...filterStages(f), ...(stage ? [stage] : [])];
  return logQuery(sel, ...stages) satisfies LogQuery;
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
