import { LogqlError } from "./errors.ts";
import { labelRegexMatches } from "./regex.ts";
import type { Matcher, Selector } from "./types.ts";

/**
 * Selector breadth checks: Loki's "at least one non-empty-compatible matcher"
 * rule, and a match-all heuristic for the cost guardrail.
 */

/** Whether a stream matcher accepts the empty value (i.e. also streams without the label). */
export function matchesEmpty(m: Matcher): boolean {
  switch (m.op) {
    case "=":
      return m.value === "";
    case "!=":
      return m.value !== "";
    case "=~":
      return labelRegexMatches(m.value, "");
    case "!~":
      return !labelRegexMatches(m.value, "");
  }
}

/**
 * Throws unless at least one matcher cannot match the empty value, which
 * Loki requires of every stream selector ({app=~".*"} alone is rejected).
 */
export function assertSelectable(matchers: readonly Matcher[], field = "selector"): void {
  if (matchers.some((m) => !matchesEmpty(m))) return;
  throw new LogqlError(`${field} has no matcher that selects specific streams`, {
    code: "empty_compatible_selector",
    field,
    hint: 'Add a matcher that cannot match an empty value, e.g. service_name="checkout" or app=~".+"; matchers like app=~".*" or app!="x" alone select every stream.',
  });
}

/** Non-empty probe values: a regex matcher that accepts all of them is treated as "any value". */
const PROBES = [
  "a",
  "Z",
  "0",
  "checkout-service",
  "api_gateway.v2",
  "x/y:8080",
  "prod eu-west-1",
  "ünïcödé",
  "日本",
  "a\nb",
];

/**
 * Whether a single matcher is broad: negative matchers (they exclude at most
 * some streams), `=""`, and regexes such as `.*`, `.+`, `(?s).*` that accept
 * every probe value. A heuristic for cost control, not a proof.
 */
export function isBroadMatcher(m: Matcher): boolean {
  switch (m.op) {
    case "!=":
    case "!~":
      return true;
    case "=":
      return m.value === "";
    case "=~":
      return PROBES.every((p) => labelRegexMatches(m.value, p));
  }
}

/** True when the selector's matchers together select (nearly) every stream. */
export function isMatchAll(selector: Selector | readonly Matcher[]): boolean {
  const matchers = Array.isArray(selector) ? selector : (selector as Selector).matchers;
  return matchers.every(isBroadMatcher);
}
